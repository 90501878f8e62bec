package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/users"
)

// login creates a user and a session for it, returning the user and token.
func login(t testing.TB, api *testAPI, address string) (users.User, string) {
	t.Helper()
	u := mustCreate(t, api, address)
	rec := do(t, api.admin, "POST", "/sessions", `{"user_id":"`+u.ID.String()+`"}`)
	if rec.Code != 200 {
		t.Fatalf("admin POST /sessions: %d %s", rec.Code, rec.Body)
	}
	return u, decode[map[string]string](t, rec)["session_token"]
}

func TestSessionRoutes(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u, tok := login(t, api, "ada@example.com")
	other := mustCreate(t, api, "bob@example.com")
	bearer := []string{"Authorization", "Bearer " + tok}

	rec := do(t, api.public, "GET", "/me", "", bearer...)
	if rec.Code != 200 || decode[map[string]string](t, rec)["id"] != u.ID.String() {
		t.Fatalf("GET /me: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, api.public, "GET", "/me", "", "Cookie", "hanko="+tok)
	if rec.Code != 200 {
		t.Fatalf("GET /me with the cookie: %d", rec.Code)
	}
	rec = do(t, api.public, "GET", "/users/"+u.ID.String(), "", bearer...)
	got := decode[map[string]any](t, rec)
	if rec.Code != 200 || got["id"] != u.ID.String() || got["email"] != "ada@example.com" {
		t.Fatalf("GET own user: %d %s", rec.Code, rec.Body)
	}
	for _, tt := range []struct {
		name, method, path string
		header             []string
		want               int
	}{
		{"me without a session", "GET", "/me", nil, 401},
		{"me with garbage", "GET", "/me", []string{"Authorization", "Bearer nope"}, 401},
		{"another user", "GET", "/users/" + other.ID.String(), bearer, 403},
		{"bad user id", "GET", "/users/x", bearer, 400},
		{"delete own account when not allowed", "DELETE", "/user", bearer, 405},
		{"logout without a session", "POST", "/logout", nil, 401},
	} {
		if rec := do(t, api.public, tt.method, tt.path, "", tt.header...); rec.Code != tt.want {
			t.Errorf("%s: %d, want %d (%s)", tt.name, rec.Code, tt.want, rec.Body)
		}
	}

	// /sessions/validate always answers 200.
	rec = do(t, api.public, "GET", "/sessions/validate", "", bearer...)
	v := decode[map[string]any](t, rec)
	if rec.Code != 200 || v["is_valid"] != true || v["user_id"] != u.ID.String() || v["expiration_time"] == nil {
		t.Fatalf("validate: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, api.public, "POST", "/sessions/validate", `{"session_token":"`+tok+`"}`)
	if rec.Code != 200 || decode[map[string]any](t, rec)["is_valid"] != true {
		t.Fatalf("validate body: %d %s", rec.Code, rec.Body)
	}
	for _, body := range []string{`{}`, `{"session_token":1}`} {
		if rec := do(t, api.public, "POST", "/sessions/validate", body); rec.Code != 400 {
			t.Errorf("validate %s: %d, want 400", body, rec.Code)
		}
	}

	// Logout ends the session everywhere this instance looks.
	rec = do(t, api.public, "POST", "/logout", "", bearer...)
	if rec.Code != 204 || !strings.Contains(rec.Header().Get("Set-Cookie"), "hanko=;") {
		t.Fatalf("logout: %d %v", rec.Code, rec.Header())
	}
	if rec := do(t, api.public, "GET", "/me", "", bearer...); rec.Code != 401 {
		t.Fatalf("GET /me after logout: %d", rec.Code)
	}
	rec = do(t, api.public, "GET", "/sessions/validate", "", bearer...)
	if strings.TrimSpace(rec.Body.String()) != `{"is_valid":false}` {
		t.Fatalf("validate after logout: %s", rec.Body)
	}
}

func TestDeleteOwnAccount(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t, func(_ *users.Config, d *httpapi.Deps) { d.Settings.AllowDeletion = true })
	u, tok := login(t, api, "ada@example.com")
	rec := do(t, api.public, "DELETE", "/user", "", "Authorization", "Bearer "+tok)
	if rec.Code != 204 {
		t.Fatalf("DELETE /user: %d %s", rec.Code, rec.Body)
	}
	if _, err := api.users.Get(t.Context(), u.ID); err != users.ErrUserNotFound {
		t.Fatalf("user still there: %v", err)
	}
	if rec := do(t, api.public, "GET", "/me", "", "Authorization", "Bearer "+tok); rec.Code != 401 {
		t.Fatalf("the deleted user's session still works: %d", rec.Code)
	}
}

func TestAdminDeleteUserRevokesSessions(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u, tok := login(t, api, "ada@example.com")
	if rec := do(t, api.admin, "DELETE", "/users/"+u.ID.String(), ""); rec.Code != 204 {
		t.Fatalf("delete: %d", rec.Code)
	}
	if rec := do(t, api.public, "GET", "/me", "", "Authorization", "Bearer "+tok); rec.Code != 401 {
		t.Fatalf("session of a deleted user: %d", rec.Code)
	}
}

func TestAdminSessions(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u, tok := login(t, api, "ada@example.com")
	rec := do(t, api.admin, "GET", "/users/"+u.ID.String()+"/sessions", "")
	list := decode[[]map[string]any](t, rec)
	if rec.Code != 200 || len(list) != 1 || list[0]["user_id"] != u.ID.String() {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
	sid := list[0]["id"].(string)
	for _, tt := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/users/" + uuid.NewString() + "/sessions", "", 404},
		{"GET", "/users/x/sessions", "", 400},
		{"DELETE", "/users/" + u.ID.String() + "/sessions/x", "", 400},
		{"DELETE", "/users/" + u.ID.String() + "/sessions/" + uuid.NewString(), "", 404},
		{"POST", "/sessions", `{"user_id":"x"}`, 400},
		{"POST", "/sessions", `{"user_id":"` + uuid.NewString() + `"}`, 404},
		{"DELETE", "/users/" + u.ID.String() + "/sessions/" + sid, "", 204},
		{"DELETE", "/users/" + u.ID.String() + "/sessions/" + sid, "", 404},
	} {
		if rec := do(t, api.admin, tt.method, tt.path, tt.body); rec.Code != tt.want {
			t.Errorf("%s %s: %d, want %d (%s)", tt.method, tt.path, rec.Code, tt.want, rec.Body)
		}
	}
	if rec := do(t, api.public, "GET", "/me", "", "Authorization", "Bearer "+tok); rec.Code != 401 {
		t.Fatalf("revoked session still works: %d", rec.Code)
	}
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	rec := do(t, api.public, "GET", "/.well-known/jwks.json", "")
	set := decode[struct {
		Keys []map[string]any `json:"keys"`
	}](t, rec)
	if rec.Code != 200 || len(set.Keys) != 1 || set.Keys[0]["alg"] != "ES256" || set.Keys[0]["use"] != "sig" || set.Keys[0]["d"] != nil {
		t.Fatalf("jwks: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "public, max-age=600" || rec.Header().Get("ETag") == "" {
		t.Fatalf("caching headers %v", rec.Header())
	}
	rec = do(t, api.public, "GET", "/.well-known/jwks.json", "", "If-None-Match", rec.Header().Get("ETag"))
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("conditional GET: %d", rec.Code)
	}
}
