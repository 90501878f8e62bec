package mail

import (
	"context"
	"log/slog"

	"github.com/hanko-go/hanko/autherr"
)

// Message is one email to one recipient. To and FromAddress are addresses
// as accepted by net/mail.ParseAddress ("user@example.com" or
// "Name <user@example.com>"); FromName, when set, replaces the display name
// of FromAddress. Text and HTML are the two alternative bodies; at least one
// is required. Header holds extra header fields (for example
// "X-Hanko-Passcode-Id"); it may not set the fields the mailer writes itself
// (From, To, Subject, Date, Message-ID, MIME-Version, Content-*).
type Message struct {
	To          string
	FromAddress string
	FromName    string
	Subject     string
	Text        string
	HTML        string
	Header      map[string]string
}

// Mailer delivers a Message. Implementations must be safe for concurrent
// use and honour ctx cancellation. Hosts may supply their own.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// ErrInvalidMessage is wrapped by errors about a Message that cannot be
// sent as given (a malformed address, a forbidden header). Its kind is
// autherr.Invalid.
var ErrInvalidMessage = autherr.New(autherr.Invalid, "invalid mail message")

// ErrDelivery is wrapped by every error about an SMTP server that could not
// be reached or refused the mail. Its kind is autherr.Unavailable. The
// underlying cause (a *net.OpError, a *smtp.SMTPError, context.Canceled,
// ...) is wrapped too.
var ErrDelivery = autherr.New(autherr.Unavailable, "mail delivery failed")

// opError reads "mail: <op>: <cause>" and matches both its class (one of the
// sentinels above) and its cause with errors.Is and errors.As.
type opError struct {
	op    string
	class error
	err   error
}

func (e *opError) Error() string   { return "mail: " + e.op + ": " + e.err.Error() }
func (e *opError) Unwrap() []error { return []error{e.class, e.err} }

// LogMailer writes each mail to a logger instead of sending it, for a server
// without an SMTP host ("development mode"). The log record contains the
// text body and thus the passcode, which is the point: never use it in
// production. It is safe for concurrent use.
type LogMailer struct {
	log *slog.Logger
}

// NewLogMailer returns a LogMailer writing to log; a nil log discards.
func NewLogMailer(log *slog.Logger) *LogMailer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LogMailer{log: log}
}

// Send logs m at Warn level with the message "development mode: mail not
// sent" and the attributes to, subject and text. It never fails.
func (l *LogMailer) Send(ctx context.Context, m Message) error {
	l.log.WarnContext(ctx, "development mode: mail not sent",
		slog.String("to", m.To),
		slog.String("subject", m.Subject),
		slog.String("text", m.Text))
	return nil
}
