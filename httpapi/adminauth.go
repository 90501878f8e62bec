package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// requireAPIKey guards the admin API when Settings.AdminAPIKeys is set:
// every request except the health probes needs "Authorization: Bearer
// <key>" naming one of the keys. The presented key is compared with every
// key, all of them hashed first so neither the length nor the position of a
// match shows in the timing.
func (a *api) requireAPIKey(next http.Handler) http.Handler {
	if len(a.d.Settings.AdminAPIKeys) == 0 {
		return next
	}
	sums := make([][sha256.Size]byte, len(a.d.Settings.AdminAPIKeys))
	for i, k := range a.d.Settings.AdminAPIKeys {
		sums[i] = sha256.Sum256([]byte(k))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health/alive" || r.URL.Path == "/health/ready" {
			next.ServeHTTP(w, r)
			return
		}
		tok, ok := bearer(r.Header.Get("Authorization"))
		got := sha256.Sum256([]byte(tok))
		match := 0
		for i := range sums {
			match |= subtle.ConstantTimeCompare(got[:], sums[i][:])
		}
		if !ok || match != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeJSON(w, http.StatusUnauthorized, errorBody{Code: http.StatusUnauthorized, Message: http.StatusText(http.StatusUnauthorized)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearer returns the token of an "Authorization: Bearer <token>" value; the
// scheme is case-insensitive (RFC 7235).
func bearer(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(scheme):])
	return tok, tok != ""
}
