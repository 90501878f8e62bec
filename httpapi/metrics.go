package httpapi

import (
	"net/http"
)

// instrument reports every request to Deps.Metrics: the ServeMux pattern
// that served it (never the raw path, so random paths add no series), its
// status and latency. It sits inside accessLog, so that a panic, which
// accessLog turns into a 500, is counted as one. Without Metrics it is
// not installed at all.
func (a *api) instrument(name string, next http.Handler) http.Handler {
	m := a.d.Metrics
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := a.now()
		rec := &statusRecorder{ResponseWriter: w}
		finished := false
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK // nothing written: net/http sends 200
				if !finished {
					status = http.StatusInternalServerError // panicking
				}
			}
			// The mux set r.Pattern on this very request when a route
			// matched; it is "" for 404s, 405s and preflights.
			m.ObserveRequest(name, r.Method, r.Pattern, status, a.now().Sub(start))
		}()
		next.ServeHTTP(rec, r)
		finished = true
	})
}

// metricsRoute serves GET /metrics on the admin API when Deps.Metrics is
// set. Its access log lines obey Settings.LogHealth.
func (a *api) metricsRoute(mux *http.ServeMux) {
	if a.d.Metrics != nil {
		mux.Handle("GET /metrics", a.d.Metrics.Handler())
	}
}
