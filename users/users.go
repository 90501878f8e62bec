package users

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// Config configures the users feature. Store is required; every other field
// has the default given in brackets.
type Config struct {
	Store FullStore

	// RequireVerification is email.require_verification [false here; hanko.New
	// passes the config value, whose default is true]: a signed-up address
	// stays unassigned until its passcode is verified.
	RequireVerification bool
	// AllowSignup is account.allow_signup.
	AllowSignup bool
	// EmailLimit is email.limit, the most addresses a user may have [5].
	EmailLimit int
	// EmailMaxLength is email.max_length [120].
	EmailMaxLength int
	// UsernameMinLength and UsernameMaxLength bound usernames [3, 32].
	UsernameMinLength, UsernameMaxLength int

	// Sessions, when set, revokes a deleted user's sessions in the same
	// transaction as the deletion.
	Sessions SessionRevoker

	// Events receives what changed (user_created/user.create,
	// email_created/user.update.email.create, …), inside the transaction
	// of the change, so a rollback emits nothing and an emitter's error
	// rolls the change back. [nil: nothing is emitted]
	Events events.Emitter

	Now  func() time.Time // [time.Now]
	Rand io.Reader        // for IDs [crypto/rand.Reader]
}

// Service manages users and their email addresses. It is safe for concurrent
// use; every change runs in one transaction.
type Service struct {
	cfg Config
}

// New returns a Service. It fails if cfg.Store is nil.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("users: Config.Store is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.EmailLimit <= 0 {
		cfg.EmailLimit = 5
	}
	if cfg.EmailMaxLength <= 0 {
		cfg.EmailMaxLength = 120
	}
	if cfg.UsernameMinLength <= 0 {
		cfg.UsernameMinLength = 3
	}
	if cfg.UsernameMaxLength <= 0 {
		cfg.UsernameMaxLength = 32
	}
	return &Service{cfg: cfg}, nil
}

// User is a user with its addresses, as the admin API shows it.
type User struct {
	ID        uuid.UUID
	Emails    []Email
	Username  *Username
	CreatedAt time.Time
	UpdatedAt time.Time
	// Identities are the user's third-party accounts (filled by Get).
	Identities []Identity
}

