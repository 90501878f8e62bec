package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/audit"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/users"
)

// auditLog is the admin API's AuditLog as a client decodes it.
type auditLog struct {
	ID                string         `json:"id"`
	Type              string         `json:"type"`
	Error             *string        `json:"error"`
	MetaHTTPRequestID string         `json:"meta_http_request_id"`
	MetaSourceIP      string         `json:"meta_source_ip"`
	MetaUserAgent     string         `json:"meta_user_agent"`
	ActorUserID       *string        `json:"actor_user_id"`
	ActorEmail        *string        `json:"actor_email"`
	Details           map[string]any `json:"details"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
}

// consoleBuffer collects audit console lines written from any goroutine.
type consoleBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *consoleBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *consoleBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("console line is not JSON: %s", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// trustedProxy is the peer of httptest requests (192.0.2.1), trusted so
// that X-Forwarded-For names the client.
var trustedProxy = netip.MustParsePrefix("192.0.2.0/24")

// newAuditAPI is a test API whose users feature emits to an audit log
// (storage on, masking as given) and then to extra; the admin API lists it.
func newAuditAPI(t testing.TB, cfg audit.Config, extra events.Emitter) (*testAPI, *audit.Log) {
	t.Helper()
	var log *audit.Log
	api := newTestAPI(t, func(uc *users.Config, d *httpapi.Deps) {
		cfg.Store = uc.Store.(audit.Store)
		cfg.Storage = true
		l, err := audit.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		log = l
		uc.Events = events.Multi(l, extra)
		d.Audit = l
		d.Settings.TrustedProxies = []netip.Prefix{trustedProxy}
	})
	return api, log
}

func listAuditLogs(t *testing.T, api *testAPI, query string) ([]auditLog, http.Header) {
	t.Helper()
	rec := do(t, api.admin, "GET", "/audit_logs"+query, "")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /audit_logs%s = %d %s", query, rec.Code, rec.Body)
	}
	return decode[[]auditLog](t, rec), rec.Header()
}

// TestAuditLogRecordsRequestMeta signs up through the public API and finds
// the user_created record with the request's ID, the client IP behind a
// trusted proxy and the user agent, in the database and on the console.
func TestAuditLogRecordsRequestMeta(t *testing.T) {
	t.Parallel()
	console := &consoleBuffer{}
	api, _ := newAuditAPI(t, audit.Config{Console: console, Mask: true}, nil)

	rec := do(t, api.public, "POST", "/users", `{"email":"grace.hopper@example.com"}`,
		"X-Request-Id", "req-audit-1", "User-Agent", "audit-test-agent/1.0", "X-Forwarded-For", "203.0.113.7")
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /users = %d %s", rec.Code, rec.Body)
	}
	userID := decode[struct {
		UserID string `json:"user_id"`
	}](t, rec).UserID

	logs, h := listAuditLogs(t, api, "")
	if len(logs) != 1 || h.Get("X-Total-Count") != "1" {
		t.Fatalf("%d records (X-Total-Count %q), want 1: %+v", len(logs), h.Get("X-Total-Count"), logs)
	}
	l := logs[0]
	if _, err := uuid.Parse(l.ID); err != nil {
		t.Errorf("id %q is not a UUID", l.ID)
	}
	if l.Type != "user_created" || l.MetaHTTPRequestID != "req-audit-1" || l.MetaSourceIP != "203.0.113.7" ||
		l.MetaUserAgent != "audit-test-agent/1.0" || l.ActorUserID == nil || *l.ActorUserID != userID ||
		l.ActorEmail == nil || *l.ActorEmail != "gra*********@example.com" || l.Error != nil ||
		l.Details == nil || l.CreatedAt.IsZero() || !l.UpdatedAt.Equal(l.CreatedAt) {
		t.Fatalf("record = %+v", l)
	}

	lines := console.lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d console lines, want 1", len(lines))
	}
	for k, want := range map[string]any{
		"audience": "audit", "type": "user_created", "http_request_id": "req-audit-1", "source_ip": "203.0.113.7",
		"user_agent": "audit-test-agent/1.0", "user_id": userID, "user_email": "gra*********@example.com", "error": "",
	} {
		if lines[0][k] != want {
			t.Errorf("console %s = %v, want %v", k, lines[0][k], want)
		}
	}
}

// TestAuditLogRollbackLeavesNothing: when a later step of the change fails
// (here the next emitter), the change rolls back and with it the audit
// record; no console line is written either.
func TestAuditLogRollbackLeavesNothing(t *testing.T) {
	t.Parallel()
	console := &consoleBuffer{}
	failing := events.EmitterFunc(func(context.Context, events.Event) error { return errors.New("outbox unavailable") })
	api, _ := newAuditAPI(t, audit.Config{Console: console, Mask: true}, failing)

	rec := do(t, api.public, "POST", "/users", `{"email":"rolled.back@example.com"}`)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("POST /users with a failing emitter = %d %s", rec.Code, rec.Body)
	}
	if logs, h := listAuditLogs(t, api, ""); len(logs) != 0 || h.Get("X-Total-Count") != "0" {
		t.Fatalf("a rolled-back change left %d records", len(logs))
	}
	if lines := console.lines(t); len(lines) != 0 {
		t.Fatalf("a rolled-back change wrote console lines: %v", lines)
	}
	if _, total, _ := api.users.List(t.Context(), users.Query{}); total != 0 {
		t.Fatalf("a rolled-back change left %d users", total)
	}
}

// seedAuditLogs emits records at base+0s … base+(n-1)s, alternating types,
// actors, addresses and client IPs, and returns base.
func seedAuditLogs(t *testing.T) (*testAPI, time.Time, []uuid.UUID) {
	t.Helper()
	base := time.Date(2024, 9, 12, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	now := base
	api, log := newAuditAPI(t, audit.Config{Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}, nil)
	actors := []uuid.UUID{uuid.MustParse("aaaaaaaa-0000-4000-8000-000000000001"), uuid.MustParse("bbbbbbbb-0000-4000-8000-000000000002")}
	for i := range 6 {
		mu.Lock()
		now = base.Add(time.Duration(i) * time.Second)
		mu.Unlock()
		e := events.Event{Audit: events.PasswordLoginSucceeded, UserID: actors[i%2], Email: []string{"ada@example.com", "bob@example.org"}[i%2]}
		if i >= 4 {
			e = events.Event{Audit: events.PasswordLoginFailed, Email: "mallory@example.net", Err: errors.New("wrong password")}
		}
		ctx := events.WithMeta(t.Context(), events.Meta{RequestID: fmt.Sprint("req-", i), SourceIP: fmt.Sprintf("198.51.100.%d", 10+i), UserAgent: "seed"})
		if err := log.Emit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	return api, base, actors
}

func TestAuditLogFilters(t *testing.T) {
	t.Parallel()
	api, base, actors := seedAuditLogs(t)
	ts := func(sec int) string {
		return url.QueryEscape(base.Add(time.Duration(sec) * time.Second).Format(time.RFC3339))
	}
	for _, tc := range []struct {
		name, query string
		want        []string // request IDs, newest first
	}{
		{"none, newest first", "", []string{"req-5", "req-4", "req-3", "req-2", "req-1", "req-0"}},
		{"type", "?type=password_login_failed", []string{"req-5", "req-4"}},
		{"type repeated", "?type=password_login_failed&type=password_login_succeeded", []string{"req-5", "req-4", "req-3", "req-2", "req-1", "req-0"}},
		{"type without match", "?type=user_deleted", nil},
		{"start_time exclusive", "?start_time=" + ts(3), []string{"req-5", "req-4"}},
		{"end_time exclusive", "?end_time=" + ts(2), []string{"req-1", "req-0"}},
		{"between", "?start_time=" + ts(0) + "&end_time=" + ts(3), []string{"req-2", "req-1"}},
		{"offset time", "?start_time=" + url.QueryEscape("2024-09-12T14:00:03+02:00"), []string{"req-5", "req-4"}},
		{"actor_user_id", "?actor_user_id=" + actors[1].String(), []string{"req-3", "req-1"}},
		{"actor_user_id part", "?actor_user_id=aaaaaaaa", []string{"req-2", "req-0"}},
		{"actor_email", "?actor_email=mallory", []string{"req-5", "req-4"}},
		{"actor_email ignores case", "?actor_email=BOB@EXAMPLE.ORG", []string{"req-3", "req-1"}},
		{"meta_source_ip", "?meta_source_ip=198.51.100.12", []string{"req-2"}},
		{"q email", "?q=example.org", []string{"req-3", "req-1"}},
		{"q ip", "?q=100.15", []string{"req-5"}},
		{"q user id", "?q=bbbbbbbb-0000", []string{"req-3", "req-1"}},
		{"q wildcard is literal", "?q=%25", nil},
		{"combined", "?type=password_login_succeeded&q=example.com&start_time=" + ts(0), []string{"req-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logs, h := listAuditLogs(t, api, tc.query)
			var got []string
			for _, l := range logs {
				got = append(got, l.MetaHTTPRequestID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || h.Get("X-Total-Count") != fmt.Sprint(len(tc.want)) {
				t.Fatalf("got %v (X-Total-Count %s), want %v", got, h.Get("X-Total-Count"), tc.want)
			}
		})
	}
}

func TestAuditLogRecordShape(t *testing.T) {
	t.Parallel()
	api, base, _ := seedAuditLogs(t)
	rec := do(t, api.admin, "GET", "/audit_logs?per_page=1", "")
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || len(raw) != 1 {
		t.Fatalf("body %s", rec.Body)
	}
	var keys []string
	for k := range raw[0] {
		keys = append(keys, k)
	}
	// A failed login of an unknown user: no actor_user_id, but an error.
	want := "[actor_email created_at details error id meta_http_request_id meta_source_ip meta_user_agent type updated_at]"
	slices.Sort(keys)
	if fmt.Sprint(keys) != want {
		t.Fatalf("keys %v, want %s", keys, want)
	}
	l := decode[[]auditLog](t, rec)[0]
	if *l.Error != "wrong password" || *l.ActorEmail != "mallory@example.net" || !l.CreatedAt.Equal(base.Add(5*time.Second)) {
		t.Fatalf("record %+v", l)
	}
}

func TestAuditLogPagination(t *testing.T) {
	t.Parallel()
	api, _, _ := seedAuditLogs(t)
	for _, tc := range []struct {
		query, want string
		ids         []string
	}{
		{"?per_page=4", `<http://example.com/audit_logs?page=2&per_page=4>; rel="last",<http://example.com/audit_logs?page=2&per_page=4>; rel="next"`,
			[]string{"req-5", "req-4", "req-3", "req-2"}},
		{"?per_page=4&page=2", `<http://example.com/audit_logs?page=1&per_page=4>; rel="first",<http://example.com/audit_logs?page=2&per_page=4>; rel="last",<http://example.com/audit_logs?page=1&per_page=4>; rel="prev"`,
			[]string{"req-1", "req-0"}},
		{"?type=password_login_failed&per_page=1&page=2", `<http://example.com/audit_logs?page=1&per_page=1&type=password_login_failed>; rel="first",<http://example.com/audit_logs?page=2&per_page=1&type=password_login_failed>; rel="last",<http://example.com/audit_logs?page=1&per_page=1&type=password_login_failed>; rel="prev"`,
			[]string{"req-4"}},
		{"?page=9", `<http://example.com/audit_logs?page=1&per_page=20>; rel="first",<http://example.com/audit_logs?page=1&per_page=20>; rel="last",<http://example.com/audit_logs?page=1&per_page=20>; rel="prev"`,
			nil},
	} {
		logs, h := listAuditLogs(t, api, tc.query)
		var got []string
		for _, l := range logs {
			got = append(got, l.MetaHTTPRequestID)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.ids) {
			t.Errorf("%s: records %v, want %v", tc.query, got, tc.ids)
		}
		if h.Get("Link") != tc.want {
			t.Errorf("%s: Link\n got  %s\n want %s", tc.query, h.Get("Link"), tc.want)
		}
		if tc.query[1:5] != "type" && h.Get("X-Total-Count") != "6" {
			t.Errorf("%s: X-Total-Count %s, want 6", tc.query, h.Get("X-Total-Count"))
		}
	}
}

