package hanko_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/users"
)

// ExampleNew builds a Hanko on a SQLite file and uses its Go API.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "hanko-example")
	defer os.RemoveAll(dir)

	h, err := hanko.New(
		hanko.WithDatabase("sqlite", filepath.Join(dir, "hanko.db")),
		hanko.WithAutoMigrate(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	u, err := h.Users().Create(context.Background(), users.NewUser{
		Emails: []users.NewEmail{{Address: "Ada@Example.com", Primary: true, Verified: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.PrimaryEmail().Address)
	// Output: ada@example.com
}

// Example_mount mounts the public API under /auth next to the host's own
// routes.
func Example_mount() {
	dir, _ := os.MkdirTemp("", "hanko-example")
	defer os.RemoveAll(dir)

	h, err := hanko.New(
		hanko.WithDatabase("sqlite", filepath.Join(dir, "hanko.db")),
		hanko.WithAutoMigrate(),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "my app") })
	mux.Handle("/auth/", http.StripPrefix("/auth", h))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/health/ready", nil))
	fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	// Output: 200 {"ready":true}
}

// ExampleHanko_Admin serves the admin API, which manages every user.
func ExampleHanko_Admin() {
	dir, _ := os.MkdirTemp("", "hanko-example")
	defer os.RemoveAll(dir)

	h, err := hanko.New(hanko.WithDatabase("sqlite", filepath.Join(dir, "hanko.db")), hanko.WithAutoMigrate())
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	rec := httptest.NewRecorder()
	body := `{"emails":[{"address":"ada@example.com","is_primary":true,"is_verified":true}]}`
	h.Admin().ServeHTTP(rec, jsonReq(httptest.NewRequest("POST", "/users", strings.NewReader(body))))
	fmt.Println(rec.Code)

	rec = httptest.NewRecorder()
	h.Admin().ServeHTTP(rec, httptest.NewRequest("GET", "/users?email=ada", nil))
	fmt.Println(rec.Code, rec.Header().Get("X-Total-Count"))
	// Output:
	// 200
	// 200 1
}

// ExampleHanko_RequireSession protects a host route: only requests with a
// valid session (Bearer token or cookie) reach it.
func ExampleHanko_RequireSession() {
	dir, _ := os.MkdirTemp("", "hanko-example")
	defer os.RemoveAll(dir)

	h, err := hanko.New(hanko.WithDatabase("sqlite", filepath.Join(dir, "hanko.db")), hanko.WithAutoMigrate())
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	account := h.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := hanko.SessionFromContext(r.Context())
		fmt.Fprintln(w, "hello", s.Email.Address)
	}))

	ctx := context.Background()
	u, err := h.Users().Create(ctx, users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true}}})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := h.Sessions().Issue(ctx, u.ID, session.Meta{UserAgent: "example"})
	if err != nil {
		log.Fatal(err)
	}

	rec := httptest.NewRecorder()
	account.ServeHTTP(rec, httptest.NewRequest("GET", "/account", nil))
	fmt.Println(rec.Code)

	req := httptest.NewRequest("GET", "/account", nil)
	req.Header.Set("Authorization", "Bearer "+tok.Value)
	rec = httptest.NewRecorder()
	account.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())

	// After logout (revocation) the token is refused.
	if err := h.Sessions().Revoke(ctx, u.ID, tok.Claims.SessionID); err != nil {
		log.Fatal(err)
	}
	rec = httptest.NewRecorder()
	account.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// 401
	// 200 hello ada@example.com
	// 401
}
