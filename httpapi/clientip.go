package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/hanko-go/hanko/events"
)

// maxForwardedHops bounds the X-Forwarded-For entries examined, so a huge
// header costs no more than a normal one.
const maxForwardedHops = 32

// clientIP returns the address of the client that sent r. It is the socket
// peer (r.RemoteAddr) unless the peer is one of the trusted proxies; then
// X-Forwarded-For is read from the right, trusted hops are skipped, and the
// first untrusted address is the client. When every hop is trusted, the
// leftmost is taken. X-Real-IP is used only from a trusted peer without
// X-Forwarded-For. Malformed values fall back to the peer. The zero Addr
// means the peer address itself did not parse (a test request, a Unix
// socket).
func clientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := parseAddr(r.RemoteAddr)
	if !peer.IsValid() || !isTrusted(peer, trusted) {
		return peer
	}
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		return fromForwarded(xff, peer, trusted)
	}
	if real := r.Header.Get("X-Real-IP"); real != "" {
		if a := parseAddr(real); a.IsValid() {
			return a
		}
	}
	return peer
}

// fromForwarded walks the X-Forwarded-For header lines (possibly several,
// each a comma-separated list) from the right. A malformed hop ends the
// walk: what lies left of it cannot be attributed, so the peer is returned.
func fromForwarded(lines []string, peer netip.Addr, trusted []netip.Prefix) netip.Addr {
	last := peer
	hops := 0
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for rest != "" {
			var hop string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				hop, rest = rest[j+1:], rest[:j]
			} else {
				hop, rest = rest, ""
			}
			hop = strings.TrimSpace(hop)
			if hop == "" {
				continue // "a, , b" or a trailing comma
			}
			if hops++; hops > maxForwardedHops {
				return peer
			}
			a := parseAddr(hop)
			if !a.IsValid() {
				return peer
			}
			if !isTrusted(a, trusted) {
				return a
			}
			last = a
		}
	}
	return last
}

// parseAddr parses an address as it appears in RemoteAddr or a forwarding
// header: "ip", "ip:port", "[ipv6]" or "[ipv6]:port". IPv4-mapped IPv6
// addresses become IPv4, zones are dropped. It returns the zero Addr for
// anything else.
func parseAddr(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if len(s) > 64 { // longer than any address with port and zone
		return netip.Addr{}
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap()
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.WithZone("").Unmap()
		}
		return netip.Addr{}
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.WithZone("").Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

type clientIPKey struct{}

// ClientIP returns the client address the HTTP layer determined for the
// request (see Settings.TrustedProxies), or the zero Addr outside a request.
func ClientIP(ctx context.Context) netip.Addr {
	a, _ := ctx.Value(clientIPKey{}).(netip.Addr)
	return a
}

// withClientIP puts the client address, and the events.Meta that audit
// records take from the request, into the request context. It runs inside
// withRequestID.
func (a *api) withClientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientIPKey{}, clientIP(r, a.trusted))
		r = r.WithContext(ctx)
		ctx = events.WithMeta(ctx, events.Meta{
			RequestID: requestID(ctx), SourceIP: clientIPString(r), UserAgent: r.UserAgent(),
		})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientIPString is the request's client address for logs and session
// rows; the raw RemoteAddr when it is not an IP address.
func clientIPString(r *http.Request) string {
	if ip := ClientIP(r.Context()); ip.IsValid() {
		return ip.String()
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
