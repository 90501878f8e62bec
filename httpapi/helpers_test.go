package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

// testAPI is a public and an admin handler over a fresh SQLite database.
type testAPI struct {
	public, admin http.Handler
	db            *store.DB
	users         *users.Service
	sessions      *session.Manager
}

type apiOption func(*users.Config, *httpapi.Deps)

// testSecret is the secrets.keys entry of test APIs.
const testSecret = "a-test-secret-of-32-characters!!"

func newTestAPI(t testing.TB, opts ...apiOption) *testAPI {
	t.Helper()
	db, err := store.Open(t.Context(), store.Options{Dialect: "sqlite", DSN: filepath.Join(t.TempDir(), "hanko.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	keys, err := jwks.New(t.Context(), jwks.Config{Store: db, Secrets: []string{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := session.New(session.Config{Keys: keys, Store: db, Audience: []string{"localhost"},
		Cookie: session.Cookie{Name: "hanko", HTTPOnly: true, Secure: true, SameSite: "strict"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sessions.Close)
	ucfg := users.Config{Store: db, AllowSignup: true, RequireVerification: true, EmailLimit: 5, Sessions: sessions}
	deps := httpapi.Deps{Ready: db.Ping, Sessions: sessions, Keys: keys, Settings: httpapi.Settings{
		CORS: httpapi.CORS{AllowOrigins: []string{"http://localhost:8888", "https://*.example.com"}, ExposeHeaders: []string{"X-Session-Lifetime"}},
	}}
	for _, o := range opts {
		o(&ucfg, &deps)
	}
	us, err := users.New(ucfg)
	if err != nil {
		t.Fatal(err)
	}
	deps.Users = us
	return &testAPI{public: httpapi.Public(deps), admin: httpapi.Admin(deps), db: db, users: us, sessions: deps.Sessions}
}

// do sends one request and returns the recorded response.
func do(t testing.TB, h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// decode unmarshals a response body, failing the test on bad JSON.
func decode[T any](t testing.TB, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, rec.Body.String())
	}
	return v
}

type errBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type adminEmail struct {
	ID         string    `json:"id"`
	Address    string    `json:"address"`
	IsVerified bool      `json:"is_verified"`
	IsPrimary  bool      `json:"is_primary"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

type adminUser struct {
	ID       string       `json:"id"`
	Emails   []adminEmail `json:"emails"`
	Username *struct {
		Username string `json:"username"`
	} `json:"username"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func storeQuery() store.UserQuery { return store.UserQuery{} }
