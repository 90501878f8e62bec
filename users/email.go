package users

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxAddressLength is RFC 5321's limit on a forward path (254 octets).
const maxAddressLength = 254

// NormalizeEmail trims and lower-cases an address and checks that it is a
// plausible mailbox: one '@', a dot-atom local part of at most 64 octets and
// a domain of dot-separated labels (letters, digits, hyphens; non-ASCII
// letters allowed for internationalised domains) ending in a label of at least
// two letters. It returns ErrInvalidEmail otherwise. Quoted local parts and
// address literals are refused: no mail system used for sign-up needs them.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > maxAddressLength || !utf8.ValidString(s) {
		return "", ErrInvalidEmail
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || !validLocal(local) || !validDomain(domain) {
		return "", ErrInvalidEmail
	}
	return s, nil
}

// validLocal checks a dot-atom (RFC 5322 §3.2.3), with UTF-8 letters allowed
// (RFC 6531).
func validLocal(l string) bool {
	if l == "" || len(l) > 64 || l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return false
	}
	for _, r := range l {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
		case strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r):
		case r > 127 && unicode.IsLetter(r):
		default:
			return false
		}
	}
	return true
}

func validDomain(d string) bool {
	if len(d) > 253 {
		return false
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r > 127 && unicode.IsLetter(r)) {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if utf8.RuneCountInString(tld) < 2 {
		return false
	}
	// An all-numeric last label is an IP address, not a domain.
	return strings.Trim(tld, "0123456789") != ""
}
