package password

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// Errors of the Service. Each matches its autherr kind with errors.Is.
var (
	// ErrInvalidCredentials: the user does not exist, has no password, or
	// the password is wrong. Login does not say which, and takes about as
	// long in every case. The message is the reference's 401 body text.
	ErrInvalidCredentials = autherr.New(autherr.Unauthenticated, "Unauthorized")
	// ErrUserNotFound: a password was to be stored for a user who does not
	// exist.
	ErrUserNotFound = autherr.New(autherr.NotFound, "user not found")
	// ErrNoPassword: the user has no password (or does not exist).
	ErrNoPassword = autherr.New(autherr.NotFound, "password not found")
	// ErrPasswordExists: Create was asked for a user who already has a
	// password.
	ErrPasswordExists = autherr.New(autherr.Conflict, "user already has a password")
)

// ServiceConfig configures a Service. Store and Hasher are required; New
// never modifies the caller's ServiceConfig.
type ServiceConfig struct {
	// Store persists credentials. Required.
	Store Store
	// Hasher hashes, verifies and applies the password policy. Required.
	Hasher *Hasher
	// Now stamps created_at and updated_at. Default time.Now.
	Now func() time.Time
	// Rand supplies credential IDs. Default crypto/rand.Reader.
	Rand io.Reader
	// Logger receives failures that do not fail the call (a rehash that
	// could not be stored). Default: discard.
	Logger *slog.Logger
	// Events receives password_set_* and password_login_* audit events;
	// a stored password emits inside its transaction, failures after the
	// call. Default: nil, nothing is emitted.
	Events events.Emitter
}

// Credential is what the Service shows of a stored password: never the
// hash.
type Credential struct {
	ID        uuid.UUID
	UserID    uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Service sets, checks and removes user passwords. It is safe for
// concurrent use.
type Service struct {
	store  Store
	hasher *Hasher
	now    func() time.Time
	rand   io.Reader
	log    *slog.Logger
	events events.Emitter
}

// NewService applies cfg's defaults and returns a Service; an error names
// every missing required field.
func NewService(cfg ServiceConfig) (*Service, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if cfg.Hasher == nil {
		errs = append(errs, errors.New("Hasher is required"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("password: invalid service configuration: %w", errors.Join(errs...))
	}
	s := &Service{store: cfg.Store, hasher: cfg.Hasher, now: cfg.Now, rand: cfg.Rand, log: cfg.Logger, events: cfg.Events}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// CheckPolicy reports whether plain is acceptable as a new password (see
// Hasher.CheckPolicy): nil or an autherr.Invalid error.
func (s *Service) CheckPolicy(plain string) error { return s.hasher.CheckPolicy(plain) }

// Set checks plain against the policy, hashes it and stores it as the
// user's password, creating the credential or replacing the hash in one
// transaction. created reports which. Errors: the policy's autherr.Invalid
// errors, ErrUserNotFound when the user does not exist.
func (s *Service) Set(ctx context.Context, userID uuid.UUID, plain string) (created bool, err error) {
	enc, err := s.hasher.Hash(ctx, plain)
	if err != nil {
		return false, s.setFailed(ctx, userID, err)
	}
	// A concurrent Set can create the row between our read and insert (or
	// a Delete can remove it before our update); then the second attempt
	// takes the other branch. Two attempts always suffice unless Set races
	// with Set and Delete at once, which the caller may retry.
	for attempt := 0; ; attempt++ {
		err = s.store.InTx(ctx, func(ctx context.Context) error {
			_, err := s.store.GetPasswordCredential(ctx, userID)
			switch {
			case err == nil:
				created = false
				err = s.update(ctx, userID, enc)
			case errors.Is(err, autherr.NotFound):
				created = true
				err = s.create(ctx, userID, enc)
			}
			if err != nil {
				return err
			}
			return s.setSucceeded(ctx, userID)
		})
		raced := (created && errors.Is(err, ErrPasswordExists)) || (!created && errors.Is(err, ErrNoPassword))
		if !raced || attempt == 1 {
			return created, err
		}
	}
}

// Create stores plain as the password of a user who has none. Errors: the
// policy's autherr.Invalid errors, ErrPasswordExists, ErrUserNotFound.
func (s *Service) Create(ctx context.Context, userID uuid.UUID, plain string) error {
	enc, err := s.hasher.Hash(ctx, plain)
	if err != nil {
		return s.setFailed(ctx, userID, err)
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.create(ctx, userID, enc); err != nil {
			return err
		}
		return s.setSucceeded(ctx, userID)
	})
}

// Replace stores plain as the new password of a user who has one. Errors:
// the policy's autherr.Invalid errors, ErrNoPassword.
func (s *Service) Replace(ctx context.Context, userID uuid.UUID, plain string) error {
	enc, err := s.hasher.Hash(ctx, plain)
	if err != nil {
		return s.setFailed(ctx, userID, err)
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.update(ctx, userID, enc); err != nil {
			return err
		}
		return s.setSucceeded(ctx, userID)
	})
}

// setSucceeded emits password_set_succeeded in the transaction of ctx.
func (s *Service) setSucceeded(ctx context.Context, userID uuid.UUID) error {
	return events.Emit(ctx, s.events, events.Event{Audit: events.PasswordSetSucceeded, UserID: userID})
}

// setFailed emits password_set_failed for a password the policy refused
// and returns cause (joined with an emitter failure).
func (s *Service) setFailed(ctx context.Context, userID uuid.UUID, cause error) error {
	if !errors.Is(cause, autherr.Invalid) {
		return cause
	}
	if err := events.Emit(ctx, s.events, events.Event{Audit: events.PasswordSetFailed, UserID: userID, Err: cause}); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// loginFailed emits password_login_failed and returns cause (joined with an
// emitter failure).
func (s *Service) loginFailed(ctx context.Context, userID uuid.UUID, cause error) error {
	if err := events.Emit(ctx, s.events, events.Event{Audit: events.PasswordLoginFailed, UserID: userID, Err: cause}); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// Login checks plain against the user's password. It returns nil on a
// match and ErrInvalidCredentials when the user does not exist, has no
// password or plain is wrong; the first two do the work of a verification
// (Hasher.VerifyUnknown) so that timing does not tell them apart. A
// password longer than the Hasher's MaxBytes is ErrTooLong in every case.
//
// After a match against a bcrypt hash or outdated argon2id parameters the
// password is rehashed and stored, unless it changed in the meantime; a
// failure to store the rehash is logged and does not fail the login.
func (s *Service) Login(ctx context.Context, userID uuid.UUID, plain string) error {
	c, err := s.store.GetPasswordCredential(ctx, userID)
	if errors.Is(err, autherr.NotFound) {
		if err := s.hasher.VerifyUnknown(ctx, plain); err != nil {
			return s.loginFailed(ctx, userID, err)
		}
		return s.loginFailed(ctx, userID, ErrInvalidCredentials)
	}
	if err != nil {
		return err
	}
	ok, rehash, err := s.hasher.Verify(ctx, plain, c.Password)
	if err != nil {
		return s.loginFailed(ctx, userID, err)
	}
	if !ok {
		return s.loginFailed(ctx, userID, ErrInvalidCredentials)
	}
	if rehash {
		if err := s.rehash(ctx, c, plain); err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "password rehash not stored",
				slog.String("user_id", userID.String()), slog.Any("error", err))
		}
	}
	return events.Emit(ctx, s.events, events.Event{Audit: events.PasswordLoginSucceeded, UserID: userID,
		Details: map[string]any{"login_method": "password"}})
}

// rehash replaces c's hash with a current argon2id hash of plain, unless
// the stored hash is no longer c's (the password was changed while we
// verified). It skips the policy: a password that was valid when set stays
// usable when min_length is raised later.
func (s *Service) rehash(ctx context.Context, c store.PasswordCredential, plain string) error {
	enc, err := s.hasher.hashUnchecked(ctx, plain)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		cur, err := s.store.GetPasswordCredential(ctx, c.UserID)
		if err != nil {
			return err
		}
		if cur.Password != c.Password {
			return nil
		}
		return s.store.UpdatePasswordCredential(ctx, c.UserID, enc, s.now())
	})
}