// Identity is a third-party account linked to one of a user's addresses.
type Identity struct {
	ID           uuid.UUID
	ProviderID   string // the account's ID at the provider
	ProviderName string
	EmailID      uuid.UUID
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// PrimaryEmail returns the user's primary email, or nil.
func (u *User) PrimaryEmail() *Email {
	for i := range u.Emails {
		if u.Emails[i].Primary {
			return &u.Emails[i]
		}
	}
	return nil
}

// Email is an address of a user.
type Email struct {
	ID        uuid.UUID
	UserID    *uuid.UUID // nil while unassigned (awaiting verification)
	Address   string
	Verified  bool
	Primary   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Username is a user's username.
type Username struct {
	ID        uuid.UUID
	Username  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func fromRecord(r store.User) User {
	u := User{ID: r.ID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Emails: make([]Email, 0, len(r.Emails))}
	primary := r.PrimaryEmailID()
	for _, e := range r.Emails {
		u.Emails = append(u.Emails, emailFromRecord(e, e.ID == primary))
		for _, i := range e.Identities {
			u.Identities = append(u.Identities, Identity{ID: i.ID, ProviderID: i.ProviderID, ProviderName: i.ProviderName,
				EmailID: i.EmailID, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt})
		}
	}
	if r.Username != nil {
		u.Username = &Username{ID: r.Username.ID, Username: r.Username.Username, CreatedAt: r.Username.CreatedAt, UpdatedAt: r.Username.UpdatedAt}
	}
	return u
}

func emailFromRecord(e store.Email, primary bool) Email {
	return Email{ID: e.ID, UserID: e.UserID, Address: e.Address, Verified: e.Verified, Primary: primary, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

// now returns the current time as stored: UTC, microsecond precision (the
// finest every dialect keeps).
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) newID() (uuid.UUID, error) {
	id, err := uuid.NewRandomFromReader(s.cfg.Rand)
	if err != nil {
		return uuid.Nil, fmt.Errorf("users: make id: %w", err)
	}
	return id, nil
}

// normalizeEmail applies NormalizeEmail and the configured length limit.
func (s *Service) normalizeEmail(address string) (string, error) {
	a, err := NormalizeEmail(address)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(a) > s.cfg.EmailMaxLength {
		return "", ErrEmailTooLong
	}
	return a, nil
}

var usernamePattern = regexp.MustCompile(`^\w+$`)

// Get returns a user with its emails and username. ErrUserNotFound if none.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (User, error) {
	r, err := s.cfg.Store.GetUser(ctx, id)
	if errors.Is(err, autherr.NotFound) {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, err
	}
	return fromRecord(r), nil
}

// Query selects users for List. Zero values mean no filter; Page starts at 1.
type Query struct {
	Page, PerPage int
	IDs           []uuid.UUID
	Email         string // substring of an address, case-insensitive
	Username      string // substring of the username
	Ascending     bool   // oldest first; newest first by default
}

// maxFilter bounds the text filters of List (the longest column is 255).
const maxFilter = 255

// List returns one page of users and the number of users matching q. A
// filter that is not UTF-8, holds NUL or is longer than 255 bytes, and a
// page beyond any possible offset, are autherr.Invalid.
func (s *Service) List(ctx context.Context, q Query) ([]User, int, error) {
	if q.Page < 1 {
		q.Page = 1
	}
	if q.PerPage < 1 {
		q.PerPage = 20
	}
	for _, f := range []string{q.Email, q.Username} {
		if len(f) > maxFilter || !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			return nil, 0, autherr.New(autherr.Invalid, fmt.Sprintf("email and username filters must be UTF-8 without NUL characters, at most %d bytes", maxFilter))
		}
	}
	if q.Page-1 > math.MaxInt/q.PerPage {
		return nil, 0, autherr.New(autherr.Invalid, "page is too large")
	}
	recs, total, err := s.cfg.Store.ListUsers(ctx, store.UserQuery{
		IDs:      q.IDs,
		Email:    strings.ToLower(strings.TrimSpace(q.Email)),
		Username: q.Username,
		Desc:     !q.Ascending,
		Offset:   (q.Page - 1) * q.PerPage,
		Limit:    q.PerPage,
	})
	if err != nil {
		return nil, 0, err
	}
	out := make([]User, len(recs))
	for i, r := range recs {
		out[i] = fromRecord(r)
	}
	return out, total, nil
}

// NewEmail is an address of a user being created.
type NewEmail struct {
	Address  string
	Primary  bool
	Verified bool
}

// NewUser describes a user to create with Create. ID and CreatedAt are
// optional (a random ID and now). At least one of Emails and Username is
// required; when Emails is set exactly one must be primary.
type NewUser struct {
	ID        uuid.UUID
	Emails    []NewEmail
	Username  string
	CreatedAt time.Time
}

// Create creates a user with its emails and username in one transaction, as
// the admin API does. It returns ErrNoIdentifier, ErrPrimaryCount,
// ErrDuplicateEmails, ErrInvalidEmail or ErrInvalidUsername for bad input
// and ErrUserExists, ErrEmailTaken or ErrUsernameTaken when something is
// already taken.
func (s *Service) Create(ctx context.Context, nu NewUser) (User, error) {
	if len(nu.Emails) == 0 && nu.Username == "" {
		return User{}, ErrNoIdentifier
	}
	nu.Emails = slices.Clone(nu.Emails) // normalised below; the caller's slice stays as it was
	seen := make(map[string]bool, len(nu.Emails))
	primaries := 0
	for i := range nu.Emails {
		a, err := s.normalizeEmail(nu.Emails[i].Address)
		if err != nil {
			return User{}, err
		}
		if seen[a] {
			return User{}, ErrDuplicateEmails
		}
		seen[a] = true
		nu.Emails[i].Address = a
		if nu.Emails[i].Primary {
			primaries++
		}
	}
	if len(nu.Emails) > 0 && primaries != 1 {
		return User{}, ErrPrimaryCount
	}
	if nu.Username != "" {
		if err := s.checkUsername(nu.Username); err != nil {
			return User{}, err
		}
	}
	now := s.now()
	created := now
	if !nu.CreatedAt.IsZero() {
		created = nu.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	id := nu.ID
	if id == uuid.Nil {
		var err error
		if id, err = s.newID(); err != nil {
			return User{}, err
		}
	}
	err := s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.cfg.Store.CreateUser(ctx, store.User{ID: id, CreatedAt: created, UpdatedAt: now}); err != nil {
			return conflictAs(err, ErrUserExists)
		}
		for _, ne := range nu.Emails {
			eid, err := s.newID()
			if err != nil {
				return err
			}
			e := store.Email{ID: eid, UserID: &id, Address: ne.Address, Verified: ne.Verified, CreatedAt: now, UpdatedAt: now}
			if err := s.cfg.Store.CreateEmail(ctx, e); err != nil {
				return conflictAs(err, ErrEmailTaken)
			}
			if ne.Primary {
				if err := s.setPrimary(ctx, id, eid, now); err != nil {
					return err
				}
			}
		}
		if nu.Username != "" {
			nid, err := s.newID()
			if err != nil {
				return err
			}
			n := store.Username{ID: nid, UserID: id, Username: nu.Username, CreatedAt: now, UpdatedAt: now}
			if err := s.cfg.Store.CreateUsername(ctx, n); err != nil {
				return conflictAs(err, ErrUsernameTaken)
			}
		}
		return s.emit(ctx, events.Event{Audit: events.UserCreated, Webhook: events.UserCreate, UserID: id, Email: primaryAddress(nu.Emails)})
	})
	if err != nil {
		return User{}, err
	}
	return s.Get(ctx, id)
}

func (s *Service) checkUsername(n string) error {
	if !usernamePattern.MatchString(n) {
		return ErrInvalidUsername
	}
	if l := utf8.RuneCountInString(n); l < s.cfg.UsernameMinLength || l > s.cfg.UsernameMaxLength {
		return ErrUsernameLength
	}
	return nil
}

func (s *Service) setPrimary(ctx context.Context, userID, emailID uuid.UUID, now time.Time) error {
	pid, err := s.newID()
	if err != nil {
		return err
	}
	return s.cfg.Store.SetPrimaryEmail(ctx, pid, userID, emailID, now)
}

// conflictAs replaces a store conflict with the feature's own error.
func conflictAs(err, with error) error { return autherr.Replace(err, autherr.Conflict, with) }

// Delete deletes a user and everything that belongs to it.
// ErrUserNotFound if there is no such user.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	return s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.cfg.Store.LockUser(ctx, id); err != nil {
			return notFoundAs(err, ErrUserNotFound)
		}
		// Before the deletion, so that the webhook payload can still load
		// the user.
		if err := s.emit(ctx, events.Event{Audit: events.UserDeleted, Webhook: events.UserDelete, UserID: id}); err != nil {
			return err
		}
		if s.cfg.Sessions != nil {
			if err := s.cfg.Sessions.RevokeUser(ctx, id); err != nil {
				return err
			}
		}
		return notFoundAs(s.cfg.Store.DeleteUser(ctx, id), ErrUserNotFound)
	})
}

