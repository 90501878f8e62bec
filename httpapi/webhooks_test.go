package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/webhook"
)

// webhookJSON is the admin API's Webhook.
type webhookJSON struct {
	ID        string    `json:"id"`
	Callback  string    `json:"callback"`
	Enabled   bool      `json:"enabled"`
	Failures  int       `json:"failures"`
	ExpiresAt time.Time `json:"expires_at"`
	Events    []struct {
		ID    string `json:"id"`
		Event string `json:"event"`
	} `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// newWebhookAdmin returns an admin handler that serves /webhooks, with
// one configured hook.
func newWebhookAdmin(t *testing.T) http.Handler {
	t.Helper()
	api := newTestAPI(t)
	hooks, err := webhook.New(webhook.Config{
		Store: api.db, Keys: api.deps.Keys.(*jwks.Set), Audience: []string{"localhost"},
		Hooks: []webhook.Hook{{Callback: "https://config.example/hook", Events: []string{"user", "email.send"}}},
		Now:   api.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	d := api.deps
	d.Webhooks = hooks
	return httpapi.Admin(d)
}

func TestAdminWebhooks(t *testing.T) {
	admin := newWebhookAdmin(t)

	rec := do(t, admin, "GET", "/webhooks", "")
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) !=
		`{"database":[],"config":[{"callback":"https://config.example/hook","events":["user","email.send"]}]}` {
		t.Fatalf("GET /webhooks = %d %s", rec.Code, rec.Body)
	}

	rec = do(t, admin, "POST", "/webhooks", `{"callback":"https://app.example/hook","events":["user.create","email.send"]}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /webhooks = %d %s", rec.Code, rec.Body)
	}
	created := decode[webhookJSON](t, rec)
	if created.ID == "" || created.Callback != "https://app.example/hook" || !created.Enabled || created.Failures != 0 ||
		len(created.Events) != 2 || created.Events[0].ID == "" || created.Events[0].Event != "user.create" ||
		created.ExpiresAt.Sub(created.CreatedAt) != 30*24*time.Hour {
		t.Fatalf("created %+v", created)
	}

	rec = do(t, admin, "GET", "/webhooks/"+created.ID, "")
	if got := decode[webhookJSON](t, rec); rec.Code != 200 || got.ID != created.ID || len(got.Events) != 2 {
		t.Fatalf("GET /webhooks/{id} = %d %s", rec.Code, rec.Body)
	}

	list := decode[struct {
		Database []webhookJSON `json:"database"`
	}](t, do(t, admin, "GET", "/webhooks", ""))
	if len(list.Database) != 1 || list.Database[0].ID != created.ID {
		t.Fatalf("list %+v", list)
	}

	// PUT replaces everything; enabled false is accepted (ours).
	rec = do(t, admin, "PUT", "/webhooks/"+created.ID, `{"callback":"https://app.example/v2","events":["user"],"enabled":false}`)
	updated := decode[webhookJSON](t, rec)
	if rec.Code != 200 || updated.Enabled || updated.Callback != "https://app.example/v2" || len(updated.Events) != 1 || updated.Events[0].Event != "user" {
		t.Fatalf("PUT = %d %s", rec.Code, rec.Body)
	}
	list = decode[struct {
		Database []webhookJSON `json:"database"`
	}](t, do(t, admin, "GET", "/webhooks", ""))
	if len(list.Database) != 1 || list.Database[0].Enabled {
		t.Fatalf("disabled hook not listed as such: %+v", list)
	}

	if rec := do(t, admin, "DELETE", "/webhooks/"+created.ID, ""); rec.Code != http.StatusNoContent {
		t.Fatalf("DELETE = %d %s", rec.Code, rec.Body)
	}
	for _, m := range []string{"GET", "DELETE"} {
		if rec := do(t, admin, m, "/webhooks/"+created.ID, ""); rec.Code != http.StatusNotFound {
			t.Fatalf("%s deleted hook = %d", m, rec.Code)
		}
	}
	if rec := do(t, admin, "PUT", "/webhooks/"+created.ID, `{"callback":"https://a.example","events":["user"],"enabled":true}`); rec.Code != http.StatusNotFound {
		t.Fatalf("PUT deleted hook = %d", rec.Code)
	}
}

func TestAdminWebhooksBadInput(t *testing.T) {
	admin := newWebhookAdmin(t)
	good := decode[webhookJSON](t, do(t, admin, "POST", "/webhooks", `{"callback":"https://a.example/h","events":["user"]}`))
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		msg                      string
	}{
		{"no callback", "POST", "/webhooks", `{"events":["user"]}`, 400, "callback is a required field"},
		{"bad callback", "POST", "/webhooks", `{"callback":"not-a-url","events":["user"]}`, 400, "callback must be a valid URL"},
		{"no events", "POST", "/webhooks", `{"callback":"https://a.example/h"}`, 400, "events must contain at least 1 item"},
		{"empty events", "POST", "/webhooks", `{"callback":"https://a.example/h","events":[]}`, 400, "events must contain at least 1 item"},
		{"unknown event", "POST", "/webhooks", `{"callback":"https://a.example/h","events":["user.nope"]}`, 400, "events[0] must be one of"},
		{"repeated event", "POST", "/webhooks", `{"callback":"https://a.example/h","events":["user","user"]}`, 400, "events entries are not unique"},
		{"not json", "POST", "/webhooks", `{"callback":`, 400, ""},
		{"bad uuid get", "GET", "/webhooks/nope", "", 400, "id must be a valid uuid"},
		{"bad uuid put", "PUT", "/webhooks/nope", `{}`, 400, "id must be a valid uuid"},
		{"bad uuid delete", "DELETE", "/webhooks/nope", "", 400, "id must be a valid uuid"},
		{"unknown id", "GET", "/webhooks/6f1c9d0e-3e1f-4b7a-9c51-8f3f2f0d2a11", "", 404, "webhook not found"},
		{"put without enabled", "PUT", "/webhooks/" + good.ID, `{"callback":"https://a.example/h","events":["user"]}`, 400, "enabled is a required field"},
		{"put bad events", "PUT", "/webhooks/" + good.ID, `{"callback":"https://a.example/h","events":["x"],"enabled":true}`, 400, "events[0] must be one of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := do(t, admin, tc.method, tc.path, tc.body)
			body := decode[struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}](t, rec)
			if rec.Code != tc.status || body.Code != tc.status || !strings.HasPrefix(body.Message, tc.msg) {
				t.Fatalf("%s %s = %d %s, want %d %q", tc.method, tc.path, rec.Code, rec.Body, tc.status, tc.msg)
			}
		})
	}
}
