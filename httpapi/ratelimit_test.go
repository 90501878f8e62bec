package httpapi_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/ratelimit"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
	"github.com/hanko-go/hanko/users"
)

// doFrom is do with the socket peer set to remote.
func doFrom(t testing.TB, h http.Handler, remote, method, path, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = remote
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func checkLimitHeaders(t *testing.T, rec *httptest.ResponseRecorder, limit, remaining, reset string) {
	t.Helper()
	h := rec.Header()
	if h.Get("X-RateLimit-Limit") != limit || h.Get("X-RateLimit-Remaining") != remaining || h.Get("X-RateLimit-Reset") != reset {
		t.Fatalf("headers: limit %q remaining %q reset %q, want %s %s %s", h.Get("X-RateLimit-Limit"),
			h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset"), limit, remaining, reset)
	}
}

func TestPasscodeInitializeRateLimited(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"memory", "database"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			testPasscodeInitializeRateLimited(t, kind)
		})
	}
}

// testPasscodeInitializeRateLimited runs the passcode limit scenario on the
// in-memory or the database limiter; both answer alike.
func testPasscodeInitializeRateLimited(t *testing.T, kind string) {
	var clk *testClock
	now := func() time.Time { return clk.Now() }
	api := newTestAPI(t, func(_ *users.Config, d *httpapi.Deps) {
		d.Limits.Passcode = ratelimit.NewMemory(3, time.Minute, now)
		if kind == "database" {
			d.Limits.Passcode = ratelimit.NewDatabase(storetest.OpenSQLite(t), 3, time.Minute, ratelimit.Options{Now: now})
		}
	})
	clk = api.clock
	u := mustCreate(t, api, "ada@example.com")
	body := fmt.Sprintf(`{"user_id":%q}`, u.ID)
	const ip = "203.0.113.7:4242"
	for i := range 3 {
		rec := doFrom(t, api.public, ip, "POST", "/passcode/login/initialize", body)
		if rec.Code != 200 {
			t.Fatalf("initialize %d: %d %s", i+1, rec.Code, rec.Body)
		}
		checkLimitHeaders(t, rec, "3", fmt.Sprint(2-i), "20")
		if rec.Header().Get("Retry-After") != "" {
			t.Fatalf("Retry-After on an allowed call")
		}
	}
	rec := doFrom(t, api.public, ip, "POST", "/passcode/login/initialize", body)
	if rec.Code != 429 || strings.TrimSpace(rec.Body.String()) != `{"code":429,"message":"Too Many Requests"}` {
		t.Fatalf("4th initialize: %d %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Retry-After"); got != "20" {
		t.Fatalf("Retry-After = %q, want 20", got)
	}
	checkLimitHeaders(t, rec, "3", "0", "20")

	// A spoofed X-Forwarded-For from an untrusted peer is the same client.
	rec = doFrom(t, api.public, ip, "POST", "/passcode/login/initialize", body, "X-Forwarded-For", "198.51.100.9")
	if rec.Code != 429 {
		t.Fatalf("spoofed X-Forwarded-For escaped the limit: %d %s", rec.Code, rec.Body)
	}
	// Another client IP has its own bucket.
	rec = doFrom(t, api.public, "198.51.100.9:1", "POST", "/passcode/login/initialize", body)
	if rec.Code != 200 {
		t.Fatalf("another IP: %d %s", rec.Code, rec.Body)
	}
	// Another user from the first IP too (rejected for other reasons).
	rec = doFrom(t, api.public, ip, "POST", "/passcode/login/initialize", fmt.Sprintf(`{"user_id":%q}`, uuid.New()))
	if rec.Code != 400 {
		t.Fatalf("another user: %d %s", rec.Code, rec.Body)
	}
	checkLimitHeaders(t, rec, "3", "2", "20")

	// Tokens come back over time: 1.5 s short of one, the call is refused
	// with Retry-After rounded up.
	clk.Add(18500 * time.Millisecond)
	rec = doFrom(t, api.public, ip, "POST", "/passcode/login/initialize", body)
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("before refill: %d Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	clk.Add(1500 * time.Millisecond)
	if rec := doFrom(t, api.public, ip, "POST", "/passcode/login/initialize", body); rec.Code != 200 {
		t.Fatalf("after refill: %d %s", rec.Code, rec.Body)
	}
}

func TestPasscodeInitializeUnlimitedByDefault(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u := mustCreate(t, api, "ada@example.com")
	for i := range 5 {
		rec := do(t, api.public, "POST", "/passcode/login/initialize", fmt.Sprintf(`{"user_id":%q}`, u.ID))
		if rec.Code != 200 || rec.Header().Get("X-RateLimit-Limit") != "" {
			t.Fatalf("call %d: %d, X-RateLimit-Limit %q", i+1, rec.Code, rec.Header().Get("X-RateLimit-Limit"))
		}
	}
}

func TestPasswordLoginRateLimited(t *testing.T) {
	t.Parallel()
	api := newPasswordAPI(t, func(_ *users.Config, d *httpapi.Deps) {
		// A clock standing still: password hashing under load must not
		// move the headers.
		d.Limits.Password = ratelimit.NewMemory(2, time.Minute, (&testClock{t: time.Now()}).Now)
	})
	uid := uuid.NewString()
	for i := range 2 {
		rec := doFrom(t, api.public, "192.0.2.1:1", "POST", "/password/login", pwBody(uid, "guess"))
		if rec.Code != 401 {
			t.Fatalf("login %d: %d %s", i+1, rec.Code, rec.Body)
		}
		checkLimitHeaders(t, rec, "2", fmt.Sprint(1-i), "30")
	}
	rec := doFrom(t, api.public, "192.0.2.1:1", "POST", "/password/login", pwBody(uid, "guess"))
	if rec.Code != 429 || decode[errBody](t, rec).Message != "Too Many Requests" {
		t.Fatalf("3rd login: %d %s", rec.Code, rec.Body)
	}
	if ra := rec.Header().Get("Retry-After"); ra != "30" {
		t.Fatalf("Retry-After = %q", ra)
	}
	if rec := doFrom(t, api.public, "192.0.2.2:1", "POST", "/password/login", pwBody(uid, "guess")); rec.Code != 401 {
		t.Fatalf("another IP: %d", rec.Code)
	}
}

// A limiter whose store is down fails closed: 503 with the generic body,
// nothing sent, the cause logged. Here the database limiter's store has
// been closed.
func TestRateLimiterDownFailsClosed(t *testing.T) {
	t.Parallel()
	down, err := store.Open(t.Context(), store.Options{Dialect: "sqlite", DSN: t.TempDir() + "/down.db"})
	if err != nil {
		t.Fatal(err)
	}
	down.Close()
	var logs bytes.Buffer
	api := newTestAPI(t, func(_ *users.Config, d *httpapi.Deps) {
		d.Limits.Passcode = ratelimit.NewDatabase(down, 3, time.Minute, ratelimit.Options{})
		d.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	u := mustCreate(t, api, "ada@example.com")
	rec := doFrom(t, api.public, "203.0.113.7:1", "POST", "/passcode/login/initialize", fmt.Sprintf(`{"user_id":%q}`, u.ID))
	if rec.Code != 503 || strings.TrimSpace(rec.Body.String()) != `{"code":503,"message":"Service Unavailable"}` {
		t.Fatalf("initialize with the limiter down: %d %s", rec.Code, rec.Body)
	}
	api.mails.mu.Lock()
	n := len(api.mails.msgs)
	api.mails.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d mails sent although the limiter could not decide", n)
	}
	if !strings.Contains(logs.String(), "rate limiter unavailable") {
		t.Fatalf("cause not logged: %s", logs.String())
	}
}

// Random unknown user IDs share one bucket per client IP: each would cost a
// full password hash, so they must not each get a fresh allowance.
func TestPasswordLoginUnknownUsersShareABucket(t *testing.T) {
	t.Parallel()
	api := newPasswordAPI(t, func(_ *users.Config, d *httpapi.Deps) {
		d.Limits.Password = ratelimit.NewMemory(2, time.Minute, (&testClock{t: time.Now()}).Now)
	})
	for i := range 2 {
		if rec := doFrom(t, api.public, "192.0.2.7:1", "POST", "/password/login", pwBody(uuid.NewString(), "guess")); rec.Code != 401 {
			t.Fatalf("unknown user %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	if rec := doFrom(t, api.public, "192.0.2.7:1", "POST", "/password/login", pwBody(uuid.NewString(), "guess")); rec.Code != 429 {
		t.Fatalf("3rd unknown user from one IP: %d, want 429", rec.Code)
	}
	// A real user keeps their own allowance.
	u := mustCreate(t, api, "real@example.com")
	if rec := doFrom(t, api.public, "192.0.2.7:1", "POST", "/password/login", pwBody(u.ID.String(), "guess")); rec.Code != 401 {
		t.Fatalf("real user after the unknown ones: %d, want 401", rec.Code)
	}
}
