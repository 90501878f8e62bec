package mail

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hanko-go/hanko/autherr"
)

// received is one mail as the test server saw it.
type received struct {
	from, to string
	data     string
	tls      bool   // the session was encrypted
	user     string // authenticated user, if any
}

// backend is an in-process SMTP server backend that records every mail.
// With user set, it offers AUTH PLAIN and refuses MAIL before it.
type backend struct {
	user, pass string

	mu   sync.Mutex
	msgs []received
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{b: b, cur: received{tls: isTLS}}, nil
}

func (b *backend) messages() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.msgs...)
}

type session struct {
	b   *backend
	cur received
}

func (s *session) AuthMechanisms() []string {
	if s.b.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			return smtp.ErrAuthFailed
		}
		s.cur.user = user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.user != "" && s.cur.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error { s.cur.to = to; return nil }

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// serverOpts describe a test server.
type serverOpts struct {
	startTLS     bool // offer STARTTLS
	implicitTLS  bool // TLS from the first byte
	insecureAuth bool // allow AUTH without TLS
	user, pass   string
}

// newServer starts an SMTP server on 127.0.0.1:0 and returns its backend,
// port and a client TLS config that trusts its certificate.
func newServer(t *testing.T, o serverOpts) (*backend, string, *tls.Config) {
	t.Helper()
	be := &backend{user: o.user, pass: o.pass}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = o.insecureAuth
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	serverTLS, clientTLS := newCert(t)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case o.implicitTLS:
		l = tls.NewListener(l, serverTLS)
	case o.startTLS:
		srv.TLSConfig = serverTLS
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return be, port, clientTLS
}

// newCert makes a self-signed certificate for 127.0.0.1 and returns a server
// config using it and a client config trusting it.
func newCert(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool}
}

// constReader is an endless stream of one byte, a deterministic Rand.
type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

var fixedNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func mustSMTP(t *testing.T, cfg SMTPConfig) *SMTPMailer {
	t.Helper()
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	cfg.Now = func() time.Time { return fixedNow }
	cfg.Rand = constReader(0xab)
	m, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testMessage() Message {
	return Message{
		To:          "user@example.com",
		FromAddress: "noreply@example.org",
		FromName:    "Hänko Service",
		Subject:     "123456 ist Ihr Passcode für Beispiel",
		Text:        "Intro line:\n\n123456\n\nThe passcode is valid for 5 minutes.\n",
		HTML:        "<p>Intro &amp; line</p>\n<p>123456</p>\n",
		Header:      map[string]string{"X-Hanko-Test": "yes"},
	}
}

// checkMessage parses raw like a mail client and checks every part of it.
func checkMessage(t *testing.T, raw string, want Message) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("parse message: %v\n%s", err, raw)
	}
	h := msg.Header
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil || subject != want.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, want.Subject)
	}
	if !strings.Contains(raw, "Subject: =?utf-8?q?") {
		t.Errorf("non-ASCII subject not RFC 2047 encoded:\n%s", raw)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != want.FromName || from[0].Address != want.FromAddress {
		t.Errorf("From = %v (%v)", from, err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != want.To {
		t.Errorf("To = %v (%v)", to, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(fixedNow) {
		t.Errorf("Date = %v (%v), want %v", d, err, fixedNow)
	}
	if got, want := h.Get("Message-Id"), "<abababababababababababababababab@example.org>"; got != want {
		t.Errorf("Message-ID = %q, want %q", got, want)
	}
	if h.Get("MIME-Version") != "1.0" || h.Get("X-Hanko-Test") != "yes" {
		t.Errorf("MIME-Version = %q, X-Hanko-Test = %q", h.Get("MIME-Version"), h.Get("X-Hanko-Test"))
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v)", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for _, wantPart := range []struct{ ctype, body string }{{"text/plain", want.Text}, {"text/html", want.HTML}} {
		p, err := mr.NextPart() // decodes quoted-printable
		if err != nil {
			t.Fatalf("part %s: %v", wantPart.ctype, err)
		}
		pt, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if pt != wantPart.ctype || pp["charset"] != "utf-8" {
			t.Errorf("part Content-Type = %q", p.Header.Get("Content-Type"))
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		got := strings.ReplaceAll(string(body), "\r\n", "\n")
		if strings.TrimSuffix(got, "\n") != strings.TrimSuffix(wantPart.body, "\n") {
			t.Errorf("%s body = %q, want %q", wantPart.ctype, got, wantPart.body)
		}
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Errorf("want exactly two parts, NextPart = %v", err)
	}
	if n := strings.Count(raw, "Content-Transfer-Encoding: quoted-printable"); n != 2 {
		t.Errorf("%d quoted-printable parts, want 2", n)
	}
}

func TestSendDelivers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		srv     serverOpts
		mode    TLSMode
		wantTLS bool
	}{
		{"plain/none", serverOpts{}, TLSNone, false},
		{"plain/auto-without-starttls", serverOpts{}, TLSAuto, false},
		{"starttls/auto", serverOpts{startTLS: true}, TLSAuto, true},
		{"starttls/required", serverOpts{startTLS: true}, TLSStartTLS, true},
		{"starttls/auth", serverOpts{startTLS: true, user: "u@x", pass: "s3cret"}, TLSAuto, true},
		{"implicit", serverOpts{implicitTLS: true}, TLSImplicit, true},
		{"implicit/auth", serverOpts{implicitTLS: true, user: "u@x", pass: "s3cret"}, TLSImplicit, true},
		{"plain/insecure-auth", serverOpts{insecureAuth: true, user: "u@x", pass: "s3cret"}, TLSAuto, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			be, port, clientTLS := newServer(t, tc.srv)
			m := mustSMTP(t, SMTPConfig{
				Port: port, TLS: tc.mode, TLSConfig: clientTLS,
				User: tc.srv.user, Password: tc.srv.pass, AllowInsecureAuth: tc.srv.insecureAuth,
			})
			want := testMessage()
			if err := m.Send(t.Context(), want); err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := be.messages()
			if len(msgs) != 1 {
				t.Fatalf("server received %d mails, want 1", len(msgs))
			}
			got := msgs[0]
			if got.from != want.FromAddress || got.to != want.To || got.tls != tc.wantTLS || got.user != tc.srv.user {
				t.Errorf("envelope from=%q to=%q tls=%v user=%q", got.from, got.to, got.tls, got.user)
			}
			checkMessage(t, got.data, want)
		})
	}
}

func TestSendAuthFailures(t *testing.T) {
	t.Parallel()
	const password = "pa55-word-never-shown"
	for _, tc := range []struct {
		name     string
		srv      serverOpts
		cfg      SMTPConfig
		wantCode int    // SMTP reply code expected in the chain, or 0
		wantMsg  string // substring of the error
	}{
		{"wrong password", serverOpts{startTLS: true, user: "u@x", pass: "right"},
			SMTPConfig{User: "u@x", Password: password}, 535, `mail: authenticate as "u@x" to 127.0.0.1:`},
		{"auth required but not configured", serverOpts{startTLS: true, user: "u@x", pass: "right"},
			SMTPConfig{}, 502, "mail: send mail via 127.0.0.1:"},
		{"refuses auth in the clear", serverOpts{insecureAuth: true, user: "u@x", pass: "right"},
			SMTPConfig{User: "u@x", Password: password}, 0, "unencrypted connection"},
		{"server offers no auth", serverOpts{startTLS: true},
			SMTPConfig{User: "u@x", Password: password}, 0, "server does not offer AUTH"},
		{"starttls required but not offered", serverOpts{},
			SMTPConfig{TLS: TLSStartTLS}, 0, "server does not offer STARTTLS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			be, port, clientTLS := newServer(t, tc.srv)
			cfg := tc.cfg
			cfg.Port, cfg.TLSConfig = port, clientTLS
			err := mustSMTP(t, cfg).Send(t.Context(), testMessage())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tc.wantMsg)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error leaks the password: %q", err)
			}
			if !errors.Is(err, ErrDelivery) || !errors.Is(err, autherr.Unavailable) {
				t.Errorf("error %v does not match ErrDelivery/autherr.Unavailable", err)
			}
			var serr *smtp.SMTPError
			if tc.wantCode != 0 && (!errors.As(err, &serr) || serr.Code != tc.wantCode) {
				t.Errorf("error %v: want SMTP code %d in chain", err, tc.wantCode)
			}
			if n := len(be.messages()); n != 0 {
				t.Errorf("server received %d mails", n)
			}
		})
	}
}

