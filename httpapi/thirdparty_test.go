package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/ratelimit"
	"github.com/hanko-go/hanko/thirdparty"
	"github.com/hanko-go/hanko/thirdparty/thirdpartytest"
	"github.com/hanko-go/hanko/users"
)

// Third-party test settings: the API is at http://api.test, the app at
// https://app.example.com (allowed with any path) and any single-label
// subdomain of trusted.example.org (allowed without a path).
const (
	tpCallbackURL = "http://api.test/thirdparty/callback"
	tpErrorURL    = "https://app.example.com/error"
	tpAppURL      = "https://app.example.com/welcome"
)

var tpAllowed = []string{"https://app.example.com/**", "https://*.trusted.example.org/"}

// recordedEvents keeps every emitted event.
type recordedEvents struct {
	mu  sync.Mutex
	evs []events.Event
}

func (r *recordedEvents) Emit(_ context.Context, e events.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
	return nil
}

// audits returns the audit types recorded so far, in order.
func (r *recordedEvents) audits() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.evs {
		if e.Audit != "" {
			out = append(out, e.Audit)
		}
	}
	return out
}

func (r *recordedEvents) has(audit, webhook string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.evs {
		if (audit == "" || e.Audit == audit) && (webhook == "" || e.Webhook == webhook) {
			return true
		}
	}
	return false
}

// tpEnv is a public API with third-party login against a fake provider,
// enabled as the generic OIDC provider "acme" (linking off) and as the
// built-in providers google (linking on) and github.
type tpEnv struct {
	*testAPI
	fake   *thirdpartytest.Provider
	events *recordedEvents
	svc    *thirdparty.Service
}

type tpOption func(*thirdparty.Config, *httpapi.Deps)

func newTPEnv(t testing.TB, opts ...tpOption) *tpEnv {
	t.Helper()
	ta := newTestAPI(t)
	fake := thirdpartytest.New(t)
	fake.SetUser(thirdpartytest.User{Subject: "acct-1", Email: "Jane@Example.com", EmailVerified: true, Name: "Jane"})
	sealer, err := jwks.NewSealer([]string{testSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pc := thirdparty.ProviderConfig{ClientID: thirdpartytest.ClientID, Secret: thirdpartytest.Secret, RedirectURL: tpCallbackURL}
	google := pc
	google.AllowLinking = true
	google.Endpoints = thirdparty.Endpoints{AuthURL: fake.URL("/authorize"), TokenURL: fake.URL("/token"), UserInfoURL: fake.URL("/userinfo")}
	github := pc
	github.AllowLinking = true
	github.Endpoints = thirdparty.Endpoints{AuthURL: fake.URL("/authorize"), TokenURL: fake.URL("/token"),
		UserInfoURL: fake.URL("/github/user"), EmailsURL: fake.URL("/github/user/emails")}
	rec := &recordedEvents{}
	cfg := thirdparty.Config{
		Store: ta.db, Sealer: sealer,
		Providers: []thirdparty.Provider{
			thirdparty.OIDC(thirdparty.OIDCConfig{ProviderConfig: pc, Name: "acme", DisplayName: "Acme", Issuer: fake.Issuer}),
			thirdparty.Google(google), thirdparty.GitHub(github),
		},
		ErrorRedirectURL: tpErrorURL, AllowedRedirectURLs: tpAllowed,
		RequireVerification: true, AllowSignup: true, EmailLimit: 5, NormalizeEmail: users.NormalizeEmail,
		Events: rec, Now: ta.clock.Now,
	}
	deps := ta.deps
	deps.Settings.StateCookieSecure = true
	for _, o := range opts {
		o(&cfg, &deps)
	}
	svc, err := thirdparty.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	deps.ThirdParty = svc
	ta.public = httpapi.Public(deps)
	return &tpEnv{testAPI: ta, fake: fake, events: rec, svc: svc}
}

// begin calls GET /thirdparty/auth and returns the response.
func (e *tpEnv) begin(t *testing.T, provider, redirectTo string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	q := url.Values{"provider": {provider}, "redirect_to": {redirectTo}}
	return do(t, e.public, "GET", "/thirdparty/auth?"+q.Encode(), "", header...)
}

// started is a login the provider has approved: the callback path to call
// and the state cookie the browser holds.
type started struct {
	callback string // path and query on our API
	cookie   string
	state    string
	authURL  string
}

func (e *tpEnv) start(t *testing.T, provider, redirectTo string) started {
	t.Helper()
	rec := e.begin(t, provider, redirectTo)
	if rec.Code != http.StatusTemporaryRedirect {
		t.Fatalf("GET /thirdparty/auth = %d, want 307: %s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, e.fake.URL("/authorize")) {
		t.Fatalf("GET /thirdparty/auth went to %q, want the provider", loc)
	}
	c := stateCookieOf(t, rec)
	cb := e.fake.Approve(t, loc)
	u, _ := url.Parse(cb)
	return started{callback: u.Path + "?" + u.RawQuery, cookie: c.Value, state: u.Query().Get("state"), authURL: loc}
}

func stateCookieOf(t *testing.T, rec *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hanko_thirdparty_state" {
			return c
		}
	}
	t.Fatalf("no hanko_thirdparty_state cookie in %v", rec.Header()["Set-Cookie"])
	return nil
}

// callback calls GET /thirdparty/callback with the state cookie.
func (e *tpEnv) callback(t *testing.T, s started) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, e.public, "GET", s.callback, "", "Cookie", "hanko_thirdparty_state="+s.cookie)
}

