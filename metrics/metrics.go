package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config configures Metrics.
type Config struct {
	// Namespace prefixes every hanko metric name. ["hanko", as the
	// reference's Prometheus middleware]
	Namespace string
	// Logger receives scrape errors (a failing outbox depth query).
	// [discard]
	Logger *slog.Logger
	// OutboxTimeout bounds the outbox depth query of one scrape. [5s]
	OutboxTimeout time.Duration
}

// Metrics holds one registry and the collectors hanko feeds. It is safe
// for concurrent use; a nil *Metrics records nothing.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	logins   *prometheus.CounterVec
	webhooks *prometheus.CounterVec
	outbox   *outboxCollector
	handler  http.Handler

	// series caches the request counter and histogram of each label set,
	// so that a request costs one map lookup instead of two label hashes.
	series sync.Map // seriesKey -> *requestSeries
}

// New builds Metrics with a fresh registry holding the hanko metrics and
// the Go runtime and process collectors.
func New(cfg Config) *Metrics {
	if cfg.Namespace == "" {
		cfg.Namespace = "hanko"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OutboxTimeout <= 0 {
		cfg.OutboxTimeout = 5 * time.Second
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: cfg.Namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by API (public, admin), method, route pattern and status code.",
		}, []string{"api", "method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: cfg.Namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request latency by API, method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"api", "method", "route"}),
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: cfg.Namespace, Name: "logins_total",
			Help: "Logins by method (password, passcode, passkey, thirdparty, token) and result (success, failure).",
		}, []string{"method", "result"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: cfg.Namespace, Subsystem: "webhook", Name: "deliveries_total",
			Help: "Webhook delivery attempts by event and result (success, failure).",
		}, []string{"event", "result"}),
		outbox: &outboxCollector{
			desc: prometheus.NewDesc(prometheus.BuildFQName(cfg.Namespace, "webhook", "outbox_depth"),
				"Webhook events waiting in the outbox for delivery.", nil, nil),
			timeout: cfg.OutboxTimeout,
		},
	}
	m.reg.MustRegister(m.requests, m.duration, m.logins, m.webhooks, m.outbox,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Every login series exists from the start, so that rates and alerts
	// work before the first login of a kind.
	for _, method := range loginMethods {
		for _, result := range []string{success, failure} {
			m.logins.WithLabelValues(method, result)
		}
	}
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      errorLog{cfg.Logger},
		ErrorHandling: promhttp.ContinueOnError, // one failing collector must not hide the rest
		Registry:      m.reg,
	})
	return m
}

// Registry returns the registry, for hosts that add their own collectors
// or gather into their own exposition.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' text exposition format.
func (m *Metrics) Handler() http.Handler { return m.handler }

const (
	success = "success"
	failure = "failure"
)

// seriesKey is the label set of one request series. code is kept as an
// int so that the hot path formats nothing when the series exists.
type seriesKey struct {
	api, method, route string
	code               int
}

type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

// ObserveRequest counts one request of api ("public", "admin") and records
// its latency. route is the ServeMux pattern that served it ("GET
// /users/{id}"; its method part is dropped, as method is its own label), or
// "" when no route matched: such requests share the route "unmatched", so
// that random paths cannot create series. Methods outside the standard
// ones count as "OTHER".
func (m *Metrics) ObserveRequest(api, method, route string, code int, d time.Duration) {
	if m == nil {
		return
	}
	k := seriesKey{api: api, method: normMethod(method), route: normRoute(route), code: code}
	s, ok := m.series.Load(k)
	if !ok {
		s, _ = m.series.LoadOrStore(k, &requestSeries{
			count:    m.requests.WithLabelValues(k.api, k.method, k.route, strconv.Itoa(code)),
			duration: m.duration.WithLabelValues(k.api, k.method, k.route),
		})
	}
	rs := s.(*requestSeries)
	rs.count.Inc()
	rs.duration.Observe(d.Seconds())
}

func normMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

func normRoute(pattern string) string {
	if pattern == "" {
		return "unmatched"
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimLeft(pattern[i+1:], " \t")
	}
	return pattern
}

// The login methods, as labels.
const (
	methodPassword   = "password"
	methodPasscode   = "passcode"
	methodPasskey    = "passkey"
	methodThirdParty = "thirdparty"
	methodToken      = "token"
)

