package hanko_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/webhook"
)

// auditConsole is an audit console written by the servers' goroutines.
type auditConsole struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *auditConsole) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *auditConsole) lines(t *testing.T) []map[string]any {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(w.buf.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("audit console line is not JSON: %s", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// auditCall sends a request to a real server and returns status and body.
func auditCall(t *testing.T, method, url, body string, header ...string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// auditServe starts real servers for h's public and admin APIs.
func auditServe(t *testing.T, h *hanko.Hanko) (public, admin string) {
	t.Helper()
	p, a := httptest.NewServer(h), httptest.NewServer(h.Admin())
	t.Cleanup(p.Close)
	t.Cleanup(a.Close)
	return p.URL, a.URL
}

// TestAuditAndMetricsEndToEnd runs a sign-up and two password logins
// through a Hanko behind a trusted proxy and finds them in the audit log
// (database and console, with the request's meta, masked) and in the
// Prometheus metrics of the admin API.
func TestAuditAndMetricsEndToEnd(t *testing.T) {
	t.Parallel()
	cfg := hanko.DefaultConfig()
	cfg.AuditLog.Storage.Enabled = true
	cfg.Email.RequireVerification = false
	cfg.Server.Public.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	console := &auditConsole{}
	h := newHanko(t, hanko.WithConfig(cfg), hanko.WithAuditOutput(console))
	public, admin := auditServe(t, h)

	meta := []string{"X-Request-Id", "e2e-request-1", "User-Agent", "e2e-agent/1.0", "X-Forwarded-For", "203.0.113.50"}
	status, body := auditCall(t, "POST", public+"/users", `{"email":"ada.lovelace@example.com"}`, meta...)
	if status != http.StatusOK {
		t.Fatalf("sign-up: %d %s", status, body)
	}
	var created struct {
		UserID string `json:"user_id"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Passwords().Set(t.Context(), uuid.MustParse(created.UserID), "correct horse battery staple"); err != nil {
		t.Fatal(err)
	}
	meta[1] = "e2e-request-2"
	if status, body := auditCall(t, "POST", public+"/password/login", `{"user_id":"`+created.UserID+`","password":"wrong wrong wrong"}`, meta...); status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d %s", status, body)
	}
	meta[1] = "e2e-request-3"
	if status, body := auditCall(t, "POST", public+"/password/login", `{"user_id":"`+created.UserID+`","password":"correct horse battery staple"}`, meta...); status != http.StatusOK {
		t.Fatalf("right password: %d %s", status, body)
	}

	// The database, through the admin API.
	status, body = auditCall(t, "GET", admin+"/audit_logs?type=password_login_failed&type=password_login_succeeded&type=user_created", "")
	if status != http.StatusOK {
		t.Fatalf("GET /audit_logs: %d %s", status, body)
	}
	var logs []struct {
		Type, Error, MetaHTTPRequestID, MetaSourceIP, MetaUserAgent, ActorUserID, ActorEmail string
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		s := func(k string) string { v, _ := r[k].(string); return v }
		logs = append(logs, struct {
			Type, Error, MetaHTTPRequestID, MetaSourceIP, MetaUserAgent, ActorUserID, ActorEmail string
		}{s("type"), s("error"), s("meta_http_request_id"), s("meta_source_ip"), s("meta_user_agent"), s("actor_user_id"), s("actor_email")})
	}
	wantTypes := []string{"password_login_succeeded", "password_login_failed", "user_created"}
	if len(logs) != len(wantTypes) {
		t.Fatalf("%d records, want %d: %s", len(logs), len(wantTypes), body)
	}
	for i, l := range logs {
		if l.Type != wantTypes[i] || l.MetaHTTPRequestID != "e2e-request-"+string(rune('3'-i)) ||
			l.MetaSourceIP != "203.0.113.50" || l.MetaUserAgent != "e2e-agent/1.0" ||
			l.ActorUserID != created.UserID || l.ActorEmail != "ada*********@example.com" {
			t.Errorf("record %d: %+v", i, l)
		}
	}
	if logs[1].Error == "" || strings.Contains(logs[1].Error, "wrong wrong wrong") {
		t.Errorf("failed login's error %q: want a reason, never the password", logs[1].Error)
	}

	// The console.
	var seen []string
	for _, line := range console.lines(t) {
		if line["audience"] != "audit" {
			t.Errorf("console line without audience audit: %v", line)
		}
		if line["http_request_id"] == "e2e-request-2" && (line["source_ip"] != "203.0.113.50" || line["user_email"] != "ada*********@example.com") {
			t.Errorf("console line of the failed login: %v", line)
		}
		seen = append(seen, line["type"].(string))
	}
	for _, typ := range append(wantTypes, "password_set_succeeded") {
		if !strings.Contains(strings.Join(seen, " "), typ) {
			t.Errorf("no console line of %s among %v", typ, seen)
		}
	}
	if strings.Contains(console.buf.String(), "correct horse") {
		t.Error("a password reached the audit console")
	}

	// The metrics.
	status, body = auditCall(t, "GET", admin+"/metrics", "")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d", status)
	}
	for _, line := range []string{
		`hanko_logins_total{method="password",result="failure"} 1`,
		`hanko_logins_total{method="password",result="success"} 1`,
		`hanko_http_requests_total{api="public",code="401",method="POST",route="/password/login"} 1`,
		`hanko_http_requests_total{api="public",code="200",method="POST",route="/users"} 1`,
		`hanko_http_requests_total{api="admin",code="200",method="GET",route="/audit_logs"} 1`,
		`hanko_webhook_outbox_depth 0`,
		`process_start_time_seconds `,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("metrics lack %s", line)
		}
	}
	if h.MetricsHandler() == nil || h.Metrics() == nil || h.Audit() == nil {
		t.Fatal("accessors return nil")
	}
}

// TestMetricsPerInstance: two Hanko values in one process count apart.
func TestMetricsPerInstance(t *testing.T) {
	t.Parallel()
	a, b := newHanko(t), newHanko(t)
	if a.Metrics().Registry() == b.Metrics().Registry() {
		t.Fatal("two Hanko values share a registry")
	}
	aPublic, _ := auditServe(t, a)
	for range 3 {
		auditCall(t, "GET", aPublic+"/.well-known/config", "")
	}
	rec := httptest.NewRecorder()
	b.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if strings.Contains(rec.Body.String(), `route="/.well-known/config"`) {
		t.Fatal("b counts a's requests")
	}
	rec = httptest.NewRecorder()
	a.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), `hanko_http_requests_total{api="public",code="200",method="GET",route="/.well-known/config"} 3`) {
		t.Fatalf("a's metrics:\n%s", rec.Body)
	}
}

// TestWithoutMetrics: no registry, no /metrics route.
func TestWithoutMetrics(t *testing.T) {
	t.Parallel()
	h := newHanko(t, hanko.WithoutMetrics())
	if h.Metrics() != nil {
		t.Fatal("Metrics() is not nil")
	}
	_, admin := auditServe(t, h)
	if status, _ := auditCall(t, "GET", admin+"/metrics", ""); status != http.StatusNotFound {
		t.Fatalf("GET /metrics without metrics: %d", status)
	}
	rec := httptest.NewRecorder()
	h.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("MetricsHandler without metrics: %d", rec.Code)
	}
}

// TestAuditStorageOffByDefault: as in Hanko, records go to the console only
// until audit_log.storage.enabled; /audit_logs is empty.
func TestAuditStorageOffByDefault(t *testing.T) {
	t.Parallel()
	console := &auditConsole{}
	h := newHanko(t, hanko.WithAuditOutput(console))
	public, admin := auditServe(t, h)
	if status, body := auditCall(t, "POST", public+"/users", `{"email":"grace@example.com"}`); status != http.StatusOK {
		t.Fatalf("sign-up: %d %s", status, body)
	}
	if status, body := auditCall(t, "GET", admin+"/audit_logs", ""); status != http.StatusOK || strings.TrimSpace(body) != "[]" {
		t.Fatalf("GET /audit_logs: %d %s", status, body)
	}
	if lines := console.lines(t); len(lines) == 0 || lines[0]["type"] != "user_created" {
		t.Fatalf("console lines: %v", lines)
	}
}

// TestAuditConsoleStreams: the console line goes to the stream that
// audit_log.console_output.output names, and nowhere when it is disabled.
func TestAuditConsoleStreams(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name             string
		enabled          bool
		output           string
		wantOut, wantErr int
	}{
		{"stdout", true, "stdout", 1, 0},
		{"stderr", true, "stderr", 0, 1},
		{"disabled", false, "stdout", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := hanko.DefaultConfig()
			cfg.AuditLog.ConsoleOutput.Enabled, cfg.AuditLog.ConsoleOutput.Output = tc.enabled, tc.output
			stdout, stderr := &auditConsole{}, &auditConsole{}
			h := newHanko(t, hanko.WithConfig(cfg), hanko.WithAuditConsole(stdout, stderr))
			public, _ := auditServe(t, h)
			if status, body := auditCall(t, "POST", public+"/users", `{"email":"ada@example.com"}`); status != http.StatusOK {
				t.Fatalf("sign-up: %d %s", status, body)
			}
			if o, e := len(stdout.lines(t)), len(stderr.lines(t)); o != tc.wantOut || e != tc.wantErr {
				t.Fatalf("%d lines on stdout, %d on stderr; want %d, %d", o, e, tc.wantOut, tc.wantErr)
			}
		})
	}
}

// TestWebhookDeliveryMetrics: each delivery reaches the metrics and a
// host's own OnDelivery hook alike.
func TestWebhookDeliveryMetrics(t *testing.T) {
	t.Parallel()
	rcv := newHookReceiver(t, nil)
	hostSaw := make(chan string, 10)
	h := newHanko(t, hanko.WithConfig(hookConfig(rcv.srv.URL+"/hook", "user")), fastWebhooks,
		hanko.WithWebhooks(func(c *webhook.Config) {
			c.OnDelivery = func(event string, ok bool) { hostSaw <- event }
		}))
	adminCreateUser(t, h, "ada@example.com")
	if c := rcv.next(t); c.Event != "user.create" {
		t.Fatalf("delivered %+v", c)
	}
	select {
	case e := <-hostSaw:
		if e != "user.create" {
			t.Fatalf("host's OnDelivery saw %q", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the host's OnDelivery was not called")
	}
	const want = `hanko_webhook_deliveries_total{event="user.create",result="success"} 1`
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rec := httptest.NewRecorder()
		h.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if strings.Contains(rec.Body.String(), want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %s:\n%s", want, rec.Body)
		}
	}
}