// login runs a whole login and returns the callback's response.
func (e *tpEnv) login(t *testing.T, provider string) *httptest.ResponseRecorder {
	t.Helper()
	return e.callback(t, e.start(t, provider, tpAppURL))
}

// hankoToken returns the one-time token of a successful callback.
func hankoToken(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Code != http.StatusTemporaryRedirect {
		t.Fatalf("callback = %d, want 307: %s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, tpAppURL+"?") {
		t.Fatalf("callback went to %q, want %s?hanko_token=…", loc, tpAppURL)
	}
	u, _ := url.Parse(loc)
	tok := u.Query().Get("hanko_token")
	if len(tok) != 43 { // 32 bytes, base64url without padding
		t.Fatalf("hanko_token %q is not 32 base64url bytes", tok)
	}
	return tok
}

// loginError asserts that rec redirects to the error URL with code.
func loginError(t *testing.T, rec *httptest.ResponseRecorder, code string) url.Values {
	t.Helper()
	if rec.Code != http.StatusTemporaryRedirect {
		t.Fatalf("status %d, want 307: %s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, tpErrorURL+"?") {
		t.Fatalf("redirected to %q, want the error URL %s", loc, tpErrorURL)
	}
	u, _ := url.Parse(loc)
	if got := u.Query().Get("error"); got != code {
		t.Fatalf("error = %q (%s), want %q", got, u.Query().Get("error_description"), code)
	}
	if u.Query().Get("hanko_token") != "" {
		t.Fatal("an error redirect carries a token")
	}
	return u.Query()
}

func (e *tpEnv) exchange(t *testing.T, token string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, e.public, "POST", "/token", `{"value":"`+token+`"}`)
}

func (e *tpEnv) userCount(t *testing.T) int {
	t.Helper()
	_, n, err := e.db.ListUsers(t.Context(), storeQuery())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestThirdPartySignUpThenSignIn(t *testing.T) {
	e := newTPEnv(t)
	tok := hankoToken(t, e.login(t, "acme"))
	if !e.events.has(events.ThirdPartySignupSucceeded, events.UserCreate) {
		t.Fatalf("no thirdparty_signup_succeeded/user.create event: %v", e.events.audits())
	}

	rec := e.exchange(t, tok)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST /token = %d: %s", rec.Code, rec.Body)
	}
	uid := decode[map[string]string](t, rec)["user_id"]
	if uid == "" || rec.Header().Get("X-Session-Lifetime") == "" {
		t.Fatalf("POST /token: body %s, headers %v", rec.Body, rec.Header())
	}
	var sess *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hanko" {
			sess = c
		}
	}
	if sess == nil || sess.Value == "" {
		t.Fatal("POST /token set no session cookie")
	}
	if !e.events.has(events.TokenExchangeSucceeded, "") {
		t.Fatalf("no token_exchange_succeeded: %v", e.events.audits())
	}

	// The new user has the provider's address, verified and primary, with
	// the identity on it.
	u, err := e.users.Get(t.Context(), uuid.MustParse(uid))
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Emails) != 1 || u.Emails[0].Address != "jane@example.com" || !u.Emails[0].Verified || !u.Emails[0].Primary {
		t.Fatalf("signed-up user's emails: %+v", u.Emails)
	}
	emails := do(t, e.public, "GET", "/emails", "", "Cookie", "hanko="+sess.Value)
	type ident struct{ ID, Provider string }
	list := decode[[]struct {
		Identity   *ident  `json:"identity"`
		Identities []ident `json:"identities"`
	}](t, emails)
	if len(list) != 1 || len(list[0].Identities) != 1 || list[0].Identities[0] != (ident{"acct-1", "Acme"}) ||
		list[0].Identity == nil || *list[0].Identity != list[0].Identities[0] {
		t.Fatalf("GET /emails = %s", emails.Body)
	}

	// Logging in again signs the same user in; nothing new is created.
	tok2 := hankoToken(t, e.login(t, "acme"))
	if !e.events.has(events.ThirdPartySigninSucceeded, "") {
		t.Fatalf("no thirdparty_signin_succeeded: %v", e.events.audits())
	}
	rec = e.exchange(t, tok2)
	if got := decode[map[string]string](t, rec)["user_id"]; got != uid {
		t.Fatalf("second login signed in %s, want %s", got, uid)
	}
	if n := e.userCount(t); n != 1 {
		t.Fatalf("%d users, want 1", n)
	}
}

