package session

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Cookie is the session cookie's configuration (session.cookie.*).
type Cookie struct {
	Name     string // [hanko]
	Domain   string // host-only when empty
	HTTPOnly bool
	SameSite string // strict, lax or none; anything else leaves the browser's default
	Secure   bool
}

// WriteToken hands an issued session to the client as the reference does:
// X-Session-Lifetime (seconds) always, then either X-Auth-Token (with
// session.enable_auth_token_header) or the session cookie, never both.
func (m *Manager) WriteToken(w http.ResponseWriter, t Token) {
	// Counted from issuance, so a fresh session reports exactly the
	// configured lifespan, as the reference does.
	lifetime := max(int(t.ExpiresAt.Sub(t.Claims.IssuedAt).Seconds()), 0)
	w.Header().Set("X-Session-Lifetime", strconv.Itoa(lifetime))
	if m.cfg.AuthTokenHeader {
		w.Header().Set("X-Auth-Token", t.Value)
		return
	}
	http.SetCookie(w, m.cookie(t.Value, lifetime))
}

// ClearToken expires the session cookie in the client.
func (m *Manager) ClearToken(w http.ResponseWriter) {
	http.SetCookie(w, m.cookie("", -1))
}

func (m *Manager) cookie(value string, maxAge int) *http.Cookie {
	c := &http.Cookie{
		Name: m.cfg.Cookie.Name, Value: value, Path: "/", Domain: m.cfg.Cookie.Domain,
		HttpOnly: m.cfg.Cookie.HTTPOnly, Secure: m.cfg.Cookie.Secure, MaxAge: maxAge,
	}
	switch strings.ToLower(m.cfg.Cookie.SameSite) {
	case "strict":
		c.SameSite = http.SameSiteStrictMode
	case "lax":
		c.SameSite = http.SameSiteLaxMode
	case "none":
		c.SameSite = http.SameSiteNoneMode
	default:
		c.SameSite = http.SameSiteDefaultMode
	}
	return c
}

// TokenFromRequest returns the session token of a request: from
// "Authorization: Bearer", else from the session cookie; "" when neither.
func (m *Manager) TokenFromRequest(r *http.Request) string {
	return tokenFromRequest(r, m.cfg.Cookie.Name)
}

// tokenFromRequest reads a Bearer token, else the named cookie.
func tokenFromRequest(r *http.Request, cookie string) string {
	if ts := tokensFromRequest(r, cookie); len(ts) > 0 {
		return ts[0]
	}
	return ""
}

// maxCandidates bounds the tokens one request may have checked: each new
// one costs a signature verification.
const maxCandidates = 3

// tokensFromRequest lists the session tokens a request carries, in the
// order they are tried: the Bearer token, then every cookie of the name
// (browsers keep two after a change of session.cookie.domain).
func tokensFromRequest(r *http.Request, cookie string) []string {
	var ts []string
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		ts = append(ts, strings.TrimSpace(h[7:]))
	}
	for _, c := range r.CookiesNamed(cookie) {
		if len(ts) == maxCandidates {
			break
		}
		if c.Value != "" {
			ts = append(ts, c.Value)
		}
	}
	return ts
}

type claimsKey struct{}

// NewContext returns ctx carrying a verified session's claims.
func NewContext(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the claims RequireSession verified for the request.
func FromContext(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(Claims)
	return c, ok
}

// RequireSession lets a request through only with a valid session token
// (the Bearer header, else each session cookie, the first valid one wins),
// putting its claims in the request context (FromContext). Otherwise it
// answers 401 with Hanko's error body and does not call next.
func (m *Manager) RequireSession(next http.Handler) http.Handler {
	return requireSession(m.cfg.Cookie.Name, m.Verify, next)
}

// requireSession is RequireSession for any verifier.
func requireSession(cookie string, verify func(context.Context, string) (Claims, error), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, tok := range tokensFromRequest(r, cookie) {
			if c, err := verify(r.Context(), tok); err == nil {
				next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
				return
			}
		}
		unauthorized(w)
	})
}

const unauthorizedBody = `{"code":401,"message":"Unauthorized"}` + "\n"

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, unauthorizedBody)
}
