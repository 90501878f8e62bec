package audit

import (
	"strings"
	"unicode/utf8"
)

// MaskEmail masks the local part of an address the way the reference does
// (it counts runes, not bytes): a local part of up to six runes keeps its
// first rune and is padded with '*' to six; a longer one keeps its first
// three runes and masks the rest. An empty local part becomes six '*'. The
// domain is kept. Text without '@' is masked as a local part alone, and ""
// stays "".
func MaskEmail(address string) string {
	if address == "" {
		return ""
	}
	local, domain, hasDomain := address, "", false
	if i := strings.LastIndexByte(address, '@'); i >= 0 {
		local, domain, hasDomain = address[:i], address[i+1:], true
	}
	n := utf8.RuneCountInString(local)
	keep := 1
	switch {
	case n == 0:
		keep = 0
	case n > 6:
		keep = 3
	}
	var b strings.Builder
	b.Grow(len(address) + 6)
	b.WriteString(prefixRunes(local, keep))
	b.WriteString(strings.Repeat("*", max(n, 6)-keep))
	if hasDomain {
		b.WriteByte('@')
		b.WriteString(domain)
	}
	return b.String()
}

// MaskUsername masks a username the way the reference does: a single rune
// becomes "*"; otherwise the first and the last rune stay and the runes
// between become '*', padded so that names of two or three runes come out
// six long. "" stays "".
func MaskUsername(name string) string {
	n := utf8.RuneCountInString(name)
	switch n {
	case 0:
		return ""
	case 1:
		return "*"
	}
	stars := n - 2
	if n <= 3 {
		stars = 4
	}
	first, _ := utf8.DecodeRuneInString(name)
	last, _ := utf8.DecodeLastRuneInString(name)
	return string(first) + strings.Repeat("*", stars) + string(last)
}

// prefixRunes returns the first n runes of s.
func prefixRunes(s string, n int) string {
	i := 0
	for range n {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}

// maskDetails returns a copy of details with the "email" and "username"
// entries masked (the only details that name a person; reference section
// 4.9). The caller's map is never changed.
func maskDetails(details map[string]any) map[string]any {
	out := make(map[string]any, len(details))
	for k, v := range details {
		if s, ok := v.(string); ok {
			switch k {
			case "email":
				v = MaskEmail(s)
			case "username":
				v = MaskUsername(s)
			}
		}
		out[k] = v
	}
	return out
}
