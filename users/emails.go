package users

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// Emails returns a user's addresses, oldest first. ErrUserNotFound if there
// is no such user.
func (s *Service) Emails(ctx context.Context, userID uuid.UUID) ([]Email, error) {
	u, err := s.Get(ctx, userID)
	if err != nil {
		return nil, err
	}
	return u.Emails, nil
}

// Email returns one address of a user. ErrUserNotFound or ErrEmailNotFound
// (also when the address belongs to someone else).
func (s *Service) Email(ctx context.Context, userID, emailID uuid.UUID) (Email, error) {
	u, err := s.Get(ctx, userID)
	if err != nil {
		return Email{}, err
	}
	for _, e := range u.Emails {
		if e.ID == emailID {
			return e, nil
		}
	}
	return Email{}, ErrEmailNotFound
}

// AddEmail gives a user another address, as the admin API does: verified as
// told, primary only when it is the user's first. An unassigned address
// (awaiting someone's verification) is claimed. It returns ErrUserNotFound,
// ErrInvalidEmail, ErrEmailInUse when another user or this one has the
// address, and ErrEmailLimit at email.limit addresses.
func (s *Service) AddEmail(ctx context.Context, userID uuid.UUID, address string, verified bool) (Email, error) {
	a, err := s.normalizeEmail(address)
	if err != nil {
		return Email{}, err
	}
	now := s.now()
	var out store.Email
	err = s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		n, err := s.lockBelowLimit(ctx, userID)
		if err != nil {
			return err
		}
		existing, err := s.cfg.Store.GetEmailByAddress(ctx, a)
		switch {
		case err == nil && existing.UserID != nil:
			return ErrEmailInUse
		case err == nil:
			// Unassigned when read; a concurrent claimer may have won since.
			if err := s.cfg.Store.ClaimEmail(ctx, existing.ID, userID, verified, now); err != nil {
				return conflictAs(err, ErrEmailInUse)
			}
			existing.UserID, existing.Verified, existing.UpdatedAt = &userID, verified, now
			out = existing
		case errors.Is(err, autherr.NotFound):
			id, err := s.newID()
			if err != nil {
				return err
			}
			out = store.Email{ID: id, UserID: &userID, Address: a, Verified: verified, CreatedAt: now, UpdatedAt: now}
			if err := s.cfg.Store.CreateEmail(ctx, out); err != nil {
				return conflictAs(err, ErrEmailInUse)
			}
		default:
			return err
		}
		created := events.Event{Audit: events.EmailCreated, Webhook: events.EmailCreate, UserID: userID, Details: map[string]any{"email": a}}
		if n == 0 {
			if err := s.setPrimary(ctx, userID, out.ID, now); err != nil {
				return err
			}
			if err := s.emit(ctx, events.Event{Audit: events.PrimaryEmailChanged, UserID: userID, Email: a}); err != nil {
				return err
			}
			created.Email = a // the actor's (now primary) address
		}
		return s.emit(ctx, created)
	})
	if err != nil {
		return Email{}, err
	}
	return emailFromRecord(out, false), nil
}

// DeleteEmail removes an address from a user. ErrUserNotFound,
// ErrEmailNotFound, or ErrPrimaryEmail for the primary address.
func (s *Service) DeleteEmail(ctx context.Context, userID, emailID uuid.UUID) error {
	return s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		e, err := s.ownedEmail(ctx, userID, emailID)
		if err != nil {
			return err
		}
		p, err := s.cfg.Store.GetPrimaryEmail(ctx, userID)
		if err == nil && p.EmailID == e.ID {
			return ErrPrimaryEmail
		}
		if err != nil && !errors.Is(err, autherr.NotFound) {
			return err
		}
		if err := s.cfg.Store.DeleteEmail(ctx, emailID); err != nil {
			return err
		}
		// After the deletion: the payload is the user without the address.
		return s.emit(ctx, events.Event{Audit: events.EmailDeleted, Webhook: events.EmailDelete, UserID: userID,
			Details: map[string]any{"email": e.Address}})
	})
}

// SetPrimaryEmail makes one of a user's addresses the primary one (a no-op
// when it already is). ErrUserNotFound or ErrEmailNotFound.
func (s *Service) SetPrimaryEmail(ctx context.Context, userID, emailID uuid.UUID) error {
	now := s.now()
	return s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		e, err := s.ownedEmail(ctx, userID, emailID)
		if err != nil {
			return err
		}
		if err := s.setPrimary(ctx, userID, emailID, now); err != nil {
			return err
		}
		if err := s.cfg.Store.TouchUser(ctx, userID, now); err != nil {
			return notFoundAs(err, ErrUserNotFound)
		}
		return s.emit(ctx, events.Event{Audit: events.PrimaryEmailChanged, Webhook: events.EmailPrimary, UserID: userID, Email: e.Address,
			Details: map[string]any{"email": e.Address}})
	})
}

// ownedEmail loads an email and checks it belongs to the user, locking the
// user row first so that concurrent changes to the user's addresses
// serialise.
func (s *Service) ownedEmail(ctx context.Context, userID, emailID uuid.UUID) (store.Email, error) {
	if err := s.cfg.Store.LockUser(ctx, userID); err != nil {
		return store.Email{}, notFoundAs(err, ErrUserNotFound)
	}
	e, err := s.cfg.Store.GetEmail(ctx, emailID)
	if err != nil {
		return store.Email{}, notFoundAs(err, ErrEmailNotFound)
	}
	if e.UserID == nil || *e.UserID != userID {
		return store.Email{}, ErrEmailNotFound
	}
	return e, nil
}

