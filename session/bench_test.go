package session_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
)

// The algorithms benchmarked, with the RSA modulus size.
var benchAlgs = []struct {
	name string
	alg  string
	bits int
}{
	{"ES256", jwks.ES256, 0},
	{"RS256-2048", jwks.RS256, 2048},
	{"RS256-4096", jwks.RS256, 4096},
	{"EdDSA", jwks.EdDSA, 0},
}

// nopStore is a session.FullStore that stores nothing: a Manager over it
// measures issuance without the database (ids, claims, JSON, signature).
// Every user has a verified primary email, so the email claim is signed too.
type nopStore struct{}

func (nopStore) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }
func (nopStore) CreateSession(context.Context, store.Session) error             { return nil }
func (nopStore) GetSession(context.Context, uuid.UUID) (store.Session, error) {
	return store.Session{}, autherr.NotFound
}
func (nopStore) ListSessions(context.Context, uuid.UUID, time.Time) ([]store.Session, error) {
	return nil, nil
}
func (nopStore) ListAllSessions(context.Context, uuid.UUID) ([]store.Session, error) { return nil, nil }
func (nopStore) ExcessSessions(context.Context, uuid.UUID, time.Time, int) ([]uuid.UUID, error) {
	return nil, nil
}
func (nopStore) TouchSession(context.Context, uuid.UUID, time.Time) error { return nil }
func (nopStore) DeleteSessions(context.Context, []uuid.UUID) ([]store.Session, error) {
	return nil, nil
}
func (nopStore) CreateSessionRevocations(context.Context, []store.SessionRevocation) error {
	return nil
}
func (nopStore) SessionRevocationsSince(context.Context, time.Time, time.Time) ([]store.SessionRevocation, error) {
	return nil, nil
}
func (nopStore) GetPrimaryEmailOf(context.Context, uuid.UUID) (store.Email, error) {
	return store.Email{Address: "ada.lovelace@example.com", Verified: true}, nil
}

// nopManager is a Manager on e's keys over nopStore.
func (e *env) nopManager(tb testing.TB, mod ...func(*session.Config)) *session.Manager {
	tb.Helper()
	cfg := session.Config{Keys: e.keys, Store: nopStore{}, Audience: []string{"localhost"}, Now: e.clock.Now}
	for _, f := range mod {
		f(&cfg)
	}
	m, err := session.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(m.Close)
	return m
}

// benchManager is e.manager polling the revocation feed at the default
// rate (1 s) rather than the tests' 10 ms, which would load the CPU.
func (e *env) benchManager(b *testing.B, mod ...func(*session.Config)) *session.Manager {
	b.Helper()
	return e.manager(b, append([]func(*session.Config){func(c *session.Config) { c.RevocationPoll = time.Second }}, mod...)...)
}

// mint returns n tokens of distinct sessions signed by e's signer, made
// without the database.
func mint(tb testing.TB, e *env, n int) []string {
	tb.Helper()
	m := e.nopManager(tb)
	toks := make([]string, n)
	for i := range toks {
		tok, err := m.Issue(tb.Context(), uuid.New(), session.Meta{})
		if err != nil {
			tb.Fatal(err)
		}
		toks[i] = tok.Value
	}
	return toks
}

// seedUsers inserts n users, each with a verified primary email, in bulk.
func seedUsers(tb testing.TB, e *env, n int) []uuid.UUID {
	tb.Helper()
	now := e.clock.Now()
	ids := make([]uuid.UUID, n)
	for start := 0; start < n; start += 500 {
		end := min(start+500, n)
		us := make([]store.User, 0, end-start)
		es := make([]store.Email, 0, end-start)
		ps := make([]store.PrimaryEmail, 0, end-start)
		for i := start; i < end; i++ {
			ids[i] = uuid.New()
			em := store.Email{ID: uuid.New(), UserID: &ids[i], Address: fmt.Sprintf("user%d-%s@example.com", i, ids[i]), Verified: true, CreatedAt: now, UpdatedAt: now}
			us = append(us, store.User{ID: ids[i], CreatedAt: now, UpdatedAt: now})
			es = append(es, em)
			ps = append(ps, store.PrimaryEmail{ID: uuid.New(), EmailID: em.ID, UserID: ids[i], CreatedAt: now, UpdatedAt: now})
		}
		ctx := tb.Context()
		if err := e.db.InsertUsers(ctx, us); err != nil {
			tb.Fatal(err)
		}
		if err := e.db.InsertEmails(ctx, es); err != nil {
			tb.Fatal(err)
		}
		if err := e.db.InsertPrimaryEmails(ctx, ps); err != nil {
			tb.Fatal(err)
		}
	}
	return ids
}

// benchEnvs builds one key set (and database) per algorithm; RSA 4096 key
// generation takes seconds, so it is done once per benchmark.
func benchEnvs(b *testing.B, skip ...string) map[string]*env {
	b.Helper()
	out := map[string]*env{}
	for _, a := range benchAlgs {
		if !strings.Contains(strings.Join(skip, ","), a.name) {
			out[a.name] = newKeyedEnv(b, a.alg, a.bits)
		}
	}
	return out
}