// Exists reports whether the user has a password.
func (s *Service) Exists(ctx context.Context, userID uuid.UUID) (bool, error) {
	_, err := s.store.GetPasswordCredential(ctx, userID)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, autherr.NotFound):
		return false, nil
	default:
		return false, err
	}
}

// Get returns the user's credential without its hash; ErrNoPassword if
// there is none.
func (s *Service) Get(ctx context.Context, userID uuid.UUID) (Credential, error) {
	c, err := s.store.GetPasswordCredential(ctx, userID)
	if errors.Is(err, autherr.NotFound) {
		return Credential{}, ErrNoPassword
	}
	if err != nil {
		return Credential{}, err
	}
	return Credential{ID: c.ID, UserID: c.UserID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}, nil
}

// Delete removes the user's password; ErrNoPassword if there is none.
func (s *Service) Delete(ctx context.Context, userID uuid.UUID) error {
	err := s.store.DeletePasswordCredential(ctx, userID)
	if errors.Is(err, autherr.NotFound) {
		return ErrNoPassword
	}
	return err
}

// create inserts a credential holding enc; the store's NotFound can only
// mean the user is missing (a foreign key), its Conflict that one exists.
func (s *Service) create(ctx context.Context, userID uuid.UUID, enc string) error {
	id, err := uuid.NewRandomFromReader(s.rand)
	if err != nil {
		return fmt.Errorf("%w: password: reading random bytes: %w", autherr.Internal, err)
	}
	now := s.now()
	err = s.store.CreatePasswordCredential(ctx, store.PasswordCredential{
		ID: id, UserID: userID, Password: enc, CreatedAt: now, UpdatedAt: now,
	})
	switch {
	case errors.Is(err, autherr.Conflict):
		return fmt.Errorf("%w: %w", ErrPasswordExists, err)
	case errors.Is(err, autherr.NotFound):
		return fmt.Errorf("%w: %w", ErrUserNotFound, err)
	}
	return err
}

// update replaces the user's hash with enc.
func (s *Service) update(ctx context.Context, userID uuid.UUID, enc string) error {
	err := s.store.UpdatePasswordCredential(ctx, userID, enc, s.now())
	if errors.Is(err, autherr.NotFound) {
		return fmt.Errorf("%w: %w", ErrNoPassword, err)
	}
	return err
}
