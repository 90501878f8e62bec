package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/passkey"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
)

// webauthnRoutes serves the passkey routes when passkeys are on.
func (a *api) webauthnRoutes(mux *http.ServeMux) {
	if a.d.Passkeys == nil {
		return
	}
	mux.Handle("POST /webauthn/registration/initialize", a.authed(a.h(a.webauthnRegistrationInit)))
	mux.Handle("POST /webauthn/registration/finalize", a.authed(a.h(a.webauthnRegistrationFinal)))
	mux.Handle("POST /webauthn/login/initialize", a.h(a.webauthnLoginInit))
	mux.Handle("POST /webauthn/login/finalize", a.h(a.webauthnLoginFinal))
	mux.Handle("GET /webauthn/credentials", a.authed(a.h(a.webauthnCredentials)))
	mux.Handle("PATCH /webauthn/credentials/{id}", a.authed(a.h(a.webauthnRename)))
	mux.Handle("DELETE /webauthn/credentials/{id}", a.authed(a.h(a.webauthnDelete)))
}

// adminWebauthnRoutes serves the admin credential routes.
func (a *api) adminWebauthnRoutes(mux *http.ServeMux) {
	if a.d.Passkeys == nil {
		return
	}
	mux.Handle("GET /users/{user_id}/webauthn_credentials", a.h(a.adminWebauthnCredentials))
	mux.Handle("GET /users/{user_id}/webauthn_credentials/{credential_id}", a.h(a.adminWebauthnCredential))
	mux.Handle("DELETE /users/{user_id}/webauthn_credentials/{credential_id}", a.h(a.adminWebauthnDelete))
}

// webauthnCredential is a credential as the API shows it.
type webauthnCredential struct {
	ID              string     `json:"id"`
	Name            *string    `json:"name,omitempty"`
	PublicKey       string     `json:"public_key"`
	AttestationType string     `json:"attestation_type"`
	AAGUID          uuid.UUID  `json:"aaguid"`
	LastUsedAt      *time.Time `json:"last_used_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	Transports      []string   `json:"transports"`
	BackupEligible  bool       `json:"backup_eligible"`
	BackupState     bool       `json:"backup_state"`
	MFAOnly         bool       `json:"mfa_only"`
}

func webauthnCredentialOf(c store.WebauthnCredential) webauthnCredential {
	out := webauthnCredential{
		ID: c.ID, Name: c.Name, PublicKey: c.PublicKey, AttestationType: c.AttestationType, AAGUID: c.AAGUID,
		LastUsedAt: c.LastUsedAt, CreatedAt: c.CreatedAt, Transports: make([]string, 0, len(c.Transports)),
		BackupEligible: c.BackupEligible, BackupState: c.BackupState, MFAOnly: c.MFAOnly,
	}
	for _, t := range c.Transports {
		out.Transports = append(out.Transports, t.Name)
	}
	return out
}

func webauthnCredentialsOf(cs []store.WebauthnCredential) []webauthnCredential {
	out := make([]webauthnCredential, len(cs))
	for i, c := range cs {
		out[i] = webauthnCredentialOf(c)
	}
	return out
}

// webauthnResult is the answer of both finalize routes.
type webauthnResult struct {
	CredentialID string    `json:"credential_id"`
	UserID       uuid.UUID `json:"user_id"`
}

// readCredentialJSON reads a finalize body: one JSON object, at most 1 MiB.
func readCredentialJSON(w http.ResponseWriter, r *http.Request) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := decodeJSON(w, r, &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, badRequest("request body must be a PublicKeyCredential JSON object")
	}
	return raw, nil
}

// POST /webauthn/registration/initialize
func (a *api) webauthnRegistrationInit(w http.ResponseWriter, r *http.Request) error {
	creation, err := a.d.Passkeys.BeginRegistration(r.Context(), claims(r).Subject)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, creation)
	return nil
}

// POST /webauthn/registration/finalize: the body is the PublicKeyCredential;
// an extra top-level "name" names the credential.
func (a *api) webauthnRegistrationFinal(w http.ResponseWriter, r *http.Request) error {
	raw, err := readCredentialJSON(w, r)
	if err != nil {
		return err
	}
	var named struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(raw, &named) // a non-string name is ignored
	reg, err := a.d.Passkeys.FinishRegistration(r.Context(), claims(r).Subject, raw, named.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webauthnResult{CredentialID: reg.CredentialID, UserID: reg.UserID})
	return nil
}

// POST /webauthn/login/initialize: with {"user_id"} the options list the
// user's credentials; without, they ask for a discoverable one.
func (a *api) webauthnLoginInit(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		UserID *string `json:"user_id"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	var uid *uuid.UUID
	if req.UserID != nil && *req.UserID != "" {
		id, err := uuid.Parse(*req.UserID)
		if err != nil {
			return badRequest("user_id must be a valid uuid4")
		}
		uid = &id
	}
	assertion, err := a.d.Passkeys.BeginLogin(r.Context(), uid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, assertion)
	return nil
}

