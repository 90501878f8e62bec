package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// TLSMode says how an SMTPMailer secures its connection.
type TLSMode string

// The TLS modes.
const (
	// TLSAuto (the default) uses implicit TLS on port 465 and STARTTLS
	// elsewhere when the server offers it, plain SMTP when it does not.
	TLSAuto TLSMode = "auto"
	// TLSImplicit starts TLS before the first SMTP byte (SMTPS, RFC 8314).
	TLSImplicit TLSMode = "tls"
	// TLSStartTLS requires the server to offer STARTTLS and fails otherwise.
	TLSStartTLS TLSMode = "starttls"
	// TLSNone never encrypts. AUTH then needs AllowInsecureAuth.
	TLSNone TLSMode = "none"
)

// Default timeouts of an SMTPMailer.
const (
	DefaultDialTimeout    = 10 * time.Second
	DefaultCommandTimeout = 30 * time.Second
)

// SMTPConfig configures an SMTPMailer. Host, Port, User and Password are
// Hanko's email_delivery.smtp keys.
type SMTPConfig struct {
	Host string // required
	Port string // default "465", as in Hanko
	// User and Password authenticate with AUTH PLAIN (or LOGIN when the
	// server offers only that). No AUTH is attempted when User is empty.
	User     string
	Password string
	// TLS defaults to TLSAuto.
	TLS TLSMode
	// TLSConfig is cloned for every connection; its ServerName defaults to
	// Host. Nil means the system roots. Tests set RootCAs here.
	TLSConfig *tls.Config
	// AllowInsecureAuth permits AUTH over an unencrypted connection, which
	// sends the password in the clear. Default false.
	AllowInsecureAuth bool
	// HelloName is the name sent with EHLO. Default "localhost".
	HelloName string
	// DialTimeout bounds the TCP connect and the implicit TLS handshake;
	// default DefaultDialTimeout. CommandTimeout bounds the wait for each
	// server reply, the greeting included; default DefaultCommandTimeout.
	DialTimeout    time.Duration
	CommandTimeout time.Duration
	// Now stamps the Date header; default time.Now. Rand feeds Message-ID
	// and MIME boundaries; default crypto/rand.Reader.
	Now  func() time.Time
	Rand io.Reader
}

// SMTPMailer sends mails to one SMTP server, opening a connection per mail.
// It is safe for concurrent use.
type SMTPMailer struct {
	cfg  SMTPConfig
	addr string
}

var _ Mailer = (*SMTPMailer)(nil)

// NewSMTP validates cfg, fills in the defaults and returns the mailer. It
// connects to nothing. Every failed check is reported in one error.
func NewSMTP(cfg SMTPConfig) (*SMTPMailer, error) {
	if cfg.Port == "" {
		cfg.Port = "465"
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSAuto
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.CommandTimeout == 0 {
		cfg.CommandTimeout = DefaultCommandTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	var errs []error
	if cfg.Host == "" {
		errs = append(errs, errors.New("email_delivery.smtp.host is empty"))
	}
	if p, err := strconv.Atoi(cfg.Port); err != nil || p < 1 || p > 65535 {
		errs = append(errs, fmt.Errorf("email_delivery.smtp.port %q is not a port number", cfg.Port))
	}
	switch cfg.TLS {
	case TLSAuto, TLSImplicit, TLSStartTLS, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("unknown TLS mode %q (want auto, tls, starttls or none)", cfg.TLS))
	}
	if strings.ContainsAny(cfg.HelloName, " \r\n") {
		errs = append(errs, fmt.Errorf("invalid HELO name %q", cfg.HelloName))
	}
	if cfg.DialTimeout < 0 || cfg.CommandTimeout < 0 {
		errs = append(errs, errors.New("timeouts must not be negative"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("mail: invalid smtp configuration: %w", errors.Join(errs...))
	}
	tc := &tls.Config{}
	if cfg.TLSConfig != nil {
		tc = cfg.TLSConfig.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = cfg.Host
	}
	cfg.TLSConfig = tc
	return &SMTPMailer{cfg: cfg, addr: net.JoinHostPort(cfg.Host, cfg.Port)}, nil
}

// Send builds m and delivers it over a new connection. Errors read
// "mail: <step> <server>: <cause>" and wrap ErrDelivery (or
// ErrInvalidMessage) and the cause; cancelling ctx aborts the exchange at
// once and the error then also wraps ctx.Err(). The password never appears
// in an error.
func (s *SMTPMailer) Send(ctx context.Context, m Message) error {
	env, err := build(m, s.cfg.Now(), s.cfg.Rand)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return s.fail("send to", err)
	}

	dialer := net.Dialer{Timeout: s.cfg.DialTimeout}
	raw, err := dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return s.fail("connect to", s.cause(ctx, err))
	}
	// go-smtp sets and clears per-command deadlines itself, so ctx is
	// honoured by closing the connection under its feet.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	defer raw.Close()

	conn, encrypted, err := s.secure(ctx, raw)
	if err != nil {
		return err
	}
	c := smtp.NewClient(conn)
	c.CommandTimeout = s.cfg.CommandTimeout
	c.SubmissionTimeout = s.cfg.CommandTimeout
	defer c.Close()
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return s.fail("smtp handshake with", s.cause(ctx, err))
	}
	if s.cfg.User != "" {
		if err := s.auth(ctx, c, encrypted); err != nil {
			return err
		}
	}
	if err := c.SendMail(env.from, []string{env.to}, bytes.NewReader(env.data)); err != nil {
		return s.fail("send mail via", s.cause(ctx, err))
	}
	_ = c.Quit() // the mail is accepted; a failing QUIT changes nothing
	return nil
}

