package session_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
)

// jwksServer serves a JWK set the way Hanko's GET /.well-known/jwks.json
// does (Cache-Control max-age=600, ETag, 304 on If-None-Match) and counts
// the requests. What it serves can be switched while it runs.
type jwksServer struct {
	*httptest.Server
	hits        atomic.Int32 // every request
	notModified atomic.Int32 // of which answered 304

	mu     sync.Mutex
	doc    func() []byte // the document; nil: answer status
	status int
}

func newJWKSServer(t testing.TB, keys *jwks.Set) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.serveKeys(keys)
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) handle(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	doc, status := s.doc, s.status
	s.mu.Unlock()
	if doc == nil {
		http.Error(w, "down", status)
		return
	}
	body := doc()
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	w.Header().Set("Cache-Control", "public, max-age=600")
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		s.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Write(body)
}

// serveKeys serves the current JWK set document of keys.
func (s *jwksServer) serveKeys(keys *jwks.Set) { s.serve(keys.JSON) }

// serveDoc serves a fixed document.
func (s *jwksServer) serveDoc(doc string) { s.serve(func() []byte { return []byte(doc) }) }

func (s *jwksServer) serve(doc func() []byte) {
	s.mu.Lock()
	s.doc, s.status = doc, 0
	s.mu.Unlock()
}

// fail makes the server answer every request with status.
func (s *jwksServer) fail(status int) {
	s.mu.Lock()
	s.doc, s.status = nil, status
	s.mu.Unlock()
}

