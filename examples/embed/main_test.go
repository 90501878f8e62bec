package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hanko-go/hanko"
)

func TestAppServesItsRoutesAndTheAuthAPI(t *testing.T) {
	h, err := hanko.New(hanko.WithDatabase("sqlite", filepath.Join(t.TempDir(), "app.db")), hanko.WithAutoMigrate())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	srv := httptest.NewServer(newApp(h))
	defer srv.Close()

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
}
