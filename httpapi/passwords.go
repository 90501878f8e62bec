package httpapi

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/password"
	"github.com/hanko-go/hanko/users"
)

// errUnauthorized is the reference's bare 401 ({"code":401,"message":
// "Unauthorized"}) for a password route whose user does not exist. The
// feature reports that as NotFound; the wire says 401, so the mapping is
// the HTTP layer's.
var errUnauthorized = &httpError{status: http.StatusUnauthorized, msg: http.StatusText(http.StatusUnauthorized)}

// passwordRequest is the body of PUT /password and POST /password/login.
type passwordRequest struct {
	UserID   string `json:"user_id"`
	Password string `json:"password"`
}

// passwordCredential is the admin view of a password: never the hash.
type passwordCredential struct {
	ID        uuid.UUID `json:"id"`
	UserID    uuid.UUID `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// passwordRoutes adds the legacy public password routes; none when
// passwords are off (Deps.Passwords nil).
func (a *api) passwordRoutes(mux *http.ServeMux) {
	if a.d.Passwords == nil {
		return
	}
	mux.Handle("POST /password/login", a.h(a.passwordLogin))
	mux.Handle("PUT /password", a.authed(a.h(a.passwordSet)))
}

// adminPasswordRoutes adds the admin password routes (the reference has
// them from v1.3.0); none when passwords are off.
func (a *api) adminPasswordRoutes(mux *http.ServeMux) {
	if a.d.Passwords == nil {
		return
	}
	mux.Handle("GET /users/{id}/password", a.h(a.adminGetPassword))
	mux.Handle("POST /users/{id}/password", a.h(a.adminCreatePassword))
	mux.Handle("PUT /users/{id}/password", a.h(a.adminReplacePassword))
	mux.Handle("DELETE /users/{id}/password", a.h(a.adminDeletePassword))
}

// POST /password/login: check a user's password and issue a session.
// Unknown user, no password and wrong password are one indistinguishable
// 401; more than 72 bytes is 400 in every case.
func (a *api) passwordLogin(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	uid, err := uuid.Parse(req.UserID)
	if err != nil {
		return badRequest("user_id must be a valid uuid4")
	}
	// Unknown users share one bucket per client IP (the nil UUID): every
	// attempt costs a full password hash, so random user IDs must not each
	// get a fresh allowance.
	bucket := uid
	if a.d.Limits.Password != nil {
		if _, err := a.d.Users.Get(r.Context(), uid); errors.Is(err, users.ErrUserNotFound) {
			bucket = uuid.Nil
		} else if err != nil {
			return err
		}
	}
	if err := a.limit(w, r, a.d.Limits.Password, "password", bucket); err != nil {
		return err
	}
	if req.Password == "" {
		return badRequest("password is a required field")
	}
	if err := a.d.Passwords.Login(r.Context(), uid, req.Password); err != nil {
		return err
	}
	if err := a.issueSession(w, r, uid); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nil)
	return nil
}

// PUT /password: set or replace the session user's password: 201 when
// created, 200 when replaced. The reference checks the policy first, then
// the user (401 if unknown), then that it is the session's (403).
func (a *api) passwordSet(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	uid, err := uuid.Parse(req.UserID)
	if err != nil {
		return badRequest("user_id must be a valid uuid4")
	}
	if err := a.d.Passwords.CheckPolicy(req.Password); err != nil {
		return err
	}
	if uid != claims(r).Subject {
		if _, err := a.d.Users.Get(r.Context(), uid); errors.Is(err, users.ErrUserNotFound) {
			return errUnauthorized
		} else if err != nil {
			return err
		}
		return errForbidden
	}
	created, err := a.d.Passwords.Set(r.Context(), uid, req.Password)
	if errors.Is(err, password.ErrUserNotFound) {
		return errUnauthorized // the session outlived its user
	}
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, nil)
	return nil
}

// GET /users/{id}/password
func (a *api) adminGetPassword(w http.ResponseWriter, r *http.Request) error {
	uid, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	return a.writePasswordCredential(w, r, uid, http.StatusOK)
}

// POST /users/{id}/password: 201; 409 if the user has a password, 404 if
// the user does not exist.
func (a *api) adminCreatePassword(w http.ResponseWriter, r *http.Request) error {
	uid, plain, err := a.adminPasswordRequest(w, r)
	if err != nil {
		return err
	}
	if err := a.d.Passwords.Create(r.Context(), uid, plain); err != nil {
		return err
	}
	return a.writePasswordCredential(w, r, uid, http.StatusCreated)
}

// PUT /users/{id}/password: 200; 404 if the user has no password.
func (a *api) adminReplacePassword(w http.ResponseWriter, r *http.Request) error {
	uid, plain, err := a.adminPasswordRequest(w, r)
	if err != nil {
		return err
	}
	if err := a.d.Passwords.Replace(r.Context(), uid, plain); err != nil {
		return err
	}
	return a.writePasswordCredential(w, r, uid, http.StatusOK)
}

// DELETE /users/{id}/password: 204; 404 if the user has no password.
func (a *api) adminDeletePassword(w http.ResponseWriter, r *http.Request) error {
	uid, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	if err := a.d.Passwords.Delete(r.Context(), uid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminPasswordRequest reads the path's user ID and the body's password.
func (a *api) adminPasswordRequest(w http.ResponseWriter, r *http.Request) (uuid.UUID, string, error) {
	uid, err := pathUUID(r, "id")
	if err != nil {
		return uuid.Nil, "", err
	}
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return uuid.Nil, "", err
	}
	return uid, req.Password, nil
}

func (a *api) writePasswordCredential(w http.ResponseWriter, r *http.Request, uid uuid.UUID, status int) error {
	c, err := a.d.Passwords.Get(r.Context(), uid)
	if err != nil {
		return err
	}
	writeJSON(w, status, passwordCredential{ID: c.ID, UserID: c.UserID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt})
	return nil
}
