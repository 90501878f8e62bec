package session_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
)

const secret = "a-test-secret-of-32-characters!!"

// fakeClock is a clock tests advance by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	db    *store.DB
	keys  *jwks.Set
	clock *fakeClock
	path  string
}

func newEnv(t testing.TB, path string) *env {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "hanko.db")
	}
	db, err := store.Open(t.Context(), store.Options{Dialect: "sqlite", DSN: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	keys, err := jwks.New(t.Context(), jwks.Config{Store: db, Secrets: []string{secret}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{db: db, keys: keys, clock: clock, path: path}
}

func (e *env) manager(t testing.TB, mod ...func(*session.Config)) *session.Manager {
	t.Helper()
	cfg := session.Config{Keys: e.keys, Store: e.db, Audience: []string{"localhost"}, Now: e.clock.Now,
		Cookie: session.Cookie{Name: "hanko", HTTPOnly: true, Secure: true, SameSite: "strict"}, RevocationPoll: 10 * time.Millisecond}
	for _, f := range mod {
		f(&cfg)
	}
	m, err := session.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func (e *env) user(t testing.TB, address string) uuid.UUID {
	t.Helper()
	now := e.clock.Now()
	u := store.User{ID: uuid.New(), CreatedAt: now, UpdatedAt: now}
	if err := e.db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if address != "" {
		em := store.Email{ID: uuid.New(), UserID: &u.ID, Address: address, Verified: true, CreatedAt: now, UpdatedAt: now}
		if err := e.db.CreateEmail(t.Context(), em); err != nil {
			t.Fatal(err)
		}
		if err := e.db.SetPrimaryEmail(t.Context(), uuid.New(), u.ID, em.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	return u.ID
}

func TestIssueAndVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	uid := e.user(t, "ada@example.com")
	tok, err := m.Issue(t.Context(), uid, session.Meta{UserAgent: "test", IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	// The claims on the wire are the reference's.
	parts := strings.Split(tok.Value, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var wire map[string]any
	if err := json.Unmarshal(payload, &wire); err != nil {
		t.Fatal(err)
	}
	if wire["sub"] != uid.String() || wire["session_id"] != tok.Claims.SessionID.String() ||
		wire["exp"].(float64)-wire["iat"].(float64) != 12*3600 || wire["aud"].([]any)[0] != "localhost" {
		t.Fatalf("claims %v", wire)
	}
	if em := wire["email"].(map[string]any); em["address"] != "ada@example.com" || em["is_primary"] != true || em["is_verified"] != true {
		t.Fatalf("email claim %v", em)
	}
	if _, ok := wire["iss"]; ok {
		t.Fatal("iss must be absent without session.issuer")
	}
	hdr, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if !strings.Contains(string(hdr), `"alg":"ES256"`) || !strings.Contains(string(hdr), `"kid":"`+e.keys.Signer().ID+`"`) {
		t.Fatalf("header %s", hdr)
	}
	for range 2 { // the second answer comes from the cache
		c, err := m.Verify(t.Context(), tok.Value)
		if err != nil || c.Subject != uid || c.SessionID != tok.Claims.SessionID {
			t.Fatalf("verify: %+v %v", c, err)
		}
	}
	if _, err := e.db.GetSession(t.Context(), tok.Claims.SessionID); err != nil {
		t.Fatalf("no session row: %v", err)
	}
}

func TestRejectedTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	uid := e.user(t, "")
	tok, err := m.Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok.Value, ".")
	other := e.manager(t, func(c *session.Config) { c.Audience = []string{"elsewhere.example"} })
	otherTok, err := other.Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	forged := forgeES256(t, parts[1])
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+e.keys.Signer().ID+`"}`)) + "." + parts[1] + "."
	unknownKid := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"nope"}`)) + "." + parts[1] + "." + parts[2]
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+uuid.NewString()+`"}`)) + "." + parts[2]
	for name, bad := range map[string]string{
		"empty": "", "garbage": "x.y.z", "two parts": parts[0] + "." + parts[1], "four parts": tok.Value + ".x",
		"bad signature": parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-4] + "AAAA",
		"alg none":      none, "unknown kid": unknownKid, "tampered payload": tampered, "foreign key": forged,
		"wrong audience": otherTok.Value, "oversized": strings.Repeat("a", 10000),
	} {
		if _, err := m.Verify(t.Context(), bad); err != session.ErrInvalidToken {
			t.Errorf("%s: %v, want ErrInvalidToken", name, err)
		}
	}
	e.clock.Add(12*time.Hour + time.Second)
	if _, err := m.Verify(t.Context(), tok.Value); err != session.ErrInvalidToken {
		t.Errorf("expired: %v", err)
	}
}

// forgeES256 signs a payload with a key that is not in the set, under the
// set's kid.
func forgeES256(t testing.TB, payload string) string {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fake := jwks.Key{ID: "x", Algorithm: "ES256", Private: k, Public: &k.PublicKey}
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"ES256","kid":"x"}`))
	sig, err := fake.Sign(rand.Reader, []byte(h+"."+payload))
	if err != nil {
		t.Fatal(err)
	}
	return h + "." + payload + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestRevocationAppliesHereAtOnceAndElsewhereSoon(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	a := e.manager(t)
	// b is another instance on the same database, with its own key set.
	b := e.manager(t)
	uid := e.user(t, "")
	tok, err := a.Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(t.Context(), tok.Value); err != nil {
		t.Fatalf("b verifies a's token: %v", err)
	}
	if err := a.Revoke(t.Context(), uid, tok.Claims.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(t.Context(), tok.Value); err != session.ErrInvalidToken {
		t.Fatalf("a still accepts its revoked token: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := b.Verify(t.Context(), tok.Value); err == session.ErrInvalidToken {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b never learned of the revocation")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := a.Revoke(t.Context(), uid, tok.Claims.SessionID); err != session.ErrSessionNotFound {
		t.Fatalf("second revoke: %v", err)
	}
}

func TestSessionLimitEvictsOldest(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t, func(c *session.Config) { c.Limit = 2 })
	uid := e.user(t, "")
	var toks []session.Token
	for range 3 {
		tok, err := m.Issue(t.Context(), uid, session.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		toks = append(toks, tok)
		e.clock.Add(time.Second)
	}
	ss, err := m.Sessions(t.Context(), uid)
	if err != nil || len(ss) != 2 {
		t.Fatalf("sessions %d %v", len(ss), err)
	}
	if _, err := m.Verify(t.Context(), toks[0].Value); err != session.ErrInvalidToken {
		t.Fatalf("the evicted oldest session still verifies: %v", err)
	}
	if _, err := m.Verify(t.Context(), toks[2].Value); err != nil {
		t.Fatalf("the newest: %v", err)
	}
}

func TestRequireSessionAndTransport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	m := e.manager(t)
	uid := e.user(t, "")
	tok, err := m.Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.WriteToken(rec, tok)
	cookies := rec.Result().Cookies()
	if rec.Header().Get("X-Session-Lifetime") != "43200" || len(cookies) != 1 || cookies[0].Name != "hanko" ||
		!cookies[0].HttpOnly || !cookies[0].Secure || cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].MaxAge != 43200 {
		t.Fatalf("transport: %v %v", rec.Header(), cookies)
	}
	if rec.Header().Get("X-Auth-Token") != "" {
		t.Fatal("X-Auth-Token without enable_auth_token_header")
	}
	h := m.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := session.FromContext(r.Context())
		w.Write([]byte(c.Subject.String()))
	}))
	for name, set := range map[string]func(*http.Request){
		"bearer": func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok.Value) },
		"cookie": func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "hanko", Value: tok.Value}) },
		// A stale Bearer token and a stale cookie (left behind by a change of
		// session.cookie.domain) do not hide a valid cookie.
		"bad bearer, good cookie": func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer garbage")
			r.AddCookie(&http.Cookie{Name: "hanko", Value: tok.Value})
		},
		"bad cookie, good cookie": func(r *http.Request) {
			r.Header.Set("Cookie", "hanko=garbage; hanko="+tok.Value)
		},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		set(req)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.String() != uid.String() {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), `"code":401`) {
		t.Fatalf("no token: %d %s", rec.Code, rec.Body)
	}
	hdr := e.manager(t, func(c *session.Config) { c.AuthTokenHeader = true })
	rec = httptest.NewRecorder()
	hdr.WriteToken(rec, tok)
	if rec.Header().Get("X-Auth-Token") != tok.Value || len(rec.Result().Cookies()) != 0 {
		t.Fatalf("auth token header mode: %v", rec.Header())
	}
}
