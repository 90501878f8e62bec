package passcode

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/mail"
	"github.com/hanko-go/hanko/store"
)

// MinSecretLen is the shortest accepted Config.Secret, in bytes.
const MinSecretLen = 32

// SecretLabel is the fixed message from which DeriveSecret derives the MAC
// key. Changing it invalidates every outstanding passcode.
const SecretLabel = "hanko passcode mac v1"

// DeriveSecret returns HMAC-SHA256(key, SecretLabel), the passcode MAC key
// that hanko.New derives from secrets.keys[0]. Deriving a separate key keeps
// the passcode MACs independent of every other use of that secret.
func DeriveSecret(key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(SecretLabel))
	return m.Sum(nil)
}

// Config configures a Service. Store and Secret are required; every other
// zero field takes the default in brackets.
type Config struct {
	Store Store
	// Mailer sends the passcode mails. Nil means email_delivery.enabled =
	// false: Create then sends nothing and returns the code in
	// Created.Code, for the email.send webhook to carry to the app.
	Mailer mail.Mailer
	// Secret is the MAC key, at least MinSecretLen bytes. hanko.New sets it
	// to DeriveSecret(secrets.keys[0]). Passcodes created under one secret
	// do not verify under another.
	Secret []byte
	// TTL is email.passcode_ttl, how long a passcode is valid [300 s].
	TTL time.Duration
	// MaxAttempts is how many wrong codes a passcode survives [3].
	MaxAttempts int
	// ServiceName is service.name, shown in the mails.
	ServiceName string
	// FromAddress and FromName are email_delivery.from_address and
	// from_name; FromAddress is required when Mailer is set.
	FromAddress, FromName string

	// Events receives email.send (with the code, for the app to send the
	// mail itself when Mailer is nil) and the passcode_login_* audit
	// events. [nil: nothing is emitted]
	Events events.Emitter

	Now  func() time.Time // [time.Now]
	Rand io.Reader        // codes and IDs [crypto/rand.Reader]
}

// Service creates and verifies passcodes. It is safe for concurrent use.
type Service struct {
	cfg Config
}

