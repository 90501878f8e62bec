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
	h.Admin().ServeHTTP(rec, httptest.NewRequest("POST", "/users", strings.NewReader(body)))
	fmt.Println(rec.Code)

	rec = httptest.NewRecorder()
	h.Admin().ServeHTTP(rec, httptest.NewRequest("GET", "/users?email=ada", nil))
	fmt.Println(rec.Code, rec.Header().Get("X-Total-Count"))
	// Output:
	// 200
	// 200 1
}
