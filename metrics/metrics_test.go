package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/metrics"
	"github.com/hanko-go/hanko/store/storetest"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// scrape fetches the exposition from a real HTTP server.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("scrape = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	return string(body)
}

func TestObserveRequest(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{})
	m.ObserveRequest("public", "GET", "GET /users/{id}", 200, 30*time.Millisecond)
	m.ObserveRequest("public", "GET", "GET /users/{id}", 200, 70*time.Millisecond)
	m.ObserveRequest("public", "GET", "GET /users/{id}", 404, time.Millisecond)
	m.ObserveRequest("admin", "GET", "GET /users/{id}", 200, time.Millisecond)
	m.ObserveRequest("public", "GET", "", 404, time.Millisecond)
	m.ObserveRequest("public", "BREW", "", 405, time.Millisecond)
	m.ObserveRequest("public", "GET", "/health/alive", 200, time.Millisecond)
	want := `
# HELP hanko_http_requests_total HTTP requests by API (public, admin), method, route pattern and status code.
# TYPE hanko_http_requests_total counter
hanko_http_requests_total{api="admin",code="200",method="GET",route="/users/{id}"} 1
hanko_http_requests_total{api="public",code="200",method="GET",route="/health/alive"} 1
hanko_http_requests_total{api="public",code="200",method="GET",route="/users/{id}"} 2
hanko_http_requests_total{api="public",code="404",method="GET",route="/users/{id}"} 1
hanko_http_requests_total{api="public",code="404",method="GET",route="unmatched"} 1
hanko_http_requests_total{api="public",code="405",method="OTHER",route="unmatched"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "hanko_http_requests_total"); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, m)
	for _, line := range []string{
		`hanko_http_request_duration_seconds_count{api="public",method="GET",route="/users/{id}"} 3`,
		`hanko_http_request_duration_seconds_sum{api="public",method="GET",route="/users/{id}"} 0.101`,
		`hanko_http_request_duration_seconds_bucket{api="public",method="GET",route="/users/{id}",le="0.05"} 2`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("scrape lacks %s", line)
		}
	}
}

func TestRuntimeCollectors(t *testing.T) {
	t.Parallel()
	body := scrape(t, metrics.New(metrics.Config{}))
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_start_time_seconds"} {
		if !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("scrape lacks %s", name)
		}
	}
}

func TestLoginsFromEvents(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{})
	ctx := t.Context()
	for _, e := range []events.Event{
		{Audit: events.PasswordLoginSucceeded},
		{Audit: events.PasswordLoginSucceeded},
		{Audit: events.PasswordLoginFailed},
		{Audit: events.PasscodeLoginFinalSucceeded},
		{Audit: events.PasscodeLoginInitSucceeded}, // not a login
		{Audit: events.WebauthnAuthenticationFinalFailed},
		{Audit: events.ThirdPartySignupSucceeded},
		{Audit: events.ThirdPartyLinkingSucceeded},
		{Audit: events.ThirdPartySigninSignupFailed},
		{Audit: events.TokenExchangeSucceeded},
		{Audit: "login_success", Details: map[string]any{"login_method": "passkey"}},
		{Audit: "login_failure", Details: map[string]any{"login_method": "password"}},
		{Audit: "login_success", Details: map[string]any{"login_method": "carrier pigeon"}}, // unknown: not counted
		{Audit: events.UserCreated, Webhook: events.UserCreate},
	} {
		if err := m.Emit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	want := `
# HELP hanko_logins_total Logins by method (password, passcode, passkey, thirdparty, token) and result (success, failure).
# TYPE hanko_logins_total counter
hanko_logins_total{method="passcode",result="failure"} 0
hanko_logins_total{method="passcode",result="success"} 1
hanko_logins_total{method="passkey",result="failure"} 1
hanko_logins_total{method="passkey",result="success"} 1
hanko_logins_total{method="password",result="failure"} 2
hanko_logins_total{method="password",result="success"} 2
hanko_logins_total{method="thirdparty",result="failure"} 1
hanko_logins_total{method="thirdparty",result="success"} 2
hanko_logins_total{method="token",result="failure"} 0
hanko_logins_total{method="token",result="success"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "hanko_logins_total"); err != nil {
		t.Fatal(err)
	}
}