// New returns a Service. It fails on a missing Store, a short Secret, a
// negative TTL or MaxAttempts, or a Mailer without FromAddress.
func New(cfg Config) (*Service, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("passcode: Config.Store is required"))
	}
	if len(cfg.Secret) < MinSecretLen {
		errs = append(errs, fmt.Errorf("passcode: Config.Secret must be at least %d bytes, got %d", MinSecretLen, len(cfg.Secret)))
	}
	if cfg.TTL < 0 {
		errs = append(errs, fmt.Errorf("passcode: Config.TTL %s is negative", cfg.TTL))
	}
	if cfg.TTL%time.Second != 0 {
		errs = append(errs, fmt.Errorf("passcode: Config.TTL %s is not whole seconds", cfg.TTL))
	}
	if cfg.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("passcode: Config.MaxAttempts %d is negative", cfg.MaxAttempts))
	}
	if cfg.Mailer != nil && cfg.FromAddress == "" {
		errs = append(errs, errors.New("passcode: Config.FromAddress is required with a Mailer"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.Secret = append([]byte(nil), cfg.Secret...)
	if cfg.TTL == 0 {
		cfg.TTL = 300 * time.Second
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 3
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Service{cfg: cfg}, nil
}

// Request asks for a passcode.
type Request struct {
	// UserID and EmailID bind the passcode to a user and an email; the zero
	// UUID stores NULL (flow passcodes keep their identity elsewhere).
	UserID, EmailID uuid.UUID
	// Address is the recipient; required when the Service has a Mailer.
	Address string
	// Language selects the mail's locale (see mail.Language) [en].
	Language string
	// Kind is the mail template, one of mail.KindLogin, KindFlowLogin,
	// KindEmailVerification, KindRecovery [mail.KindLogin].
	Kind mail.Kind
}

// Created is a new passcode.
type Created struct {
	// Passcode is the stored row: ID, TTL and CreatedAt make the API answer.
	Passcode store.Passcode
	// Code is the plain code, set only when the Service has no Mailer
	// (email_delivery.enabled = false), so that the caller can hand it to
	// the email.send webhook. With a Mailer it is empty: the code then
	// leaves the process only in the mail.
	Code string
}

// codeKinds are the mail kinds that carry a passcode.
var codeKinds = map[mail.Kind]bool{
	mail.KindLogin: true, mail.KindFlowLogin: true, mail.KindEmailVerification: true, mail.KindRecovery: true,
}

// Create stores a new passcode and mails its code to req.Address. The row
// is written first; if the mail then cannot be sent, the row is deleted
// again and the error wraps ErrDelivery (autherr.Unavailable) and the
// mailer's cause, with any occurrence of the code blanked out. Without a
// Mailer nothing is sent and the code is returned in Created.Code.
//
// Create emits email.send (with the rendered mail and the code; for the
// login and email-verification kinds also passcode_login_init_succeeded):
// without a Mailer in the transaction that stores the row, with one after
// the mail went out. A failed mail emits passcode_login_init_failed.
//
// Call Create outside a transaction: a Mailer may take seconds, and a
// transaction would hold its locks for that long.
func (s *Service) Create(ctx context.Context, req Request) (Created, error) {
	if req.Kind == "" {
		req.Kind = mail.KindLogin
	}
	if !codeKinds[req.Kind] {
		return Created{}, fmt.Errorf("%w: mail kind %q carries no passcode", ErrInvalidRequest, req.Kind)
	}
	if s.cfg.Mailer != nil && req.Address == "" {
		return Created{}, fmt.Errorf("%w: no recipient address", ErrInvalidRequest)
	}
	id, err := uuid.NewRandomFromReader(s.cfg.Rand)
	if err != nil {
		return Created{}, fmt.Errorf("passcode: new id: %w", err)
	}
	code, err := newCode(s.cfg.Rand)
	if err != nil {
		return Created{}, err
	}
	// Rendered with or without a Mailer: the email.send webhook carries the
	// mail for apps that send it themselves.
	subject, text, html, err := mail.Render(req.Kind, req.Language, mail.Data{
		ServiceName: s.cfg.ServiceName, Code: code, TTL: s.cfg.TTL,
	})
	if err != nil {
		return Created{}, fmt.Errorf("passcode: %w", err)
	}

	now := s.cfg.Now().UTC().Truncate(time.Microsecond) // as stored
	p := store.Passcode{
		ID:        id,
		UserID:    optional(req.UserID),
		EmailID:   optional(req.EmailID),
		TTL:       int(s.cfg.TTL / time.Second),
		Code:      s.mac(id, code),
		ExpiresAt: now.Add(s.cfg.TTL),
		CreatedAt: now,
		UpdatedAt: now,
	}
	sent := s.sentEvent(req, p, code, subject, text)
	if s.cfg.Mailer == nil {
		err := s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
			if err := s.cfg.Store.CreatePasscode(ctx, p); err != nil {
				return fmt.Errorf("passcode: create: %w", err)
			}
			return events.Emit(ctx, s.cfg.Events, sent)
		})
		if err != nil {
			return Created{}, err
		}
		return Created{Passcode: p, Code: code}, nil
	}
	msg := mail.Message{
		To: req.Address, FromAddress: s.cfg.FromAddress, FromName: s.cfg.FromName,
		Subject: subject, Text: text, HTML: html,
		Header: map[string]string{"X-Hanko-Passcode-Id": id.String()},
	}
	if err := s.cfg.Store.CreatePasscode(ctx, p); err != nil {
		return Created{}, fmt.Errorf("passcode: create: %w", err)
	}
	if err := s.cfg.Mailer.Send(ctx, msg); err != nil {
		sendErr := fmt.Errorf("%w: %w", ErrDelivery, withoutCode(err, code))
		// The caller's ctx may be what failed the send; the cleanup must
		// still run.
		bg := context.WithoutCancel(ctx)
		if derr := s.cfg.Store.DeletePasscode(bg, id); derr != nil && !errors.Is(derr, autherr.NotFound) {
			return Created{}, errors.Join(sendErr, fmt.Errorf("passcode: delete unsent passcode: %w", derr))
		}
		if sent.Audit != "" {
			failed := events.Event{Audit: events.PasscodeLoginInitFailed, UserID: req.UserID, Email: req.Address, Err: ErrDelivery}
			if eerr := events.Emit(bg, s.cfg.Events, failed); eerr != nil {
				return Created{}, errors.Join(sendErr, eerr)
			}
		}
		return Created{}, sendErr
	}
	// Emitted once the mail is out, so that email.send and the audit record
	// never announce a mail that failed. Row and mail are done by now; an
	// emitter failure is still reported.
	if err := s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		return events.Emit(ctx, s.cfg.Events, sent)
	}); err != nil {
		return Created{}, err
	}
	return Created{Passcode: p}, nil
}