func TestThirdPartySignInMovesToChangedAddress(t *testing.T) {
	e := newTPEnv(t)
	uid := decode[map[string]string](t, e.exchange(t, hankoToken(t, e.login(t, "acme"))))["user_id"]
	e.fake.SetUser(thirdpartytest.User{Subject: "acct-1", Email: "jane.new@example.com", EmailVerified: true})
	hankoToken(t, e.login(t, "acme"))
	if !e.events.has("", events.EmailCreate) {
		t.Fatal("no user.update.email.create for the new provider address")
	}
	u, _ := e.users.Get(t.Context(), uuid.MustParse(uid))
	if len(u.Emails) != 2 {
		t.Fatalf("emails after the provider address changed: %+v", u.Emails)
	}

	// An address of another account: multiple_accounts.
	other, err := e.users.Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "taken@example.com", Primary: true, Verified: true}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = other
	e.fake.SetUser(thirdpartytest.User{Subject: "acct-1", Email: "taken@example.com", EmailVerified: true})
	loginError(t, e.login(t, "acme"), thirdparty.CodeMultipleAccounts)
}

func TestThirdPartyLinking(t *testing.T) {
	for _, tc := range []struct {
		name, provider string
		wantErr        string
	}{
		{"allowed", "google", ""},
		{"refused", "acme", thirdparty.CodeUserConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTPEnv(t)
			existing, err := e.users.Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "jane@example.com", Primary: true, Verified: true}}})
			if err != nil {
				t.Fatal(err)
			}
			rec := e.login(t, tc.provider)
			if tc.wantErr != "" {
				loginError(t, rec, tc.wantErr)
				if !e.events.has(events.ThirdPartySigninSignupFailed, "") {
					t.Fatal("no thirdparty_signin_signup_failed event")
				}
				if ids, _ := e.db.ListIdentities(t.Context(), existing.ID); len(ids) != 0 {
					t.Fatalf("refused linking left identities %+v", ids)
				}
				return
			}
			got := decode[map[string]string](t, e.exchange(t, hankoToken(t, rec)))["user_id"]
			if got != existing.ID.String() {
				t.Fatalf("linked login signed in %s, want the existing %s", got, existing.ID)
			}
			if !e.events.has(events.ThirdPartyLinkingSucceeded, "") {
				t.Fatalf("no thirdparty_linking_succeeded: %v", e.events.audits())
			}
			if ids, _ := e.db.ListIdentities(t.Context(), existing.ID); len(ids) != 1 || ids[0].ProviderName != "google" {
				t.Fatalf("identities after linking: %+v", ids)
			}
		})
	}
}

