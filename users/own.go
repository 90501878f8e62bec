package users

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// AddOwnEmail adds an address for the signed-in user, as public POST /emails
// does. With RequireVerification the address is not the user's yet: it is
// stored unassigned (an unassigned row left for the same address, by an
// earlier attempt or someone's unfinished sign-up, is reused as it is) and
// becomes the user's when a passcode sent to it is finalized (VerifyEmail).
// Without it the address is assigned at once, unverified, and becomes
// primary when the user has no primary address.
//
// The limit counts the user's assigned addresses only: pending ones are not
// the user's yet and may still be claimed by someone else, so a user may
// start several verifications at the limit minus one; VerifyEmail checks the
// limit again when one completes. The user row is locked first, so
// concurrent calls for one user cannot exceed the limit.
//
// It returns ErrInvalidEmail or ErrEmailTooLong for a bad address,
// ErrEmailInUse when the address belongs to a user (this one included),
// ErrEmailLimit when the user already has EmailLimit addresses and
// ErrUserNotFound when the user is gone. Email.UserID is nil while the
// address awaits verification. Safe for concurrent use.
func (s *Service) AddOwnEmail(ctx context.Context, userID uuid.UUID, address string) (Email, error) {
	a, err := s.normalizeEmail(address)
	if err != nil {
		return Email{}, err
	}
	now := s.now()
	var out store.Email
	primary := false
	err = s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.lockBelowLimit(ctx, userID); err != nil {
			return err
		}
		existing, err := s.cfg.Store.GetEmailByAddress(ctx, a)
		switch {
		case err == nil && existing.UserID != nil:
			return ErrEmailInUse
		case err == nil && s.cfg.RequireVerification:
			out = existing // the pending row stays as it is until verified
			return s.emitOwnEmailCreated(ctx, userID, a, false)
		case err == nil:
			// Unassigned when read; a concurrent claimer may have won since.
			if err := s.cfg.Store.ClaimEmail(ctx, existing.ID, userID, existing.Verified, now); err != nil {
				return conflictAs(err, ErrEmailInUse)
			}
			existing.UserID, existing.UpdatedAt = &userID, now
			out = existing
		case errors.Is(err, autherr.NotFound):
			id, err := s.newID()
			if err != nil {
				return err
			}
			out = store.Email{ID: id, Address: a, CreatedAt: now, UpdatedAt: now}
			if !s.cfg.RequireVerification {
				out.UserID = &userID
			}
			// A concurrent sign-up for the same address may have won the
			// unique index meanwhile.
			if err := s.cfg.Store.CreateEmail(ctx, out); err != nil {
				return conflictAs(err, ErrEmailInUse)
			}
			if out.UserID == nil {
				return s.emitOwnEmailCreated(ctx, userID, a, false)
			}
		default:
			return err
		}
		// Assigned now: primary when the user has none (the reference checks
		// for a primary, not for zero addresses).
		if _, err := s.cfg.Store.GetPrimaryEmail(ctx, userID); err == nil {
			return s.emitOwnEmailCreated(ctx, userID, a, true) // the user keeps their primary address
		} else if !errors.Is(err, autherr.NotFound) {
			return err
		}
		primary = true
		if err := s.setPrimary(ctx, userID, out.ID, now); err != nil {
			return err
		}
		if err := s.emit(ctx, events.Event{Audit: events.PrimaryEmailChanged, UserID: userID, Email: a}); err != nil {
			return err
		}
		return s.emitOwnEmailCreated(ctx, userID, a, true)
	})
	if err != nil {
		return Email{}, err
	}
	return emailFromRecord(out, primary), nil
}

// emitOwnEmailCreated records an address added by its user: always audited
// (email_created), and announced to webhooks (user.update.email.create) only
// once it is the user's; a pending address is announced by VerifyEmail.
func (s *Service) emitOwnEmailCreated(ctx context.Context, userID uuid.UUID, address string, assigned bool) error {
	e := events.Event{Audit: events.EmailCreated, UserID: userID, Details: map[string]any{"email": address}}
	if assigned {
		e.Webhook = events.EmailCreate
	}
	return s.emit(ctx, e)
}