// SignUpResult is the outcome of SignUp.
type SignUpResult struct {
	UserID  uuid.UUID
	EmailID uuid.UUID
	// Assigned reports whether the address now belongs to the user (sign-up
	// without required verification); otherwise it awaits a passcode.
	Assigned bool
}

// SignUp creates a user for an email address, as public POST /users does.
// With RequireVerification the address stays unassigned until it is verified
// (an unassigned address left by an earlier attempt is reused); otherwise it
// becomes the user's (unverified) primary address at once. It returns ErrSignupDisabled, ErrInvalidEmail, or ErrEmailTaken when the
// address belongs to a user.
func (s *Service) SignUp(ctx context.Context, address string) (SignUpResult, error) {
	return s.SignUpThen(ctx, address, nil)
}

// SignUpThen is SignUp followed, in the same transaction, by then (when not
// nil), so that what the caller does next (issue the session) commits or
// rolls back with the new user and its events.
func (s *Service) SignUpThen(ctx context.Context, address string, then func(ctx context.Context, res SignUpResult) error) (SignUpResult, error) {
	if !s.cfg.AllowSignup {
		return SignUpResult{}, ErrSignupDisabled
	}
	a, err := s.normalizeEmail(address)
	if err != nil {
		return SignUpResult{}, err
	}
	now := s.now()
	var res SignUpResult
	err = s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		existing, err := s.cfg.Store.GetEmailByAddress(ctx, a)
		switch {
		case err == nil && existing.UserID != nil:
			return ErrEmailTaken
		case err != nil && !errors.Is(err, autherr.NotFound):
			return err
		}
		uid, err := s.newID()
		if err != nil {
			return err
		}
		if err := s.cfg.Store.CreateUser(ctx, store.User{ID: uid, CreatedAt: now, UpdatedAt: now}); err != nil {
			return err
		}
		res.UserID = uid
		if s.cfg.RequireVerification {
			if existing.ID != uuid.Nil {
				res.EmailID = existing.ID
			} else {
				eid, err := s.newID()
				if err != nil {
					return err
				}
				res.EmailID = eid
				if err := s.cfg.Store.CreateEmail(ctx, store.Email{ID: eid, Address: a, CreatedAt: now, UpdatedAt: now}); err != nil {
					return conflictAs(err, ErrEmailTaken)
				}
			}
			// The user row exists now (user_created, as the reference
			// audits it); the user.create webhook waits for the address to
			// be verified (VerifyEmail).
			if err := s.emit(ctx, events.Event{Audit: events.UserCreated, UserID: uid, Email: a}); err != nil {
				return err
			}
			return s.then(ctx, then, res)
		}
		res.Assigned = true
		if existing.ID != uuid.Nil {
			// Unassigned when read; a concurrent claimer may have won since.
			res.EmailID = existing.ID
			if err := s.cfg.Store.ClaimEmail(ctx, existing.ID, uid, existing.Verified, now); err != nil {
				return conflictAs(err, ErrEmailTaken)
			}
		} else {
			eid, err := s.newID()
			if err != nil {
				return err
			}
			res.EmailID = eid
			e := store.Email{ID: eid, UserID: &uid, Address: a, CreatedAt: now, UpdatedAt: now}
			if err := s.cfg.Store.CreateEmail(ctx, e); err != nil {
				return conflictAs(err, ErrEmailTaken)
			}
		}
		if err := s.setPrimary(ctx, uid, res.EmailID, now); err != nil {
			return err
		}
		if err := s.emit(ctx, events.Event{Audit: events.UserCreated, Webhook: events.UserCreate, UserID: uid, Email: a}); err != nil {
			return err
		}
		return s.then(ctx, then, res)
	})
	if err != nil {
		return SignUpResult{}, err
	}
	return res, nil
}

