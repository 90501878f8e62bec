package thirdparty

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// linked is the outcome of account linking.
type linked struct {
	userID, identityID uuid.UUID
	created            bool
}

// link finds or makes the account of a provider login, as the reference's
// legacy endpoints do (4.13), inside the caller's transaction:
//
//   - a known identity (provider + subject) signs its user in; when the
//     provider's address changed, the identity moves to that address (the
//     user's own, an unassigned one it claims, or a new verified one within
//     email.limit; another user's is multiple_accounts);
//   - else an account with the address gets the identity when the
//     provider allows linking and has verified the address (user_conflict,
//     unverified_email otherwise);
//   - else a new user with the address (verified, primary) and the identity
//     signs up, when account.allow_signup.
//
// With email.require_verification the provider must have verified the
// address (unverified_email).
func (s *Service) link(ctx context.Context, p Provider, d UserData) (linked, error) {
	if d.Email == "" {
		return linked{}, fail(CodeInvalidRequest, "the provider returned no email address", nil)
	}
	address, err := s.cfg.NormalizeEmail(d.Email)
	if err != nil {
		return linked{}, fail(CodeInvalidRequest, "the provider returned an invalid email address", err)
	}
	if s.cfg.RequireVerification && !d.EmailVerified {
		return linked{}, fail(CodeUnverifiedEmail, "third party provider email must be verified", nil)
	}
	data, err := json.Marshal(d.Claims)
	if err != nil {
		return linked{}, err
	}
	claims := string(data)
	now := s.now()
	details := map[string]any{"provider": p.Name()}

	st := s.cfg.Store
	ident, err := st.GetIdentity(ctx, p.Name(), d.Subject)
	switch {
	case err == nil:
		return s.signIn(ctx, ident, address, d.EmailVerified, claims, details)
	case !errors.Is(err, autherr.NotFound):
		return linked{}, err
	}

	existing, err := st.GetEmailByAddress(ctx, address)
	if err != nil && !errors.Is(err, autherr.NotFound) {
		return linked{}, err
	}
	if err == nil && existing.UserID != nil {
		if !p.AllowLinking() {
			return linked{}, fail(CodeUserConflict, "third party account linking for existing user with same email disallowed", nil)
		}
		if !d.EmailVerified { // else anyone could claim an account by naming its address at a lax provider
			return linked{}, fail(CodeUnverifiedEmail, "third party provider email must be verified to link to an existing account", nil)
		}
		uid := *existing.UserID
		if err := st.LockUser(ctx, uid); err != nil {
			return linked{}, err
		}
		if !existing.Verified {
			existing.Verified, existing.UpdatedAt = true, now
			if err := st.UpdateEmail(ctx, existing); err != nil {
				return linked{}, err
			}
		}
		iid, err := s.createIdentity(ctx, p.Name(), d.Subject, existing.ID, claims)
		if err != nil {
			return linked{}, err
		}
		return linked{userID: uid, identityID: iid}, events.Emit(ctx, s.cfg.Events, events.Event{
			Audit: events.ThirdPartyLinkingSucceeded, UserID: uid, Email: address, Details: details})
	}

	if !s.cfg.AllowSignup {
		return linked{}, fail(CodeSignupDisabled, "account signup is disabled", nil)
	}
	uid, err := s.newID()
	if err != nil {
		return linked{}, err
	}
	if err := st.CreateUser(ctx, store.User{ID: uid, CreatedAt: now, UpdatedAt: now}); err != nil {
		return linked{}, err
	}
	var emailID uuid.UUID
	if existing.ID != uuid.Nil { // unassigned: awaiting someone's passcode; the provider verified it
		// Unassigned when read; a concurrent claimer may have won since.
		if err := st.ClaimEmail(ctx, existing.ID, uid, d.EmailVerified, now); err != nil {
			return linked{}, conflictAs(err, fail(CodeUserConflict, "the email address was taken meanwhile", err))
		}
		emailID = existing.ID
	} else {
		if emailID, err = s.newID(); err != nil {
			return linked{}, err
		}
		e := store.Email{ID: emailID, UserID: &uid, Address: address, Verified: d.EmailVerified, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateEmail(ctx, e); err != nil {
			return linked{}, conflictAs(err, fail(CodeUserConflict, "the email address was taken meanwhile", err))
		}
	}
	pid, err := s.newID()
	if err != nil {
		return linked{}, err
	}
	if err := st.SetPrimaryEmail(ctx, pid, uid, emailID, now); err != nil {
		return linked{}, err
	}
	iid, err := s.createIdentity(ctx, p.Name(), d.Subject, emailID, claims)
	if err != nil {
		return linked{}, err
	}
	return linked{userID: uid, identityID: iid, created: true}, events.Emit(ctx, s.cfg.Events, events.Event{
		Audit: events.ThirdPartySignupSucceeded, Webhook: events.UserCreate, UserID: uid, Email: address, Details: details})
}

// signIn signs in the user of a known identity, moving the identity to the
// provider's current address when it changed.
func (s *Service) signIn(ctx context.Context, ident store.Identity, address string, verified bool, claims string, details map[string]any) (linked, error) {
	st := s.cfg.Store
	now := s.now()
	current, err := st.GetEmail(ctx, ident.EmailID)
	if err != nil {
		return linked{}, err
	}
	if current.UserID == nil { // cannot happen: identities are made on assigned addresses
		return linked{}, fail(CodeServerError, "an internal error occurred", errors.New("identity on an unassigned email"))
	}
	uid := *current.UserID
	if err := st.LockUser(ctx, uid); err != nil {
		return linked{}, err
	}
	emailID := current.ID
	var webhook string
	if current.Address != address && verified { // an unverified new address is not taken over
		other, err := st.GetEmailByAddress(ctx, address)
		switch {
		case err == nil && other.UserID != nil && *other.UserID != uid:
			return linked{}, fail(CodeMultipleAccounts, "the provider's email address belongs to another account", nil)
		case err == nil && other.UserID != nil: // the user's own
			emailID = other.ID
		case err == nil: // unassigned: claim it
			if err := s.belowLimit(ctx, uid); err != nil {
				return linked{}, err
			}
			// Unassigned when read; a concurrent claimer may have won since.
			if err := st.ClaimEmail(ctx, other.ID, uid, verified, now); err != nil {
				return linked{}, conflictAs(err, fail(CodeMultipleAccounts, "the email address was taken meanwhile", err))
			}
			emailID, webhook = other.ID, events.UserUpdate
		case errors.Is(err, autherr.NotFound):
			if err := s.belowLimit(ctx, uid); err != nil {
				return linked{}, err
			}
			if emailID, err = s.newID(); err != nil {
				return linked{}, err
			}
			e := store.Email{ID: emailID, UserID: &uid, Address: address, Verified: verified, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateEmail(ctx, e); err != nil {
				return linked{}, conflictAs(err, fail(CodeMultipleAccounts, "the email address was taken meanwhile", err))
			}
			webhook = events.EmailCreate
		default:
			return linked{}, err
		}
	}
	ident.EmailID, ident.Data, ident.UpdatedAt = emailID, &claims, now
	if err := st.UpdateIdentity(ctx, ident); err != nil {
		return linked{}, err
	}
	if webhook != "" {
		if err := events.Emit(ctx, s.cfg.Events, events.Event{Webhook: webhook, UserID: uid}); err != nil {
			return linked{}, err
		}
	}
	return linked{userID: uid, identityID: ident.ID}, events.Emit(ctx, s.cfg.Events, events.Event{
		Audit: events.ThirdPartySigninSucceeded, UserID: uid, Email: address, Details: details})
}

func (s *Service) belowLimit(ctx context.Context, uid uuid.UUID) error {
	n, err := s.cfg.Store.CountEmails(ctx, uid)
	if err != nil {
		return err
	}
	if n >= s.cfg.EmailLimit {
		return fail(CodeEmailMaxNum, "max number of email addresses reached", nil)
	}
	return nil
}

func (s *Service) createIdentity(ctx context.Context, provider, subject string, emailID uuid.UUID, claims string) (uuid.UUID, error) {
	id, err := s.newID()
	if err != nil {
		return uuid.Nil, err
	}
	now := s.now()
	err = s.cfg.Store.CreateIdentity(ctx, store.Identity{ID: id, ProviderID: subject, ProviderName: provider,
		Data: &claims, EmailID: emailID, CreatedAt: now, UpdatedAt: now})
	return id, conflictAs(err, fail(CodeUserConflict, "the provider account was linked meanwhile", err))
}

// conflictAs replaces a store conflict (a unique index lost a race) with e.
func conflictAs(err error, e *Error) error { return autherr.Replace(err, autherr.Conflict, e) }
