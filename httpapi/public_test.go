package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/users"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	for _, h := range []http.Handler{api.public, api.admin} {
		rec := do(t, h, "GET", "/health/alive", "")
		if rec.Code != 200 || decode[map[string]bool](t, rec)["alive"] != true {
			t.Fatalf("alive: %d %s", rec.Code, rec.Body)
		}
		rec = do(t, h, "GET", "/health/ready", "")
		if rec.Code != 200 || decode[map[string]bool](t, rec)["ready"] != true {
			t.Fatalf("ready: %d %s", rec.Code, rec.Body)
		}
	}
	api.db.Close() // the database no longer answers
	rec := do(t, api.public, "GET", "/health/ready", "")
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("ready with a closed database: got %d, want 503", rec.Code)
	}
}

func TestWellKnownConfig(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t, func(_ *users.Config, d *httpapi.Deps) {
		d.Settings.WellKnown = httpapi.WellKnownConfig{
			Password: httpapi.PasswordConfig{Enabled: true, MinPasswordLength: 8},
			Emails:   httpapi.EmailsConfig{RequireVerification: true, MaxNumOfAddresses: 5},
			Account:  httpapi.AccountConfig{AllowSignup: true},
		}
	})
	rec := do(t, api.public, "GET", "/.well-known/config", "")
	got := decode[map[string]any](t, rec)
	want := `{"password":{"enabled":true,"min_password_length":8},"emails":{"require_verification":true,"max_num_of_addresses":5},"providers":[],"account":{"allow_deletion":false,"allow_signup":true},"use_enterprise":false}`
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != want {
		t.Fatalf("got %d %s (%v)", rec.Code, rec.Body, got)
	}
}

func TestSignUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		verify     bool
		signup     bool
		body       string
		wantStatus int
		wantMsg    string
	}{
		{"verification pending", true, true, `{"email":" Ada@Example.com "}`, 200, ""},
		{"without verification", false, true, `{"email":"ada@example.com"}`, 200, ""},
		{"signup disabled", true, false, `{"email":"ada@example.com"}`, 403, "account signup is disabled"},
		{"missing email", true, true, `{}`, 400, "email is a required field"},
		{"empty body", true, true, ``, 400, "email is a required field"},
		{"invalid email", true, true, `{"email":"not-an-address"}`, 400, "email must be a valid email address"},
		{"wrong type", true, true, `{"email":42}`, 400, "email must be a string, not number"},
		{"malformed JSON", true, true, `{"email":`, 400, "malformed JSON: unexpected end of input"},
		{"not an object", true, true, `[1]`, 400, "request body must be an object, not array"},
		{"trailing data", true, true, `{"email":"a@b.co"} {}`, 400, "request body must contain a single JSON value"},
		{"oversized", true, true, `{"email":"` + strings.Repeat("a", 1<<20) + `@b.co"}`, 413, "request body is larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newTestAPI(t, func(c *users.Config, _ *httpapi.Deps) {
				c.RequireVerification, c.AllowSignup = tt.verify, tt.signup
			})
			rec := do(t, api.public, "POST", "/users", tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus != 200 {
				e := decode[errBody](t, rec)
				if e.Code != tt.wantStatus || e.Message != tt.wantMsg {
					t.Fatalf("body %+v, want code %d message %q", e, tt.wantStatus, tt.wantMsg)
				}
				return
			}
			res := decode[map[string]string](t, rec)
			uid, eid := uuid.MustParse(res["user_id"]), uuid.MustParse(res["email_id"])
			if res["id"] != res["user_id"] {
				t.Errorf("id %s != user_id %s", res["id"], res["user_id"])
			}
			cookies := map[string]string{}
			for _, c := range rec.Result().Cookies() {
				cookies[c.Name] = c.Value
			}
			if cookies["hanko_email_id"] != eid.String() {
				t.Errorf("cookies %v, want hanko_email_id=%s", cookies, eid)
			}
			// Without verification the new user is logged in at once.
			if _, loggedIn := cookies["hanko"]; loggedIn == tt.verify || !tt.verify && rec.Header().Get("X-Session-Lifetime") != "43200" {
				t.Errorf("verify=%v: session cookie present=%v, lifetime %q", tt.verify, loggedIn, rec.Header().Get("X-Session-Lifetime"))
			}
			if !tt.verify {
				if c, err := api.sessions.Verify(t.Context(), cookies["hanko"]); err != nil || c.Subject != uid {
					t.Errorf("session cookie does not verify for the new user: %v", err)
				}
			}
			u, err := api.users.Get(t.Context(), uid)
			if err != nil {
				t.Fatal(err)
			}
			e, err := api.db.GetEmail(t.Context(), eid)
			if err != nil {
				t.Fatal(err)
			}
			if e.Address != "ada@example.com" {
				t.Errorf("address %q not normalised", e.Address)
			}
			if tt.verify {
				if e.UserID != nil || len(u.Emails) != 0 {
					t.Errorf("with verification the address must stay unassigned: %+v %+v", e, u)
				}
			} else if len(u.Emails) != 1 || !u.Emails[0].Primary || u.Emails[0].ID != eid {
				t.Errorf("without verification the address must be the user's primary: %+v", u)
			}
		})
	}
}

