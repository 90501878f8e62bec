package hanko_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/mail"
	"github.com/hanko-go/hanko/users"
)

// discardMailer accepts every passcode mail.
type discardMailer struct{}

func (discardMailer) Send(context.Context, mail.Message) error { return nil }

// fakeClock is a clock several Hanko values share.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rateLimitConfig is the default configuration with rate_limiter.store set
// and the password login on.
func rateLimitConfig(store string, edit ...func(*hanko.Config)) hanko.Config {
	cfg := hanko.DefaultConfig()
	cfg.RateLimiter.Store = store
	cfg.Password.Enabled = true
	for _, e := range edit {
		e(&cfg)
	}
	return cfg
}

// sendFrom serves one JSON POST from the socket peer remote.
func sendFrom(t *testing.T, h http.Handler, remote, path, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := jsonReq(httptest.NewRequest("POST", path, strings.NewReader(body)))
	req.RemoteAddr = remote
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// mustUser creates a user with a primary email through h.
func mustUser(t *testing.T, h *hanko.Hanko) uuid.UUID {
	t.Helper()
	u, err := h.Users().Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// With rate_limiter.store database, two instances on one database share the
// passcode limit (3 per minute per user and IP): the 4th call is refused on
// either instance, a spoofed X-Forwarded-For from an untrusted peer does not
// escape, and the tokens come back with time.
func TestRateLimiterDatabaseSharedByInstances(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	clk := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	opts := func() []hanko.Option {
		return []hanko.Option{hanko.WithDatabase("sqlite", path), hanko.WithConfig(rateLimitConfig("database")),
			hanko.WithClock(clk.Now), hanko.WithMailer(discardMailer{})}
	}
	a, b := newHanko(t, opts()...), newHanko(t, opts()...)
	uid := mustUser(t, a)
	body := `{"user_id":"` + uid.String() + `"}`
	const ip = "203.0.113.7:4242"
	for i, h := range []*hanko.Hanko{a, b, a} {
		rec := sendFrom(t, h, ip, "/passcode/login/initialize", body)
		if rec.Code != 200 || rec.Header().Get("X-RateLimit-Remaining") != []string{"2", "1", "0"}[i] {
			t.Fatalf("initialize %d: %d %s (X-RateLimit-Remaining %q)", i+1, rec.Code, rec.Body, rec.Header().Get("X-RateLimit-Remaining"))
		}
	}
	for i, h := range []*hanko.Hanko{b, a} {
		rec := sendFrom(t, h, ip, "/passcode/login/initialize", body)
		if rec.Code != 429 || rec.Header().Get("Retry-After") != "20" || rec.Header().Get("X-RateLimit-Limit") != "3" {
			t.Fatalf("refused call %d: %d %s (Retry-After %q)", i+1, rec.Code, rec.Body, rec.Header().Get("Retry-After"))
		}
	}
	if rec := sendFrom(t, b, ip, "/passcode/login/initialize", body, "X-Forwarded-For", "198.51.100.9"); rec.Code != 429 {
		t.Fatalf("spoofed X-Forwarded-For escaped the shared limit: %d %s", rec.Code, rec.Body)
	}
	if rec := sendFrom(t, b, "198.51.100.9:1", "/passcode/login/initialize", body); rec.Code != 200 {
		t.Fatalf("another client IP: %d %s", rec.Code, rec.Body)
	}
	clk.Add(20 * time.Second)
	if rec := sendFrom(t, b, ip, "/passcode/login/initialize", body); rec.Code != 200 {
		t.Fatalf("after one refill: %d %s", rec.Code, rec.Body)
	}
	if rec := sendFrom(t, a, ip, "/passcode/login/initialize", body); rec.Code != 429 {
		t.Fatalf("second call after one refill: %d %s", rec.Code, rec.Body)
	}
}

// The in_memory store (the default) limits per process, now without any
// warning, and the password limits apply to POST /password/login.
func TestRateLimiterInMemory(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	yaml := "password:\n  enabled: true\nrate_limiter:\n  password_limits:\n    tokens: 1\n    interval: 1m\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	h := newHanko(t, hanko.WithConfigFile(cfg), hanko.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if strings.Contains(logs.String(), "rate_limiter") {
		t.Fatalf("warning about the rate limiter: %q", logs.String())
	}
	body := `{"user_id":"` + uuid.NewString() + `","password":"guess"}`
	for i, want := range []int{401, 429} {
		rec := sendFrom(t, h, "192.0.2.1:1", "/password/login", body)
		if rec.Code != want || rec.Header().Get("X-RateLimit-Limit") != "1" {
			t.Fatalf("login %d: %d %s (X-RateLimit-Limit %q), want %d", i+1, rec.Code, rec.Body,
				rec.Header().Get("X-RateLimit-Limit"), want)
		}
	}
}

// With rate_limiter.store redis, two instances share the limits through
// Redis (the server's clock); Close releases the client. Skips without
// HANKO_TEST_REDIS_ADDR.
func TestRateLimiterRedisSharedByInstances(t *testing.T) {
	t.Parallel()
	addr := os.Getenv("HANKO_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("HANKO_TEST_REDIS_ADDR is not set")
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	cfg := rateLimitConfig("redis", func(c *hanko.Config) {
		c.RateLimiter.RedisConfig.Address = addr
		c.RateLimiter.PasswordLimits.Tokens = 2
	})
	a := newHanko(t, hanko.WithDatabase("sqlite", path), hanko.WithConfig(cfg))
	b := newHanko(t, hanko.WithDatabase("sqlite", path), hanko.WithConfig(cfg))
	// The bucket key holds a new user's ID, so runs never share a bucket
	// (unknown user IDs all share the nil UUID's).
	uid := createUser(t, a, "redis-"+uuid.NewString()[:8]+"@example.com")
	body := `{"user_id":"` + uid + `","password":"guess"}`
	for i, h := range []*hanko.Hanko{a, b, a, b} {
		want := []int{401, 401, 429, 429}[i]
		rec := sendFrom(t, h, "192.0.2.1:1", "/password/login", body)
		if rec.Code != want {
			t.Fatalf("login %d: %d %s, want %d", i+1, rec.Code, rec.Body, want)
		}
		// Redis's own clock runs on while passwords are hashed: the wait is
		// at most one token's 30 s.
		if ra, err := strconv.Atoi(rec.Header().Get("Retry-After")); want == 429 && (err != nil || ra < 1 || ra > 30) {
			t.Fatalf("Retry-After = %q", rec.Header().Get("Retry-After"))
		}
	}
}

// A Redis that does not answer fails requests closed with 503 (the cause is
// logged, the client sees the generic message); New does not need Redis.
func TestRateLimiterRedisDownFailsClosed(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	cfg := rateLimitConfig("redis", func(c *hanko.Config) { c.RateLimiter.RedisConfig.Address = "127.0.0.1:1" })
	h := newHanko(t, hanko.WithConfig(cfg), hanko.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	rec := sendFrom(t, h, "192.0.2.1:1", "/password/login", `{"user_id":"`+uuid.NewString()+`","password":"guess"}`)
	if rec.Code != 503 || strings.TrimSpace(rec.Body.String()) != `{"code":503,"message":"Service Unavailable"}` {
		t.Fatalf("login with Redis down: %d %s", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "rate limiter unavailable") {
		t.Fatalf("cause not logged: %s", logs.String())
	}
}

// A malformed redis_config.address fails New and names the key; the
// password never appears in the error.
func TestRateLimiterBadRedisAddress(t *testing.T) {
	t.Parallel()
	secret := rand.Text()
	cfg := rateLimitConfig("redis", func(c *hanko.Config) {
		c.RateLimiter.RedisConfig.Address = "cache:99999/x"
		c.RateLimiter.RedisConfig.Password = secret
	})
	_, err := hanko.New(hanko.WithDatabase("sqlite", filepath.Join(t.TempDir(), "h.db")), hanko.WithAutoMigrate(), hanko.WithConfig(cfg))
	if err == nil || !strings.Contains(err.Error(), "rate_limiter.redis_config.address") || strings.Contains(err.Error(), secret) {
		t.Fatalf("New: %v", err)
	}
}
