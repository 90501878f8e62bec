package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strconv"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"
)

// Kind names a mail that Render can produce.
type Kind = string

// The kinds of mail. Subjects follow the Hanko backend.
const (
	// KindLogin is the legacy passcode login mail (POST /passcode/login/initialize):
	// "{Code} is your passcode for {ServiceName}".
	KindLogin Kind = "login"
	// KindFlowLogin is the Flow API's login passcode mail:
	// "Use passcode {Code} to login to your account".
	KindFlowLogin Kind = "flow_login"
	// KindEmailVerification: "Use passcode {Code} to verify your email address".
	KindEmailVerification Kind = "email_verification"
	// KindRecovery: "Use passcode {Code} to recover your account".
	KindRecovery Kind = "recovery"
	// KindEmailLoginAttempted tells the owner of an unknown address that
	// someone tried to log in with it; it carries no code.
	KindEmailLoginAttempted Kind = "email_login_attempted"
	// KindEmailRegistrationAttempted tells the owner of a taken address that
	// someone tried to register with it; it carries no code.
	KindEmailRegistrationAttempted Kind = "email_registration_attempted"
)

// hasCode reports which kinds carry a passcode and its validity.
var hasCode = map[Kind]bool{
	KindLogin: true, KindFlowLogin: true, KindEmailVerification: true, KindRecovery: true,
	KindEmailLoginAttempted: false, KindEmailRegistrationAttempted: false,
}

// languages lists the supported locales; the first is the fallback.
var languages = [...]string{"en", "de"}

// Languages returns the supported locales, the fallback ("en") first.
func Languages() []string { return slices.Clone(languages[:]) }

// Data fills a mail template.
type Data struct {
	ServiceName string        // service.name
	Code        string        // the passcode; unused by the *_attempted kinds
	TTL         time.Duration // validity, shown in whole minutes rounded up
}

//go:embed templates/*.tmpl
var templateFS embed.FS

type templateSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// templates parses the embedded templates once; the result is read-only.
var templates = sync.OnceValues(func() (map[string]templateSet, error) {
	sets := make(map[string]templateSet, len(languages))
	for _, lang := range languages {
		name := "templates/" + lang + ".tmpl"
		t, err := texttemplate.ParseFS(templateFS, name)
		if err != nil {
			return nil, err
		}
		h, err := htmltemplate.ParseFS(templateFS, name)
		if err != nil {
			return nil, err
		}
		sets[lang] = templateSet{text: t, html: h}
	}
	return sets, nil
})

// htmlLayout wraps the escaped paragraphs of a mail.
var htmlLayout = htmltemplate.Must(htmltemplate.New("layout").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif;">
<p>{{.Intro}}</p>
{{- if .Code}}
<p style="font-size: 1.5em; font-weight: bold; letter-spacing: 0.1em;">{{.Code}}</p>
<p>{{.Validity}}</p>
{{- end}}
</body>
</html>
`))

// Render returns the subject, plain-text body and HTML body of a mail of
// the given kind in lang ("en" or "de"; anything else falls back to English,
// so Render(kind, Language(header), data) always works). The text body is
// the intro line, a blank line, the code, a blank line and "The passcode is
// valid for N minutes."; the *_attempted kinds have only the intro. The
// HTML body carries the same text, escaped. An unknown kind is an error.
// Render is safe for concurrent use.
func Render(kind, lang string, data Data) (subject, text, html string, err error) {
	codeKind, ok := hasCode[kind]
	if !ok {
		return "", "", "", fmt.Errorf("mail: unknown template kind %q", kind)
	}
	sets, err := templates()
	if err != nil {
		return "", "", "", fmt.Errorf("mail: parse templates: %w", err)
	}
	set, ok := sets[lang]
	if !ok {
		lang = languages[0]
		set = sets[lang]
	}
	minutes := int((data.TTL + time.Minute - 1) / time.Minute)
	if minutes < 1 {
		minutes = 1
	}
	v := struct {
		ServiceName, Code string
		Minutes           int
	}{data.ServiceName, data.Code, minutes}

	exec := func(name string) (string, string, error) {
		var t, h bytes.Buffer
		if err := set.text.ExecuteTemplate(&t, name, v); err != nil {
			return "", "", err
		}
		if err := set.html.ExecuteTemplate(&h, name, v); err != nil {
			return "", "", err
		}
		return t.String(), h.String(), nil
	}
	subject, _, err = exec(kind + ".subject")
	if err != nil {
		return "", "", "", fmt.Errorf("mail: render %s subject: %w", kind, err)
	}
	intro, introHTML, err := exec(kind + ".intro")
	if err != nil {
		return "", "", "", fmt.Errorf("mail: render %s body: %w", kind, err)
	}
	layout := struct {
		Lang, Subject, Code string
		Intro, Validity     htmltemplate.HTML
	}{Lang: lang, Subject: subject, Intro: htmltemplate.HTML(introHTML)}

	var body strings.Builder
	body.WriteString(intro + "\n")
	if codeKind {
		validity, validityHTML, err := exec("validity")
		if err != nil {
			return "", "", "", fmt.Errorf("mail: render %s body: %w", kind, err)
		}
		body.WriteString("\n" + data.Code + "\n\n" + validity + "\n")
		layout.Code = data.Code
		layout.Validity = htmltemplate.HTML(validityHTML)
	}
	var h bytes.Buffer
	if err := htmlLayout.Execute(&h, layout); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s html: %w", kind, err)
	}
	return subject, body.String(), h.String(), nil
}

// maxAcceptLanguage bounds the work Language does on untrusted input.
const maxAcceptLanguage = 4096

// Language picks the best supported locale ("en" or "de") for an
// Accept-Language header (RFC 9110 §12.5.4): the supported language with the
// highest q-value, the earlier one on a tie; a region ("de-AT") matches its
// language. "*" stands for "en"; q=0, unknown languages, malformed entries and empty or
// oversized headers fall back to "en". Language never panics.
func Language(acceptLanguage string) string {
	if len(acceptLanguage) > maxAcceptLanguage {
		return languages[0]
	}
	best, bestQ := languages[0], 0.0
	for part := range strings.SplitSeq(acceptLanguage, ",") {
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		q, ok := parseQ(params)
		if !ok || q <= bestQ {
			continue
		}
		primary, _, _ := strings.Cut(tag, "-")
		primary, _, _ = strings.Cut(primary, "_") // tolerate de_DE
		for _, l := range languages {
			if strings.EqualFold(primary, l) || (primary == "*" && l == languages[0]) {
				best, bestQ = l, q
				break
			}
		}
	}
	return best
}

// parseQ reads the weight from the parameters after a language tag; no
// weight means 1. A malformed weight makes the entry invalid.
func parseQ(params string) (float64, bool) {
	params = strings.TrimSpace(params)
	if params == "" {
		return 1, true
	}
	k, v, ok := strings.Cut(params, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
		return 0, false
	}
	v = strings.TrimSpace(v)
	if len(v) > 5 { // "0.123" at most
		return 0, false
	}
	q, err := strconv.ParseFloat(v, 64)
	if err != nil || !(q >= 0 && q <= 1) { // also rejects NaN
		return 0, false
	}
	return q, true
}
