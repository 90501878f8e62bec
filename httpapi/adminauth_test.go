package httpapi_test

import (
	"net/netip"
	"testing"

	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/users"
)

const (
	adminKey      = "admin-key-0123456789abcdef0123456789"
	otherAdminKey = "other-admin-key-0123456789abcdef0123"
)

func withAdminKeys(keys ...string) apiOption {
	return func(_ *users.Config, d *httpapi.Deps) { d.Settings.AdminAPIKeys = keys }
}

func TestAdminAPIKeys(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t, withAdminKeys(adminKey, otherAdminKey))
	for _, tt := range []struct {
		name, method, path string
		header             []string
		want               int
	}{
		{"first key", "GET", "/users", []string{"Authorization", "Bearer " + adminKey}, 200},
		{"second key", "GET", "/users", []string{"Authorization", "Bearer " + otherAdminKey}, 200},
		{"scheme is case-insensitive", "GET", "/users", []string{"Authorization", "bearer " + adminKey}, 200},
		{"wrong key", "GET", "/users", []string{"Authorization", "Bearer " + adminKey + "x"}, 401},
		{"prefix of a key", "GET", "/users", []string{"Authorization", "Bearer " + adminKey[:32]}, 401},
		{"empty bearer", "GET", "/users", []string{"Authorization", "Bearer "}, 401},
		{"basic scheme", "GET", "/users", []string{"Authorization", "Basic " + adminKey}, 401},
		{"bare key", "GET", "/users", []string{"Authorization", adminKey}, 401},
		{"missing", "GET", "/users", nil, 401},
		{"missing on a write", "POST", "/users", nil, 401},
		{"missing on an unknown route", "GET", "/nope", nil, 401},
		{"missing on the status page", "GET", "/", nil, 401},
		{"alive is open", "GET", "/health/alive", nil, 200},
		{"ready is open", "GET", "/health/ready", nil, 200},
	} {
		rec := do(t, api.admin, tt.method, tt.path, "", tt.header...)
		if rec.Code != tt.want {
			t.Errorf("%s: %d, want %d (%s)", tt.name, rec.Code, tt.want, rec.Body)
			continue
		}
		if tt.want != 401 {
			continue
		}
		if got := rec.Header().Get("WWW-Authenticate"); got != "Bearer" {
			t.Errorf("%s: WWW-Authenticate %q", tt.name, got)
		}
		if body := decode[errBody](t, rec); body != (errBody{Code: 401, Message: "Unauthorized"}) {
			t.Errorf("%s: body %s", tt.name, rec.Body)
		}
	}
	// The public API does not use the admin keys.
	if rec := do(t, api.public, "GET", "/.well-known/config", ""); rec.Code != 200 {
		t.Errorf("public API: %d", rec.Code)
	}
}

func TestAdminWithoutAPIKeysIsOpen(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	for _, path := range []string{"/users", "/health/alive", "/health/ready"} {
		if rec := do(t, api.admin, "GET", path, ""); rec.Code != 200 {
			t.Errorf("GET %s: %d (%s)", path, rec.Code, rec.Body)
		}
	}
	if rec := do(t, api.admin, "GET", "/users", "", "Authorization", "Bearer whatever"); rec.Code != 200 {
		t.Errorf("GET /users with a bearer: %d", rec.Code)
	}
}

// TestSessionRowsRecordClientIP signs up through a trusted proxy and checks
// the session row's IP: the forwarded client, not the proxy.
func TestSessionRowsRecordClientIP(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		trusted []netip.Prefix
		want    string
	}{
		{"behind a trusted proxy", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, "198.51.100.9"},
		{"no trusted proxies", nil, "192.0.2.1"}, // httptest's peer
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newTestAPI(t, withoutEmailVerification, func(_ *users.Config, d *httpapi.Deps) {
				d.Settings.TrustedProxies = tt.trusted
			})
			rec := do(t, api.public, "POST", "/users", `{"email":"ada@example.com"}`, "X-Forwarded-For", "1.2.3.4, 198.51.100.9")
			if rec.Code != 200 {
				t.Fatalf("sign-up: %d %s", rec.Code, rec.Body)
			}
			id := decode[map[string]string](t, rec)["user_id"]
			rec = do(t, api.admin, "GET", "/users/"+id+"/sessions", "")
			list := decode[[]map[string]any](t, rec)
			if rec.Code != 200 || len(list) != 1 || list[0]["ip_address"] != tt.want {
				t.Fatalf("sessions: %d %s, want ip_address %s", rec.Code, rec.Body, tt.want)
			}
		})
	}
}
