package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestPanicBecomes500WithLoggedRequestID(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	a := newAPI(Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	h := a.withRequestID(a.accessLog(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom: secret detail")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 500 || body.Code != 500 || body.Message != "Internal Server Error" {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	id := rec.Header().Get("X-Request-Id")
	if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) || !strings.Contains(logs.String(), "boom") {
		t.Fatalf("panic not logged with the request id %s:\n%s", id, logs.String())
	}
}

func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	a := newAPI(Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	h := a.withRequestID(a.h(func(http.ResponseWriter, *http.Request) error {
		return errors.New("pq: password authentication failed for user hanko")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "password") {
		t.Fatalf("cause leaked: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "password authentication failed") {
		t.Fatalf("cause not logged:\n%s", logs.String())
	}
}

func TestGlobMatch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"https://*.example.com", "https://a.example.com", true},
		{"https://*.example.com", "https://a.b.example.com", true},
		{"https://*.example.com", "https://example.com", false},
		{"https://*.example.com", "https://evil.com/.example.com", true}, // origins have no path; browsers never send this
		{"http://localhost:????", "http://localhost:8888", true},
		{"http://localhost:????", "http://localhost:888", false},
		{"*", "anything", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"", "", true},
	} {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
