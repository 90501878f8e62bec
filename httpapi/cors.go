package httpapi

import (
	"net/http"
	"strconv"
	"strings"
)

// CORS configures cross-origin access to the public API
// (server.public.cors). The zero value allows no origin.
type CORS struct {
	// AllowOrigins are exact origins or globs where '*' matches any run of
	// characters and '?' one character ("https://*.example.com"). A lone
	// "*" is honoured only with UnsafeWildcardOriginAllowed.
	AllowOrigins []string
	// UnsafeWildcardOriginAllowed lets "*" allow every origin, with
	// credentials. Never do this in production.
	UnsafeWildcardOriginAllowed bool
	// ExposeHeaders are the response headers scripts may read.
	ExposeHeaders []string
}

const corsMaxAge = 7200 // seconds, as the reference

// cors answers preflight requests and marks allowed cross-origin responses.
// Allowed origins are echoed back (never "*") with credentials allowed, as
// the browser SDK sends cookies; every response varies by Origin.
func (c CORS) handler(next http.Handler) http.Handler {
	expose := strings.Join(c.ExposeHeaders, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		// Every OPTIONS request is answered here with 204, as the reference
		// does; only a real preflight from an allowed origin gets the
		// Access-Control-Allow-* grants.
		preflight := r.Method == http.MethodOptions
		h := w.Header()
		h.Add("Vary", "Origin")
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
		}
		allowed := origin != "" && c.allows(origin)
		if allowed {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if !preflight {
			if allowed && expose != "" {
				h.Set("Access-Control-Expose-Headers", expose)
			}
			next.ServeHTTP(w, r)
			return
		}
		if allowed && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, PATCH, POST, DELETE")
			if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
				h.Set("Access-Control-Allow-Headers", req)
			}
			h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func (c CORS) allows(origin string) bool {
	for _, pattern := range c.AllowOrigins {
		if pattern == "*" {
			if c.UnsafeWildcardOriginAllowed {
				return true
			}
			continue
		}
		if globMatch(strings.ToLower(pattern), strings.ToLower(origin)) {
			return true
		}
	}
	return false
}

// globMatch reports whether s matches pattern, where '*' matches any run of
// characters (including none) and '?' exactly one. It runs in
// O(len(pattern)*len(s)) at worst, without recursion.
func globMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
