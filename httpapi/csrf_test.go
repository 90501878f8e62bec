package httpapi_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// A body the browser could send cross-site without a preflight (text/plain,
// a form, no Content-Type) is refused before any handler runs, so a cookie
// session cannot be used by a forged request.
func TestBodiesMustBeJSON(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	_, token := login(t, api, "csrf@example.com")
	n := 0
	for _, tc := range []struct {
		ct     string
		status int
	}{
		{"text/plain", 415},
		{"text/plain;charset=UTF-8", 415},
		{"application/x-www-form-urlencoded", 415},
		{"multipart/form-data; boundary=x", 415},
		{"", 415},
		{"application/jsonx", 415},
		{"application/json", 200},
		{"application/json; charset=utf-8", 200},
		{"Application/JSON", 200},
	} {
		n++
		req := httptest.NewRequest("POST", "/emails", strings.NewReader(fmt.Sprintf(`{"address":"x%d@example.com"}`, n)))
		req.Header.Set("Cookie", "hanko="+token)
		req.Header.Set("Origin", "http://evil.example")
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		rec := httptest.NewRecorder()
		api.public.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("Content-Type %q: %d, want %d: %s", tc.ct, rec.Code, tc.status, rec.Body)
		}
	}
	// A body-less POST needs no Content-Type.
	req := httptest.NewRequest("POST", "/logout", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	api.public.ServeHTTP(rec, req)
	if rec.Code != 204 {
		t.Fatalf("POST /logout without a body: %d", rec.Code)
	}
}

// An unclean path is redirected to its clean form with a Location, whether
// or not a route matches it.
func TestUncleanPathRedirects(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	for path, want := range map[string]string{"//nope": "/nope", "//me": "/me", "/a/../nope": "/nope"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = path
		rec := httptest.NewRecorder()
		api.public.ServeHTTP(rec, req)
		if rec.Code < 300 || rec.Code > 399 || rec.Header().Get("Location") != want {
			t.Errorf("%s: %d Location %q, want a redirect to %s", path, rec.Code, rec.Header().Get("Location"), want)
		}
	}
}
