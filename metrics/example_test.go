package metrics_test

import (
	"bufio"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/metrics"
)

// ExampleNew counts requests by route pattern (the HTTP layer reports them)
// and webhook deliveries, and serves them in Prometheus' text format.
func ExampleNew() {
	m := metrics.New(metrics.Config{})
	m.ObserveRequest("public", "GET", "GET /users/{id}", 200, 3*time.Millisecond)
	m.ObserveRequest("public", "GET", "", 404, time.Millisecond) // no route matched
	m.WebhookDelivered(events.UserCreate, true)

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "hanko_http_requests_total") || strings.HasPrefix(line, "hanko_webhook_deliveries_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// hanko_http_requests_total{api="public",code="200",method="GET",route="/users/{id}"} 1
	// hanko_http_requests_total{api="public",code="404",method="GET",route="unmatched"} 1
	// hanko_webhook_deliveries_total{event="user.create",result="success"} 1
}
