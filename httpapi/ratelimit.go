package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/ratelimit"
)

// Limits are the rate limiters of the legacy routes; a nil Limiter leaves
// its routes unlimited.
type Limits struct {
	// Passcode limits POST /passcode/login/initialize per user and client
	// IP (rate_limiter.passcode_limits).
	Passcode ratelimit.Limiter
	// Password limits POST /password/login per user and client IP
	// (rate_limiter.password_limits).
	Password ratelimit.Limiter
}

// errTooManyRequests is the 429 of a refused rate limit.
var errTooManyRequests error = &httpError{status: http.StatusTooManyRequests, msg: http.StatusText(http.StatusTooManyRequests)}

// limit takes a token for prefix/uid/client-IP from l. It sets the
// X-RateLimit-* headers and, when refused, Retry-After, and returns
// errTooManyRequests. A nil l allows everything and sets no header.
func (a *api) limit(w http.ResponseWriter, r *http.Request, l ratelimit.Limiter, prefix string, uid uuid.UUID) error {
	if l == nil {
		return nil
	}
	res, err := l.Allow(r.Context(), prefix+"/"+uid.String()+"/"+clientIPString(r))
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(res.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(res.Remaining))
	h.Set("X-RateLimit-Reset", ceilSeconds(res.Reset))
	if !res.Allowed {
		h.Set("Retry-After", ceilSeconds(res.RetryAfter))
		return errTooManyRequests
	}
	return nil
}

// ceilSeconds formats d as whole seconds, rounded up.
func ceilSeconds(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10)
}
