package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// emailRoutes registers the signed-in user's own email routes (legacy REST
// API, used by frontend-sdk 0.12's EmailClient). Every one needs a session.
func (a *api) emailRoutes(mux *http.ServeMux) {
	mux.Handle("GET /emails", a.authed(a.h(a.listOwnEmails)))
	mux.Handle("POST /emails", a.authed(a.h(a.addOwnEmail)))
	mux.Handle("DELETE /emails/{id}", a.authed(a.h(a.deleteOwnEmail)))
	mux.Handle("POST /emails/{id}/set_primary", a.authed(a.h(a.setOwnPrimaryEmail)))
}

// ownEmail is an element of GET /emails. "identities" are the third-party
// accounts linked through the address and "identity" (deprecated) the
// first of them; both are omitted when empty, as the 0.12 SDK's Email type
// expects.
type ownEmail struct {
	ID         uuid.UUID     `json:"id"`
	Address    string        `json:"address"`
	IsVerified bool          `json:"is_verified"`
	IsPrimary  bool          `json:"is_primary"`
	Identity   *ownIdentity  `json:"identity,omitempty"`
	Identities []ownIdentity `json:"identities,omitempty"`
}

// ownIdentity is a linked provider account: its ID at the provider and the
// provider's display name.
type ownIdentity struct {
	ID       string `json:"id"`
	Provider string `json:"provider"`
}

// emailModel is the reference's raw email model, which POST /emails answers
// with; user_id is absent while the address awaits verification.
type emailModel struct {
	ID        uuid.UUID  `json:"id"`
	UserID    *uuid.UUID `json:"user_id,omitempty"`
	Address   string     `json:"address"`
	Verified  bool       `json:"verified"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// GET /emails: the session user's addresses (assigned ones only; pending
// addresses are not the user's until verified).
func (a *api) listOwnEmails(w http.ResponseWriter, r *http.Request) error {
	es, err := a.d.Users.Emails(r.Context(), claims(r).Subject)
	if err != nil {
		return err
	}
	linked := map[uuid.UUID][]ownIdentity{}
	if a.d.ThirdParty != nil {
		ids, err := a.d.ThirdParty.Identities(r.Context(), claims(r).Subject)
		if err != nil {
			return err
		}
		for _, id := range ids {
			linked[id.EmailID] = append(linked[id.EmailID], ownIdentity{ID: id.ProviderID, Provider: id.DisplayName})
		}
	}
	out := make([]ownEmail, len(es))
	for i, e := range es {
		out[i] = ownEmail{ID: e.ID, Address: e.Address, IsVerified: e.Verified, IsPrimary: e.Primary, Identities: linked[e.ID]}
		if len(out[i].Identities) > 0 {
			out[i].Identity = &out[i].Identities[0]
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// POST /emails: add an address. 200 as the reference answers (its OpenAPI
// document says 201). With
// email.require_verification the address is verified and assigned later
// through POST /passcode/login/initialize with its email_id.
func (a *api) addOwnEmail(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Address string `json:"address"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Address) == "" {
		// The reference has no validation tag here and fails later; an
		// empty address is a bad request either way.
		return badRequest("address is a required field")
	}
	e, err := a.d.Users.AddOwnEmail(r.Context(), claims(r).Subject, req.Address)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emailModel{ID: e.ID, UserID: e.UserID, Address: e.Address, Verified: e.Verified, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt})
	return nil
}

// DELETE /emails/{id}: remove one of the session user's addresses; 409 for
// the primary one. Deliberate difference: an address that is not the
// user's is 404 here, where the reference answers 500 with a plain error;
// 404 matches DELETE /webauthn/credentials/{id} and set_primary.
func (a *api) deleteOwnEmail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	if err := a.d.Users.DeleteEmail(r.Context(), claims(r).Subject, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /emails/{id}/set_primary: make one of the session user's addresses
// primary; 204 also when it already is, 404 when it is not the user's.
func (a *api) setOwnPrimaryEmail(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	if err := a.d.Users.SetPrimaryEmail(r.Context(), claims(r).Subject, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
