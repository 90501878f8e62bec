package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/ratelimit"
)

// Limits are the rate limiters of the legacy routes; a nil Limiter leaves
// its routes unlimited. Keys are "<route path>/<user id>/<client ip>", as in
// Hanko; the client IP comes from forwarding headers only behind trusted
// proxies, so a spoofed X-Forwarded-For does not open a new bucket.
type Limits struct {
	// Passcode limits POST /passcode/login/initialize per user and client
	// IP (rate_limiter.passcode_limits).
	Passcode ratelimit.Limiter
	// Password limits POST /password/login per user and client IP
	// (rate_limiter.password_limits).
	Password ratelimit.Limiter
	// Token limits POST /token per client IP, with the nil UUID in the
	// user's place: key "/token/00000000-0000-0000-0000-000000000000/<ip>"
	// (rate_limiter.token_limits).
	Token ratelimit.Limiter
	// OTP is rate_limiter.otp_limits, for TOTP code validation (Hanko's
	// flow action otp_code_validate, key "otp/<ip>/<user id>"). No route
	// uses it yet; it is built and held here for the MFA routes.
	OTP ratelimit.Limiter
}

// errLimiterUnavailable is the 503 of a limiter that could not decide.
var errLimiterUnavailable = &httpError{status: http.StatusServiceUnavailable, msg: http.StatusText(http.StatusServiceUnavailable)}

// errTooManyRequests is the 429 of a refused rate limit.
var errTooManyRequests error = &httpError{status: http.StatusTooManyRequests, msg: http.StatusText(http.StatusTooManyRequests)}

// limit takes a token for prefix/uid/client-IP from l. It sets the
// X-RateLimit-* headers and, when refused, Retry-After, and returns
// errTooManyRequests. A nil l allows everything and sets no header.
//
// A limiter that fails (its Redis or database is down) fails closed: the
// request is refused with 503, and writeError logs the cause. Letting
// requests through unlimited would hand a password guesser or a mail bomber
// whatever outage they can cause; refusing costs availability only while
// the store is down.
func (a *api) limit(w http.ResponseWriter, r *http.Request, l ratelimit.Limiter, prefix string, uid uuid.UUID) error {
	if l == nil {
		return nil
	}
	res, err := l.Allow(r.Context(), prefix+"/"+uid.String()+"/"+clientIPString(r))
	if err != nil {
		return fmt.Errorf("%w: rate limiter: %w", errLimiterUnavailable, err)
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
