package mail

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

// reservedHeaders are written by the mailer and cannot come from
// Message.Header (canonical MIME form).
var reservedHeaders = []string{
	"From", "To", "Subject", "Date", "Message-Id", "Mime-Version",
	"Content-Type", "Content-Transfer-Encoding",
}

// envelope is a built message: the SMTP envelope and the RFC 5322 data.
type envelope struct {
	from string // bare address for MAIL FROM
	to   string // bare address for RCPT TO
	data []byte // CRLF line endings; go-smtp dot-stuffs it
}

// build validates m and encodes it as a MIME message. now stamps Date and
// rnd supplies the Message-ID and the multipart boundary.
func build(m Message, now time.Time, rnd io.Reader) (envelope, error) {
	invalid := func(format string, args ...any) (envelope, error) {
		return envelope{}, &opError{op: "build message", class: ErrInvalidMessage, err: fmt.Errorf(format, args...)}
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return invalid("recipient %q: %w", m.To, err)
	}
	from, err := mail.ParseAddress(m.FromAddress)
	if err != nil {
		return invalid("from address %q: %w", m.FromAddress, err)
	}
	if m.FromName != "" {
		from.Name = m.FromName
	}
	if m.Text == "" && m.HTML == "" {
		return invalid("no body: Text and HTML are both empty")
	}
	extra := make(map[string]string, len(m.Header))
	for k, v := range m.Header {
		if !validFieldName(k) {
			return invalid("header field name %q", k)
		}
		ck := textproto.CanonicalMIMEHeaderKey(k)
		if slices.Contains(reservedHeaders, ck) {
			return invalid("header field %q is set by the mailer", k)
		}
		extra[ck] = v
	}

	var random [32]byte
	if _, err := io.ReadFull(rnd, random[:]); err != nil {
		return envelope{}, &opError{op: "build message", class: ErrDelivery, err: fmt.Errorf("read random: %w", err)}
	}
	domain := "localhost"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 && i < len(from.Address)-1 {
		domain = from.Address[i+1:]
	}

	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("Date", now.Format(time.RFC1123Z))
	header("From", from.String())
	header("To", to.String())
	header("Subject", encodeHeader(m.Subject))
	header("Message-ID", "<"+hex.EncodeToString(random[:16])+"@"+domain+">")
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		header(k, encodeHeader(extra[k]))
	}
	header("MIME-Version", "1.0")

	switch {
	case m.Text == "":
		writeSinglePart(&b, "text/html", m.HTML)
	case m.HTML == "":
		writeSinglePart(&b, "text/plain", m.Text)
	default:
		mw := multipart.NewWriter(&b)
		// A random boundary: 128 bits make a collision with body text
		// practically impossible.
		if err := mw.SetBoundary("hanko-" + hex.EncodeToString(random[16:])); err != nil {
			return envelope{}, &opError{op: "build message", class: ErrDelivery, err: err}
		}
		header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
		b.WriteString("\r\n")
		for _, p := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
			w, err := mw.CreatePart(textproto.MIMEHeader{
				"Content-Type":              {p.ctype + "; charset=utf-8"},
				"Content-Transfer-Encoding": {"quoted-printable"},
			})
			if err != nil {
				return envelope{}, &opError{op: "build message", class: ErrDelivery, err: err}
			}
			writeQP(w, p.body)
		}
		if err := mw.Close(); err != nil {
			return envelope{}, &opError{op: "build message", class: ErrDelivery, err: err}
		}
	}
	return envelope{from: from.Address, to: to.Address, data: b.Bytes()}, nil
}

// writeSinglePart finishes the header of a one-part message and writes its
// quoted-printable body.
func writeSinglePart(b *bytes.Buffer, ctype, body string) {
	b.WriteString("Content-Type: " + ctype + "; charset=utf-8\r\n")
	b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	writeQP(b, body)
}

// writeQP writes body quoted-printable encoded with CRLF line breaks. The
// CRLF before a multipart delimiter belongs to the delimiter, so nothing is
// appended.
// Writes into a bytes.Buffer or a multipart part over one cannot fail.
func writeQP(w io.Writer, body string) {
	qp := quotedprintable.NewWriter(w)
	body = strings.ReplaceAll(body, "\r\n", "\n")
	_, _ = qp.Write([]byte(body)) // text mode turns "\n" into CRLF
	_ = qp.Close()
}

// encodeHeader RFC 2047-encodes v when it holds anything but printable
// ASCII (control characters included, so CR and LF cannot inject fields)
// and folds long runs of encoded words onto continuation lines.
func encodeHeader(v string) string {
	enc := mime.QEncoding.Encode("utf-8", v)
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

// validFieldName reports whether k is a valid RFC 5322 field name: printable
// ASCII except colon.
func validFieldName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c > '~' || c == ':' {
			return false
		}
	}
	return true
}