func TestSendTLSVerifies(t *testing.T) {
	t.Parallel()
	_, port, _ := newServer(t, serverOpts{implicitTLS: true})
	err := mustSMTP(t, SMTPConfig{Port: port, TLS: TLSImplicit}).Send(t.Context(), testMessage())
	var uerr x509.UnknownAuthorityError
	if !errors.As(err, &uerr) || !strings.HasPrefix(err.Error(), "mail: TLS handshake with 127.0.0.1:"+port+": ") {
		t.Errorf("untrusted certificate: err = %v", err)
	}
}

// freePort returns a port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

func TestSendServerDown(t *testing.T) {
	t.Parallel()
	port := freePort(t)
	start := time.Now()
	err := mustSMTP(t, SMTPConfig{Port: port}).Send(t.Context(), testMessage())
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
	if err == nil || !strings.HasPrefix(err.Error(), "mail: connect to 127.0.0.1:"+port+": ") {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) || !errors.Is(err, ErrDelivery) {
		t.Errorf("err = %v: want ECONNREFUSED and ErrDelivery in chain", err)
	}
}

// silentServer accepts connections and never says a word.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func TestSendNoGreetingTimesOut(t *testing.T) {
	t.Parallel()
	for _, mode := range []TLSMode{TLSNone, TLSAuto, TLSStartTLS} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			port := silentServer(t)
			m := mustSMTP(t, SMTPConfig{Port: port, TLS: mode, CommandTimeout: 200 * time.Millisecond})
			start := time.Now()
			err := m.Send(t.Context(), testMessage())
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v with a 200ms command timeout", d)
			}
			var nerr net.Error
			if !errors.As(err, &nerr) || !nerr.Timeout() {
				t.Errorf("err = %v, want a timeout", err)
			}
			if err == nil || !strings.HasPrefix(err.Error(), "mail: smtp handshake with 127.0.0.1:"+port+": ") {
				t.Errorf("err = %v", err)
			}
		})
	}
}

func TestSendImplicitTLSHandshakeTimesOut(t *testing.T) {
	t.Parallel()
	port := silentServer(t)
	m := mustSMTP(t, SMTPConfig{Port: port, TLS: TLSImplicit, DialTimeout: 200 * time.Millisecond})
	start := time.Now()
	err := m.Send(t.Context(), testMessage())
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "mail: TLS handshake with") {
		t.Errorf("err = %v", err)
	}
}

func TestSendHonoursContext(t *testing.T) {
	t.Parallel()
	for _, mode := range []TLSMode{TLSNone, TLSAuto, TLSImplicit} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			port := silentServer(t)
			m := mustSMTP(t, SMTPConfig{Port: port, TLS: mode, CommandTimeout: time.Minute, DialTimeout: time.Minute})
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(100*time.Millisecond, cancel)
			start := time.Now()
			err := m.Send(ctx, testMessage())
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v after cancel at 100ms", d)
			}
			if !errors.Is(err, context.Canceled) || !errors.Is(err, ErrDelivery) {
				t.Errorf("err = %v, want context.Canceled and ErrDelivery", err)
			}
		})
	}
	t.Run("already cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		err := mustSMTP(t, SMTPConfig{Port: freePort(t)}).Send(ctx, testMessage())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestNewSMTPValidates(t *testing.T) {
	t.Parallel()
	_, err := NewSMTP(SMTPConfig{Port: "99999", TLS: "ssl", DialTimeout: -1, HelloName: "a b"})
	if err == nil {
		t.Fatal("NewSMTP accepted a bad config")
	}
	for _, want := range []string{"mail: invalid smtp configuration", "host is empty", `port "99999"`, `TLS mode "ssl"`, "HELO name", "negative"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	m, err := NewSMTP(SMTPConfig{Host: "smtp.example.com", Password: "hidden"})
	if err != nil {
		t.Fatal(err)
	}
	if m.addr != "smtp.example.com:465" || m.cfg.TLS != TLSAuto || m.cfg.DialTimeout != DefaultDialTimeout ||
		m.cfg.CommandTimeout != DefaultCommandTimeout || m.cfg.TLSConfig.ServerName != "smtp.example.com" {
		t.Errorf("defaults not applied: %+v", m.cfg)
	}
}

func TestNewSMTPDoesNotMutateTLSConfig(t *testing.T) {
	t.Parallel()
	tc := &tls.Config{}
	if _, err := NewSMTP(SMTPConfig{Host: "h", TLSConfig: tc}); err != nil {
		t.Fatal(err)
	}
	if tc.ServerName != "" {
		t.Error("NewSMTP wrote to the caller's tls.Config")
	}
}