// TestThirdPartyNoLinkWithoutVerifiedEmail: even without
// email.require_verification, an address the provider has not verified
// never links to an existing account.
func TestThirdPartyNoLinkWithoutVerifiedEmail(t *testing.T) {
	e := newTPEnv(t, func(c *thirdparty.Config, _ *httpapi.Deps) { c.RequireVerification = false })
	existing, err := e.users.Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "jane@example.com", Primary: true, Verified: true}}})
	if err != nil {
		t.Fatal(err)
	}
	e.fake.SetUser(thirdpartytest.User{Subject: "x1", Email: "jane@example.com", EmailVerified: false})
	loginError(t, e.login(t, "google"), thirdparty.CodeUnverifiedEmail)
	if ids, _ := e.db.ListIdentities(t.Context(), existing.ID); len(ids) != 0 {
		t.Fatalf("unverified address linked: %+v", ids)
	}
	// A new address signs up, unverified, when verification is not required.
	e.fake.SetUser(thirdpartytest.User{Subject: "x2", Email: "new@example.com", EmailVerified: false})
	uid := decode[map[string]string](t, e.exchange(t, hankoToken(t, e.login(t, "google"))))["user_id"]
	u, _ := e.users.Get(t.Context(), uuid.MustParse(uid))
	if len(u.Emails) != 1 || u.Emails[0].Verified {
		t.Fatalf("emails %+v, want one unverified", u.Emails)
	}
}

func TestThirdPartyRefusals(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opt      tpOption
		user     thirdpartytest.User
		wantCode string
	}{
		{"unverified email", nil, thirdpartytest.User{Subject: "u1", Email: "u@example.com"}, thirdparty.CodeUnverifiedEmail},
		{"signup disabled", func(c *thirdparty.Config, _ *httpapi.Deps) { c.AllowSignup = false },
			thirdpartytest.User{Subject: "u2", Email: "v@example.com", EmailVerified: true}, thirdparty.CodeSignupDisabled},
		{"no email", nil, thirdpartytest.User{Subject: "u3", EmailVerified: true}, thirdparty.CodeInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []tpOption
			if tc.opt != nil {
				opts = append(opts, tc.opt)
			}
			e := newTPEnv(t, opts...)
			e.fake.SetUser(tc.user)
			loginError(t, e.login(t, "acme"), tc.wantCode)
			if n := e.userCount(t); n != 0 {
				t.Fatalf("a refused login left %d users", n)
			}
		})
	}
}

func TestThirdPartyProviderErrorPassthrough(t *testing.T) {
	e := newTPEnv(t)
	s := e.start(t, "acme", tpAppURL)
	q := url.Values{"state": {s.state}, "error": {"access_denied"}, "error_description": {"the user said no"}}
	rec := do(t, e.public, "GET", "/thirdparty/callback?"+q.Encode(), "", "Cookie", "hanko_thirdparty_state="+s.cookie)
	got := loginError(t, rec, "access_denied")
	if got.Get("error_description") != "the user said no" {
		t.Fatalf("error_description = %q", got.Get("error_description"))
	}
	// The state cookie is cleared.
	if c := stateCookieOf(t, rec); c.MaxAge >= 0 {
		t.Fatalf("state cookie not cleared: %+v", c)
	}
}

func TestThirdPartyStateChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(t *testing.T, e *tpEnv, s started) *httptest.ResponseRecorder
	}{
		{"tampered", func(t *testing.T, e *tpEnv, s started) *httptest.ResponseRecorder {
			st := []byte(s.state)
			i := len(st) / 2
			if st[i] == 'A' {
				st[i] = 'B'
			} else {
				st[i] = 'A'
			}
			return do(t, e.public, "GET", strings.Replace(s.callback, url.QueryEscape(s.state), url.QueryEscape(string(st)), 1), "",
				"Cookie", "hanko_thirdparty_state="+s.cookie)
		}},
		{"expired", func(t *testing.T, e *tpEnv, s started) *httptest.ResponseRecorder {
			e.clock.Add(thirdparty.StateTTL + time.Second)
			return e.callback(t, s)
		}},
		{"no cookie", func(t *testing.T, e *tpEnv, s started) *httptest.ResponseRecorder {
			return do(t, e.public, "GET", s.callback, "")
		}},
		{"other login's cookie", func(t *testing.T, e *tpEnv, s started) *httptest.ResponseRecorder {
			other := e.start(t, "acme", tpAppURL)
			return do(t, e.public, "GET", s.callback, "", "Cookie", "hanko_thirdparty_state="+other.cookie)
		}},
		{"replayed after success", func(t *testing.T, e *tpEnv, s started) *httptest.ResponseRecorder {
			hankoToken(t, e.callback(t, s))
			return e.callback(t, s)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTPEnv(t)
			s := e.start(t, "acme", tpAppURL)
			loginError(t, tc.call(t, e, s), thirdparty.CodeInvalidRequest)
			if tc.name != "replayed after success" && e.userCount(t) != 0 {
				t.Fatal("a refused callback created a user")
			}
		})
	}
}

func TestThirdPartyIDTokenChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(map[string]any)
		badSig bool
	}{
		{"wrong nonce", func(c map[string]any) { c["nonce"] = "someone-elses-nonce" }, false},
		{"no nonce", func(c map[string]any) { delete(c, "nonce") }, false},
		{"wrong aud", func(c map[string]any) { c["aud"] = "another-client" }, false},
		{"wrong iss", func(c map[string]any) { c["iss"] = "https://evil.example" }, false},
		{"expired", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, false},
		{"bad signature", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTPEnv(t)
			e.fake.TamperIDToken(tc.tamper)
			e.fake.SignWithUnknownKey(tc.badSig)
			q := loginError(t, e.login(t, "acme"), thirdparty.CodeInvalidRequest)
			if d := q.Get("error_description"); d != "could not verify the ID token" {
				t.Fatalf("error_description = %q, want the ID token refused", d)
			}
			if n := e.userCount(t); n != 0 {
				t.Fatalf("a refused ID token created %d users", n)
			}
		})
	}
}

func TestThirdPartyPKCE(t *testing.T) {
	e := newTPEnv(t)
	s := e.start(t, "acme", tpAppURL)
	u, _ := url.Parse(s.authURL)
	q := u.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("prompt") != "consent" {
		t.Fatalf("auth URL lacks PKCE, nonce or prompt: %s", s.authURL)
	}
	hankoToken(t, e.callback(t, s)) // the fake refuses a code without the matching verifier
	if v := e.fake.Verifiers(); len(v) != 1 || len(v[0]) < 43 {
		t.Fatalf("verifiers sent on exchange: %q", v)
	}
}