// remote returns a verifier of srv's keys on e's clock for audience
// "localhost".
func (e *env) remote(t testing.TB, srv *jwksServer, opts ...session.RemoteOption) *session.RemoteVerifier {
	t.Helper()
	opts = append([]session.RemoteOption{
		session.WithHTTPClient(srv.Client()), session.WithClock(e.clock.Now), session.WithAudience("localhost"),
	}, opts...)
	v, err := session.NewRemoteVerifier(srv.URL+"/.well-known/jwks.json", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// issue issues a session for a new user.
func issue(t testing.TB, e *env, m *session.Manager) session.Token {
	t.Helper()
	tok, err := m.Issue(t.Context(), e.user(t, "ada-"+uuid.NewString()+"@example.com"), session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// newKeyedEnv is newEnv with a key set whose keys are alg (RSABits bits
// for RS256).
func newKeyedEnv(tb testing.TB, alg string, rsaBits int) *env {
	tb.Helper()
	db, err := store.Open(tb.Context(), store.Options{Dialect: "sqlite", DSN: filepath.Join(tb.TempDir(), "hanko.db")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	keys, err := jwks.New(tb.Context(), jwks.Config{Store: db, Secrets: []string{secret}, Now: clock.Now, Algorithm: alg, RSABits: rsaBits})
	if err != nil {
		tb.Fatal(err)
	}
	return &env{db: db, keys: keys, clock: clock}
}

func sameClaims(a, b session.Claims) bool {
	return a.Subject == b.Subject && a.SessionID == b.SessionID && a.IssuedAt.Equal(b.IssuedAt) &&
		a.ExpiresAt.Equal(b.ExpiresAt) && a.Issuer == b.Issuer && strings.Join(a.Audience, " ") == strings.Join(b.Audience, " ") &&
		(a.Email == nil) == (b.Email == nil) && (a.Email == nil || *a.Email == *b.Email)
}

func TestRemoteVerifiesEveryAlgorithm(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		alg  string
		bits int
	}{{jwks.ES256, 0}, {jwks.RS256, 2048}, {jwks.EdDSA, 0}} {
		t.Run(tc.alg, func(t *testing.T) {
			t.Parallel()
			e := newKeyedEnv(t, tc.alg, tc.bits)
			m := e.manager(t)
			srv := newJWKSServer(t, e.keys)
			v := e.remote(t, srv)
			tok := issue(t, e, m)
			for range 3 { // then from the cache
				c, err := v.Verify(t.Context(), tok.Value)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if !sameClaims(c, tok.Claims) || c.Email == nil {
					t.Fatalf("claims %+v, want %+v", c, tok.Claims)
				}
			}
			if n := srv.hits.Load(); n != 1 {
				t.Fatalf("%d fetches of the JWK set, want 1", n)
			}
		})
	}
}

func TestRemoteRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	srv := newJWKSServer(t, e.keys)
	v := e.remote(t, srv)
	uid := e.user(t, "")
	tok, err := m.Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok.Value, ".")
	kid := e.keys.Signer().ID
	enc := base64.RawURLEncoding.EncodeToString
	// Tokens of other managers on the same keys: another audience, an
	// issuer, and a clock two minutes ahead (iat in the future).
	otherAud := issueWith(t, e, uid, func(c *session.Config) { c.Audience = []string{"elsewhere.example"} })
	withIss := issueWith(t, e, uid, func(c *session.Config) { c.Issuer = "https://other-issuer.example" })
	ahead := issueWith(t, e, uid, func(c *session.Config) {
		c.Now = func() time.Time { return e.clock.Now().Add(2 * time.Minute) }
	})
	// An RS256 header on the ES256 key, and an HS256 token MACed with the
	// public JWK set as the secret (the classic algorithm confusion).
	rsHeader := enc([]byte(`{"alg":"RS256","kid":"` + kid + `","typ":"JWT"}`))
	hsHeader := enc([]byte(`{"alg":"HS256","kid":"` + kid + `","typ":"JWT"}`))

	for name, bad := range map[string]string{
		"empty":            "",
		"garbage":          "x.y.z",
		"two parts":        parts[0] + "." + parts[1],
		"four parts":       tok.Value + ".x",
		"bad signature":    parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4] + "AAAA",
		"no signature":     parts[0] + "." + parts[1] + ".",
		"alg none":         enc([]byte(`{"alg":"none","kid":"`+kid+`"}`)) + "." + parts[1] + ".",
		"alg none no kid":  enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		"alg RS256":        rsHeader + "." + parts[1] + "." + parts[2],
		"alg HS256":        hsHeader + "." + parts[1] + "." + enc(e.keys.JSON()[:32]),
		"no kid":           enc([]byte(`{"alg":"ES256"}`)) + "." + parts[1] + "." + parts[2],
		"unknown kid":      enc([]byte(`{"alg":"ES256","kid":"nope"}`)) + "." + parts[1] + "." + parts[2],
		"tampered payload": parts[0] + "." + enc([]byte(`{"sub":"`+uuid.NewString()+`"}`)) + "." + parts[2],
		"foreign key":      forgeES256(t, parts[1]),
		"wrong audience":   otherAud.Value,
		"iat in future":    ahead.Value,
		"newline in sig":   parts[0] + "." + parts[1] + "." + parts[2][:10] + "\n" + parts[2][10:],
		"oversized":        strings.Repeat("a", 10000),
	} {
		if _, err := v.Verify(t.Context(), bad); err != session.ErrInvalidToken {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}

	// The issuer is checked only when asked for; so is the audience.
	if _, err := v.Verify(t.Context(), withIss.Value); err != nil {
		t.Errorf("a token with iss, no WithIssuer: %v", err)
	}
	strict := e.remote(t, srv, session.WithIssuer("https://hanko.example"))
	if _, err := strict.Verify(t.Context(), withIss.Value); err != session.ErrInvalidToken {
		t.Errorf("wrong issuer: %v", err)
	}
	if _, err := strict.Verify(t.Context(), tok.Value); err != session.ErrInvalidToken {
		t.Errorf("no issuer, WithIssuer set: %v", err)
	}
	anyAud, err := session.NewRemoteVerifier(srv.URL, session.WithHTTPClient(srv.Client()), session.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := anyAud.Verify(t.Context(), otherAud.Value); err != nil {
		t.Errorf("without WithAudience any audience verifies: %v", err)
	}

	// Expiry applies to cached tokens too.
	if _, err := v.Verify(t.Context(), tok.Value); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(12*time.Hour + time.Second)
	if _, err := v.Verify(t.Context(), tok.Value); err != session.ErrInvalidToken {
		t.Errorf("expired (cached): %v", err)
	}
	fresh := e.remote(t, srv) // an empty cache
	if _, err := fresh.Verify(t.Context(), tok.Value); err != session.ErrInvalidToken {
		t.Errorf("expired (not cached): %v", err)
	}
}

// issueWith issues a token for uid from another manager on e's keys.
func issueWith(t testing.TB, e *env, uid uuid.UUID, mod func(*session.Config)) session.Token {
	t.Helper()
	tok, err := e.manager(t, mod).Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestRemoteRevokedStaysValid pins the documented limit: a remote verifier
// has no revocation feed, so a revoked session verifies until exp, while
// the Manager refuses it at once.
func TestRemoteRevokedStaysValid(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	srv := newJWKSServer(t, e.keys)
	v := e.remote(t, srv)
	tok := issue(t, e, m)
	if err := m.Revoke(t.Context(), tok.Claims.Subject, tok.Claims.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(t.Context(), tok.Value); err != session.ErrInvalidToken {
		t.Fatalf("Manager: revoked token: %v", err)
	}
	if _, err := v.Verify(t.Context(), tok.Value); err != nil {
		t.Fatalf("RemoteVerifier: revoked token: %v (the documented behaviour is: valid until exp)", err)
	}
}

// TestRequireSessionLeaksNothing: every rejected token, at the Manager and
// at a remote verifier, gets the same 401 body and never reaches next.
func TestRequireSessionLeaksNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	srv := newJWKSServer(t, e.keys)
	v := e.remote(t, srv)
	uid := e.user(t, "")
	good, err := m.Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := m.Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	expiring, err := m.Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good.Value, ".")
	enc := base64.RawURLEncoding.EncodeToString
	bad := map[string]string{
		"bad signature":  parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4] + "AAAA",
		"wrong audience": issueWith(t, e, uid, func(c *session.Config) { c.Audience = []string{"elsewhere.example"} }).Value,
		"alg none":       enc([]byte(`{"alg":"none","kid":"`+e.keys.Signer().ID+`"}`)) + "." + parts[1] + ".",
		"unknown kid":    enc([]byte(`{"alg":"ES256","kid":"nope"}`)) + "." + parts[1] + "." + parts[2],
		"garbage":        "not-a-token",
	}
	if err := m.Revoke(t.Context(), uid, revoked.Claims.SessionID); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		mw    func(http.Handler) http.Handler
		extra map[string]string
	}{
		{"Manager", m.RequireSession, map[string]string{"revoked": revoked.Value}},
		{"RemoteVerifier", v.RequireSession, nil}, // no revocation there (TestRemoteRevokedStaysValid)
	} {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			h := tc.mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				c, ok := session.FromContext(r.Context())
				if !ok || c.Subject != uid {
					t.Errorf("FromContext = %+v, %t", c, ok)
				}
			}))
			serve := func(tok string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("GET", "/", nil)
				if tok != "" {
					req.Header.Set("Authorization", "Bearer "+tok)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				return rec
			}
			if rec := serve(good.Value); rec.Code != 200 || calls.Load() != 1 {
				t.Fatalf("a good token: %d, next called %d times", rec.Code, calls.Load())
			}
			cases := map[string]string{"no token": ""}
			for k, tok := range bad {
				cases[k] = tok
			}
			for k, tok := range tc.extra {
				cases[k] = tok
			}
			check := func(name, tok string) {
				rec := serve(tok)
				if rec.Code != 401 || rec.Body.String() != `{"code":401,"message":"Unauthorized"}`+"\n" ||
					rec.Header().Get("Content-Type") != "application/json; charset=UTF-8" {
					t.Errorf("%s: %d %q %v", name, rec.Code, rec.Body, rec.Header())
				}
			}
			for name, tok := range cases {
				check(name, tok)
			}
			if calls.Load() != 1 {
				t.Fatalf("next was called for a rejected token")
			}
		})
	}
	e.clock.Add(12*time.Hour + time.Second)
	for name, mw := range map[string]func(http.Handler) http.Handler{"Manager": m.RequireSession, "RemoteVerifier": v.RequireSession} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", "Bearer "+expiring.Value)
		mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Errorf("%s: next called for an expired token", name) })).ServeHTTP(rec, req)
		if rec.Code != 401 || rec.Body.String() != `{"code":401,"message":"Unauthorized"}`+"\n" {
			t.Errorf("%s: expired: %d %q", name, rec.Code, rec.Body)
		}
	}
}