// POST /webauthn/login/finalize: the body is the assertion; on success a
// session is issued.
func (a *api) webauthnLoginFinal(w http.ResponseWriter, r *http.Request) error {
	raw, err := readCredentialJSON(w, r)
	if err != nil {
		return err
	}
	var tok session.Token
	login, err := a.d.Passkeys.FinishLogin(r.Context(), raw, func(ctx context.Context, l passkey.Login) error {
		var err error
		tok, err = a.d.Sessions.Issue(ctx, l.UserID, clientMeta(r))
		return err
	})
	if err != nil {
		return err
	}
	a.d.Sessions.WriteToken(w, tok)
	writeJSON(w, http.StatusOK, webauthnResult{CredentialID: login.CredentialID, UserID: login.UserID})
	return nil
}

// GET /webauthn/credentials
func (a *api) webauthnCredentials(w http.ResponseWriter, r *http.Request) error {
	cs, err := a.d.Passkeys.Credentials(r.Context(), claims(r).Subject)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webauthnCredentialsOf(cs))
	return nil
}

// PATCH /webauthn/credentials/{id} with {"name"}: 200 with an empty body.
func (a *api) webauthnRename(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name *string `json:"name"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Name == nil {
		return badRequest("name is a required field")
	}
	if err := a.d.Passkeys.Rename(r.Context(), claims(r).Subject, r.PathValue("id"), *req.Name); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// DELETE /webauthn/credentials/{id}
func (a *api) webauthnDelete(w http.ResponseWriter, r *http.Request) error {
	if err := a.d.Passkeys.Delete(r.Context(), claims(r).Subject, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminCredentialOwner reads and checks the user of an admin credential
// route.
func (a *api) adminCredentialOwner(r *http.Request) (uuid.UUID, error) {
	uid, err := pathUUID(r, "user_id")
	if err != nil {
		return uid, err
	}
	_, err = a.d.Users.Get(r.Context(), uid)
	return uid, err
}

// GET /users/{user_id}/webauthn_credentials (admin)
func (a *api) adminWebauthnCredentials(w http.ResponseWriter, r *http.Request) error {
	uid, err := a.adminCredentialOwner(r)
	if err != nil {
		return err
	}
	cs, err := a.d.Passkeys.Credentials(r.Context(), uid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webauthnCredentialsOf(cs))
	return nil
}

// GET /users/{user_id}/webauthn_credentials/{credential_id} (admin)
func (a *api) adminWebauthnCredential(w http.ResponseWriter, r *http.Request) error {
	uid, err := a.adminCredentialOwner(r)
	if err != nil {
		return err
	}
	c, err := a.d.Passkeys.Credential(r.Context(), uid, r.PathValue("credential_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webauthnCredentialOf(c))
	return nil
}

// DELETE /users/{user_id}/webauthn_credentials/{credential_id} (admin)
func (a *api) adminWebauthnDelete(w http.ResponseWriter, r *http.Request) error {
	uid, err := a.adminCredentialOwner(r)
	if err != nil {
		return err
	}
	if err := a.d.Passkeys.Delete(r.Context(), uid, r.PathValue("credential_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
