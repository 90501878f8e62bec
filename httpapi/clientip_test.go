package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func mustPrefixes(t testing.TB, ss ...string) []netip.Prefix {
	t.Helper()
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	trusted := mustPrefixes(t, "10.0.0.0/8", "192.0.2.1/32", "fd00::/8")
	for _, tt := range []struct {
		name    string
		peer    string
		xff     []string
		realIP  string
		trusted []netip.Prefix
		want    string
	}{
		{name: "no proxies configured", peer: "203.0.113.7:5555", xff: []string{"198.51.100.1"}, want: "203.0.113.7"},
		{name: "untrusted peer with spoofed XFF", peer: "203.0.113.7:5555", xff: []string{"198.51.100.1"}, trusted: trusted, want: "203.0.113.7"},
		{name: "untrusted peer with spoofed X-Real-IP", peer: "203.0.113.7:5555", realIP: "198.51.100.1", trusted: trusted, want: "203.0.113.7"},
		{name: "trusted proxy", peer: "10.1.2.3:443", xff: []string{"198.51.100.1"}, trusted: trusted, want: "198.51.100.1"},
		{name: "trusted proxy without headers", peer: "10.1.2.3:443", trusted: trusted, want: "10.1.2.3"},
		{name: "client spoofs left of the real hop", peer: "10.1.2.3:443", xff: []string{"1.1.1.1, 198.51.100.1"}, trusted: trusted, want: "198.51.100.1"},
		{name: "chain of trusted proxies", peer: "10.1.2.3:443", xff: []string{"1.1.1.1, 198.51.100.1, 10.9.9.9, 192.0.2.1"}, trusted: trusted, want: "198.51.100.1"},
		{name: "chain across header lines", peer: "10.1.2.3:443", xff: []string{"198.51.100.1", "10.9.9.9"}, trusted: trusted, want: "198.51.100.1"},
		{name: "all-trusted chain takes the leftmost", peer: "10.1.2.3:443", xff: []string{"10.0.0.1, 10.0.0.2"}, trusted: trusted, want: "10.0.0.1"},
		{name: "garbage XFF", peer: "10.1.2.3:443", xff: []string{"not an ip"}, trusted: trusted, want: "10.1.2.3"},
		{name: "garbage hop left of a trusted one", peer: "10.1.2.3:443", xff: []string{"junk, 10.0.0.9"}, trusted: trusted, want: "10.1.2.3"},
		{name: "empty hops are skipped", peer: "10.1.2.3:443", xff: []string{"198.51.100.1, , "}, trusted: trusted, want: "198.51.100.1"},
		{name: "hop with port", peer: "10.1.2.3:443", xff: []string{"198.51.100.1:4711"}, trusted: trusted, want: "198.51.100.1"},
		{name: "IPv6 peer and client", peer: "[fd00::1]:443", xff: []string{"2001:db8::7"}, trusted: trusted, want: "2001:db8::7"},
		{name: "bracketed IPv6 hop with port", peer: "[fd00::1]:443", xff: []string{"[2001:db8::7]:1234"}, trusted: trusted, want: "2001:db8::7"},
		{name: "untrusted IPv6 peer", peer: "[2001:db8::1]:443", xff: []string{"198.51.100.1"}, trusted: trusted, want: "2001:db8::1"},
		{name: "IPv4-mapped peer", peer: "[::ffff:10.1.2.3]:443", xff: []string{"198.51.100.1"}, trusted: trusted, want: "198.51.100.1"},
		{name: "X-Real-IP from a trusted peer", peer: "10.1.2.3:443", realIP: "198.51.100.1", trusted: trusted, want: "198.51.100.1"},
		{name: "XFF wins over X-Real-IP", peer: "10.1.2.3:443", xff: []string{"198.51.100.2"}, realIP: "198.51.100.1", trusted: trusted, want: "198.51.100.2"},
		{name: "garbage X-Real-IP", peer: "10.1.2.3:443", realIP: "nope", trusted: trusted, want: "10.1.2.3"},
		{name: "unparsable peer", peer: "@", xff: []string{"198.51.100.1"}, trusted: trusted, want: "invalid IP"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tt.realIP != "" {
				r.Header.Set("X-Real-IP", tt.realIP)
			}
			if got := clientIP(r, tt.trusted).String(); got != tt.want {
				t.Errorf("clientIP = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestClientIPTooManyHops(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:1"
	for range maxForwardedHops + 1 {
		r.Header.Add("X-Forwarded-For", "10.0.0.2")
	}
	if got := clientIP(r, mustPrefixes(t, "10.0.0.0/8")); got != netip.MustParseAddr("10.0.0.1") {
		t.Fatalf("clientIP = %s, want the peer", got)
	}
}

func TestAccessLogHasClientIP(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	a := newAPI(Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Settings: Settings{TrustedProxies: mustPrefixes(t, "10.0.0.0/8")}})
	var inHandler netip.Addr
	h := a.withRequestID(a.withClientIP(a.accessLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inHandler = ClientIP(r.Context())
	}))))
	r := httptest.NewRequest("GET", "/x", nil)
	r.RemoteAddr = "10.0.0.1:1"
	r.Header.Set("X-Forwarded-For", "198.51.100.1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	if inHandler.String() != "198.51.100.1" {
		t.Errorf("ClientIP in handler = %s", inHandler)
	}
	var line struct {
		ClientIP   string `json:"client_ip"`
		RemoteAddr string `json:"remote_addr"`
	}
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("log line: %v: %s", err, logs.String())
	}
	if line.ClientIP != "198.51.100.1" || line.RemoteAddr != "10.0.0.1:1" {
		t.Errorf("log line: %+v", line)
	}
}

// FuzzClientIP feeds arbitrary peers and headers to clientIP: it never
// panics, and the answer is the peer unless the peer is trusted.
func FuzzClientIP(f *testing.F) {
	for _, s := range [][3]string{
		{"10.0.0.1:1", "198.51.100.1", ""},
		{"10.0.0.1:1", "1.1.1.1, 198.51.100.1, 10.0.0.2", ""},
		{"[fd00::1]:443", "[2001:db8::1]:80, fd00::2", ""},
		{"10.0.0.1:1", "", "198.51.100.1"},
		{"203.0.113.7:5555", "198.51.100.1", "198.51.100.2"},
		{"10.0.0.1:1", ",,,,", "[::1"},
		{"@", "fe80::1%eth0", "::ffff:10.0.0.1"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	trusted := mustPrefixes(f, "10.0.0.0/8", "fd00::/8")
	f.Fuzz(func(t *testing.T, peer, xff, realIP string) {
		r := &http.Request{RemoteAddr: peer, Header: http.Header{}}
		r.Header.Set("X-Forwarded-For", xff)
		r.Header.Set("X-Real-IP", realIP)
		got := clientIP(r, trusted)
		p := parseAddr(peer)
		if !p.IsValid() || !isTrusted(p, trusted) {
			if got != p {
				t.Fatalf("untrusted peer %q: got %s", peer, got)
			}
			return
		}
		if !got.IsValid() {
			t.Fatalf("trusted peer %q gave an invalid address", peer)
		}
		if got.Zone() != "" || got.Is4In6() {
			t.Fatalf("address not normalized: %s", got)
		}
	})
}
