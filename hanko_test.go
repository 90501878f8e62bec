package hanko_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

// newHanko builds a Hanko on a fresh SQLite file.
func newHanko(t testing.TB, opts ...hanko.Option) *hanko.Hanko {
	t.Helper()
	opts = append([]hanko.Option{
		hanko.WithDatabase("sqlite", filepath.Join(t.TempDir(), "hanko.db")),
		hanko.WithAutoMigrate(),
	}, opts...)
	h, err := hanko.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func TestMountUnderPrefix(t *testing.T) {
	t.Parallel()
	h := newHanko(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("app")) })
	mux.Handle("/auth/", http.StripPrefix("/auth", h))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Post(srv.URL+"/auth/users", "application/json", strings.NewReader(`{"email":"ada@example.com"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 || body["user_id"] == "" {
		t.Fatalf("POST /auth/users: %d %v %v", res.StatusCode, body, err)
	}
	for path, want := range map[string]int{"/auth/health/ready": 200, "/auth/.well-known/config": 200, "/hello": 200, "/auth/nope": 404, "/users": 404} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, want)
		}
	}
}

func TestPaginationLinksKeepTheMountPrefix(t *testing.T) {
	t.Parallel()
	h := newHanko(t)
	mux := http.NewServeMux()
	mux.Handle("/admin/", http.StripPrefix("/admin", h.Admin()))
	req := httptest.NewRequest("GET", "/admin/users?per_page=5", nil)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Link"), "<http://example.com/admin/users?page=1&per_page=5>") {
		t.Fatalf("Link %q (status %d)", rec.Header().Get("Link"), rec.Code)
	}
}

func TestReferenceConfigsLoad(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("config/testdata/hanko-example-*.yaml")
	if len(files) == 0 {
		t.Fatal("no reference configs in config/testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			// The files name a PostgreSQL server; the database is overridden.
			h := newHanko(t, hanko.WithConfigFile(f))
			if got := h.Config().Secrets.Keys; len(got) != 1 {
				t.Fatalf("secrets %v", got)
			}
		})
	}
}

func TestInvalidConfigListsEveryProblem(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	yaml := "secrets:\n  keys: [short]\nservice:\n  name: \"\"\npasskey:\n  user_verification: sometimes\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := hanko.New(hanko.WithConfigFile(path), hanko.WithDatabase("sqlite", filepath.Join(t.TempDir(), "x.db")))
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, key := range []string{"secrets.keys[0]", "service.name", "passkey.user_verification"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
}

func TestUnknownConfigKeyIsAnError(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("pasword:\n  enabled: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := hanko.New(hanko.WithConfigFile(path), hanko.WithDatabase("sqlite", filepath.Join(t.TempDir(), "x.db")))
	if err == nil || !strings.Contains(err.Error(), "pasword") {
		t.Fatalf("want an error naming the unknown key, got %v", err)
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PASSWORD_ENABLED": "false", "EMAIL_LIMIT": "2", "SECRETS_KEYS": "a-secret-of-at-least-16,another-secret-of-16+"}
	h := newHanko(t, hanko.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
	cfg := h.Config()
	if cfg.Password.Enabled || cfg.Email.Limit != 2 || len(cfg.Secrets.Keys) != 2 {
		t.Fatalf("overrides not applied: password %v limit %d keys %v", cfg.Password.Enabled, cfg.Email.Limit, cfg.Secrets.Keys)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/config", nil))
	if !strings.Contains(rec.Body.String(), `"password":{"enabled":false`) || !strings.Contains(rec.Body.String(), `"max_num_of_addresses":2`) {
		t.Fatalf("well-known config does not follow the environment: %s", rec.Body)
	}
}

func TestTwoInstancesShareOneDatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	a := newHanko(t, hanko.WithDatabase("sqlite", path))
	b := newHanko(t, hanko.WithDatabase("sqlite", path))
	rec := httptest.NewRecorder()
	a.Admin().ServeHTTP(rec, jsonReq(httptest.NewRequest("POST", "/users", strings.NewReader(`{"emails":[{"address":"ada@example.com","is_primary":true}]}`))))
	if rec.Code != 200 {
		t.Fatalf("create on a: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	b.ServeHTTP(rec, jsonReq(httptest.NewRequest("POST", "/user", strings.NewReader(`{"email":"ada@example.com"}`))))
	if rec.Code != 200 {
		t.Fatalf("lookup on b: %d %s", rec.Code, rec.Body)
	}
}

func TestTwoInstancesInOneProcessAreIndependent(t *testing.T) {
	t.Parallel()
	a := newHanko(t)
	b := newHanko(t, hanko.WithConfig(func() hanko.Config {
		c := hanko.DefaultConfig()
		c.Account.AllowSignup = false
		return c
	}()))
	post := func(h http.Handler) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, jsonReq(httptest.NewRequest("POST", "/users", strings.NewReader(`{"email":"ada@example.com"}`))))
		return rec.Code
	}
	if got := post(a); got != 200 {
		t.Errorf("a allows sign-up: %d", got)
	}
	if got := post(b); got != 403 {
		t.Errorf("b forbids sign-up: %d", got)
	}
}

func TestLoggerGetsAccessLogAndWarnings(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	h := newHanko(t, hanko.WithLogger(slogJSON(&buf)))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, jsonReq(httptest.NewRequest("POST", "/users", strings.NewReader(`{"email":"secret-person@example.com"}`))))
	out := buf.String()
	if !strings.Contains(out, `"msg":"request"`) || !strings.Contains(out, `"path":"/users"`) || !strings.Contains(out, rec.Header().Get("X-Request-Id")) {
		t.Errorf("no access log line with the request id:\n%s", out)
	}
	if !strings.Contains(out, "secrets.keys contains Hanko's public default key") {
		t.Errorf("no warning about the default secret:\n%s", out)
	}
	if strings.Contains(out, "secret-person") {
		t.Errorf("request bodies must not be logged:\n%s", out)
	}
	const adminWarning = "the admin API has no authentication"
	if strings.Contains(out, adminWarning) {
		t.Errorf("warned about the admin API before anyone asked for it:\n%s", out)
	}
	h.Admin()
	h.Admin()
	if n := strings.Count(buf.String(), adminWarning); n != 1 {
		t.Errorf("%d warnings about the unauthenticated admin API, want one:\n%s", n, buf.String())
	}
}

func TestAdminAPIKeysAndTrustedProxiesFromConfig(t *testing.T) {
	t.Parallel()
	const key = "0123456789abcdef0123456789abcdef"
	env := map[string]string{
		"SERVER_ADMIN_API_KEYS":         key,
		"SERVER_PUBLIC_TRUSTED_PROXIES": "192.0.2.0/24",
		"SERVER_ADMIN_TRUSTED_PROXIES":  "",
		"EMAIL_REQUIRE_VERIFICATION":    "false",
	}
	var buf bytes.Buffer
	h := newHanko(t, hanko.WithLogger(slogJSON(&buf)), hanko.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
	if strings.Contains(buf.String(), "the admin API has no authentication") {
		t.Errorf("warned although server.admin.api_keys is set:\n%s", buf.String())
	}
	req := httptest.NewRequest("GET", "/users", nil)
	rec := httptest.NewRecorder()
	h.Admin().ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("admin without a key: %d", rec.Code)
	}
	req = jsonReq(httptest.NewRequest("POST", "/users", strings.NewReader(`{"email":"ada@example.com"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", "198.51.100.9")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("sign-up: %d %s", rec.Code, rec.Body)
	}
	var created struct {
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
		t.Fatal(err)
	}
	req = httptest.NewRequest("GET", "/users/"+created.UserID+"/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	rec = httptest.NewRecorder()
	h.Admin().ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"ip_address":"198.51.100.9"`) {
		t.Fatalf("admin sessions: %d %s", rec.Code, rec.Body)
	}
}

func TestTokenFromOneInstanceVerifiesInAnother(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	a := newHanko(t, hanko.WithDatabase("sqlite", path))
	b := newHanko(t, hanko.WithDatabase("sqlite", path))
	if a.Keys().Signer().ID != b.Keys().Signer().ID {
		t.Fatal("two instances on one database made different signing keys")
	}
	u, err := a.Users().Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true}}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Sessions().Issue(t.Context(), u.ID, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := b.Sessions().Verify(t.Context(), tok.Value); err != nil || c.Subject != u.ID {
		t.Fatalf("b rejects a's token: %v", err)
	}
	// A host route protected by b's middleware.
	protected := b.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := hanko.SessionFromContext(r.Context())
		w.Write([]byte(c.Subject.String()))
	}))
	req := httptest.NewRequest("GET", "/private", nil)
	req.AddCookie(&http.Cookie{Name: "hanko", Value: tok.Value})
	rec := httptest.NewRecorder()
	protected.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.String() != u.ID.String() {
		t.Fatalf("protected route: %d %s", rec.Code, rec.Body)
	}
	// Logging out on a is refused on b too (within the revocation feed's poll).
	rec = httptest.NewRecorder()
	lreq := httptest.NewRequest("POST", "/logout", nil)
	lreq.Header.Set("Authorization", "Bearer "+tok.Value)
	a.ServeHTTP(rec, lreq)
	if rec.Code != 204 {
		t.Fatalf("logout on a: %d", rec.Code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := b.Sessions().Verify(t.Context(), tok.Value); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b still accepts the token 5 s after logout on a")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSchemaMustBeCurrent(t *testing.T) {
	t.Parallel()
	_, err := hanko.New(hanko.WithDatabase("sqlite", filepath.Join(t.TempDir(), "empty.db")))
	if err == nil || !strings.Contains(err.Error(), "migrate up") {
		t.Fatalf("New on an unmigrated database: %v", err)
	}
}

func TestSweeperDeletesExpiredRows(t *testing.T) {
	t.Parallel()
	h := newHanko(t, hanko.WithSweepInterval(10*time.Millisecond))
	u, err := h.Users().Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true}}})
	if err != nil {
		t.Fatal(err)
	}
	live, err := h.Sessions().Issue(t.Context(), u.ID, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour).UTC()
	expired := store.Session{ID: uuid.New(), UserID: u.ID, UserAgent: "old", IPAddress: "127.0.0.1", ExpiresAt: &past, LastUsed: past, CreatedAt: past, UpdatedAt: past}
	if err := h.Store().CreateSession(t.Context(), expired); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := h.Store().GetSession(t.Context(), expired.ID); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the expired session was never swept")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := h.Store().GetSession(t.Context(), live.Claims.SessionID); err != nil {
		t.Fatalf("the live session was swept: %v", err)
	}
}

// TestCloseTwice: a second Close is harmless (deferred Close after an
// explicit one is common).
func TestCloseTwice(t *testing.T) {
	h, err := hanko.New(hanko.WithDatabase("sqlite", filepath.Join(t.TempDir(), "hanko.db")), hanko.WithAutoMigrate())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// jsonReq marks a request body as JSON, as the API requires of bodies.
func jsonReq(r *http.Request) *http.Request {
	r.Header.Set("Content-Type", "application/json")
	return r
}
