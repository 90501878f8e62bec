package mail

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"log/slog"

	"github.com/hanko-go/hanko/autherr"
)

func TestLogMailer(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	m := NewLogMailer(slog.New(slog.NewJSONHandler(&buf, nil)))
	if err := m.Send(t.Context(), testMessage()); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	want := testMessage()
	for k, v := range map[string]string{
		"level": "WARN", "msg": "development mode: mail not sent",
		"to": want.To, "subject": want.Subject, "text": want.Text,
	} {
		if rec[k] != v {
			t.Errorf("%s = %v, want %q", k, rec[k], v)
		}
	}
	if err := NewLogMailer(nil).Send(t.Context(), want); err != nil {
		t.Errorf("nil logger: %v", err)
	}
}

func TestBuildRejectsInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(*Message)
	}{
		{"bad recipient", func(m *Message) { m.To = "not an address" }},
		{"recipient with CRLF", func(m *Message) { m.To = "a@b.c\r\nBcc: x@y.z" }},
		{"bad from", func(m *Message) { m.FromAddress = "" }},
		{"no body", func(m *Message) { m.Text, m.HTML = "", "" }},
		{"reserved header", func(m *Message) { m.Header = map[string]string{"content-type": "text/plain"} }},
		{"bad header name", func(m *Message) { m.Header = map[string]string{"X-A\r\nBcc": "x"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := testMessage()
			tc.edit(&m)
			_, err := build(m, fixedNow, constReader(1))
			if !errors.Is(err, ErrInvalidMessage) || !errors.Is(err, autherr.Invalid) || !strings.HasPrefix(err.Error(), "mail: build message: ") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestBuildEncodesHeaders(t *testing.T) {
	t.Parallel()
	m := testMessage()
	m.Subject = "Hi\r\nBcc: victim@example.com " + strings.Repeat("ü", 60)
	m.Header = map[string]string{"X-Note": "a\r\nBcc: victim@example.com"}
	env, err := build(m, fixedNow, constReader(1))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(env.data))
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Header["Bcc"]) != 0 {
		t.Errorf("header injection: Bcc = %q", msg.Header["Bcc"])
	}
	for _, line := range strings.Split(string(env.data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line longer than RFC 5322 allows: %d", len(line))
		}
	}
	if got, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); got != m.Subject {
		t.Errorf("Subject round trip = %q", got)
	}
}

func TestBuildSinglePart(t *testing.T) {
	t.Parallel()
	m := testMessage()
	m.HTML = ""
	env, err := build(m, fixedNow, constReader(1))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(env.data))
	if err != nil {
		t.Fatal(err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}