// EmailSend is the data claim of the email.send webhook (reference section
// 4.10): the passcode mail, for apps that send it themselves.
type EmailSend struct {
	Subject          string           `json:"subject"`
	BodyPlain        string           `json:"body_plain"`
	ToEmailAddress   string           `json:"to_email_address"`
	DeliveredByHanko bool             `json:"delivered_by_hanko"`
	AcceptLanguage   string           `json:"accept_language"`
	Type             string           `json:"type"` // "passcode"
	Data             EmailSendPayload `json:"data"`
}

// EmailSendPayload is the passcode part of EmailSend.
type EmailSendPayload struct {
	ServiceName string `json:"service_name"`
	OTPCode     string `json:"otp_code"`
	TTL         int    `json:"ttl"`         // seconds
	ValidUntil  int64  `json:"valid_until"` // Unix seconds
}

// auditedKinds are the mails of the legacy passcode login (a login code,
// or a code that verifies an address), which the reference audits as
// passcode_login_init_*; flows audit their own.
var auditedKinds = map[mail.Kind]bool{mail.KindLogin: true, mail.KindEmailVerification: true}

// sentEvent is the event of a created passcode: email.send with the mail,
// and for legacy kinds the passcode_login_init_succeeded audit record.
func (s *Service) sentEvent(req Request, p store.Passcode, code, subject, text string) events.Event {
	e := events.Event{
		Webhook: events.EmailSend, UserID: req.UserID, Email: req.Address,
		Data: EmailSend{
			Subject: subject, BodyPlain: text, ToEmailAddress: req.Address, DeliveredByHanko: s.cfg.Mailer != nil,
			AcceptLanguage: req.Language, Type: "passcode",
			Data: EmailSendPayload{ServiceName: s.cfg.ServiceName, OTPCode: code, TTL: p.TTL, ValidUntil: p.ExpiresAt.Unix()},
		},
	}
	if auditedKinds[req.Kind] {
		e.Audit = events.PasscodeLoginInitSucceeded
	}
	return e
}

// Verify checks code against passcode id and consumes the passcode when it
// matches. It is Finalize without a follow-up.
func (s *Service) Verify(ctx context.Context, id uuid.UUID, code string) (store.Passcode, error) {
	return s.Finalize(ctx, id, code, nil)
}

// Finalize checks code against passcode id in one transaction (Store.InTx).
// The outcomes, in order:
//
//   - unknown, used or deleted id: ErrNotFound (401);
//   - now >= ExpiresAt: ErrExpired (408), the row is kept;
//   - a code that is not six ASCII digits, or a wrong one: one try is
//     counted and the result is ErrInvalidCode (401), or, for the try that
//     reaches MaxAttempts (and any racing it), ErrMaxAttempts (410) and the
//     passcode is deleted;
//   - the right code: the passcode is deleted, then fn (if not nil) runs
//     with the transaction's ctx and the passcode, so that the caller can
//     verify the email and issue a session atomically with the consumption.
//     If fn fails, everything rolls back (the passcode stays usable) and
//     fn's error is returned. Of concurrent calls with the right code
//     exactly one succeeds; the others get ErrNotFound.
//
// A success emits passcode_login_final_succeeded inside the transaction,
// after fn; a failed verdict emits passcode_login_final_failed after it,
// with the verdict as Err.
//
// Counted tries commit even though Finalize then returns an error. Call
// Finalize outside any transaction: inside a caller's InTx a try is counted
// only if the caller commits despite the error, so a caller that rolls back
// on error would give attackers unlimited guesses.
func (s *Service) Finalize(ctx context.Context, id uuid.UUID, code string, fn func(ctx context.Context, p store.Passcode) error) (store.Passcode, error) {
	now := s.cfg.Now()
	var (
		out     store.Passcode
		outcome error     // a verdict that must not roll the transaction back
		userID  uuid.UUID // whose passcode failed, when known
	)
	err := s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		p, err := s.cfg.Store.GetPasscode(ctx, id)
		if errors.Is(err, autherr.NotFound) {
			outcome = ErrNotFound
			return nil
		}
		if err != nil {
			return fmt.Errorf("passcode: get: %w", err)
		}
		if p.UserID != nil {
			userID = *p.UserID
		}
		if !now.Before(p.ExpiresAt) {
			outcome = ErrExpired
			return nil
		}
		if p.TryCount >= s.cfg.MaxAttempts {
			outcome, err = s.exhaust(ctx, id)
			return err
		}
		if !s.matches(p, code) {
			outcome, err = s.countWrong(ctx, id)
			return err
		}
		switch err := s.cfg.Store.DeletePasscode(ctx, id); {
		case errors.Is(err, autherr.NotFound):
			outcome = ErrNotFound // another finalizer won
			return nil
		case err != nil:
			return fmt.Errorf("passcode: delete: %w", err)
		}
		if fn != nil {
			if err := fn(ctx, p); err != nil {
				return err
			}
		}
		out = p
		return events.Emit(ctx, s.cfg.Events, events.Event{Audit: events.PasscodeLoginFinalSucceeded, UserID: userID})
	})
	if err != nil {
		return store.Passcode{}, err
	}
	if outcome != nil {
		// Outside the transaction: the counted try has committed; the
		// record says why (the verdict's message, never the code).
		failed := events.Event{Audit: events.PasscodeLoginFinalFailed, UserID: userID, Err: outcome}
		if err := events.Emit(ctx, s.cfg.Events, failed); err != nil {
			return store.Passcode{}, errors.Join(outcome, err)
		}
		return store.Passcode{}, outcome
	}
	return out, nil
}