func TestAuditLogBadFilters(t *testing.T) {
	t.Parallel()
	api, _, _ := seedAuditLogs(t)
	long := strings.Repeat("a", 256)
	for _, tc := range []struct{ query, msg string }{
		{"?page=0", "page must be a positive integer"},
		{"?page=x", "page must be a positive integer"},
		{"?per_page=-1", "per_page must be a positive integer"},
		{"?start_time=yesterday", "start_time must be a date and time in RFC 3339 format"},
		{"?end_time=2024-09-12", "end_time must be a date and time in RFC 3339 format"},
		{"?type=user_created&type=bogus", "type must be one of the audit log types"},
		{"?type=", "type must be one of the audit log types"},
		{"?q=" + long, "q must be at most 255 characters long"},
		{"?actor_email=" + long, "actor_email must be at most 255 characters long"},
		{"?actor_user_id=" + long, "actor_user_id must be at most 255 characters long"},
		{"?meta_source_ip=" + long, "meta_source_ip must be at most 255 characters long"},
		{"?page=4611686018427387904&per_page=1000", "page is too large"},
		{"?q=%00", "text filters must be UTF-8 without NUL characters"},
		{"?actor_email=%ff", "text filters must be UTF-8 without NUL characters"},
	} {
		rec := do(t, api.admin, "GET", "/audit_logs"+tc.query, "")
		body := decode[errBody](t, rec)
		if rec.Code != http.StatusBadRequest || body.Code != 400 || !strings.Contains(body.Message, tc.msg) {
			t.Errorf("%.60s: %d %+v, want 400 %q", tc.query, rec.Code, body, tc.msg)
		}
	}
}

