package hanko_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko"
)

// An unimplemented rate_limiter.store falls back to in_memory with a
// warning, and the password limits apply to POST /password/login.
func TestRateLimiterFallsBackToMemory(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	yaml := "password:\n  enabled: true\nrate_limiter:\n  store: database\n  password_limits:\n    tokens: 1\n    interval: 1m\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := newHanko(t, hanko.WithConfigFile(cfg), hanko.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if !strings.Contains(logs.String(), "rate_limiter.store is not implemented yet") {
		t.Fatalf("no fallback warning in %q", logs.String())
	}
	body := `{"user_id":"` + uuid.NewString() + `","password":"guess"}`
	for i, want := range []int{401, 429} {
		req := httptest.NewRequest("POST", "/password/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want || rec.Header().Get("X-RateLimit-Limit") != "1" {
			t.Fatalf("login %d: %d %s (X-RateLimit-Limit %q), want %d", i+1, rec.Code, rec.Body,
				rec.Header().Get("X-RateLimit-Limit"), want)
		}
	}
}