// countWrong counts a wrong try and returns the verdict, deleting the
// passcode when the try reached MaxAttempts.
func (s *Service) countWrong(ctx context.Context, id uuid.UUID) (verdict, err error) {
	tries, err := s.cfg.Store.IncrementPasscodeTries(ctx, id, s.cfg.MaxAttempts)
	switch {
	case errors.Is(err, autherr.NotFound):
		return ErrNotFound, nil
	case errors.Is(err, autherr.Gone):
		return s.exhaust(ctx, id)
	case err != nil:
		return nil, fmt.Errorf("passcode: count try: %w", err)
	case tries >= s.cfg.MaxAttempts:
		return s.exhaust(ctx, id)
	}
	return ErrInvalidCode, nil
}

// exhaust deletes a passcode whose tries are used up.
func (s *Service) exhaust(ctx context.Context, id uuid.UUID) (verdict, err error) {
	if err := s.cfg.Store.DeletePasscode(ctx, id); err != nil && !errors.Is(err, autherr.NotFound) {
		return nil, fmt.Errorf("passcode: delete exhausted: %w", err)
	}
	return ErrMaxAttempts, nil
}

// matches reports in constant time whether code is p's code. A code that
// is not six ASCII digits never matches.
func (s *Service) matches(p store.Passcode, code string) bool {
	if !wellFormed(code) {
		return false
	}
	return hmac.Equal([]byte(s.mac(p.ID, code)), []byte(p.Code))
}

// mac returns hex(HMAC-SHA256(Secret, id || code)), the stored form.
func (s *Service) mac(id uuid.UUID, code string) string {
	m := hmac.New(sha256.New, s.cfg.Secret)
	m.Write(id[:])
	m.Write([]byte(code))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))
}

// wellFormed reports whether code is exactly six ASCII digits.
func wellFormed(code string) bool {
	if len(code) != codeLen {
		return false
	}
	for i := range len(code) {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	return true
}

const (
	codeLen   = 6
	codeSpace = 1_000_000
	// sampleLimit is the largest multiple of codeSpace that fits in 32
	// bits; samples at or above it are rejected, so that every code is
	// equally likely.
	sampleLimit = (1 << 32) / codeSpace * codeSpace
)

// newCode draws a code uniformly from 000000-999999: it reads 32-bit
// samples from r and rejects those at or above sampleLimit (the chance is
// about 0.02%), then takes the remainder.
func newCode(r io.Reader) (string, error) {
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("passcode: read random: %w", err)
		}
		if v := binary.BigEndian.Uint32(b[:]); v < sampleLimit {
			return fmt.Sprintf("%06d", v%codeSpace), nil
		}
	}
}

func optional(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// withoutCode returns err, or, if its text shows the code (a host's Mailer
// might quote the message it failed to send), a plain error with the code
// blanked out that does not wrap err, so that no unwrapping finds the code.
func withoutCode(err error, code string) error {
	if !strings.Contains(err.Error(), code) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), code, "******"))
}