func TestThirdPartyGitHub(t *testing.T) {
	e := newTPEnv(t)
	e.fake.SetUser(thirdpartytest.User{Subject: "4242", Email: "octo@example.com", EmailVerified: true})
	uid := decode[map[string]string](t, e.exchange(t, hankoToken(t, e.login(t, "github"))))["user_id"]
	u, _ := e.users.Get(t.Context(), uuid.MustParse(uid))
	if len(u.Emails) != 1 || u.Emails[0].Address != "octo@example.com" {
		t.Fatalf("GitHub user's emails: %+v (want the primary address)", u.Emails)
	}
	ids, _ := e.db.ListIdentities(t.Context(), u.ID)
	if len(ids) != 1 || ids[0].ProviderID != "4242" || ids[0].ProviderName != "github" {
		t.Fatalf("GitHub identity: %+v", ids)
	}
}

func TestThirdPartyStateCookie(t *testing.T) {
	e := newTPEnv(t)
	c := stateCookieOf(t, e.begin(t, "acme", tpAppURL))
	if c.MaxAge != 300 || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Value == "" {
		t.Fatalf("state cookie %+v", c)
	}
}

func TestThirdPartyFormPostCallback(t *testing.T) {
	e := newTPEnv(t)
	req := httptest.NewRequest("POST", "/thirdparty/callback", strings.NewReader("code=abc&state=xyz&user=%7B%7D"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	e.public.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "callback?code=abc&state=xyz" {
		t.Fatalf("POST callback = %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestTokenExchange(t *testing.T) {
	t.Run("replayed", func(t *testing.T) {
		e := newTPEnv(t)
		tok := hankoToken(t, e.login(t, "acme"))
		if rec := e.exchange(t, tok); rec.Code != http.StatusOK {
			t.Fatalf("first POST /token = %d", rec.Code)
		}
		rec := e.exchange(t, tok)
		if rec.Code != http.StatusNotFound {
			t.Fatalf("second POST /token = %d, want 404: %s", rec.Code, rec.Body)
		}
		if !e.events.has(events.TokenExchangeFailed, "") {
			t.Fatal("no token_exchange_failed event")
		}
	})
	t.Run("expired", func(t *testing.T) {
		e := newTPEnv(t)
		tok := hankoToken(t, e.login(t, "acme"))
		e.clock.Add(thirdparty.TokenTTL + time.Second)
		rec := e.exchange(t, tok)
		if rec.Code != http.StatusUnprocessableEntity || len(rec.Result().Cookies()) != 0 {
			t.Fatalf("POST /token with an expired token = %d %v, want 422 and no cookie", rec.Code, rec.Header())
		}
	})
	t.Run("unknown and malformed", func(t *testing.T) {
		e := newTPEnv(t)
		for _, body := range []string{`{"value":"nope"}`, `{"value":""}`, `{}`, `{"value":1}`, `[`} {
			rec := do(t, e.public, "POST", "/token", body)
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusBadRequest {
				t.Fatalf("POST /token %s = %d, want 400 or 404", body, rec.Code)
			}
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		e := newTPEnv(t)
		tok := hankoToken(t, e.login(t, "acme"))
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				rec := e.exchange(t, tok)
				mu.Lock()
				codes[rec.Code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[http.StatusOK] != 1 || codes[http.StatusNotFound] != 9 {
			t.Fatalf("10 concurrent exchanges of one token: %v, want one 200 and nine 404", codes)
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		e := newTPEnv(t, func(_ *thirdparty.Config, d *httpapi.Deps) {
			d.Limits.Token = ratelimit.NewMemory(2, time.Minute, time.Now)
		})
		for i, want := range []int{404, 404, 429} {
			rec := e.exchange(t, "unknown")
			if rec.Code != want {
				t.Fatalf("request %d: %d, want %d", i, rec.Code, want)
			}
			if want == 429 && rec.Header().Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
	})
}

func TestThirdPartyEmailLimit(t *testing.T) {
	e := newTPEnv(t, func(c *thirdparty.Config, _ *httpapi.Deps) { c.EmailLimit = 1 })
	hankoToken(t, e.login(t, "acme"))
	e.fake.SetUser(thirdpartytest.User{Subject: "acct-1", Email: "second@example.com", EmailVerified: true})
	loginError(t, e.login(t, "acme"), thirdparty.CodeEmailMaxNum)
}
