// Package mail renders and sends the emails hanko writes: passcodes for
// login, email verification and account recovery, and the notices sent when
// someone tries to log in with an unknown address or to register a taken one.
//
// Sending goes through the small Mailer interface so that a host can plug in
// its own delivery (an API-based provider, a queue). The package offers two
// implementations:
//
//   - SMTPMailer, built by NewSMTP from the email_delivery.smtp keys, speaks
//     SMTP through github.com/emersion/go-smtp: implicit TLS on port 465,
//     STARTTLS whenever the server offers it elsewhere, AUTH when a user is
//     set (never over an unencrypted connection unless explicitly allowed),
//     dial and command timeouts, and cancellation through ctx.
//   - LogMailer writes each mail to a *slog.Logger instead of sending it; the
//     standalone server uses it when no SMTP host is configured
//     ("development mode").
//
// Render produces the localised subject, plain-text and HTML bodies of each
// kind of mail from templates embedded in the binary; Language picks the
// locale from an Accept-Language header. A feature sends a passcode like so:
//
//	lang := mail.Language(r.Header.Get("Accept-Language"))
//	subject, text, html, err := mail.Render(mail.KindLogin, lang,
//		mail.Data{ServiceName: "Example", Code: "123456", TTL: 5 * time.Minute})
//	if err != nil {
//		return err
//	}
//	err = mailer.Send(ctx, mail.Message{
//		To: "user@example.com", FromAddress: "noreply@example.com", FromName: "Example",
//		Subject: subject, Text: text, HTML: html,
//	})
//
// Unlike the Hanko backend, which sends plain text only (in English and
// Chinese), mails are multipart/alternative with a text/plain and a simple
// text/html part, in English and German.
package mail