var loginMethods = []string{methodPassword, methodPasscode, methodPasskey, methodThirdParty, methodToken}

type login struct{ method, result string }

// logins maps the audit types that end a login to its method and result.
// A third-party login ends in exactly one of sign-up, sign-in or linking.
var logins = map[string]login{
	events.PasswordLoginSucceeded:               {methodPassword, success},
	events.PasswordLoginFailed:                  {methodPassword, failure},
	events.PasscodeLoginFinalSucceeded:          {methodPasscode, success},
	events.PasscodeLoginFinalFailed:             {methodPasscode, failure},
	events.WebauthnAuthenticationFinalSucceeded: {methodPasskey, success},
	events.WebauthnAuthenticationFinalFailed:    {methodPasskey, failure},
	events.ThirdPartySignupSucceeded:            {methodThirdParty, success},
	events.ThirdPartySigninSucceeded:            {methodThirdParty, success},
	events.ThirdPartyLinkingSucceeded:           {methodThirdParty, success},
	events.ThirdPartySigninSignupFailed:         {methodThirdParty, failure},
	events.TokenExchangeSucceeded:               {methodToken, success},
	events.TokenExchangeFailed:                  {methodToken, failure},
}

// flowLoginMethods maps the Flow API's login_method detail to a method.
var flowLoginMethods = map[string]string{
	"password": methodPassword, "passcode": methodPasscode, "passkey": methodPasskey,
	"thirdparty": methodThirdParty, "third_party": methodThirdParty, "token": methodToken,
}

// Emit counts the logins among the events: it never fails. A login counts
// once its transaction commits, like its audit record.
func (m *Metrics) Emit(ctx context.Context, e events.Event) error {
	if m == nil {
		return nil
	}
	l, ok := logins[e.Audit]
	if !ok && (e.Audit == "login_success" || e.Audit == "login_failure") {
		// The Flow API's generic types name the method in the details.
		method, _ := e.Details["login_method"].(string)
		l.method, ok = flowLoginMethods[method]
		l.result = success
		if e.Audit == "login_failure" {
			l.result = failure
		}
	}
	if !ok {
		return nil
	}
	c := m.logins.WithLabelValues(l.method, l.result)
	store.AfterCommit(ctx, c.Inc)
	return nil
}

// WebhookDelivered counts one webhook delivery attempt of event; ok is
// whether the endpoint accepted it. Events outside events.WebhookEvents
// count as "other". It is the webhook dispatcher's OnDelivery hook.
func (m *Metrics) WebhookDelivered(event string, ok bool) {
	if m == nil {
		return
	}
	if !isWebhookEvent(event) {
		event = "other"
	}
	result := success
	if !ok {
		result = failure
	}
	m.webhooks.WithLabelValues(event, result).Inc()
}

func isWebhookEvent(e string) bool {
	for _, w := range events.WebhookEvents {
		if w == e {
			return true
		}
	}
	return false
}

// SetOutboxDepthFunc makes every scrape report f's answer as
// hanko_webhook_outbox_depth (the webhook dispatcher's OutboxDepth). f is
// called with a deadline (Config.OutboxTimeout); when it fails the scrape
// goes on without the gauge and the error is logged. nil removes it.
func (m *Metrics) SetOutboxDepthFunc(f func(ctx context.Context) (int, error)) {
	if m == nil {
		return
	}
	if f == nil {
		m.outbox.depth.Store(nil)
		return
	}
	m.outbox.depth.Store(&f)
}

// outboxCollector asks for the outbox depth at scrape time.
type outboxCollector struct {
	desc    *prometheus.Desc
	timeout time.Duration
	depth   atomic.Pointer[func(ctx context.Context) (int, error)]
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	f := c.depth.Load()
	if f == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	n, err := (*f)(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, fmt.Errorf("webhook outbox depth: %w", err))
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}

// errorLog adapts slog to promhttp's error log.
type errorLog struct{ l *slog.Logger }

func (e errorLog) Println(v ...any) {
	e.l.Warn("metrics scrape", slog.String("error", strings.TrimSuffix(fmt.Sprintln(v...), "\n")))
}
