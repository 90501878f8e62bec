package thirdparty

import (
	"strings"
	"testing"
)

func TestRedirectMatcher(t *testing.T) {
	m, err := newRedirectMatcher([]string{"https://app.example.com/**", "https://*.trusted.example.org/", "http://localhost:8888"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   string
		want string // canonical form; "" = refused
	}{
		{"https://app.example.com", "https://app.example.com"},
		{"https://app.example.com/", "https://app.example.com"},
		{"https://app.example.com/a/b?x=1", "https://app.example.com/a/b?x=1"},
		{"HTTPS://APP.example.com/x", "https://app.example.com/x"},
		{"https://a.trusted.example.org", "https://a.trusted.example.org"},
		{"http://localhost:8888", "http://localhost:8888"},
		{"https://a.b.trusted.example.org", ""},
		{"https://trusted.example.org", ""},
		{"https://a.trusted.example.org/path", ""},
		{"http://localhost:8889", ""},
		{"//evil.com", ""},
		{"https://evil.com", ""},
		{"https://evil.com@app.example.com", ""},
		{"https://app.example.com@evil.com", ""},
		{"https://app.example.com.evil.com", ""},
		{"https://evil.com/app.example.com", ""},
		{"https://evil.com?.trusted.example.org/", ""},
		{"https://evil.com#.trusted.example.org/", ""},
		{"http://app.example.com", ""},
		{"javascript:alert(1)", ""},
		{"javascript://app.example.com/%0aalert(1)", ""},
		{"data:text/html,<script>", ""},
		{`https:\\evil.com`, ""},
		{`https://app.example.com\@evil.com`, ""},
		{"https://evil.com%2F.trusted.example.org", ""},
		{"https://evil.com%40app.example.com", ""},
		{"https://аpp.example.com", ""}, // Cyrillic а
		{" https://app.example.com", ""},
		{"https://app.example.com/\r\nSet-Cookie:x", ""},
		{"/relative", ""},
		{"", ""},
	} {
		got, ok := m.allowed(tc.in)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("allowed(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
}

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{"https://app.example.com/x", "//evil.com", "https://a@b", "https://[::1]:80/", "http://x.y/%2e%2e/"} {
		f.Add(s)
	}
	m, _ := newRedirectMatcher([]string{"https://app.example.com/**"})
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := m.allowed(s)
		if !ok {
			return
		}
		// An allowed target is canonical (idempotent) and stays on the host.
		if again, ok2 := m.allowed(c); !ok2 || again != c {
			t.Fatalf("canonical %q of %q is not stable: %q %v", c, s, again, ok2)
		}
		if c != "https://app.example.com" && !strings.HasPrefix(c, "https://app.example.com/") &&
			!strings.HasPrefix(c, "https://app.example.com?") && !strings.HasPrefix(c, "https://app.example.com#") {
			t.Fatalf("%q allowed as %q", s, c)
		}
	})
}