// notFoundAs replaces a store NotFound with the feature's own error.
func notFoundAs(err, with error) error { return autherr.Replace(err, autherr.NotFound, with) }

// PasscodeTarget is what a passcode initialization needs: the address to
// send to and whether it already belongs to the user.
type PasscodeTarget struct {
	EmailID  uuid.UUID
	Address  string
	Assigned bool // false: awaiting verification (unassigned)
}

// PasscodeTarget resolves the email a login or verification passcode goes
// to, as the reference does: emailID when given (it must be the user's, or
// unassigned and so awaiting verification), else the user's primary
// address. It returns ErrUserNotFound, ErrEmailNotFound, ErrEmailOwnedByOther
// (another user's address) or ErrNoEmailGiven (no email_id and no primary).
func (s *Service) PasscodeTarget(ctx context.Context, userID, emailID uuid.UUID) (PasscodeTarget, error) {
	u, err := s.Get(ctx, userID)
	if err != nil {
		return PasscodeTarget{}, err
	}
	if emailID == uuid.Nil {
		p := u.PrimaryEmail()
		if p == nil {
			return PasscodeTarget{}, ErrNoEmailGiven
		}
		return PasscodeTarget{EmailID: p.ID, Address: p.Address, Assigned: true}, nil
	}
	e, err := s.cfg.Store.GetEmail(ctx, emailID)
	if err != nil {
		return PasscodeTarget{}, notFoundAs(err, ErrEmailNotFound)
	}
	if e.UserID != nil && *e.UserID != userID {
		return PasscodeTarget{}, ErrEmailOwnedByOther
	}
	return PasscodeTarget{EmailID: e.ID, Address: e.Address, Assigned: e.UserID != nil}, nil
}

// VerifyEmail records that a user proved control of an address with a
// passcode: the address becomes the user's (if it was unassigned) and
// verified, and primary when the user has no primary address. It joins the
// caller's transaction. It returns ErrEmailOwnedByOther when someone else
// verified the address first, ErrEmailLimit when the user is full, and
// whether the address was newly assigned.
func (s *Service) VerifyEmail(ctx context.Context, userID, emailID uuid.UUID) (assigned bool, err error) {
	now := s.now()
	err = s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.cfg.Store.LockUser(ctx, userID); err != nil {
			return notFoundAs(err, ErrUserNotFound)
		}
		e, err := s.cfg.Store.GetEmail(ctx, emailID)
		if err != nil {
			return notFoundAs(err, ErrEmailNotFound)
		}
		first := false // the user's first address: sign-up completes now
		switch {
		case e.UserID != nil && *e.UserID != userID:
			return ErrEmailOwnedByOther
		case e.UserID == nil:
			n, err := s.cfg.Store.CountEmails(ctx, userID)
			if err != nil {
				return err
			}
			if n >= s.cfg.EmailLimit {
				return ErrEmailLimit
			}
			assigned, first = true, n == 0
		}
		wasVerified := e.Verified
		if assigned {
			// Unassigned when read: claim it only if it still is, else
			// another user's verification won the race.
			if err := s.cfg.Store.ClaimEmail(ctx, e.ID, userID, true, now); err != nil {
				return conflictAs(err, ErrEmailOwnedByOther)
			}
			e.UserID, e.Verified, e.UpdatedAt = &userID, true, now
		} else {
			e.Verified, e.UpdatedAt = true, now
			if err := s.cfg.Store.UpdateEmail(ctx, e); err != nil {
				return err
			}
		}
		var evs []events.Event
		if _, err := s.cfg.Store.GetPrimaryEmail(ctx, userID); errors.Is(err, autherr.NotFound) {
			if err := s.setPrimary(ctx, userID, emailID, now); err != nil {
				return err
			}
			evs = append(evs, events.Event{Audit: events.PrimaryEmailChanged, UserID: userID, Email: e.Address})
		} else if err != nil {
			return err
		}
		if !wasVerified {
			evs = append(evs, events.Event{Audit: events.EmailVerified, UserID: userID, Email: e.Address,
				Details: map[string]any{"email": e.Address}})
		}
		// The webhooks the reference holds back until verification: the
		// user's creation (its user_created audit record was written at
		// sign-up) or the added address (audited as email_created when it
		// was added).
		switch {
		case first:
			evs = append(evs, events.Event{Webhook: events.UserCreate, UserID: userID, Email: e.Address})
		case assigned:
			evs = append(evs, events.Event{Webhook: events.EmailCreate, UserID: userID, Email: e.Address})
		}
		for _, ev := range evs {
			if err := s.emit(ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	return assigned, err
}

// lockBelowLimit locks the user's row for the rest of the transaction, so
// that concurrent additions serialise and the limit holds, and returns how
// many addresses the user has: ErrUserNotFound for no user, ErrEmailLimit
// at email.limit addresses.
func (s *Service) lockBelowLimit(ctx context.Context, userID uuid.UUID) (int, error) {
	if err := s.cfg.Store.LockUser(ctx, userID); err != nil {
		return 0, notFoundAs(err, ErrUserNotFound)
	}
	n, err := s.cfg.Store.CountEmails(ctx, userID)
	if err != nil {
		return 0, err
	}
	if n >= s.cfg.EmailLimit {
		return n, ErrEmailLimit
	}
	return n, nil
}
