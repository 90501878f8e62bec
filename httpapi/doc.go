// Package httpapi is hanko's HTTP layer: the public API that browsers and
// Hanko's SDK call, and the admin API for trusted back-ends, both
// wire-compatible with the Hanko backend v1.2.1.
//
// Handlers decode and validate the request, call one feature method and
// encode the answer; they hold no SQL and no business rules. Errors from the
// features are mapped to statuses in one place (errors.go) and written as
// {"code": <status>, "message": "..."}. Every request gets an X-Request-Id,
// one access-log line through slog and panic recovery; the public API also
// answers CORS per server.public.cors.
//
// Routes are relative: hosts mount the handlers under any prefix with
// http.StripPrefix.
package httpapi
