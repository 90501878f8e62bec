package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/password"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
	"golang.org/x/crypto/bcrypt"
)

// lateStore lets the password service be built before newTestAPI has
// opened the database it will use; DB is set right after.
type lateStore struct{ *store.DB }

// newPasswordAPI is a test API serving the password routes with the least
// costly argon2id parameters that pass validation (about 30 ms a hash).
func newPasswordAPI(t *testing.T, opts ...apiOption) *testAPI {
	t.Helper()
	h, err := password.New(password.Config{Params: password.Params{Memory: 7168, Iterations: 5, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if err != nil {
		t.Fatal(err)
	}
	ls := &lateStore{}
	svc, err := password.NewService(password.ServiceConfig{Store: ls, Hasher: h})
	if err != nil {
		t.Fatal(err)
	}
	api := newTestAPI(t, append([]apiOption{func(_ *users.Config, d *httpapi.Deps) { d.Passwords = svc }}, opts...)...)
	ls.DB = api.db
	return api
}

func pwBody(uid, pw string) string {
	return `{"user_id":"` + uid + `","password":"` + pw + `"}`
}

func TestPasswordRoutesOff(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t) // Deps.Passwords nil: password.enabled off
	u, tok := login(t, api, "ada@example.com")
	for _, tt := range []struct {
		h            http.Handler
		method, path string
	}{
		{api.public, "POST", "/password/login"},
		{api.public, "PUT", "/password"},
		{api.admin, "GET", "/users/" + u.ID.String() + "/password"},
		{api.admin, "DELETE", "/users/" + u.ID.String() + "/password"},
	} {
		rec := do(t, tt.h, tt.method, tt.path, pwBody(u.ID.String(), "correct horse"), "Authorization", "Bearer "+tok)
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("%s %s with passwords off: %d %s", tt.method, tt.path, rec.Code, rec.Body)
		}
	}
}

func TestPasswordSet(t *testing.T) {
	t.Parallel()
	api := newPasswordAPI(t)
	u, tok := login(t, api, "ada@example.com")
	other := mustCreate(t, api, "bob@example.com")
	uid, bearer := u.ID.String(), []string{"Authorization", "Bearer " + tok}

	for _, tt := range []struct {
		name   string
		body   string
		header []string
		want   int
	}{
		{"no session", pwBody(uid, "correct horse"), nil, 401},
		{"bad uuid", pwBody("not-a-uuid", "correct horse"), bearer, 400},
		{"malformed JSON", `{"user_id":`, bearer, 400},
		{"empty", pwBody(uid, ""), bearer, 400},
		{"too short", pwBody(uid, "seven77"), bearer, 400},
		{"too short in characters", pwBody(uid, "äöüäöüä"), bearer, 400}, // 14 bytes, 7 characters
		{"73 bytes", pwBody(uid, strings.Repeat("x", 73)), bearer, 400},
		{"policy before user", pwBody(uuid.NewString(), "short"), bearer, 400},
		{"unknown user", pwBody(uuid.NewString(), "correct horse"), bearer, 401},
		{"other user", pwBody(other.ID.String(), "correct horse"), bearer, 403},
	} {
		rec := do(t, api.public, "PUT", "/password", tt.body, tt.header...)
		if rec.Code != tt.want {
			t.Fatalf("%s: %d %s, want %d", tt.name, rec.Code, rec.Body, tt.want)
		}
		if b := decode[errBody](t, rec); b.Code != tt.want || b.Message == "" {
			t.Fatalf("%s: error body %s", tt.name, rec.Body)
		}
	}
	if _, err := api.db.GetPasswordCredential(t.Context(), other.ID); err == nil {
		t.Fatal("a refused PUT stored a password for another user")
	}

	// 72 bytes is the most allowed; the first PUT creates, the next replaces.
	first := strings.Repeat("ä", 36)
	rec := do(t, api.public, "PUT", "/password", pwBody(uid, first), bearer...)
	if rec.Code != http.StatusCreated || strings.TrimSpace(rec.Body.String()) != "null" {
		t.Fatalf("first PUT: %d %s, want 201 null", rec.Code, rec.Body)
	}
	rec = do(t, api.public, "PUT", "/password", pwBody(uid, "battery staple"), bearer...)
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "null" {
		t.Fatalf("second PUT: %d %s, want 200 null", rec.Code, rec.Body)
	}
	if rec := do(t, api.public, "POST", "/password/login", pwBody(uid, first), "Content-Type", "application/json"); rec.Code != 401 {
		t.Fatalf("login with the replaced password: %d", rec.Code)
	}
	if rec := do(t, api.public, "POST", "/password/login", pwBody(uid, "battery staple")); rec.Code != 200 {
		t.Fatalf("login with the new password: %d %s", rec.Code, rec.Body)
	}
}

func TestPasswordLogin(t *testing.T) {
	t.Parallel()
	api := newPasswordAPI(t)
	u, tok := login(t, api, "ada@example.com")
	noPW := mustCreate(t, api, "bob@example.com")
	uid := u.ID.String()
	if rec := do(t, api.public, "PUT", "/password", pwBody(uid, "correct horse"), "Authorization", "Bearer "+tok); rec.Code != 201 {
		t.Fatalf("PUT /password: %d %s", rec.Code, rec.Body)
	}

	for _, tt := range []struct {
		name, body string
		want       int
	}{
		{"bad uuid", pwBody("nope", "correct horse"), 400},
		{"no user_id", `{"password":"correct horse"}`, 400},
		{"no password", `{"user_id":"` + uid + `"}`, 400},
		{"73 bytes", pwBody(uid, strings.Repeat("x", 73)), 400},
		{"73 bytes, unknown user", pwBody(uuid.NewString(), strings.Repeat("x", 73)), 400},
	} {
		if rec := do(t, api.public, "POST", "/password/login", tt.body); rec.Code != tt.want {
			t.Fatalf("%s: %d %s, want %d", tt.name, rec.Code, rec.Body, tt.want)
		}
	}

	// Unknown user, no password and a wrong password look the same.
	var bodies []string
	for _, body := range []string{
		pwBody(uuid.NewString(), "correct horse"),
		pwBody(noPW.ID.String(), "correct horse"),
		pwBody(uid, "wrong horse"),
	} {
		rec := do(t, api.public, "POST", "/password/login", body)
		if rec.Code != 401 || rec.Header().Get("Set-Cookie") != "" {
			t.Fatalf("login %s: %d %s, want 401 without a session", body, rec.Code, rec.Body)
		}
		if b := decode[errBody](t, rec); b.Code != 401 || b.Message != "Unauthorized" {
			t.Fatalf("401 body %s", rec.Body)
		}
		bodies = append(bodies, rec.Body.String())
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Fatalf("401 bodies differ: %q", bodies)
	}

	rec := do(t, api.public, "POST", "/password/login", pwBody(uid, "correct horse"))
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "null" {
		t.Fatalf("login: %d %s, want 200 null", rec.Code, rec.Body)
	}
	var cookie string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hanko" {
			cookie = c.Value
		}
	}
	if cookie == "" {
		t.Fatalf("login set no hanko cookie: %v", rec.Header())
	}
	me := do(t, api.public, "GET", "/me", "", "Cookie", "hanko="+cookie)
	if me.Code != 200 || decode[map[string]string](t, me)["id"] != uid {
		t.Fatalf("GET /me with the new session: %d %s", me.Code, me.Body)
	}
}

