package audit_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hanko-go/hanko/audit"
)

// FuzzMaskEmail: masking never panics, keeps the domain, reveals at most
// three runes of the local part and never shortens it below six.
func FuzzMaskEmail(f *testing.F) {
	for _, s := range []string{"", "@", "a@b", "ada.lovelace@example.com", "żółw@example.com", "no-at", "a@b@c", "\xff@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, address string) {
		got := audit.MaskEmail(address)
		if address == "" {
			if got != "" {
				t.Fatalf("MaskEmail(\"\") = %q", got)
			}
			return
		}
		local, domain, hasDomain := address, "", false
		if i := strings.LastIndexByte(address, '@'); i >= 0 {
			local, domain, hasDomain = address[:i], address[i+1:], true
		}
		if hasDomain && !strings.HasSuffix(got, "@"+domain) {
			t.Fatalf("MaskEmail(%q) = %q lost the domain", address, got)
		}
		maskedLocal := got
		if hasDomain {
			maskedLocal = strings.TrimSuffix(got, "@"+domain)
		}
		if n := utf8.RuneCountInString(maskedLocal); n < 6 || n < utf8.RuneCountInString(local) {
			t.Fatalf("MaskEmail(%q) = %q: masked local part of %d runes", address, got, n)
		}
		// The masked local part is its first 0, 1 or 3 runes and stars.
		runes, ok := []rune(local), false
		for _, keep := range []int{0, 1, 3} {
			if keep <= len(runes) && maskedLocal == string(runes[:keep])+strings.Repeat("*", max(len(runes), 6)-keep) {
				ok = true
			}
		}
		if !ok && utf8.ValidString(local) {
			t.Fatalf("MaskEmail(%q) = %q shows more than three runes", address, got)
		}
		if utf8.ValidString(address) && !utf8.ValidString(got) {
			t.Fatalf("MaskEmail(%q) = %q is not UTF-8", address, got)
		}
	})
}

// FuzzMaskUsername: masking never panics and reveals at most the first
// and the last rune.
func FuzzMaskUsername(f *testing.F) {
	for _, s := range []string{"", "x", "xy", "abc", "test_username", "äöü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got := audit.MaskUsername(name)
		n := utf8.RuneCountInString(name)
		if n == 0 {
			if got != "" {
				t.Fatalf("MaskUsername(\"\") = %q", got)
			}
			return
		}
		inner := []rune(got)
		if len(inner) < n || (n >= 2 && strings.Trim(string(inner[1:len(inner)-1]), "*") != "") {
			t.Fatalf("MaskUsername(%q) = %q", name, got)
		}
	})
}