func (s *Service) then(ctx context.Context, then func(context.Context, SignUpResult) error, res SignUpResult) error {
	if then == nil {
		return nil
	}
	return then(ctx, res)
}

// emit sends e to the configured emitter, if any.
func (s *Service) emit(ctx context.Context, e events.Event) error {
	return events.Emit(ctx, s.cfg.Events, e)
}

// primaryAddress is the primary one of new addresses, or "".
func primaryAddress(es []NewEmail) string {
	for _, e := range es {
		if e.Primary {
			return e.Address
		}
	}
	return ""
}

// LookupResult is what POST /user reveals about an address's owner.
type LookupResult struct {
	UserID                uuid.UUID
	EmailID               uuid.UUID
	Verified              bool
	HasWebauthnCredential bool
}

// Lookup finds the user an address belongs to. An unknown or unassigned
// address is ErrUserNotFound; a malformed one ErrInvalidEmail.
func (s *Service) Lookup(ctx context.Context, address string) (LookupResult, error) {
	a, err := NormalizeEmail(address)
	if err != nil {
		return LookupResult{}, err
	}
	e, err := s.cfg.Store.GetEmailByAddress(ctx, a)
	if errors.Is(err, autherr.NotFound) || err == nil && e.UserID == nil {
		return LookupResult{}, ErrUserNotFound
	}
	if err != nil {
		return LookupResult{}, err
	}
	n, err := s.cfg.Store.CountWebauthnCredentials(ctx, *e.UserID)
	if err != nil {
		return LookupResult{}, err
	}
	return LookupResult{UserID: *e.UserID, EmailID: e.ID, Verified: e.Verified, HasWebauthnCredential: n > 0}, nil
}
