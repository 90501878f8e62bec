package mail

import (
	"strings"
	"testing"
	"time"
)

func TestRender(t *testing.T) {
	t.Parallel()
	data := Data{ServiceName: "Acme & <Co>", Code: "012345", TTL: 5 * time.Minute}
	for _, tc := range []struct {
		kind, lang, subject, intro, validity string
	}{
		{KindLogin, "en", "012345 is your passcode for Acme & <Co>", "Enter this passcode to log in to Acme & <Co>:", "The passcode is valid for 5 minutes."},
		{KindLogin, "de", "012345 ist Ihr Passcode für Acme & <Co>", "Geben Sie diesen Passcode ein, um sich bei Acme & <Co> anzumelden:", "Der Passcode ist 5 Minuten gültig."},
		{KindFlowLogin, "en", "Use passcode 012345 to login to your account", "Enter this passcode to log in to Acme & <Co>:", "The passcode is valid for 5 minutes."},
		{KindFlowLogin, "de", "Verwenden Sie den Passcode 012345, um sich bei Ihrem Konto anzumelden", "Geben Sie diesen Passcode ein, um sich bei Acme & <Co> anzumelden:", "Der Passcode ist 5 Minuten gültig."},
		{KindEmailVerification, "en", "Use passcode 012345 to verify your email address", "Enter this passcode to confirm your email address for Acme & <Co>:", "The passcode is valid for 5 minutes."},
		{KindEmailVerification, "de", "Verwenden Sie den Passcode 012345, um Ihre E-Mail-Adresse zu bestätigen", "Geben Sie diesen Passcode ein, um Ihre E-Mail-Adresse für Acme & <Co> zu bestätigen:", "Der Passcode ist 5 Minuten gültig."},
		{KindRecovery, "en", "Use passcode 012345 to recover your account", "Enter this passcode to regain access to your Acme & <Co> account:", "The passcode is valid for 5 minutes."},
		{KindRecovery, "de", "Verwenden Sie den Passcode 012345, um Ihr Konto wiederherzustellen", "Geben Sie diesen Passcode ein, um wieder Zugang zu Ihrem Acme & <Co>-Konto zu erhalten:", "Der Passcode ist 5 Minuten gültig."},
		{KindEmailLoginAttempted, "en", "Provided email address is not recognized", "Someone tried to log in to Acme & <Co> with this email address", ""},
		{KindEmailLoginAttempted, "de", "Die angegebene E-Mail-Adresse ist nicht bekannt", "Jemand hat versucht, sich mit dieser E-Mail-Adresse bei Acme & <Co> anzumelden", ""},
		{KindEmailRegistrationAttempted, "en", "Provided email address already taken", "Someone tried to create a Acme & <Co> account with this email address", ""},
		{KindEmailRegistrationAttempted, "de", "Die angegebene E-Mail-Adresse wird bereits verwendet", "Jemand hat versucht, mit dieser E-Mail-Adresse ein Konto bei Acme & <Co> anzulegen", ""},
		{KindLogin, "fr", "012345 is your passcode for Acme & <Co>", "Enter this passcode to log in to Acme & <Co>:", "The passcode is valid for 5 minutes."},
	} {
		t.Run(tc.kind+"/"+tc.lang, func(t *testing.T) {
			t.Parallel()
			subject, text, html, err := Render(tc.kind, tc.lang, data)
			if err != nil {
				t.Fatal(err)
			}
			if subject != tc.subject {
				t.Errorf("subject = %q, want %q", subject, tc.subject)
			}
			if tc.validity != "" {
				// Reference body pattern: intro, blank, code, blank, validity.
				want := tc.intro + "\n\n012345\n\n" + tc.validity + "\n"
				if text != want {
					t.Errorf("text = %q, want %q", text, want)
				}
				if !strings.Contains(html, "012345") || !strings.Contains(html, tc.validity) {
					t.Errorf("html lacks code or validity:\n%s", html)
				}
			} else {
				if !strings.HasPrefix(text, tc.intro) || strings.Contains(text, "012345") || strings.Count(text, "\n") != 1 {
					t.Errorf("text = %q: want the intro only, no code", text)
				}
				if strings.Contains(html, "012345") {
					t.Errorf("html carries the code:\n%s", html)
				}
			}
			if strings.Contains(html, "<Co>") || !strings.Contains(html, "Acme &amp; &lt;Co&gt;") {
				t.Errorf("html does not escape the service name:\n%s", html)
			}
			if !strings.HasPrefix(html, "<!DOCTYPE html>") {
				t.Errorf("html = %q", html)
			}
		})
	}
}

func TestRenderMinutes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ttl time.Duration
		en  string
		de  string
	}{
		{0, "valid for 1 minute.", "ist 1 Minute gültig."},
		{30 * time.Second, "valid for 1 minute.", "ist 1 Minute gültig."},
		{90 * time.Second, "valid for 2 minutes.", "ist 2 Minuten gültig."},
		{300 * time.Second, "valid for 5 minutes.", "ist 5 Minuten gültig."},
	} {
		_, en, _, _ := Render(KindRecovery, "en", Data{Code: "1", TTL: tc.ttl})
		_, de, _, _ := Render(KindRecovery, "de", Data{Code: "1", TTL: tc.ttl})
		if !strings.Contains(en, tc.en) || !strings.Contains(de, tc.de) {
			t.Errorf("TTL %v: en %q, de %q", tc.ttl, en, de)
		}
	}
}

func TestRenderUnknownKind(t *testing.T) {
	t.Parallel()
	if _, _, _, err := Render("password_reset", "en", Data{}); err == nil || !strings.Contains(err.Error(), `unknown template kind "password_reset"`) {
		t.Errorf("err = %v", err)
	}
}

func TestLanguage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ header, want string }{
		{"", "en"},
		{"de-DE,de;q=0.9,en;q=0.8", "de"},
		{"en-US,en;q=0.9,de;q=0.8", "en"},
		{"fr", "en"},
		{"fr-CH, fr;q=0.9, de;q=0.7, *;q=0.5", "de"},
		{"*", "en"},
		{"*;q=0.1, de;q=0.2", "de"},
		{"en;q=0.1, de;q=0.5", "de"},
		{"de;q=0", "en"},
		{"de;q=1.5", "en"},
		{"de;q=NaN", "en"},
		{"de;q=abc", "en"},
		{"de;foo=bar", "en"},
		{"DE-at", "de"},
		{"de_DE", "de"},
		{"de;q=0.5, en;q=0.5", "de"},
		{" de ; q = 0.8 ", "de"},
		{",,;;==", "en"},
		{"\x00\xff garbage", "en"},
		{strings.Repeat("fr,", 2000) + "de", "en"}, // oversized
	} {
		if got := Language(tc.header); got != tc.want {
			t.Errorf("Language(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestLanguagesIsACopy(t *testing.T) {
	t.Parallel()
	l := Languages()
	l[0] = "xx"
	if Languages()[0] != "en" {
		t.Error("Languages exposes package state")
	}
}

func FuzzLanguage(f *testing.F) {
	for _, s := range []string{"", "de-DE,de;q=0.9,en;q=0.8", "fr", "*", "de;q=0", "en;q=0.5,de;q=1.0", "de;q=NaN"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		got := Language(header)
		_, _, _, err := Render(KindLogin, got, Data{Code: "1"})
		if (got != "en" && got != "de") || err != nil {
			t.Fatalf("Language(%q) = %q (render: %v)", header, got, err)
		}
	})
}
