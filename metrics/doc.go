// Package metrics is hanko's Prometheus instrumentation. Each Metrics has a
// registry of its own (never the global default one), so two Hanko values
// in one process count separately.
//
// What it counts:
//
//	hanko_http_requests_total{api,method,route,code}       requests, by route pattern (never the raw path)
//	hanko_http_request_duration_seconds{api,method,route}  latency histogram
//	hanko_logins_total{method,result}                       logins: password, passcode, passkey, thirdparty, token; success or failure
//	hanko_webhook_deliveries_total{event,result}            webhook delivery attempts
//	hanko_webhook_outbox_depth                              webhook events waiting for delivery
//	go_*, process_*                                         the Go runtime and the process
//
// The HTTP layer reports requests (ObserveRequest) through its middleware;
// logins are derived from the audit types of events, as Metrics is an
// events.Emitter combined with the others by events.Multi; the webhook
// dispatcher reports deliveries (WebhookDelivered) and the outbox depth
// (SetOutboxDepthFunc). Handler serves the text exposition format, which
// the admin API mounts at GET /metrics:
//
//	m := metrics.New(metrics.Config{})
//	adminMux.Handle("GET /metrics", m.Handler())
package metrics
