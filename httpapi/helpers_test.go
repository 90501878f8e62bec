package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/mail"
	"github.com/hanko-go/hanko/passcode"
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
	mails         *recordingMailer
	clock         *testClock
	deps          httpapi.Deps // what the handlers were built from
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
	mails, clock := &recordingMailer{}, &testClock{t: time.Now()}
	codes, err := passcode.New(passcode.Config{Store: db, Mailer: mails, Secret: passcode.DeriveSecret([]byte(testSecret)),
		ServiceName: "Test Service", FromAddress: "noreply@example.com", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	ucfg := users.Config{Store: db, AllowSignup: true, RequireVerification: true, EmailLimit: 5, Sessions: sessions}
	deps := httpapi.Deps{Ready: db.Ping, Sessions: sessions, Keys: keys, Passcodes: codes, Settings: httpapi.Settings{
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
	return &testAPI{public: httpapi.Public(deps), admin: httpapi.Admin(deps), db: db, users: us, sessions: deps.Sessions, mails: mails, clock: clock, deps: deps}
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

// recordingMailer keeps every mail instead of sending it.
type recordingMailer struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (m *recordingMailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

// last returns the newest mail and the 6-digit code in its text.
func (m *recordingMailer) last(t testing.TB) (mail.Message, string) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) == 0 {
		t.Fatal("no mail was sent")
	}
	msg := m.msgs[len(m.msgs)-1]
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(msg.Text)
	if code == "" {
		t.Fatalf("no code in the mail: %q", msg.Text)
	}
	return msg, code
}

// testClock is a clock tests move forward by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
