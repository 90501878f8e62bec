package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/users"
)

func TestAppServesItsRoutesAndTheAuthAPI(t *testing.T) {
	h, err := hanko.New(hanko.WithDatabase("sqlite", filepath.Join(t.TempDir(), "app.db")), hanko.WithAutoMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	// The remote verifier fetches the key set from the app itself.
	var app http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { app.ServeHTTP(w, r) }))
	defer srv.Close()
	remote, err := session.NewRemoteVerifier(srv.URL+"/auth/.well-known/jwks.json", session.WithAudience(h.Config().Session.Audience...))
	if err != nil {
		t.Fatal(err)
	}
	app = newApp(h, remote)

	res, err := http.Get(srv.URL + "/")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Post(srv.URL+"/auth/users", "application/json", strings.NewReader(`{"email":"ada@example.com"}`))
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("POST /auth/users: %v %v", res, err)
	}
	res.Body.Close()

	res, err = http.Get(srv.URL + "/private")
	if err != nil || res.StatusCode != 401 {
		t.Fatalf("GET /private without a session: %v %v", res, err)
	}
	res.Body.Close()
	u, err := h.Users().Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "bob@example.com", Primary: true}}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := h.Sessions().Issue(t.Context(), u.ID, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/private", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Value)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), u.ID.String()) {
		t.Fatalf("GET /private with a session: %d %s", res.StatusCode, body)
	}
	for token, want := range map[string]int{tok.Value: 200, "forged": 401} {
		req, _ = http.NewRequest("GET", srv.URL+"/api/whoami", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want || want == 200 && !strings.Contains(string(body), u.ID.String()) {
			t.Fatalf("GET /api/whoami (%d wanted): %d %s", want, res.StatusCode, body)
		}
	}
}
