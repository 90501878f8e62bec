package httpapi

import (
	"net/http"

	"github.com/hanko-go/hanko/webhook"
)

// webhookRoutes registers the admin API's webhook management.
func (a *api) webhookRoutes(mux *http.ServeMux) {
	if a.d.Webhooks == nil {
		return
	}
	mux.Handle("GET /webhooks", a.h(a.listWebhooks))
	mux.Handle("POST /webhooks", a.h(a.createWebhook))
	mux.Handle("GET /webhooks/{id}", a.h(a.getWebhook))
	mux.Handle("PUT /webhooks/{id}", a.h(a.updateWebhook))
	mux.Handle("DELETE /webhooks/{id}", a.h(a.deleteWebhook))
}

// webhookList is the answer of GET /webhooks.
type webhookList struct {
	Database []webhook.Webhook `json:"database"`
	Config   []webhook.Hook    `json:"config"`
}

// GET /webhooks: the admin API hooks (disabled ones too) and the hooks of
// the configuration.
func (a *api) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	db, err := a.d.Webhooks.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookList{Database: db, Config: a.d.Webhooks.ConfigHooks()})
	return nil
}

type webhookRequest struct {
	Callback string   `json:"callback"`
	Events   []string `json:"events"`
	Enabled  *bool    `json:"enabled"`
}

// POST /webhooks: 201 with the new hook.
func (a *api) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	hook, err := a.d.Webhooks.Create(r.Context(), req.Callback, req.Events)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, hook)
	return nil
}

// GET /webhooks/{id}
func (a *api) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	hook, err := a.d.Webhooks.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

// PUT /webhooks/{id}: replaces callback, events and enabled, and resets
// failures and expiry. Unlike the reference, enabled may be false.
func (a *api) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	var req webhookRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if req.Enabled == nil {
		return badRequest("enabled is a required field")
	}
	hook, err := a.d.Webhooks.Update(r.Context(), id, req.Callback, req.Events, *req.Enabled)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

// DELETE /webhooks/{id}: 204.
func (a *api) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	if err := a.d.Webhooks.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
