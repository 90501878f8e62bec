package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/metrics"
	"github.com/hanko-go/hanko/users"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// withMetrics instruments the test API with m.
func withMetrics(m *metrics.Metrics) apiOption {
	return func(_ *users.Config, d *httpapi.Deps) { d.Metrics = m }
}

// send sends a request to a real server and returns status and body.
func send(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&http.Client{}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestMetricsScrape serves both APIs on real servers, sends a mix of
// requests and scrapes GET /metrics: requests are counted by route pattern
// and status; random paths share one "unmatched" series.
func TestMetricsScrape(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{})
	api := newTestAPI(t, withMetrics(m))
	public, admin := httptest.NewServer(api.public), httptest.NewServer(api.admin)
	t.Cleanup(public.Close)
	t.Cleanup(admin.Close)

	for _, r := range []struct {
		method, url string
		want        int
	}{
		{"GET", public.URL + "/health/alive", 200},
		{"GET", public.URL + "/health/alive", 200},
		{"GET", public.URL + "/.well-known/jwks.json", 200},
		{"GET", public.URL + "/users/not-a-uuid", 401},
		{"GET", public.URL + "/no/such/path/1", 404},
		{"GET", public.URL + "/no/such/path/2", 404},
		{"GET", public.URL + "/random-" + strings.Repeat("x", 40), 404},
		{"POST", public.URL + "/health/alive", 405},
		{"GET", admin.URL + "/users", 200},
		{"GET", admin.URL + "/users/2a1e9bbf-7a65-4bd8-9b5f-2f1a0f0b1c11", 404},
	} {
		if got, body := send(t, r.method, r.url); got != r.want {
			t.Fatalf("%s %s = %d %s, want %d", r.method, r.url, got, body, r.want)
		}
	}

	status, body := send(t, "GET", admin.URL+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics = %d", status)
	}
	for _, line := range []string{
		`hanko_http_requests_total{api="public",code="200",method="GET",route="/health/alive"} 2`,
		`hanko_http_requests_total{api="public",code="404",method="GET",route="unmatched"} 3`,
		`hanko_logins_total{method="password",result="success"} 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("scrape lacks %s", line)
		}
	}
	if strings.Contains(body, "/no/such/path") || strings.Contains(body, "random-") || strings.Contains(body, "not-a-uuid") {
		t.Error("a raw path became a label value")
	}

	// The scrape itself is counted once it has answered.
	want := `
# HELP hanko_http_requests_total HTTP requests by API (public, admin), method, route pattern and status code.
# TYPE hanko_http_requests_total counter
hanko_http_requests_total{api="admin",code="200",method="GET",route="/metrics"} 1
hanko_http_requests_total{api="admin",code="200",method="GET",route="/users"} 1
hanko_http_requests_total{api="admin",code="404",method="GET",route="/users/{id}"} 1
hanko_http_requests_total{api="public",code="200",method="GET",route="/.well-known/jwks.json"} 1
hanko_http_requests_total{api="public",code="200",method="GET",route="/health/alive"} 2
hanko_http_requests_total{api="public",code="401",method="GET",route="/users/{id}"} 1
hanko_http_requests_total{api="public",code="404",method="GET",route="unmatched"} 3
hanko_http_requests_total{api="public",code="405",method="POST",route="unmatched"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "hanko_http_requests_total"); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(m.Registry(), "hanko_http_request_duration_seconds"); err != nil || n != 8 {
		t.Fatalf("%d latency series (%v), want one per api, method and route: 8", n, err)
	}
}

// TestMetricsOff: without Deps.Metrics there is no /metrics route.
func TestMetricsOff(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	rec := do(t, api.admin, "GET", "/metrics", "")
	if rec.Code != http.StatusNotFound {
		t.Fatalf("GET /metrics without metrics = %d", rec.Code)
	}
	if rec := do(t, api.public, "GET", "/metrics", ""); rec.Code != http.StatusNotFound {
		t.Fatalf("public GET /metrics = %d", rec.Code)
	}
}

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) paths(t *testing.T) []string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for line := range bytes.SplitSeq(bytes.TrimSpace(b.buf.Bytes()), []byte("\n")) {
		var m struct {
			Msg  string `json:"msg"`
			Path string `json:"path"`
		}
		if len(line) > 0 && json.Unmarshal(line, &m) == nil && m.Msg == "request" {
			out = append(out, m.Path)
		}
	}
	return out
}

// TestMetricsAccessLog: requests to /metrics are access-logged only with
// log.log_health_and_metrics, like /health/*.
func TestMetricsAccessLog(t *testing.T) {
	t.Parallel()
	for _, logThem := range []bool{false, true} {
		logs := &syncBuffer{}
		api := newTestAPI(t, withMetrics(metrics.New(metrics.Config{})), func(_ *users.Config, d *httpapi.Deps) {
			d.Logger = slog.New(slog.NewJSONHandler(logs, nil))
			d.Settings.LogHealth = logThem
		})
		for _, path := range []string{"/metrics", "/health/alive", "/users"} {
			if rec := do(t, api.admin, "GET", path, ""); rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", path, rec.Code)
			}
		}
		want := "[/users]"
		if logThem {
			want = "[/metrics /health/alive /users]"
		}
		if got := logs.paths(t); strings.Join(got, " ") != strings.Trim(want, "[]") {
			t.Errorf("log_health_and_metrics=%t: logged %v, want %s", logThem, got, want)
		}
	}
}

// BenchmarkMetricsMiddleware measures what instrumentation adds to a
// request: the same cheap route with metrics off and on.
func BenchmarkMetricsMiddleware(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []apiOption
	}{
		{"off", nil},
		{"on", []apiOption{withMetrics(metrics.New(metrics.Config{}))}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			api := newTestAPI(b, bc.opts...)
			req := httptest.NewRequest("GET", "/health/alive", nil)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				api.public.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