// TestLoginCountsOnlyAfterCommit: a login whose transaction rolls back is
// not counted; one that commits is, once it commits.
func TestLoginCountsOnlyAfterCommit(t *testing.T) {
	t.Parallel()
	db := storetest.OpenSQLite(t)
	m := metrics.New(metrics.Config{})
	success := func() float64 {
		return loginCount(t, m, "password", "success")
	}
	boom := errors.New("rolled back")
	err := db.InTx(t.Context(), func(ctx context.Context) error {
		if err := m.Emit(ctx, events.Event{Audit: events.PasswordLoginSucceeded}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || success() != 0 {
		t.Fatalf("after rollback: err %v, count %v", err, success())
	}
	err = db.InTx(t.Context(), func(ctx context.Context) error {
		if err := m.Emit(ctx, events.Event{Audit: events.PasswordLoginSucceeded}); err != nil {
			return err
		}
		if success() != 0 {
			return errors.New("counted before commit")
		}
		return nil
	})
	if err != nil || success() != 1 {
		t.Fatalf("after commit: err %v, count %v", err, success())
	}
}

// loginCount reads one series of hanko_logins_total from the registry.
func loginCount(t *testing.T, m *metrics.Metrics, method, result string) float64 {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "hanko_logins_total" {
			continue
		}
		for _, metric := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range metric.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["method"] == method && labels["result"] == result {
				return metric.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no series hanko_logins_total{method=%q,result=%q}", method, result)
	return 0
}

func TestWebhookDeliveries(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{})
	m.WebhookDelivered(events.UserCreate, true)
	m.WebhookDelivered(events.UserCreate, true)
	m.WebhookDelivered(events.UserCreate, false)
	m.WebhookDelivered(events.EmailSend, true)
	m.WebhookDelivered("made.up", false)
	want := `
# HELP hanko_webhook_deliveries_total Webhook delivery attempts by event and result (success, failure).
# TYPE hanko_webhook_deliveries_total counter
hanko_webhook_deliveries_total{event="email.send",result="success"} 1
hanko_webhook_deliveries_total{event="other",result="failure"} 1
hanko_webhook_deliveries_total{event="user.create",result="failure"} 1
hanko_webhook_deliveries_total{event="user.create",result="success"} 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "hanko_webhook_deliveries_total"); err != nil {
		t.Fatal(err)
	}
}

func TestOutboxDepth(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{})
	if n, err := testutil.GatherAndCount(m.Registry(), "hanko_webhook_outbox_depth"); err != nil || n != 0 {
		t.Fatalf("without a depth func: %d series, %v", n, err)
	}
	depth, fail := 7, false
	m.SetOutboxDepthFunc(func(ctx context.Context) (int, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("the depth query has no deadline")
		}
		if fail {
			return 0, errors.New("database down")
		}
		return depth, nil
	})
	want := `
# HELP hanko_webhook_outbox_depth Webhook events waiting in the outbox for delivery.
# TYPE hanko_webhook_outbox_depth gauge
hanko_webhook_outbox_depth 7
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "hanko_webhook_outbox_depth"); err != nil {
		t.Fatal(err)
	}
	// A failing query leaves the gauge out, and the rest of the scrape is
	// still served.
	fail = true
	body := scrape(t, m)
	if strings.Contains(body, "hanko_webhook_outbox_depth ") || !strings.Contains(body, "hanko_logins_total") {
		t.Fatalf("scrape with a failing depth query:\n%s", body)
	}
	m.SetOutboxDepthFunc(nil)
	if n, _ := testutil.GatherAndCount(m.Registry(), "hanko_webhook_outbox_depth"); n != 0 {
		t.Fatalf("after removing the depth func: %d series", n)
	}
}

// TestSeparateRegistries: two Metrics (two Hanko values) never share a
// count.
func TestSeparateRegistries(t *testing.T) {
	t.Parallel()
	a, b := metrics.New(metrics.Config{}), metrics.New(metrics.Config{})
	if a.Registry() == b.Registry() {
		t.Fatal("two Metrics share a registry")
	}
	a.ObserveRequest("public", "GET", "GET /me", 200, time.Millisecond)
	a.WebhookDelivered(events.UserCreate, true)
	if n, _ := testutil.GatherAndCount(b.Registry(), "hanko_http_requests_total", "hanko_webhook_deliveries_total"); n != 0 {
		t.Fatalf("b sees %d series of a", n)
	}
	if n, _ := testutil.GatherAndCount(a.Registry(), "hanko_http_requests_total", "hanko_webhook_deliveries_total"); n != 2 {
		t.Fatalf("a has %d series, want 2", n)
	}
}

func TestNilMetricsRecordsNothing(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	m.ObserveRequest("public", "GET", "", 200, 0)
	m.WebhookDelivered(events.UserCreate, true)
	m.SetOutboxDepthFunc(nil)
	if err := m.Emit(t.Context(), events.Event{Audit: events.PasswordLoginSucceeded}); err != nil {
		t.Fatal(err)
	}
}

func TestNamespace(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{Namespace: "auth"})
	m.ObserveRequest("public", "GET", "GET /me", 200, time.Millisecond)
	if n, _ := testutil.GatherAndCount(m.Registry(), "auth_http_requests_total"); n != 1 {
		t.Fatalf("%d series named auth_http_requests_total", n)
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	m := metrics.New(metrics.Config{})
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveRequest("public", "GET", "GET /users/{id}", 200, time.Millisecond)
	}
}