// BenchmarkVerify measures Manager.Verify and RemoteVerifier.Verify.
//
// "new" is the first verification of a token: signature, claims, cache
// insert. Each iteration takes the next of 1024 distinct tokens with a cache
// of 16 entries (CacheSize 1: one per shard), so a token has almost surely
// been evicted (by the ~64 tokens that hit its shard since) when it comes
// round again: every iteration is a cache miss, as for a new token.
// "cached" verifies one token over and over: a cache hit (SHA-256 of the
// token, a map lookup, the exp and revocation checks).
func BenchmarkVerify(b *testing.B) {
	envs := benchEnvs(b, "RS256-4096")
	for _, a := range benchAlgs {
		e, ok := envs[a.name]
		if !ok {
			continue
		}
		toks := mint(b, e, 1024)
		b.Run("new/"+a.name, func(b *testing.B) {
			m := e.benchManager(b, func(c *session.Config) { c.CacheSize = 1 })
			benchVerify(b, m.Verify, toks)
		})
		b.Run("cached/"+a.name, func(b *testing.B) {
			m := e.benchManager(b)
			benchVerify(b, m.Verify, toks[:1])
		})
		if a.alg != jwks.ES256 {
			continue
		}
		srv := newJWKSServer(b, e.keys)
		b.Run("remote-new/"+a.name, func(b *testing.B) {
			v := e.remote(b, srv, session.WithCacheSize(1))
			benchVerify(b, v.Verify, toks)
		})
		b.Run("remote-cached/"+a.name, func(b *testing.B) {
			v := e.remote(b, srv)
			benchVerify(b, v.Verify, toks[:1])
		})
	}
}

func benchVerify(b *testing.B, verify func(context.Context, string) (session.Claims, error), toks []string) {
	ctx := b.Context()
	for _, tok := range toks[:min(len(toks), 16)] { // warm: keys loaded
		if _, err := verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := verify(ctx, toks[i%len(toks)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkIssue measures issuance.
//
// "sqlite" is Manager.Issue on a SQLite file (WAL, synchronous=NORMAL): one
// transaction that reads the primary email, inserts the session row and
// lists the user's active sessions, then the signature. Each run seeds 5000
// fresh users, each with a verified primary email, and issues round-robin
// over them, so a user holds a session or two and none reaches the limit.
// "sqlite-at-limit" issues for one user who already holds the limit (100):
// every issuance also revokes the oldest (delete + feed row). "nostore" is
// the same Manager over a store that does nothing: session id, claims,
// JSON, base64 and signature. "sign" is jwks.Key.Sign over a real token's
// signing input: the signature alone.
func BenchmarkIssue(b *testing.B) {
	envs := benchEnvs(b)
	meta := session.Meta{UserAgent: "Mozilla/5.0 (X11; Linux x86_64) bench", IP: "192.0.2.1"}
	for _, a := range benchAlgs {
		e := envs[a.name]
		b.Run("sqlite/"+a.name, func(b *testing.B) {
			users := seedUsers(b, e, 5000)
			m := e.benchManager(b)
			ctx := b.Context()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := m.Issue(ctx, users[i%len(users)], meta); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		if a.alg == jwks.ES256 {
			b.Run("sqlite-at-limit/"+a.name, func(b *testing.B) {
				uid := seedUsers(b, e, 1)[0]
				m := e.benchManager(b)
				ctx := b.Context()
				for range 100 {
					if _, err := m.Issue(ctx, uid, meta); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := m.Issue(ctx, uid, meta); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run("nostore/"+a.name, func(b *testing.B) {
			m := e.nopManager(b)
			ctx, uid := b.Context(), uuid.New()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Issue(ctx, uid, meta); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("sign/"+a.name, func(b *testing.B) {
			tok := mint(b, e, 1)[0]
			input := []byte(tok[:strings.LastIndexByte(tok, '.')])
			k := e.keys.Signer()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Sign(rand.Reader, input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so that the
// middleware benchmark measures the middleware, not a recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkRequireSession measures RequireSession over a handler that does
// nothing, with a valid (already verified, so cached) Bearer token: token
// extraction, Verify from the cache, the claims put in the request context.
func BenchmarkRequireSession(b *testing.B) {
	e := newEnv(b, "")
	tok := mint(b, e, 1)[0]
	srv := newJWKSServer(b, e.keys)
	v := e.remote(b, srv)
	for _, tc := range []struct {
		name string
		mw   func(http.Handler) http.Handler
	}{
		{"Manager", e.benchManager(b).RequireSession},
		{"RemoteVerifier", v.RequireSession},
	} {
		b.Run(tc.name, func(b *testing.B) {
			called := 0
			h := tc.mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, ok := session.FromContext(r.Context()); ok {
					called++
				}
			}))
			req, err := http.NewRequestWithContext(b.Context(), "GET", "/me", nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			w := &discardWriter{h: http.Header{}}
			h.ServeHTTP(w, req)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
			if called < 2 {
				b.Fatalf("the handler ran %d times", called)
			}
		})
	}
}
