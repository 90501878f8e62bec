package users_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/users"
)

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	local64 := strings.Repeat("a", 64)
	// 64 + 1 + 189 = 254 octets, the longest address allowed.
	longest := local64 + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 63) + ".com"
	valid := []struct {
		name, in, want string
	}{
		{"plain", "ada@example.com", "ada@example.com"},
		{"lower-cased", "Ada.Lovelace@Example.COM", "ada.lovelace@example.com"},
		{"trimmed", " \t ada@example.com \n", "ada@example.com"},
		{"plus addressing", "ada+newsletter@example.com", "ada+newsletter@example.com"},
		{"dot-atom specials", "o'brien!#$%&*/=?^_`{|}~-@example.com", "o'brien!#$%&*/=?^_`{|}~-@example.com"},
		{"subdomains", "ada@mail.eu.example.co.uk", "ada@mail.eu.example.co.uk"},
		{"hyphen and digits in labels", "ada@my-host1.example2.com", "ada@my-host1.example2.com"},
		{"two-letter TLD", "a@b.io", "a@b.io"},
		{"unicode domain", "ada@bücher.de", "ada@bücher.de"},
		{"unicode TLD", "ada@пример.рф", "ada@пример.рф"},
		{"unicode local part", "jörg@example.com", "jörg@example.com"},
		{"punycode domain", "ada@xn--bcher-kva.de", "ada@xn--bcher-kva.de"},
		{"punycode TLD", "ada@example.xn--p1ai", "ada@example.xn--p1ai"},
		{"64-octet local part", local64 + "@example.com", local64 + "@example.com"},
		{"254 octets", longest, longest},
	}
	for _, tt := range valid {
		t.Run("valid/"+tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := users.NormalizeEmail(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}

	invalid := []struct {
		name, in string
	}{
		{"empty", ""},
		{"only spaces", "   "},
		{"no @", "ada.example.com"},
		{"two @", "ada@lovelace@example.com"},
		{"empty local part", "@example.com"},
		{"empty domain", "ada@"},
		{"leading dot", ".ada@example.com"},
		{"trailing dot in local part", "ada.@example.com"},
		{"double dot in local part", "ada..lovelace@example.com"},
		{"leading dot in domain", "ada@.example.com"},
		{"trailing dot in domain", "ada@example.com."},
		{"double dot in domain", "ada@example..com"},
		{"no dot in domain", "ada@localhost"},
		{"numeric TLD", "ada@example.123"},
		{"IPv4 domain", "ada@192.168.0.1"},
		{"address literal", "ada@[192.168.0.1]"},
		{"one-letter TLD", "ada@example.c"},
		{"label starts with hyphen", "ada@-example.com"},
		{"label ends with hyphen", "ada@example-.com"},
		{"underscore in domain", "ada@ex_ample.com"},
		{"space in local part", "ada lovelace@example.com"},
		{"space in domain", "ada@exam ple.com"},
		{"space around @", "ada @ example.com"},
		{"quoted local part", `"ada"@example.com`},
		{"comma", "ada,bob@example.com"},
		{"angle brackets", "Ada <ada@example.com>"},
		{"NUL", "ada\x00@example.com"},
		{"tab inside", "ada\t@example.com"},
		{"newline inside", "ada@example.com\nBcc: eve@example.com"},
		{"DEL", "ada\x7f@example.com"},
		{"C1 control", "ada\u0085x@example.com"},
		{"zero-width space", "ada\u200b@example.com"},
		{"invalid UTF-8", "ad\xffa@example.com"},
		{"65-octet local part", strings.Repeat("a", 65) + "@example.com"},
		{"64 octets of multi-byte runes plus one", strings.Repeat("ü", 33) + "@example.com"},
		{"255 octets", "a" + longest},
		{"label of 64 octets", "ada@" + strings.Repeat("b", 64) + ".com"},
	}
	for _, tt := range invalid {
		t.Run("invalid/"+tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := users.NormalizeEmail(tt.in)
			if err == nil {
				t.Fatalf("NormalizeEmail(%q) = %q, want an error", tt.in, got)
			}
			if got != "" {
				t.Errorf("NormalizeEmail(%q) returned %q with its error; want no partial value", tt.in, got)
			}
			if !errors.Is(err, users.ErrInvalidEmail) || !errors.Is(err, autherr.Invalid) {
				t.Errorf("NormalizeEmail(%q) error %v matches neither ErrInvalidEmail nor autherr.Invalid", tt.in, err)
			}
		})
	}
}

// FuzzNormalizeEmail checks the invariants of NormalizeEmail on arbitrary
// input: no panic, no partial value on failure, and an accepted address is
// trimmed, lower-case, free of spaces and control characters, and its own
// normal form.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"ada@example.com", " Ada@Example.COM ", "ada+tag@mail.example.co.uk", "ada@bücher.de",
		"ada@example.xn--p1ai", "ada@пример.рф", "@", "a@b", "a@b.c", "a..b@c.de", "ada@example.123",
		"ada@[127.0.0.1]", `"ada"@example.com`, "ada\x00@example.com", "\xff@example.com",
		"İ@example.com", "ß@EXAMPLE.COM", "K@example.com", // Kelvin sign lower-cases to ASCII k
		strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := users.NormalizeEmail(in)
		if err != nil {
			if got != "" {
				t.Fatalf("NormalizeEmail(%q) = %q with error %v: partial value", in, got, err)
			}
			if !errors.Is(err, users.ErrInvalidEmail) {
				t.Fatalf("NormalizeEmail(%q): error %v is not ErrInvalidEmail", in, err)
			}
			return
		}
		again, err := users.NormalizeEmail(got)
		if err != nil || again != got {
			t.Fatalf("NormalizeEmail(%q) = %q, which normalises to %q, %v", in, got, again, err)
		}
		if got != strings.TrimSpace(got) || got != strings.ToLower(got) {
			t.Fatalf("NormalizeEmail(%q) = %q: not trimmed and lower-case", in, got)
		}
		if !utf8.ValidString(got) || len(got) > 254 || strings.Count(got, "@") != 1 {
			t.Fatalf("NormalizeEmail(%q) = %q: not one valid UTF-8 address of at most 254 octets", in, got)
		}
		for _, r := range got {
			if unicode.IsSpace(r) || unicode.IsControl(r) {
				t.Fatalf("NormalizeEmail(%q) = %q: contains %U", in, got, r)
			}
		}
	})
}
