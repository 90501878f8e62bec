package hanko_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/passkey/passkeytest"
	"github.com/hanko-go/hanko/session"
)

const passkeyOrigin = "http://localhost:8888" // the default webauthn.relying_party.origins

func call(t testing.TB, h http.Handler, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := jsonReq(httptest.NewRequest(method, path, strings.NewReader(body)))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func mustStatus(t testing.TB, rec *httptest.ResponseRecorder, status int, what string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("%s: %d, want %d: %s", what, rec.Code, status, rec.Body)
	}
}

// TestPasskeyAcrossInstances: each ceremony starts on one instance and
// finishes on the other; the challenge lives in the shared database.
func TestPasskeyAcrossInstances(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "shared.db")
	a := newHanko(t, hanko.WithDatabase("sqlite", file))
	b := newHanko(t, hanko.WithDatabase("sqlite", file))
	uid := createUser(t, a, "two@example.com")
	tok, err := a.Sessions().Issue(t.Context(), uuid.MustParse(uid), session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	auth := passkeytest.New()
	bearer := []string{"Authorization", "Bearer " + tok.Value}

	rec := call(t, a, "POST", "/webauthn/registration/initialize", "", bearer...)
	mustStatus(t, rec, 200, "registration/initialize on A")
	cred, err := auth.Register(passkeyOrigin, rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, call(t, b, "POST", "/webauthn/registration/finalize", string(cred), bearer...), 200, "registration/finalize on B")

	rec = call(t, b, "POST", "/webauthn/login/initialize", "{}")
	mustStatus(t, rec, 200, "login/initialize on B")
	assertion, err := auth.Login(passkeyOrigin, rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	rec = call(t, a, "POST", "/webauthn/login/finalize", string(assertion))
	mustStatus(t, rec, 200, "login/finalize on A")
	// The replay on the other instance fails: the challenge is gone.
	mustStatus(t, call(t, b, "POST", "/webauthn/login/finalize", string(assertion)), 401, "replay on B")
	var got map[string]string
	json.Unmarshal(rec.Body.Bytes(), &got)
	if got["user_id"] != uid {
		t.Fatalf("login = %v, want user %s", got, uid)
	}
}

// queryCounter counts the statements a bun DB runs.
type queryCounter struct{ n atomic.Int64 }

func (c *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}
func (c *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) { c.n.Add(1) }

// BenchmarkPasskeyLogin is a whole passkey login through the public
// handler: initialize, the authenticator's assertion (not timed), finalize
// with its session. It reports the database statements per login.
func BenchmarkPasskeyLogin(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchPasskeyLogin(b, newHanko(b))
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := os.Getenv("HANKO_TEST_POSTGRES_DSN")
		if dsn == "" {
			b.Skip("HANKO_TEST_POSTGRES_DSN not set")
		}
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			b.Fatal(err)
		}
		schema := "bench_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
		if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Exec("DROP SCHEMA " + schema + " CASCADE"); db.Close() })
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		h := newHanko(b, hanko.WithDatabase("postgres", dsn+sep+"search_path="+schema))
		benchPasskeyLogin(b, h)
	})
}

func benchPasskeyLogin(b *testing.B, h *hanko.Hanko) {
	uid := createUser(b, h, "bench@example.com")
	tok, err := h.Sessions().Issue(b.Context(), uuid.MustParse(uid), session.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	auth := passkeytest.New()
	bearer := []string{"Authorization", "Bearer " + tok.Value}
	rec := call(b, h, "POST", "/webauthn/registration/initialize", "", bearer...)
	cred, err := auth.Register(passkeyOrigin, rec.Body.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	mustStatus(b, call(b, h, "POST", "/webauthn/registration/finalize", string(cred), bearer...), 200, "register")
	counter := &queryCounter{}
	h.Store().Bun().AddQueryHook(counter)
	b.ReportAllocs()
	b.ResetTimer()
	start := counter.n.Load()
	for b.Loop() {
		rec := call(b, h, "POST", "/webauthn/login/initialize", "{}")
		b.StopTimer()
		assertion, err := auth.Login(passkeyOrigin, rec.Body.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if rec := call(b, h, "POST", "/webauthn/login/finalize", string(assertion)); rec.Code != 200 {
			b.Fatalf("finalize: %d %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(counter.n.Load()-start)/float64(b.N), "stmts/op")
}

// TestPasskeySignUpToLogin: sign up through the public API, register a
// passkey with the session, log out, log in with the passkey.
func TestPasskeySignUpToLogin(t *testing.T) {
	t.Parallel()
	cfg := hanko.DefaultConfig()
	cfg.Email.RequireVerification = false
	h := newHanko(t, hanko.WithConfig(cfg))
	rec := call(t, h, "POST", "/users", `{"email":"new@example.com"}`)
	mustStatus(t, rec, 200, "sign-up")
	var cookie *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hanko" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatalf("sign-up set no session cookie: %v", rec.Header())
	}
	withCookie := []string{"Cookie", "hanko=" + cookie.Value}
	auth := passkeytest.New()
	rec = call(t, h, "POST", "/webauthn/registration/initialize", "", withCookie...)
	mustStatus(t, rec, 200, "registration/initialize")
	cred, err := auth.Register(passkeyOrigin, rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, call(t, h, "POST", "/webauthn/registration/finalize", string(cred), withCookie...), 200, "registration/finalize")
	mustStatus(t, call(t, h, "POST", "/logout", "", withCookie...), 204, "logout")
	mustStatus(t, call(t, h, "GET", "/me", "", withCookie...), 401, "the old session after logout")

	rec = call(t, h, "POST", "/webauthn/login/initialize", "")
	mustStatus(t, rec, 200, "login/initialize")
	assertion, err := auth.Login(passkeyOrigin, rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	rec = call(t, h, "POST", "/webauthn/login/finalize", string(assertion))
	mustStatus(t, rec, 200, "login/finalize")
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hanko" {
			mustStatus(t, call(t, h, "GET", "/me", "", "Cookie", "hanko="+c.Value), 200, "GET /me with the passkey session")
			return
		}
	}
	t.Fatal("passkey login set no session cookie")
}
