package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// openRedirectSeeds are redirect_to (and Referer) values that try to leave
// the allow-list.
var openRedirectSeeds = []string{
	"https://app.example.com/ok",
	"https://x.trusted.example.org",
	"//evil.com",
	"///evil.com",
	"https://evil.com",
	"https://evil.com@app.example.com",
	"https://app.example.com@evil.com",
	"https://app.example.com.evil.com",
	"https://evil.com/https://app.example.com/",
	"https://evil.com?.trusted.example.org",
	"https://evil.com#.trusted.example.org",
	"https://a.b.trusted.example.org",
	"javascript:alert(1)",
	"javascript://app.example.com/%0Aalert(1)",
	"JaVaScRiPt:alert(1)",
	"data:text/html;base64,PHNjcmlwdD4=",
	`https:\\evil.com`,
	`https://app.example.com\@evil.com`,
	`/\evil.com`,
	"https://evil.com%2F.trusted.example.org",
	"https://evil.com%40app.example.com",
	"https%3A%2F%2Fevil.com",
	"https://аpp.example.com",               // Cyrillic а
	"https://app.example.com\u3002evil.com", // ideographic full stop
	"https://app.example.com\r\nLocation: https://evil.com",
	"\thttps://evil.com",
	"http://app.example.com",
	"https://app.example.com:443@evil.com",
	"https://[::1]/",
	"",
}

// checkLocation asserts that a redirect stays on an allowed host or goes
// to the configured error URL; it does its own parsing rather than reuse
// the code under test.
func checkLocation(t *testing.T, loc, fakeURL string) {
	t.Helper()
	if loc == "" {
		t.Fatal("redirect without Location")
	}
	if strings.HasPrefix(loc, tpErrorURL+"?") || strings.HasPrefix(loc, fakeURL+"/authorize?") {
		return
	}
	if strings.ContainsAny(loc, "\\\r\n\t @") || strings.HasPrefix(loc, "//") {
		t.Fatalf("Location %q has characters browsers read differently", loc)
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "https" || u.User != nil {
		t.Fatalf("Location %q is not an https URL without user info", loc)
	}
	switch {
	case u.Host == "app.example.com":
	case strings.HasSuffix(u.Host, ".trusted.example.org") && !strings.Contains(strings.TrimSuffix(u.Host, ".trusted.example.org"), ".") &&
		(u.Path == "" || u.Path == "/"):
	default:
		t.Fatalf("redirected outside the allow-list: %q", loc)
	}
}

// assertNoOpenRedirect starts a login with redirectTo (sent also as the
// Referer) and, when the provider is reached, finishes it; every Location
// on the way must pass checkLocation.
func assertNoOpenRedirect(t *testing.T, e *tpEnv, redirectTo string) {
	t.Helper()
	rec := e.begin(t, "acme", redirectTo, "Referer", redirectTo)
	if rec.Code != http.StatusTemporaryRedirect {
		t.Fatalf("GET /thirdparty/auth = %d, want 307", rec.Code)
	}
	loc := rec.Header().Get("Location")
	checkLocation(t, loc, e.fake.Server.URL)
	if !strings.HasPrefix(loc, e.fake.Server.URL) {
		return
	}
	cb, _ := url.Parse(e.fake.Approve(t, loc))
	c := stateCookieOf(t, rec)
	done := do(t, e.public, "GET", cb.Path+"?"+cb.RawQuery, "", "Cookie", "hanko_thirdparty_state="+c.Value)
	if done.Code != http.StatusTemporaryRedirect {
		t.Fatalf("callback = %d", done.Code)
	}
	checkLocation(t, done.Header().Get("Location"), e.fake.Server.URL)
}

func TestThirdPartyNoOpenRedirect(t *testing.T) {
	e := newTPEnv(t)
	for _, s := range openRedirectSeeds {
		t.Run(s, func(t *testing.T) { assertNoOpenRedirect(t, e, s) })
	}
	// The allowed ones do reach the provider; the others the error URL.
	for target, wantProvider := range map[string]bool{
		"https://app.example.com/ok": true, "https://x.trusted.example.org": true,
		"https://evil.com": false, "//evil.com": false, "https://evil.com@app.example.com": false,
	} {
		loc := e.begin(t, "acme", target).Header().Get("Location")
		if got := strings.HasPrefix(loc, e.fake.Server.URL); got != wantProvider {
			t.Errorf("redirect_to %q led to %q", target, loc)
		}
	}
	// An allowed Referer receives the error; any other gets the error URL.
	loc := e.begin(t, "nope", tpAppURL, "Referer", "https://app.example.com/login").Header().Get("Location")
	if !strings.HasPrefix(loc, "https://app.example.com/login?error=invalid_request") {
		t.Errorf("unknown provider with an allowed Referer went to %q", loc)
	}
	loc = e.begin(t, "nope", tpAppURL, "Referer", "https://evil.com/").Header().Get("Location")
	if !strings.HasPrefix(loc, tpErrorURL+"?error=invalid_request") {
		t.Errorf("unknown provider with a foreign Referer went to %q", loc)
	}
}

func FuzzThirdPartyRedirectTo(f *testing.F) {
	for _, s := range openRedirectSeeds {
		f.Add(s)
	}
	e := newTPEnv(f) // one environment for the whole run
	f.Fuzz(func(t *testing.T, redirectTo string) {
		assertNoOpenRedirect(t, e, redirectTo)
	})
}