// TestPasswordLoginRehashesBcrypt: a hash as the reference stores it
// (bcrypt) logs in and is then replaced by an argon2id hash.
func TestPasswordLoginRehashesBcrypt(t *testing.T) {
	t.Parallel()
	api := newPasswordAPI(t)
	u := mustCreate(t, api, "ada@example.com")
	b, err := bcrypt.GenerateFromPassword([]byte("correct horse"), 4)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	if err := api.db.CreatePasswordCredential(t.Context(), store.PasswordCredential{
		ID: uuid.New(), UserID: u.ID, Password: string(b), CreatedAt: now, UpdatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	if rec := do(t, api.public, "POST", "/password/login", pwBody(u.ID.String(), "wrong horse")); rec.Code != 401 {
		t.Fatalf("wrong password on a bcrypt hash: %d", rec.Code)
	}
	if rec := do(t, api.public, "POST", "/password/login", pwBody(u.ID.String(), "correct horse")); rec.Code != 200 {
		t.Fatalf("login on a bcrypt hash: %d %s", rec.Code, rec.Body)
	}
	c, err := api.db.GetPasswordCredential(t.Context(), u.ID)
	if err != nil || !strings.HasPrefix(c.Password, "$argon2id$") {
		t.Fatalf("after login: %q, %v; want an argon2id hash", c.Password, err)
	}
	if rec := do(t, api.public, "POST", "/password/login", pwBody(u.ID.String(), "correct horse")); rec.Code != 200 {
		t.Fatalf("login after the rehash: %d %s", rec.Code, rec.Body)
	}
}

type adminPassword struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func TestAdminPasswordRoutes(t *testing.T) {
	t.Parallel()
	api := newPasswordAPI(t)
	u := mustCreate(t, api, "ada@example.com")
	path := "/users/" + u.ID.String() + "/password"
	unknown := "/users/" + uuid.NewString() + "/password"
	pw := func(p string) string { return `{"password":"` + p + `"}` }

	for _, tt := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"get none", "GET", path, "", 404},
		{"put none", "PUT", path, pw("correct horse"), 404},
		{"delete none", "DELETE", path, "", 404},
		{"create for unknown user", "POST", unknown, pw("correct horse"), 404},
		{"bad uuid", "GET", "/users/nope/password", "", 400},
		{"create too short", "POST", path, pw("short"), 400},
		{"create too long", "POST", path, pw(strings.Repeat("x", 73)), 400},
		{"create without password", "POST", path, `{}`, 400},
	} {
		rec := do(t, api.admin, tt.method, tt.path, tt.body)
		if rec.Code != tt.want || decode[errBody](t, rec).Code != tt.want {
			t.Fatalf("%s: %d %s, want %d", tt.name, rec.Code, rec.Body, tt.want)
		}
	}

	rec := do(t, api.admin, "POST", path, pw("correct horse"))
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "password") || strings.Contains(rec.Body.String(), "argon2") {
		t.Fatalf("response shows the hash: %s", rec.Body)
	}
	created := decode[adminPassword](t, rec)
	if created.UserID != u.ID.String() || uuid.Validate(created.ID) != nil || created.CreatedAt.IsZero() {
		t.Fatalf("create body: %s", rec.Body)
	}
	if rec := do(t, api.admin, "POST", path, pw("another horse")); rec.Code != http.StatusConflict {
		t.Fatalf("second create: %d %s, want 409", rec.Code, rec.Body)
	}
	rec = do(t, api.admin, "GET", path, "")
	if rec.Code != 200 || decode[adminPassword](t, rec) != created {
		t.Fatalf("get: %d %s, want %+v", rec.Code, rec.Body, created)
	}
	if rec := do(t, api.admin, "PUT", path, pw("short")); rec.Code != 400 {
		t.Fatalf("replace too short: %d", rec.Code)
	}
	rec = do(t, api.admin, "PUT", path, pw("another horse"))
	if got := decode[adminPassword](t, rec); rec.Code != 200 || got.ID != created.ID || got.UpdatedAt.Before(created.UpdatedAt) {
		t.Fatalf("replace: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, api.public, "POST", "/password/login", pwBody(u.ID.String(), "another horse")); rec.Code != 200 {
		t.Fatalf("login with the admin-set password: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, api.admin, "DELETE", path, ""); rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if rec := do(t, api.admin, m, path, ""); rec.Code != 404 {
			t.Fatalf("%s after delete: %d", m, rec.Code)
		}
	}
	if rec := do(t, api.public, "POST", "/password/login", pwBody(u.ID.String(), "another horse")); rec.Code != 401 {
		t.Fatalf("login after delete: %d", rec.Code)
	}
}
