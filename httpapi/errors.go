package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/hanko-go/hanko/autherr"
)

// statusOf is the one place where error kinds become HTTP statuses.
var statusOf = map[autherr.Kind]int{
	autherr.Internal:        http.StatusInternalServerError,
	autherr.Invalid:         http.StatusBadRequest,
	autherr.Unauthenticated: http.StatusUnauthorized,
	autherr.Forbidden:       http.StatusForbidden,
	autherr.NotFound:        http.StatusNotFound,
	autherr.Expired:         http.StatusRequestTimeout,
	autherr.Conflict:        http.StatusConflict,
	autherr.Gone:            http.StatusGone,
	autherr.TooLarge:        http.StatusRequestEntityTooLarge,
	autherr.Unprocessable:   http.StatusUnprocessableEntity,
	autherr.TooManyRequests: http.StatusTooManyRequests,
	autherr.Unavailable:     http.StatusServiceUnavailable,
}

// errorBody is Hanko's error shape.
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// writeError answers with the status of err's kind and Hanko's error body.
// Messages of known errors are shown; any 5xx is logged with its cause and
// the request ID, and the client sees only the generic status text.
func (a *api) writeError(w http.ResponseWriter, r *http.Request, err error) {
	kind := autherr.KindOf(err)
	status := statusOf[kind]
	msg := autherr.Message(err)
	var he *httpError
	if errors.As(err, &he) {
		status, msg = he.status, he.msg
	}
	if status >= 500 {
		a.log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", requestID(r.Context())),
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Any("error", err))
		msg = ""
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	writeJSON(w, status, errorBody{Code: status, Message: msg})
}

// httpError is an error that names its status directly; the HTTP layer uses
// it for failures that belong to HTTP itself (a body too large, a bad query
// parameter), never for business rules.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error { return &httpError{status: http.StatusBadRequest, msg: msg} }