// TestAuditLogWithoutLog: without an audit log the route answers an empty
// list, as the reference does with storage off.
func TestAuditLogWithoutLog(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	logs, h := listAuditLogs(t, api, "?type=user_created")
	if len(logs) != 0 || h.Get("X-Total-Count") != "0" {
		t.Fatalf("records %v, X-Total-Count %q", logs, h.Get("X-Total-Count"))
	}
	if rec := do(t, api.admin, "GET", "/audit_logs?type=nope", ""); rec.Code != http.StatusBadRequest {
		t.Fatalf("a bad filter without a log = %d", rec.Code)
	}
}

// FuzzAuditLogQuery: whatever the query string, GET /audit_logs answers
// 200 with a JSON list or 400 with a message, never a 5xx.
func FuzzAuditLogQuery(f *testing.F) {
	for _, q := range []string{
		"", "page=2&per_page=1", "type=user_created&type=bogus", "start_time=2024-09-12T12:00:00Z&end_time=x",
		"q=%25_!", "actor_user_id=aaaa&actor_email=A&meta_source_ip=::1", "page=99999999999999999999", "per_page=0",
		"q=%00%ff", "start_time=2024-09-12T12:00:00%2B14:00",
	} {
		f.Add(q)
	}
	api, log := newAuditAPI(f, audit.Config{}, nil)
	ctx := events.WithMeta(f.Context(), events.Meta{RequestID: "seed", SourceIP: "192.0.2.1"})
	if err := log.Emit(ctx, events.Event{Audit: events.UserCreated, Email: "seed@example.com"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/audit_logs", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		api.admin.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var logs []auditLog
			if err := json.Unmarshal(rec.Body.Bytes(), &logs); err != nil {
				t.Fatalf("200 with %s", rec.Body)
			}
		case http.StatusBadRequest:
			if body := decode[errBody](t, rec); body.Message == "" {
				t.Fatal("400 without a message")
			}
		default:
			t.Fatalf("GET /audit_logs?%s = %d %s", query, rec.Code, rec.Body)
		}
	})
}
