package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/users"
)

// authed lets a request through only with a valid session, whose claims
// the handler then reads with session.FromContext.
func (a *api) authed(h http.Handler) http.Handler {
	return a.d.Sessions.RequireSession(h)
}

// claims returns the verified session of an authed request.
func claims(r *http.Request) session.Claims {
	c, _ := session.FromContext(r.Context())
	return c
}

// clientMeta describes the client for a new session row. Its IP is the
// client IP: forwarding headers count only from trusted proxies.
func clientMeta(r *http.Request) session.Meta {
	return session.Meta{UserAgent: r.UserAgent(), IP: clientIPString(r)}
}

// issueSession creates a session for userID and hands it to the client.
func (a *api) issueSession(w http.ResponseWriter, r *http.Request, userID uuid.UUID) error {
	tok, err := a.d.Sessions.Issue(r.Context(), userID, clientMeta(r))
	if err != nil {
		return err
	}
	a.d.Sessions.WriteToken(w, tok)
	return nil
}

// GET /.well-known/jwks.json
func (a *api) jwks(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=600")
	etag := a.d.Keys.ETag()
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && strings.Contains(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "application/json; charset=UTF-8")
	_, err := w.Write(a.d.Keys.JSON())
	return err
}

// GET /me
func (a *api) me(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"id": claims(r).Subject.String()})
	return nil
}

// GET /users/{id}: the session's own user.
func (a *api) ownUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	if id != claims(r).Subject {
		return errForbidden
	}
	u, err := a.d.Users.Get(r.Context(), id)
	if err != nil {
		return err
	}
	out := struct {
		ID                  uuid.UUID            `json:"id"`
		Email               string               `json:"email,omitempty"`
		Username            string               `json:"username,omitempty"`
		WebauthnCredentials []webauthnCredential `json:"webauthn_credentials"`
		CreatedAt           time.Time            `json:"created_at"`
		UpdatedAt           time.Time            `json:"updated_at"`
	}{ID: u.ID, WebauthnCredentials: []webauthnCredential{}, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
	if a.d.Passkeys != nil {
		cs, err := a.d.Passkeys.Credentials(r.Context(), id)
		if err != nil {
			return err
		}
		out.WebauthnCredentials = webauthnCredentialsOf(cs)
	}
	if p := u.PrimaryEmail(); p != nil {
		out.Email = p.Address
	}
	if u.Username != nil {
		out.Username = u.Username.Username
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

var errForbidden = &httpError{status: http.StatusForbidden, msg: http.StatusText(http.StatusForbidden)}

// DELETE /user: the session's user deletes their account.
func (a *api) deleteOwnUser(w http.ResponseWriter, r *http.Request) error {
	if err := a.d.Users.Delete(r.Context(), claims(r).Subject); err != nil && !errors.Is(err, users.ErrUserNotFound) {
		return err
	}
	a.d.Sessions.ClearToken(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /logout: ends the current session.
func (a *api) logout(w http.ResponseWriter, r *http.Request) error {
	c := claims(r)
	if err := a.d.Sessions.Logout(r.Context(), c.Subject, c.SessionID); err != nil {
		return err
	}
	a.d.Sessions.ClearToken(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type validation struct {
	IsValid        bool       `json:"is_valid"`
	ExpirationTime *time.Time `json:"expiration_time,omitempty"`
	UserID         *uuid.UUID `json:"user_id,omitempty"`
}

// validate answers whether a token is a valid session; always 200.
func (a *api) validate(w http.ResponseWriter, r *http.Request, token string) error {
	c, err := a.d.Sessions.Validate(r.Context(), token)
	if errors.Is(err, session.ErrInvalidToken) || token == "" {
		writeJSON(w, http.StatusOK, validation{})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, validation{IsValid: true, ExpirationTime: &c.ExpiresAt, UserID: &c.Subject})
	return nil
}

// GET /sessions/validate
func (a *api) validateFromRequest(w http.ResponseWriter, r *http.Request) error {
	return a.validate(w, r, a.d.Sessions.TokenFromRequest(r))
}

// POST /sessions/validate
func (a *api) validateFromBody(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		SessionToken string `json:"session_token"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.SessionToken == "" {
		return badRequest("session_token is a required field")
	}
	return a.validate(w, r, req.SessionToken)
}

// adminSession is the admin API's session.
type adminSession struct {
	ID        uuid.UUID  `json:"id"`
	UserID    uuid.UUID  `json:"user_id"`
	UserAgent string     `json:"user_agent"`
	IPAddress string     `json:"ip_address"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	LastUsed  time.Time  `json:"last_used"`
}

// GET /users/{id}/sessions
func (a *api) adminListSessions(w http.ResponseWriter, r *http.Request) error {
	uid, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	if _, err := a.d.Users.Get(r.Context(), uid); err != nil {
		return err
	}
	ss, err := a.d.Sessions.Sessions(r.Context(), uid)
	if err != nil {
		return err
	}
	out := make([]adminSession, len(ss))
	for i, s := range ss {
		out[i] = adminSession{ID: s.ID, UserID: s.UserID, UserAgent: s.UserAgent, IPAddress: s.IPAddress, CreatedAt: s.CreatedAt, ExpiresAt: s.ExpiresAt, LastUsed: s.LastUsed}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// DELETE /users/{id}/sessions/{session_id}
func (a *api) adminDeleteSession(w http.ResponseWriter, r *http.Request) error {
	uid, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	sid, err := pathUUID(r, "session_id")
	if err != nil {
		return err
	}
	if err := a.d.Sessions.Revoke(r.Context(), uid, sid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /sessions: issue a session for a user, for trusted back-ends.
func (a *api) adminCreateSession(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		UserID    string `json:"user_id"`
		UserAgent string `json:"user_agent"`
		IPAddress string `json:"ip_address"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	uid, err := uuid.Parse(req.UserID)
	if err != nil {
		return badRequest("user_id must be a valid uuid")
	}
	if _, err := a.d.Users.Get(r.Context(), uid); err != nil {
		return err
	}
	tok, err := a.d.Sessions.Issue(r.Context(), uid, session.Meta{UserAgent: req.UserAgent, IP: req.IPAddress})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		SessionToken string    `json:"session_token"`
		SessionID    uuid.UUID `json:"session_id"`
		UserID       uuid.UUID `json:"user_id"`
		ExpiresAt    time.Time `json:"expires_at"`
	}{tok.Value, tok.Claims.SessionID, uid, tok.ExpiresAt})
	return nil
}