func TestSignUpTakenAddress(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	// An unassigned address (pending verification) can be signed up again.
	first := decode[map[string]string](t, do(t, api.public, "POST", "/users", `{"email":"ada@example.com"}`))
	rec := do(t, api.public, "POST", "/users", `{"email":"ADA@example.com"}`)
	if rec.Code != 200 {
		t.Fatalf("second sign-up of an unverified address: %d %s", rec.Code, rec.Body)
	}
	if second := decode[map[string]string](t, rec); second["email_id"] != first["email_id"] || second["user_id"] == first["user_id"] {
		t.Fatalf("want the same pending email for a new user: %v %v", first, second)
	}
	// An address that belongs to a user cannot.
	if _, err := api.users.Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "bob@example.com", Primary: true}}}); err != nil {
		t.Fatal(err)
	}
	rec = do(t, api.public, "POST", "/users", `{"email":"bob@example.com"}`)
	if e := decode[errBody](t, rec); rec.Code != 409 || e.Code != 409 {
		t.Fatalf("taken address: %d %s", rec.Code, rec.Body)
	}
}

func TestLookupUser(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u, err := api.users.Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true, Verified: true}}})
	if err != nil {
		t.Fatal(err)
	}
	do(t, api.public, "POST", "/users", `{"email":"pending@example.com"}`)

	rec := do(t, api.public, "POST", "/user", `{"email":"Ada@Example.com"}`)
	got := decode[map[string]any](t, rec)
	if rec.Code != 200 || got["id"] != u.ID.String() || got["email_id"] != u.Emails[0].ID.String() || got["verified"] != true || got["has_webauthn_credential"] != false {
		t.Fatalf("lookup: %d %v", rec.Code, got)
	}
	for _, body := range []string{`{"email":"nobody@example.com"}`, `{"email":"pending@example.com"}`, `{"email":"no-at-sign"}`} {
		if rec := do(t, api.public, "POST", "/user", body); rec.Code != 404 {
			t.Errorf("%s: %d, want 404", body, rec.Code)
		}
	}
	if rec := do(t, api.public, "POST", "/user", `{}`); rec.Code != 400 {
		t.Errorf("missing email: %d, want 400", rec.Code)
	}
}