// rotate adds a second secret, whose new key (alg) signs from then on, and
// returns a manager that signs with it. e.keys learns of the key by Reload.
func rotate(t testing.TB, e *env, alg string) (*session.Manager, *jwks.Set) {
	t.Helper()
	e.clock.Add(time.Second) // the newer row signs
	keys, err := jwks.New(t.Context(), jwks.Config{Store: e.db, Secrets: []string{secret, secret + "-next"}, Now: e.clock.Now, Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	if keys.Signer().ID == e.keys.Signer().ID {
		t.Fatal("the rotation did not make a new signer")
	}
	m, err := session.New(session.Config{Keys: keys, Store: e.db, Audience: []string{"localhost"}, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m, keys
}

func TestRemoteRotationAndRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	srv := newJWKSServer(t, e.keys)
	v := e.remote(t, srv)
	old := issue(t, e, m)
	if _, err := v.Verify(t.Context(), old.Value); err != nil {
		t.Fatal(err)
	}

	// A new key appears (EdDSA, to show that a set may mix algorithms). The
	// first token with its kid triggers one fetch and verifies.
	m2, keys2 := rotate(t, e, jwks.EdDSA)
	srv.serveKeys(keys2)
	e.clock.Add(session.DefaultKidRefreshInterval)
	next := issue(t, e, m2)
	if _, err := v.Verify(t.Context(), next.Value); err != nil {
		t.Fatalf("a token of the rotated key: %v", err)
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	if _, err := v.Verify(t.Context(), issue(t, e, m).Value); err != nil {
		t.Fatalf("the old key still verifies: %v", err)
	}

	// Unknown kids, however many and however concurrent, fetch at most once
	// per DefaultKidRefreshInterval.
	unknown := func() string {
		return forgeWithKid(t, "made-up-"+uuid.NewString(), strings.Split(old.Value, ".")[1])
	}
	e.clock.Add(session.DefaultKidRefreshInterval)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := v.Verify(t.Context(), unknown()); err != session.ErrInvalidToken {
				t.Errorf("made-up kid: %v", err)
			}
		})
	}
	wg.Wait()
	if n := srv.hits.Load(); n != 3 {
		t.Fatalf("%d fetches after a burst of made-up kids, want 3", n)
	}
	e.clock.Add(session.DefaultKidRefreshInterval - time.Millisecond)
	if _, err := v.Verify(t.Context(), unknown()); err != session.ErrInvalidToken {
		t.Fatal(err)
	}
	if n := srv.hits.Load(); n != 3 {
		t.Fatalf("%d fetches within the interval, want 3", n)
	}
	e.clock.Add(time.Millisecond)
	if _, err := v.Verify(t.Context(), unknown()); err != session.ErrInvalidToken {
		t.Fatal(err)
	}
	if n := srv.hits.Load(); n != 4 {
		t.Fatalf("%d fetches after the interval, want 4", n)
	}
	// Those fetches were conditional: the set had not changed.
	if n := srv.notModified.Load(); n != 2 {
		t.Fatalf("%d answers were 304, want 2", n)
	}
}

// forgeWithKid signs payload with a throwaway P-256 key under kid.
func forgeWithKid(t testing.TB, kid, payload string) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"` + kid + `","typ":"JWT"}`))
	sig, err := jwks.Key{ID: kid, Algorithm: jwks.ES256, Private: k, Public: &k.PublicKey}.Sign(rand.Reader, []byte(h+"."+payload))
	if err != nil {
		t.Fatal(err)
	}
	return h + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestRemoteScheduledRefresh(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	srv := newJWKSServer(t, e.keys)
	v := e.remote(t, srv)
	tok := issue(t, e, m)
	if _, err := v.Verify(t.Context(), tok.Value); err != nil {
		t.Fatal(err)
	}
	// Within max-age=600 nothing is fetched; after it, one request does.
	e.clock.Add(599 * time.Second)
	v.Verify(t.Context(), tok.Value)
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d fetches within max-age, want 1", n)
	}
	e.clock.Add(time.Second)
	for range 3 {
		if _, err := v.Verify(t.Context(), tok.Value); err != nil {
			t.Fatal(err)
		}
	}
	if n, nm := srv.hits.Load(), srv.notModified.Load(); n != 2 || nm != 1 {
		t.Fatalf("%d fetches (%d not modified) after max-age, want 2 (1)", n, nm)
	}

	// The next set drops the key: cached tokens of it stop verifying at the
	// scheduled refresh.
	_, keys2 := rotate(t, e, jwks.ES256)
	srv.serve(func() []byte { return withoutKid(t, keys2.JSON(), e.keys.Signer().ID) })
	e.clock.Add(600 * time.Second)
	if _, err := v.Verify(t.Context(), tok.Value); err != session.ErrInvalidToken {
		t.Fatalf("a cached token of a removed key: %v", err)
	}
}

// withoutKid returns a JWK set document without the key kid.
func withoutKid(t testing.TB, doc []byte, kid string) []byte {
	t.Helper()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	var keep []map[string]any
	for _, k := range set.Keys {
		if k["kid"] != kid {
			keep = append(keep, k)
		}
	}
	set.Keys = keep
	out, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRemoteServerDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	srv := newJWKSServer(t, e.keys)
	v := e.remote(t, srv)
	if _, err := v.Verify(t.Context(), issue(t, e, m).Value); err != nil {
		t.Fatal(err)
	}
	srv.fail(http.StatusServiceUnavailable)
	e.clock.Add(time.Hour) // the set is stale; refreshing it fails
	for range 3 {
		// A token not seen before, of a known key, verifies.
		if _, err := v.Verify(t.Context(), issue(t, e, m).Value); err != nil {
			t.Fatalf("a known key while the JWKS URL is down: %v", err)
		}
	}
	if n := srv.hits.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2 (one failed scheduled refresh, no retry within 5s)", n)
	}
	e.clock.Add(session.DefaultKidRefreshInterval)
	payload := strings.Split(issue(t, e, m).Value, ".")[1]
	if _, err := v.Verify(t.Context(), forgeWithKid(t, "rotated-meanwhile", payload)); err != session.ErrInvalidToken {
		t.Fatalf("an unknown kid while the JWKS URL is down: %v, want ErrInvalidToken", err)
	}
	if err := v.Refresh(t.Context()); !errors.Is(err, session.ErrKeysUnavailable) || !errors.Is(err, autherr.Internal) {
		t.Fatalf("Refresh while down: %v", err)
	}

	// A verifier that never had keys reports the outage, not a bad token,
	// and does not retry within the interval.
	srv.hits.Store(0)
	cold := e.remote(t, srv)
	tok := issue(t, e, m)
	for range 3 {
		if _, err := cold.Verify(t.Context(), tok.Value); !errors.Is(err, session.ErrKeysUnavailable) {
			t.Fatalf("no keys ever: %v, want ErrKeysUnavailable", err)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Fatalf("%d fetches by the cold verifier, want 1", n)
	}
	// Unreachable altogether.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	gone, err := session.NewRemoteVerifier(closed.URL+"/.well-known/jwks.json", session.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gone.Verify(t.Context(), tok.Value); !errors.Is(err, session.ErrKeysUnavailable) {
		t.Fatalf("unreachable: %v", err)
	}
	// Back up: the cold verifier recovers after the interval.
	srv.serveKeys(e.keys)
	e.clock.Add(session.DefaultKidRefreshInterval)
	if _, err := cold.Verify(t.Context(), tok.Value); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestRemoteMalformedJWKS(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	tok := issue(t, e, m)
	var good map[string]any
	{
		var set struct{ Keys []map[string]any }
		if err := json.Unmarshal(e.keys.JSON(), &set); err != nil {
			t.Fatal(err)
		}
		good = set.Keys[0]
	}
	with := func(mod func(k map[string]any)) map[string]any {
		k := map[string]any{}
		for n, v := range good {
			k[n] = v
		}
		mod(k)
		return k
	}
	doc := func(keys ...any) string {
		b, err := json.Marshal(map[string]any{"keys": keys})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk := func(key any, kid, alg string) json.RawMessage {
		b, err := jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: "sig"}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, tc := range map[string]struct{ body, why string }{
		"not JSON":          {"<html>oops</html>", "not a JWK set"},
		"empty":             {"", "not a JWK set"},
		"no keys member":    {`{}`, `keys\" array`},
		"keys not an array": {`{"keys":{}}`, "not a JWK set"},
		"no keys":           {`{"keys":[]}`, "no usable signing key"},
		"symmetric key":     {doc(map[string]any{"kty": "oct", "kid": good["kid"], "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}), "not a public key"},
		"private key":       {doc(json.RawMessage(jwk(p256, good["kid"].(string), "ES256"))), "not a public key"},
		"RSA 1024":          {doc(json.RawMessage(jwk(&rsa1024.PublicKey, good["kid"].(string), "RS256"))), "too small"},
		"P-384":             {doc(json.RawMessage(jwk(&p384.PublicKey, good["kid"].(string), "ES384"))), "only P-256"},
		"alg mismatch":      {doc(with(func(k map[string]any) { k["alg"] = "RS256" })), "does not fit"},
		"use enc":           {doc(with(func(k map[string]any) { k["use"] = "enc" })), "is not sig"},
		"no kid":            {doc(with(func(k map[string]any) { delete(k, "kid") })), "no kid"},
		"duplicate kid":     {doc(good, json.RawMessage(jwk(&p256.PublicKey, good["kid"].(string), "ES256"))), "more than once"},
		"point off curve":   {doc(with(func(k map[string]any) { k["x"] = k["y"] })), "not on declared curve"},
		"unknown kty":       {doc(with(func(k map[string]any) { k["kty"] = "XYZ" })), "unsupported key type"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newJWKSServer(t, e.keys)
			srv.serveDoc(tc.body)
			var logs strings.Builder
			v := e.remote(t, srv, session.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			err := v.Refresh(t.Context())
			if !errors.Is(err, session.ErrKeysUnavailable) {
				t.Fatalf("Refresh: %v, want ErrKeysUnavailable", err)
			}
			if !strings.Contains(logs.String(), tc.why) {
				t.Fatalf("the log does not say %q:\n%s", tc.why, logs.String())
			}
			if _, err := v.Verify(t.Context(), tok.Value); err == nil {
				t.Fatal("a token verified against a malformed JWK set")
			}
		})
	}

	t.Run("unusable keys are skipped", func(t *testing.T) {
		t.Parallel()
		srv := newJWKSServer(t, e.keys)
		srv.serveDoc(doc(
			map[string]any{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"},
			json.RawMessage(jwk(&p384.PublicKey, "p384", "ES384")),
			map[string]any{"kty": "XYZ", "kid": "future"},
			good,
		))
		v := e.remote(t, srv)
		if _, err := v.Verify(t.Context(), tok.Value); err != nil {
			t.Fatalf("the usable key among unusable ones: %v", err)
		}
	})

	t.Run("a bad update keeps the current keys", func(t *testing.T) {
		t.Parallel()
		srv := newJWKSServer(t, e.keys)
		v := e.remote(t, srv)
		if err := v.Refresh(t.Context()); err != nil {
			t.Fatal(err)
		}
		srv.serveDoc(`{"keys":[]}`)
		if err := v.Refresh(t.Context()); !errors.Is(err, session.ErrKeysUnavailable) {
			t.Fatalf("Refresh: %v", err)
		}
		if _, err := v.Verify(t.Context(), tok.Value); err != nil {
			t.Fatalf("after a bad update: %v", err)
		}
	})

	t.Run("oversized", func(t *testing.T) {
		t.Parallel()
		srv := newJWKSServer(t, e.keys)
		huge := `{"keys":[` + strings.Repeat(`{"kty":"XYZ"},`, 100_000) + `{}]}`
		srv.serveDoc(huge)
		v := e.remote(t, srv)
		if err := v.Refresh(t.Context()); !errors.Is(err, session.ErrKeysUnavailable) || !strings.Contains(err.Error(), "larger") {
			t.Fatalf("Refresh: %v", err)
		}
	})
}

func TestNewRemoteVerifierOptions(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		url  string
		opts []session.RemoteOption
		want string
	}{
		"relative URL":   {"/.well-known/jwks.json", nil, "absolute"},
		"other scheme":   {"ftp://hanko.example/jwks.json", nil, "absolute"},
		"no host":        {"https:///jwks.json", nil, "absolute"},
		"nil client":     {"https://hanko.example/.well-known/jwks.json", []session.RemoteOption{session.WithHTTPClient(nil)}, "client"},
		"empty audience": {"https://hanko.example/.well-known/jwks.json", []session.RemoteOption{session.WithAudience("")}, "audience"},
		"nil clock":      {"https://hanko.example/.well-known/jwks.json", []session.RemoteOption{session.WithClock(nil)}, "clock"},
		"negative":       {"https://hanko.example/.well-known/jwks.json", []session.RemoteOption{session.WithKidRefreshInterval(-1)}, "negative"},
		"no cookie name": {"https://hanko.example/.well-known/jwks.json", []session.RemoteOption{session.WithCookieName("")}, "CookieName"},
	} {
		if _, err := session.NewRemoteVerifier(tc.url, tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error about %s", name, err, tc.want)
		}
	}
	// Every problem is reported at once.
	_, err := session.NewRemoteVerifier("nope", session.WithHTTPClient(nil), session.WithAudience(""))
	if err == nil || !strings.Contains(err.Error(), "absolute") || !strings.Contains(err.Error(), "client") || !strings.Contains(err.Error(), "audience") {
		t.Fatalf("several problems: %v", err)
	}
}

// TestRemoteCookieAndContext: RequireSession reads the configured cookie
// when there is no Authorization header, and a cancelled context ends a
// wait for the key set.
func TestRemoteCookieAndContext(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	srv := newJWKSServer(t, e.keys)
	v := e.remote(t, srv, session.WithCookieName("sess"))
	tok := issue(t, e, m)
	h := v.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := session.FromContext(r.Context())
		io.WriteString(w, c.SessionID.String())
	}))
	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "sess", Value: tok.Value})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != tok.Claims.SessionID.String() {
		t.Fatalf("cookie: %d %s", rec.Code, rec.Body)
	}
	req = httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: "hanko", Value: tok.Value})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("another cookie name: %d", rec.Code)
	}

	cold := e.remote(t, srv)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := cold.Verify(ctx, tok.Value); err == nil {
		t.Fatal("Verify with a cancelled context and no keys succeeded")
	}
}
