package hanko_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/config"
	"github.com/hanko-go/hanko/thirdparty/thirdpartytest"
)

// syncBuffer is a bytes.Buffer safe for the audit writer and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestThirdPartyEndToEnd runs a whole third-party login through hanko.New
// with real HTTP: a browser-like client with a cookie jar follows the
// redirects from GET /thirdparty/auth to a fake OpenID Connect provider
// (configured as third_party.custom_providers.acme), back to the callback
// and on to the app, then exchanges the one-time token for a session.
func TestThirdPartyEndToEnd(t *testing.T) {
	fake := thirdpartytest.New(t)
	fake.SetUser(thirdpartytest.User{Subject: "e2e-1", Email: "e2e@example.com", EmailVerified: true, Name: "E2E"})
	hooks := make(chan string, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Event string `json:"event"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		hooks <- body.Event
	}))
	t.Cleanup(receiver.Close)

	var h *hanko.Hanko
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(api.Close)
	cfg := hanko.DefaultConfig()
	cfg.Secrets.Keys = []string{"an-e2e-secret-of-enough-length"}
	cfg.Session.Cookie.Secure = false // the test servers speak plain HTTP
	cfg.ThirdParty.RedirectURL = api.URL + "/thirdparty/callback"
	cfg.ThirdParty.ErrorRedirectURL = "https://app.example.com/error"
	cfg.ThirdParty.AllowedRedirectURLs = []string{"https://app.example.com/**"}
	cfg.ThirdParty.CustomProviders = map[string]config.CustomProvider{"acme": {
		Enabled: true, DisplayName: "Acme", Issuer: fake.Issuer,
		ClientID: thirdpartytest.ClientID, Secret: thirdpartytest.Secret,
	}}
	cfg.Webhooks.Enabled = true
	cfg.Webhooks.Hooks = []config.Webhook{{Callback: receiver.URL, Events: []string{"user.create"}}}
	audit := &syncBuffer{}
	h = newHanko(t, hanko.WithConfig(cfg), hanko.WithAuditOutput(audit))

	// The SDK learns of the provider from /.well-known/config.
	res, err := http.Get(api.URL + "/.well-known/config")
	if err != nil {
		t.Fatal(err)
	}
	var wk struct{ Providers []string }
	_ = json.NewDecoder(res.Body).Decode(&wk)
	res.Body.Close()
	if len(wk.Providers) != 1 || wk.Providers[0] != "Acme" {
		t.Fatalf("/.well-known/config providers = %q, want [Acme]", wk.Providers)
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host == "app.example.com" {
			return http.ErrUseLastResponse // the app is not running; stop where the browser would land
		}
		return nil
	}}
	q := url.Values{"provider": {"acme"}, "redirect_to": {"https://app.example.com/done"}}
	res, err = browser.Get(api.URL + "/thirdparty/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusTemporaryRedirect || loc == nil || loc.Host != "app.example.com" || loc.Path != "/done" {
		t.Fatalf("the login ended with %d at %q", res.StatusCode, res.Header.Get("Location"))
	}
	token := loc.Query().Get("hanko_token")
	if token == "" {
		t.Fatalf("no hanko_token in %s", loc)
	}

	exchange := func() *http.Response {
		res, err := browser.Post(api.URL+"/token", "application/json", strings.NewReader(`{"value":"`+token+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res = exchange()
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var out struct {
		UserID string `json:"user_id"`
	}
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &out) != nil || out.UserID == "" {
		t.Fatalf("POST /token = %d %s", res.StatusCode, body)
	}
	if res := exchange(); res.StatusCode != http.StatusNotFound {
		t.Fatalf("second POST /token = %d, want 404", res.StatusCode)
	}

	// The session cookie from /token works.
	res, err = browser.Get(api.URL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	var me struct{ ID string }
	_ = json.NewDecoder(res.Body).Decode(&me)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || me.ID != out.UserID {
		t.Fatalf("GET /me = %d %q, want %s", res.StatusCode, me.ID, out.UserID)
	}
	res, err = browser.Get(api.URL + "/emails")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"identities":[{"id":"e2e-1","provider":"Acme"}]`) {
		t.Fatalf("GET /emails = %s", body)
	}

	// The admin API shows the identity on the user.
	rec := httptest.NewRecorder()
	h.Admin().ServeHTTP(rec, httptest.NewRequest("GET", "/users/"+out.UserID, nil))
	var admin struct {
		Identities []struct {
			ProviderID   string `json:"provider_id"`
			ProviderName string `json:"provider_name"`
			EmailID      string `json:"email_id"`
		} `json:"identities"`
		Emails []struct {
			ID string `json:"id"`
		} `json:"emails"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &admin); err != nil || len(admin.Identities) != 1 || len(admin.Emails) != 1 ||
		admin.Identities[0].ProviderID != "e2e-1" || admin.Identities[0].ProviderName != "acme" || admin.Identities[0].EmailID != admin.Emails[0].ID {
		t.Fatalf("admin GET /users/{id} = %s", rec.Body)
	}

	// The events went out: audit lines and the user.create webhook.
	for _, typ := range []string{"thirdparty_signup_succeeded", "token_exchange_succeeded", "token_exchange_failed"} {
		if !strings.Contains(audit.String(), typ) {
			t.Errorf("no %s audit record in %s", typ, audit.String())
		}
	}
	select {
	case evt := <-hooks:
		if evt != "user.create" {
			t.Fatalf("webhook event %q, want user.create", evt)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no user.create webhook within 10 s")
	}
	if strings.Contains(audit.String(), token) {
		t.Fatal("the one-time token appears in the audit log")
	}
}
