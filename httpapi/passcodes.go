package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/mail"
	"github.com/hanko-go/hanko/passcode"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

// passcodeResponse is the answer of both passcode routes.
type passcodeResponse struct {
	ID        uuid.UUID `json:"id"`
	TTL       int       `json:"ttl"`
	CreatedAt time.Time `json:"created_at"`
}

// optionalSession returns the verified session of a request that may or
// may not carry one; a present but invalid token counts as none.
func (a *api) optionalSession(r *http.Request) (session.Claims, bool) {
	tok := a.d.Sessions.TokenFromRequest(r)
	if tok == "" {
		return session.Claims{}, false
	}
	c, err := a.d.Sessions.Verify(r.Context(), tok)
	return c, err == nil
}

// POST /passcode/login/initialize: mail a passcode to one of a user's
// addresses (or to an address awaiting verification).
func (a *api) passcodeInitialize(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		UserID  string `json:"user_id"`
		EmailID string `json:"email_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	uid, err := uuid.Parse(req.UserID)
	if err != nil {
		return badRequest("user_id must be a valid uuid4")
	}
	if err := a.limit(w, r, a.d.Limits.Passcode, "passcode", uid); err != nil {
		return err
	}
	var eid uuid.UUID
	if req.EmailID != "" {
		if eid, err = uuid.Parse(req.EmailID); err != nil {
			return badRequest("email_id must be a valid uuid4")
		}
	}
	if c, ok := a.optionalSession(r); ok && c.Subject != uid {
		return errForbidden
	}
	target, err := a.d.Users.PasscodeTarget(r.Context(), uid, eid)
	if errors.Is(err, users.ErrNoEmailGiven) {
		// Very old elements only kept the sign-up's email ID in a cookie.
		if c, cerr := r.Cookie("hanko_email_id"); cerr == nil {
			if id, perr := uuid.Parse(c.Value); perr == nil {
				target, err = a.d.Users.PasscodeTarget(r.Context(), uid, id)
			}
		}
	}
	switch {
	case errors.Is(err, users.ErrUserNotFound):
		failed := events.Event{Audit: events.PasscodeLoginInitFailed, Err: users.ErrUserNotFound}
		if err := events.Emit(r.Context(), a.d.Events, failed); err != nil {
			return err
		}
		return badRequest("user not found")
	case errors.Is(err, users.ErrEmailNotFound):
		return badRequest("email not found")
	case err != nil:
		return err
	}
	kind := mail.KindLogin
	if !target.Assigned {
		kind = mail.KindEmailVerification
	}
	created, err := a.d.Passcodes.Create(r.Context(), passcode.Request{
		UserID: uid, EmailID: target.EmailID, Address: target.Address,
		Language: mail.Language(r.Header.Get("Accept-Language")), Kind: kind,
	})
	if err != nil {
		return err
	}
	p := created.Passcode
	writeJSON(w, http.StatusOK, passcodeResponse{ID: p.ID, TTL: p.TTL, CreatedAt: p.CreatedAt})
	return nil
}

// POST /passcode/login/finalize: check a passcode; on success the address
// is verified (and becomes the user's if it awaited verification) and a
// session is issued, all in one transaction.
func (a *api) passcodeFinalize(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	id, err := uuid.Parse(req.ID)
	if err != nil {
		return badRequest("id must be a valid uuid4")
	}
	if strings.TrimSpace(req.Code) == "" {
		return badRequest("code is a required field")
	}
	claims, loggedIn := a.optionalSession(r)
	var tok session.Token
	p, err := a.d.Passcodes.Finalize(r.Context(), id, req.Code, func(ctx context.Context, p store.Passcode) error {
		if p.UserID == nil || p.EmailID == nil {
			return errForbidden // a passcode of another kind (flows)
		}
		uid, eid := *p.UserID, *p.EmailID
		if err := a.mayFinalize(ctx, uid, eid, claims, loggedIn); err != nil {
			return err
		}
		if _, err := a.d.Users.VerifyEmail(ctx, uid, eid); err != nil {
			return err
		}
		var err error
		tok, err = a.d.Sessions.Issue(ctx, uid, clientMeta(r))
		return err
	})
	if err != nil {
		return err
	}
	a.d.Sessions.WriteToken(w, tok)
	writeJSON(w, http.StatusOK, passcodeResponse{ID: p.ID, TTL: p.TTL, CreatedAt: p.CreatedAt})
	return nil
}

// mayFinalize applies the reference's rule: with a session, only its own
// user's passcodes; without one, a passcode for an address the user owns,
// or for the first address of a user who has none (completing sign-up).
func (a *api) mayFinalize(ctx context.Context, uid, eid uuid.UUID, c session.Claims, loggedIn bool) error {
	if loggedIn {
		if c.Subject != uid {
			return errForbidden
		}
		return nil
	}
	u, err := a.d.Users.Get(ctx, uid)
	if err != nil {
		return err
	}
	if len(u.Emails) == 0 {
		return nil
	}
	for _, e := range u.Emails {
		if e.ID == eid {
			return nil
		}
	}
	return errForbidden
}