// secure applies the TLS mode to a fresh connection. It returns the
// connection to speak SMTP over and whether it is encrypted.
func (s *SMTPMailer) secure(ctx context.Context, raw net.Conn) (net.Conn, bool, error) {
	mode := s.cfg.TLS
	if mode == TLSAuto && s.cfg.Port == "465" {
		mode = TLSImplicit
	}
	switch mode {
	case TLSImplicit:
		tc := tls.Client(raw, s.cfg.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, s.cfg.DialTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			return nil, false, s.fail("TLS handshake with", s.cause(ctx, err))
		}
		return tc, true, nil
	case TLSNone:
		return raw, false, nil
	}
	return s.startTLS(ctx, raw, mode == TLSStartTLS)
}

// startTLS reads the greeting, sends EHLO and upgrades the connection with
// STARTTLS (RFC 3207) when the server offers it; required makes a missing
// offer an error. go-smtp cannot upgrade a client that has already said
// EHLO, so this exchange is done here and the client is handed a connection
// that replays a greeting; it then says EHLO again, as RFC 3207 §4.2
// requires after STARTTLS (and RFC 5321 §4.1.4 permits anyway).
func (s *SMTPMailer) startTLS(ctx context.Context, raw net.Conn, required bool) (net.Conn, bool, error) {
	fail := func(err error) (net.Conn, bool, error) {
		return nil, false, s.fail("smtp handshake with", s.cause(ctx, err))
	}
	// Network deadlines are wall-clock by nature, so they use time.Now
	// rather than the injected clock (which only stamps the Date header).
	_ = raw.SetDeadline(time.Now().Add(s.cfg.CommandTimeout))
	tp := textproto.NewConn(raw) // never closed: raw lives on
	if _, _, err := tp.ReadResponse(220); err != nil {
		return fail(fmt.Errorf("greeting: %w", err))
	}
	offered := false
	_, msg, err := cmd(tp, 250, "EHLO %s", s.cfg.HelloName)
	var perr *textproto.Error
	switch {
	case errors.As(err, &perr) && (perr.Code == 500 || perr.Code == 502):
		// EHLO unsupported: no extensions, so no STARTTLS.
	case err != nil:
		return fail(fmt.Errorf("EHLO: %w", err))
	default:
		for _, line := range strings.Split(msg, "\n")[1:] {
			if kw, _, _ := strings.Cut(strings.TrimSpace(line), " "); strings.EqualFold(kw, "STARTTLS") {
				offered = true
			}
		}
	}
	if !offered {
		if required {
			return fail(errors.New("server does not offer STARTTLS"))
		}
		_ = raw.SetDeadline(time.Time{})
		return replayGreeting(raw, s.cfg.Host), false, nil
	}
	if _, _, err := cmd(tp, 220, "STARTTLS"); err != nil {
		return fail(fmt.Errorf("STARTTLS: %w", err))
	}
	tc := tls.Client(raw, s.cfg.TLSConfig)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, false, s.fail("TLS handshake with", s.cause(ctx, err))
	}
	_ = raw.SetDeadline(time.Time{})
	return replayGreeting(tc, s.cfg.Host), true, nil
}

// cmd sends one command and reads its reply.
func cmd(tp *textproto.Conn, want int, format string, args ...any) (int, string, error) {
	id, err := tp.Cmd(format, args...)
	if err != nil {
		return 0, "", err
	}
	tp.StartResponse(id)
	defer tp.EndResponse(id)
	return tp.ReadResponse(want)
}

// greetedConn is a connection whose first read returns a canned greeting.
type greetedConn struct {
	net.Conn
	r io.Reader
}

func (c *greetedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func replayGreeting(conn net.Conn, host string) net.Conn {
	return &greetedConn{Conn: conn, r: io.MultiReader(strings.NewReader("220 "+host+" ESMTP\r\n"), conn)}
}

// auth authenticates with PLAIN or LOGIN, refusing to do so in the clear
// unless allowed.
func (s *SMTPMailer) auth(ctx context.Context, c *smtp.Client, encrypted bool) error {
	op := fmt.Sprintf("authenticate as %q to", s.cfg.User)
	if !encrypted && !s.cfg.AllowInsecureAuth {
		return s.fail(op, errors.New("refusing to send the password over an unencrypted connection (the server offers no STARTTLS; set AllowInsecureAuth to override)"))
	}
	if ok, _ := c.Extension("AUTH"); !ok {
		return s.fail(op, errors.New("server does not offer AUTH"))
	}
	var mech sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		mech = sasl.NewPlainClient("", s.cfg.User, s.cfg.Password)
	case c.SupportsAuth(sasl.Login):
		mech = sasl.NewLoginClient(s.cfg.User, s.cfg.Password)
	default:
		return s.fail(op, errors.New("server offers neither AUTH PLAIN nor LOGIN"))
	}
	if err := c.Auth(mech); err != nil {
		return s.fail(op, s.cause(ctx, err))
	}
	return nil
}

// cause prefers ctx's error when ctx ended, keeping err as detail.
func (s *SMTPMailer) cause(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", cerr, err)
	}
	return err
}

// fail wraps err as a delivery failure of step op on this server.
func (s *SMTPMailer) fail(op string, err error) error {
	return &opError{op: op + " " + s.addr, class: ErrDelivery, err: err}
}