func TestUnknownRoutesAnswerJSON(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	rec := do(t, api.public, "GET", "/nope", "")
	if e := decode[errBody](t, rec); rec.Code != 404 || e.Code != 404 || e.Message != "Not Found" {
		t.Fatalf("unknown path: %d %s", rec.Code, rec.Body)
	}
	rec = do(t, api.public, "GET", "/users", "")
	if e := decode[errBody](t, rec); rec.Code != 405 || e.Code != 405 || !strings.Contains(rec.Header().Get("Allow"), "POST") {
		t.Fatalf("wrong method: %d %s allow=%q", rec.Code, rec.Body, rec.Header().Get("Allow"))
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	rec := do(t, api.public, "GET", "/health/alive", "")
	if id := rec.Header().Get("X-Request-Id"); len(id) != 32 {
		t.Fatalf("generated request id %q", id)
	}
	rec = do(t, api.public, "GET", "/health/alive", "", "X-Request-Id", "proxy-id.123")
	if id := rec.Header().Get("X-Request-Id"); id != "proxy-id.123" {
		t.Fatalf("well-formed incoming id not kept: %q", id)
	}
	rec = do(t, api.public, "GET", "/health/alive", "", "X-Request-Id", "bad id\r\nwith spaces")
	if id := rec.Header().Get("X-Request-Id"); len(id) != 32 {
		t.Fatalf("malformed incoming id not replaced: %q", id)
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	tests := []struct {
		name, method, origin string
		preflight            bool
		wantOrigin           string
		wantStatus           int
	}{
		{"exact origin", "GET", "http://localhost:8888", false, "http://localhost:8888", 200},
		{"glob origin", "GET", "https://app.example.com", false, "https://app.example.com", 200},
		{"glob does not match the bare domain", "GET", "https://example.com", false, "", 200},
		{"unknown origin", "GET", "https://evil.test", false, "", 200},
		{"preflight allowed", "OPTIONS", "http://localhost:8888", true, "http://localhost:8888", 204},
		{"preflight refused", "OPTIONS", "https://evil.test", true, "", 204},
		// A plain OPTIONS (no preflight headers, no Origin) is 204, as in the
		// reference, and grants nothing.
		{"plain OPTIONS", "OPTIONS", "", false, "", 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			hdr := []string{"Origin", tt.origin}
			if tt.preflight {
				hdr = append(hdr, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
			}
			rec := do(t, api.public, tt.method, "/health/alive", "", hdr...)
			h := rec.Header()
			if rec.Code != tt.wantStatus || h.Get("Access-Control-Allow-Origin") != tt.wantOrigin {
				t.Fatalf("status %d allow-origin %q, want %d %q", rec.Code, h.Get("Access-Control-Allow-Origin"), tt.wantStatus, tt.wantOrigin)
			}
			if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
				t.Error("missing Vary: Origin")
			}
			if tt.wantOrigin == "" {
				return
			}
			if h.Get("Access-Control-Allow-Credentials") != "true" {
				t.Error("credentials not allowed")
			}
			if tt.preflight {
				if h.Get("Access-Control-Allow-Headers") != "content-type" || h.Get("Access-Control-Max-Age") != "7200" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
					t.Errorf("preflight headers %v", h)
				}
			} else if h.Get("Access-Control-Expose-Headers") != "X-Session-Lifetime" {
				t.Errorf("expose headers %q", h.Get("Access-Control-Expose-Headers"))
			}
		})
	}
}

func TestCORSWildcard(t *testing.T) {
	t.Parallel()
	for _, unsafe := range []bool{false, true} {
		api := newTestAPI(t, func(_ *users.Config, d *httpapi.Deps) {
			d.Settings.CORS = httpapi.CORS{AllowOrigins: []string{"*"}, UnsafeWildcardOriginAllowed: unsafe}
		})
		rec := do(t, api.public, "GET", "/health/alive", "", "Origin", "https://any.test")
		got := rec.Header().Get("Access-Control-Allow-Origin")
		if unsafe && got != "https://any.test" || !unsafe && got != "" {
			t.Errorf("unsafe=%v: allow-origin %q", unsafe, got)
		}
	}
}
