package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/users"
)

type emailRequest struct {
	Email string `json:"email"`
}

// requireEmail checks the "email" field as the reference's validator does.
func requireEmail(email string) error {
	if strings.TrimSpace(email) == "" {
		return badRequest("email is a required field")
	}
	return nil
}

// POST /users: sign up with an email address.
func (a *api) signUp(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := requireEmail(req.Email); err != nil {
		return err
	}
	// Without required verification the new user is logged in at once; the
	// session row commits with the user (and its events) or not at all.
	var tok session.Token
	res, err := a.d.Users.SignUpThen(r.Context(), req.Email, func(ctx context.Context, res users.SignUpResult) error {
		if !res.Assigned {
			return nil
		}
		var err error
		tok, err = a.d.Sessions.Issue(ctx, res.UserID, clientMeta(r))
		return err
	})
	if err != nil {
		return err
	}
	if res.Assigned {
		a.d.Sessions.WriteToken(w, tok)
	}
	// Very old elements read the email ID from this cookie.
	http.SetCookie(w, &http.Cookie{
		Name: "hanko_email_id", Value: res.EmailID.String(), Path: "/",
		Secure: true, HttpOnly: true, SameSite: http.SameSiteNoneMode,
	})
	writeJSON(w, http.StatusOK, struct {
		ID      uuid.UUID `json:"id"`
		UserID  uuid.UUID `json:"user_id"`
		EmailID uuid.UUID `json:"email_id"`
	}{res.UserID, res.UserID, res.EmailID})
	return nil
}

// POST /user: find the user an address belongs to.
func (a *api) lookupUser(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := requireEmail(req.Email); err != nil {
		return err
	}
	res, err := a.d.Users.Lookup(r.Context(), req.Email)
	if errors.Is(err, users.ErrInvalidEmail) {
		// An address that cannot exist has no user either.
		return users.ErrUserNotFound
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		ID                    uuid.UUID `json:"id"`
		EmailID               uuid.UUID `json:"email_id"`
		Verified              bool      `json:"verified"`
		HasWebauthnCredential bool      `json:"has_webauthn_credential"`
	}{res.UserID, res.EmailID, res.Verified, res.HasWebauthnCredential})
	return nil
}
