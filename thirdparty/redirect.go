package thirdparty

import (
	"net/url"
	"regexp"
	"strings"
)

// redirectMatcher decides which redirect_to targets are allowed. Patterns
// are third_party.allowed_redirect_urls globs: in the scheme and host part
// "*" matches within one host label and "**" across labels, never past the
// host; in the path and query "*" matches within one path segment and "**"
// anything.
//
// A target is first parsed and put in canonical form (absolute http(s) URL,
// no user info, a plain host, trailing slash trimmed), and the canonical
// form is both what is matched and what the browser is sent to: nothing the
// parser and a browser might read differently (backslashes, "@", encoded
// characters in the host, control characters) reaches a Location header.
type redirectMatcher struct {
	patterns []*regexp.Regexp
}

func newRedirectMatcher(globs []string) (*redirectMatcher, error) {
	m := &redirectMatcher{}
	for _, g := range globs {
		re, err := compileGlob(strings.TrimRight(g, "/"))
		if err != nil {
			return nil, err
		}
		m.patterns = append(m.patterns, re)
	}
	return m, nil
}

func compileGlob(g string) (*regexp.Regexp, error) {
	authority, rest := g, ""
	if i := strings.Index(g, "://"); i >= 0 {
		if j := strings.IndexAny(g[i+3:], "/?#"); j >= 0 {
			authority, rest = g[:i+3+j], g[i+3+j:]
		}
	}
	var b strings.Builder
	b.WriteString("^")
	globPart(&b, strings.ToLower(authority), `[^/?#@\\]*`, `[^/?#@\\.:]*`)
	if strings.HasPrefix(rest, "/**") { // also the bare origin, which has no slash once trimmed
		b.WriteString(`(?:/.*)?`)
		rest = rest[3:]
	}
	globPart(&b, rest, `.*`, `[^/?#]*`)
	b.WriteString("$")
	return regexp.Compile(b.String())
}

func globPart(b *strings.Builder, g, double, single string) {
	for g != "" {
		switch {
		case strings.HasPrefix(g, "**"):
			b.WriteString(double)
			g = g[2:]
		case g[0] == '*':
			b.WriteString(single)
			g = g[1:]
		default:
			i := strings.IndexByte(g, '*')
			if i < 0 {
				i = len(g)
			}
			b.WriteString(regexp.QuoteMeta(g[:i]))
			g = g[i:]
		}
	}
}

// allowed returns the canonical form of target if it is allowed.
func (m *redirectMatcher) allowed(target string) (string, bool) {
	c, ok := canonicalURL(target)
	if !ok {
		return "", false
	}
	for _, re := range m.patterns {
		if re.MatchString(c) {
			return c, true
		}
	}
	return "", false
}

// canonicalURL parses an absolute http(s) URL strictly and returns it
// re-serialised with a lower-case scheme and host and no trailing slash.
func canonicalURL(s string) (string, bool) {
	if s == "" || len(s) > 2048 {
		return "", false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '\\' || r > 0x7e {
			return "", false // controls, spaces, backslashes, non-ASCII: send encoded URLs
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "https" && u.Scheme != "http" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == ':' || r == '[' || r == ']') {
			return "", false
		}
	}
	if strings.HasPrefix(u.Host, ".") || u.Hostname() == "" {
		return "", false
	}
	u.Host = host
	return strings.TrimRight(u.String(), "/"), true
}

// withQuery adds parameters to a URL that canonicalURL (or the
// configuration) produced.
func withQuery(target string, params url.Values) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String()
}
