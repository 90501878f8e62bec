package httpapi_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/passkey"
	"github.com/hanko-go/hanko/passkey/passkeytest"
	"github.com/hanko-go/hanko/store"
)

const rpOrigin = "http://localhost:8888"

// passkeyAPI is a test API with passkeys on.
type passkeyAPI struct {
	*testAPI
}

func newPasskeyAPI(t testing.TB, mod ...func(*passkey.Config)) passkeyAPI {
	t.Helper()
	api := newTestAPI(t)
	cfg := passkey.Config{Store: api.db, RPID: "localhost", Origins: []string{rpOrigin, "android:apk-key-hash:abc"}, Now: api.clock.Now}
	for _, m := range mod {
		m(&cfg)
	}
	svc, err := passkey.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	api.deps.Passkeys = svc
	api.public, api.admin = httpapi.Public(api.deps), httpapi.Admin(api.deps)
	return passkeyAPI{api}
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// register runs a whole registration for the session token and returns the
// finalize response.
func (p passkeyAPI) register(t testing.TB, auth *passkeytest.Authenticator, token string) *httptest.ResponseRecorder {
	t.Helper()
	rec := do(t, p.public, "POST", "/webauthn/registration/initialize", "", bearer(token)...)
	if rec.Code != 200 {
		t.Fatalf("registration/initialize: %d %s", rec.Code, rec.Body)
	}
	cred, err := auth.Register(rpOrigin, rec.Body.Bytes())
	if err != nil {
		t.Fatalf("authenticator: %v", err)
	}
	return do(t, p.public, "POST", "/webauthn/registration/finalize", string(cred), bearer(token)...)
}

// assertion runs login/initialize with body and lets auth answer.
func (p passkeyAPI) assertion(t testing.TB, auth *passkeytest.Authenticator, body string) []byte {
	t.Helper()
	rec := do(t, p.public, "POST", "/webauthn/login/initialize", body)
	if rec.Code != 200 {
		t.Fatalf("login/initialize: %d %s", rec.Code, rec.Body)
	}
	a, err := auth.Login(rpOrigin, rec.Body.Bytes())
	if err != nil {
		t.Fatalf("authenticator: %v", err)
	}
	return a
}

func (p passkeyAPI) finalizeLogin(t testing.TB, assertion []byte) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, p.public, "POST", "/webauthn/login/finalize", string(assertion))
}

func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, status int, what string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("%s: status %d, want %d: %s", what, rec.Code, status, rec.Body)
	}
}

func TestPasskeySignUpRegisterLogoutLogin(t *testing.T) {
	t.Parallel()
	p := newPasskeyAPI(t)
	u, token := login(t, p.testAPI, "passkey@example.com")
	auth := passkeytest.New(passkeytest.WithAAGUID(uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")))

	// The creation options: discoverable credential, the user handle is the
	// user's 16 UUID bytes, the name is the primary address.
	rec := do(t, p.public, "POST", "/webauthn/registration/initialize", "", bearer(token)...)
	wantStatus(t, rec, 200, "registration/initialize")
	var creation struct {
		PublicKey struct {
			RP   struct{ ID, Name string }
			User struct {
				ID          string `json:"id"`
				Name        string `json:"name"`
				DisplayName string `json:"displayName"`
			}
			Challenge              string `json:"challenge"`
			AuthenticatorSelection struct {
				ResidentKey        string `json:"residentKey"`
				RequireResidentKey bool   `json:"requireResidentKey"`
				UserVerification   string `json:"userVerification"`
			} `json:"authenticatorSelection"`
			Attestation        string `json:"attestation"`
			Timeout            int    `json:"timeout"`
			ExcludeCredentials []any  `json:"excludeCredentials"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &creation); err != nil {
		t.Fatal(err)
	}
	pk := creation.PublicKey
	if pk.User.ID != base64.RawURLEncoding.EncodeToString(u.ID[:]) || pk.User.Name != "passkey@example.com" ||
		pk.RP.ID != "localhost" || pk.AuthenticatorSelection.ResidentKey != "required" || !pk.AuthenticatorSelection.RequireResidentKey ||
		pk.AuthenticatorSelection.UserVerification != "preferred" || pk.Attestation != "direct" || pk.Timeout != 600000 ||
		len(pk.ExcludeCredentials) != 0 || len(pk.Challenge) < 22 {
		t.Fatalf("creation options: %s", rec.Body)
	}
	cred, err := auth.Register(rpOrigin, rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	rec = do(t, p.public, "POST", "/webauthn/registration/finalize", string(cred), bearer(token)...)
	wantStatus(t, rec, 200, "registration/finalize")
	res := decode[map[string]string](t, rec)
	credID := base64.RawURLEncoding.EncodeToString(auth.Credentials()[0].ID)
	if res["credential_id"] != credID || res["user_id"] != u.ID.String() {
		t.Fatalf("finalize = %v, want credential %s of %s", res, credID, u.ID)
	}

	// Listed, named after its provider, with flags and transports.
	rec = do(t, p.public, "GET", "/webauthn/credentials", "", bearer(token)...)
	wantStatus(t, rec, 200, "GET /webauthn/credentials")
	list := decode[[]map[string]any](t, rec)
	if len(list) != 1 || list[0]["id"] != credID || list[0]["name"] != "iCloud Keychain" || list[0]["backup_eligible"] != true ||
		list[0]["backup_state"] != true || list[0]["aaguid"] != "fbfc3007-154e-4ecc-8c0b-6e020557d7bd" ||
		list[0]["attestation_type"] != "none" || len(list[0]["transports"].([]any)) == 0 {
		t.Fatalf("credentials: %s", rec.Body)
	}

	// A second registration excludes the existing credential.
	rec = do(t, p.public, "POST", "/webauthn/registration/initialize", "", bearer(token)...)
	if !strings.Contains(rec.Body.String(), credID) {
		t.Fatalf("excludeCredentials misses %s: %s", credID, rec.Body)
	}
	if _, err := auth.Register(rpOrigin, rec.Body.Bytes()); !errors.Is(err, passkeytest.ErrExcluded) {
		t.Fatalf("registering the same authenticator again: %v, want ErrExcluded", err)
	}

	wantStatus(t, do(t, p.public, "POST", "/logout", "", bearer(token)...), 204, "logout")

	// Discoverable login.
	rec = p.finalizeLogin(t, p.assertion(t, auth, `{}`))
	wantStatus(t, rec, 200, "discoverable login")
	if got := decode[map[string]string](t, rec); got["user_id"] != u.ID.String() || got["credential_id"] != credID {
		t.Fatalf("login = %v", got)
	}
	cookie := rec.Result().Cookies()
	if len(cookie) == 0 || cookie[0].Name != "hanko" || rec.Header().Get("X-Session-Lifetime") == "" {
		t.Fatalf("no session issued: %v", rec.Header())
	}
	wantStatus(t, do(t, p.public, "GET", "/me", "", bearer(cookie[0].Value)...), 200, "GET /me with the passkey session")

	// Login with user_id lists the credential.
	rec = do(t, p.public, "POST", "/webauthn/login/initialize", `{"user_id":"`+u.ID.String()+`"}`)
	wantStatus(t, rec, 200, "login/initialize with user_id")
	if !strings.Contains(rec.Body.String(), `"allowCredentials"`) || !strings.Contains(rec.Body.String(), credID) {
		t.Fatalf("allowCredentials missing: %s", rec.Body)
	}
	a, err := auth.Login(rpOrigin, rec.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, p.finalizeLogin(t, a), 200, "login with user_id")

	// The stored counter and last use follow the logins.
	c, err := p.db.GetWebauthnCredential(t.Context(), credID)
	if err != nil {
		t.Fatal(err)
	}
	if c.SignCount != auth.Credentials()[0].Counter || c.LastUsedAt == nil {
		t.Fatalf("stored counter %d (authenticator %d), last used %v", c.SignCount, auth.Credentials()[0].Counter, c.LastUsedAt)
	}
}

func TestPasskeyRejections(t *testing.T) {
	t.Parallel()
	p := newPasskeyAPI(t)
	_, token := login(t, p.testAPI, "reject@example.com")
	auth := passkeytest.New()
	wantStatus(t, p.register(t, auth, token), 200, "register")
	credID := auth.Credentials()[0].ID

	resign := func(t *testing.T, b []byte) []byte {
		t.Helper()
		out, err := auth.Resign(b)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		mangle func(t *testing.T, assertion []byte) []byte
		status int
	}{
		{"wrong origin", func(t *testing.T, a []byte) []byte {
			return resign(t, passkeytest.ModifyClientData(a, func(m map[string]any) { m["origin"] = "https://evil.example" }))
		}, 401},
		{"wrong RP ID", func(t *testing.T, a []byte) []byte {
			return resign(t, passkeytest.ModifyAuthenticatorData(a, func(ad []byte) []byte {
				h := sha256.Sum256([]byte("evil.example"))
				return append(h[:], ad[32:]...)
			}))
		}, 401},
		{"wrong type", func(t *testing.T, a []byte) []byte {
			return resign(t, passkeytest.ModifyClientData(a, func(m map[string]any) { m["type"] = "webauthn.create" }))
		}, 401},
		{"tampered signature", func(t *testing.T, a []byte) []byte { return passkeytest.TamperSignature(a) }, 401},
		{"tampered client data", func(t *testing.T, a []byte) []byte {
			return passkeytest.ModifyClientData(a, func(m map[string]any) { m["crossOrigin"] = true })
		}, 401},
		{"user not present", func(t *testing.T, a []byte) []byte {
			return resign(t, passkeytest.ModifyAuthenticatorData(a, func(ad []byte) []byte { ad[32] &^= 0x01; return ad }))
		}, 401},
		{"unknown challenge", func(t *testing.T, a []byte) []byte {
			return resign(t, passkeytest.ModifyClientData(a, func(m map[string]any) { m["challenge"] = "AAAAAAAAAAAAAAAAAAAAAA" }))
		}, 401},
		{"malformed user handle", func(t *testing.T, a []byte) []byte {
			var m map[string]any
			json.Unmarshal(a, &m)
			m["response"].(map[string]any)["userHandle"] = "AAEC"
			b, _ := json.Marshal(m)
			return b
		}, 400},
		{"not JSON", func(t *testing.T, a []byte) []byte { return []byte(`{"id":`) }, 400},
		{"empty object", func(t *testing.T, a []byte) []byte { return []byte(`{}`) }, 400},
		{"array", func(t *testing.T, a []byte) []byte { return []byte(`[]`) }, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := p.finalizeLogin(t, tc.mangle(t, p.assertion(t, auth, `{}`)))
			wantStatus(t, rec, tc.status, tc.name)
			if b := decode[errBody](t, rec); b.Code != tc.status || b.Message == "" {
				t.Fatalf("body %s", rec.Body)
			}
			if rec.Header().Get("Set-Cookie") != "" {
				t.Fatal("a refused login set a cookie")
			}
		})
	}

	t.Run("replayed assertion", func(t *testing.T) {
		a := p.assertion(t, auth, `{}`)
		wantStatus(t, p.finalizeLogin(t, a), 200, "first")
		wantStatus(t, p.finalizeLogin(t, a), 401, "replay")
	})
	t.Run("concurrent duplicates", func(t *testing.T) {
		a := p.assertion(t, auth, `{}`)
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				rec := p.finalizeLogin(t, a)
				mu.Lock()
				codes[rec.Code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[200] != 1 || codes[401] != 9 {
			t.Fatalf("statuses %v, want one 200 and nine 401", codes)
		}
	})
	t.Run("expired challenge", func(t *testing.T) {
		a := p.assertion(t, auth, `{}`)
		p.clock.Add(10*time.Minute + time.Second)
		wantStatus(t, p.finalizeLogin(t, a), 401, "expired")
	})
	t.Run("counter regression", func(t *testing.T) {
		wantStatus(t, p.finalizeLogin(t, p.assertion(t, auth, `{}`)), 200, "login")
		auth.SetCounter(credID, 1) // the next assertion says 2, below the stored count
		wantStatus(t, p.finalizeLogin(t, p.assertion(t, auth, `{}`)), 401, "cloned")
		auth.SetCounter(credID, 1000) // back ahead: logins work again
		wantStatus(t, p.finalizeLogin(t, p.assertion(t, auth, `{}`)), 200, "counter ahead again")
	})
	t.Run("unknown credential", func(t *testing.T) {
		// Registered at another API: a valid credential, unknown here.
		stranger := passkeytest.New()
		other := newPasskeyAPI(t)
		_, tok := login(t, other.testAPI, "reject@example.com")
		wantStatus(t, other.register(t, stranger, tok), 200, "register elsewhere")
		wantStatus(t, p.finalizeLogin(t, p.assertion(t, stranger, `{}`)), 401, "unknown credential")
	})
	t.Run("login for another user's credentials", func(t *testing.T) {
		v, _ := login(t, p.testAPI, "victim@example.com")
		rec := do(t, p.public, "POST", "/webauthn/login/initialize", `{"user_id":"`+v.ID.String()+`"}`)
		wantStatus(t, rec, 200, "initialize for a user without credentials")
		a, err := auth.Login(rpOrigin, rec.Body.Bytes()) // discoverable options: our credential answers
		if err != nil {
			t.Fatal(err)
		}
		// The victim has no credentials, so the options were discoverable and
		// the login is the authenticator's own user's.
		rec = p.finalizeLogin(t, a)
		wantStatus(t, rec, 200, "discoverable")
		if decode[map[string]string](t, rec)["user_id"] == v.ID.String() {
			t.Fatal("logged in as the victim")
		}
	})
	t.Run("deleted credential", func(t *testing.T) {
		a := p.assertion(t, auth, `{}`)
		wantStatus(t, do(t, p.public, "DELETE", "/webauthn/credentials/"+base64.RawURLEncoding.EncodeToString(credID), "", bearer(token)...), 204, "delete")
		wantStatus(t, p.finalizeLogin(t, a), 401, "deleted credential")
	})
}

func TestPasskeyLoginWithUserIDOfAnotherUser(t *testing.T) {
	t.Parallel()
	p := newPasskeyAPI(t)
	victim, vtoken := login(t, p.testAPI, "victim@example.com")
	_, atoken := login(t, p.testAPI, "attacker@example.com")
	vauth, aauth := passkeytest.New(), passkeytest.New()
	wantStatus(t, p.register(t, vauth, vtoken), 200, "victim registers")
	wantStatus(t, p.register(t, aauth, atoken), 200, "attacker registers")
	// The options list the victim's credential; the attacker answers with
	// their own through a discoverable login on the victim's challenge.
	rec := do(t, p.public, "POST", "/webauthn/login/initialize", `{"user_id":"`+victim.ID.String()+`"}`)
	wantStatus(t, rec, 200, "initialize")
	var opts map[string]map[string]any
	json.Unmarshal(rec.Body.Bytes(), &opts)
	delete(opts["publicKey"], "allowCredentials")
	b, _ := json.Marshal(opts)
	a, err := aauth.Login(rpOrigin, b)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, p.finalizeLogin(t, a), 401, "another user's credential on the victim's challenge")
}

func TestPasskeyRegistrationRules(t *testing.T) {
	t.Parallel()
	t.Run("user verification required", func(t *testing.T) {
		p := newPasskeyAPI(t, func(c *passkey.Config) { c.UserVerification = "required" })
		_, token := login(t, p.testAPI, "uv@example.com")
		auth := passkeytest.New(passkeytest.WithFlags(passkeytest.Flags{UserPresent: true}))
		wantStatus(t, p.register(t, auth, token), 422, "registration without UV")
		auth.SetFlags(passkeytest.Flags{UserPresent: true, UserVerified: true})
		wantStatus(t, p.register(t, auth, token), 200, "registration with UV")
	})
	t.Run("limit", func(t *testing.T) {
		p := newPasskeyAPI(t, func(c *passkey.Config) { c.Limit = 1 })
		_, token := login(t, p.testAPI, "limit@example.com")
		wantStatus(t, p.register(t, passkeytest.New(), token), 200, "first")
		wantStatus(t, do(t, p.public, "POST", "/webauthn/registration/initialize", "", bearer(token)...), 409, "second")
	})
	t.Run("challenge of another session", func(t *testing.T) {
		p := newPasskeyAPI(t)
		_, a := login(t, p.testAPI, "a@example.com")
		_, b := login(t, p.testAPI, "b@example.com")
		rec := do(t, p.public, "POST", "/webauthn/registration/initialize", "", bearer(a)...)
		cred, err := passkeytest.New().Register(rpOrigin, rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, do(t, p.public, "POST", "/webauthn/registration/finalize", string(cred), bearer(b)...), 400, "finalize by b")
		wantStatus(t, do(t, p.public, "POST", "/webauthn/registration/finalize", string(cred), bearer(a)...), 400, "challenge burned")
	})
	t.Run("packed self attestation, EdDSA, named by the client", func(t *testing.T) {
		p := newPasskeyAPI(t)
		_, token := login(t, p.testAPI, "packed@example.com")
		auth := passkeytest.New(passkeytest.WithAttestation("packed"), passkeytest.WithAlgorithm(passkeytest.EdDSA))
		rec := do(t, p.public, "POST", "/webauthn/registration/initialize", "", bearer(token)...)
		cred, err := auth.Register(rpOrigin, rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(cred, &m)
		m["name"] = "My key"
		named, _ := json.Marshal(m)
		wantStatus(t, do(t, p.public, "POST", "/webauthn/registration/finalize", string(named), bearer(token)...), 200, "finalize")
		list := decode[[]map[string]any](t, do(t, p.public, "GET", "/webauthn/credentials", "", bearer(token)...))
		if len(list) != 1 || list[0]["name"] != "My key" || list[0]["attestation_type"] != "basic_surrogate" {
			t.Fatalf("credentials = %v", list)
		}
		wantStatus(t, p.finalizeLogin(t, p.assertion(t, auth, `{}`)), 200, "EdDSA login")
	})
	t.Run("android origin", func(t *testing.T) {
		p := newPasskeyAPI(t)
		_, token := login(t, p.testAPI, "android@example.com")
		auth := passkeytest.New()
		rec := do(t, p.public, "POST", "/webauthn/registration/initialize", "", bearer(token)...)
		cred, err := auth.Register("android:apk-key-hash:abc", rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, do(t, p.public, "POST", "/webauthn/registration/finalize", string(cred), bearer(token)...), 200, "android registration")
		rec = do(t, p.public, "POST", "/webauthn/registration/initialize", "", bearer(token)...)
		cred, err = passkeytest.New().Register("android:apk-key-hash:other", rec.Body.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, do(t, p.public, "POST", "/webauthn/registration/finalize", string(cred), bearer(token)...), 400, "unknown android app")
	})
	t.Run("unauthenticated", func(t *testing.T) {
		p := newPasskeyAPI(t)
		wantStatus(t, do(t, p.public, "POST", "/webauthn/registration/initialize", ""), 401, "initialize")
		wantStatus(t, do(t, p.public, "POST", "/webauthn/registration/finalize", "{}"), 401, "finalize")
		wantStatus(t, do(t, p.public, "GET", "/webauthn/credentials", ""), 401, "list")
	})
	t.Run("bad login initialize", func(t *testing.T) {
		p := newPasskeyAPI(t)
		wantStatus(t, do(t, p.public, "POST", "/webauthn/login/initialize", `{"user_id":"nope"}`), 400, "bad uuid")
		wantStatus(t, do(t, p.public, "POST", "/webauthn/login/initialize", `{"user_id":"`+uuid.NewString()+`"}`), 400, "unknown user")
		wantStatus(t, do(t, p.public, "POST", "/webauthn/login/initialize", ""), 200, "no body")
	})
}

func TestPasskeyBackupFlagsAndZeroCounters(t *testing.T) {
	t.Parallel()
	p := newPasskeyAPI(t)
	_, token := login(t, p.testAPI, "synced@example.com")
	auth := passkeytest.New(passkeytest.WithCounter(passkeytest.Zero))
	wantStatus(t, p.register(t, auth, token), 200, "register")
	id := base64.RawURLEncoding.EncodeToString(auth.Credentials()[0].ID)

	// Synced passkeys report 0 every time: never a clone.
	for i := range 3 {
		wantStatus(t, p.finalizeLogin(t, p.assertion(t, auth, `{}`)), 200, "zero-counter login "+string(rune('1'+i)))
	}
	// The backup state flips: the login works and the flag is stored.
	auth.SetFlags(passkeytest.Flags{UserPresent: true, UserVerified: true, BackupEligible: true, BackupState: false})
	wantStatus(t, p.finalizeLogin(t, p.assertion(t, auth, `{}`)), 200, "backup state off")
	c, _ := p.db.GetWebauthnCredential(t.Context(), id)
	if !c.BackupEligible || c.BackupState {
		t.Fatalf("stored flags BE=%t BS=%t, want true false", c.BackupEligible, c.BackupState)
	}
	// A row written before backup flags were stored (BE false) still logs
	// in, and learns the flag.
	if _, err := p.db.Bun().NewUpdate().Model((*store.WebauthnCredential)(nil)).Set("backup_eligible = ?", false).
		Where("id = ?", id).Exec(t.Context()); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, p.finalizeLogin(t, p.assertion(t, auth, `{}`)), 200, "stored BE false")
	if c, _ := p.db.GetWebauthnCredential(t.Context(), id); !c.BackupEligible {
		t.Fatal("backup_eligible not learned")
	}
	// Once known, backup eligibility cannot be taken back: a credential
	// that now says it is not eligible is not the one registered.
	auth.SetFlags(passkeytest.Flags{UserPresent: true, UserVerified: true})
	wantStatus(t, p.finalizeLogin(t, p.assertion(t, auth, `{}`)), 401, "BE flipped to false")
}

func TestPasskeyCredentialManagement(t *testing.T) {
	t.Parallel()
	p := newPasskeyAPI(t)
	u, token := login(t, p.testAPI, "manage@example.com")
	_, other := login(t, p.testAPI, "other@example.com")
	auth := passkeytest.New()
	wantStatus(t, p.register(t, auth, token), 200, "register")
	id := base64.RawURLEncoding.EncodeToString(auth.Credentials()[0].ID)
	path := "/webauthn/credentials/" + id

	rec := do(t, p.public, "PATCH", path, `{"name":"Work laptop"}`, bearer(token)...)
	wantStatus(t, rec, 200, "rename")
	if rec.Body.Len() != 0 {
		t.Fatalf("rename body %q, want empty", rec.Body)
	}
	wantStatus(t, do(t, p.public, "PATCH", path, `{"name":"x"}`, bearer(other)...), 404, "rename by another user")
	wantStatus(t, do(t, p.public, "PATCH", path, `{"name":"  "}`, bearer(token)...), 400, "empty name")
	wantStatus(t, do(t, p.public, "PATCH", path, `{}`, bearer(token)...), 400, "no name")
	wantStatus(t, do(t, p.public, "PATCH", path, `{"name":"`+strings.Repeat("x", 256)+`"}`, bearer(token)...), 400, "long name")
	wantStatus(t, do(t, p.public, "DELETE", path, "", bearer(other)...), 404, "delete by another user")
	wantStatus(t, do(t, p.public, "PATCH", path, `{"name":"a\u0000b"}`, bearer(token)...), 400, "NUL in the name")
	wantStatus(t, do(t, p.public, "PATCH", path, `{"name":"a\u0007b"}`, bearer(token)...), 400, "control character in the name")
	wantStatus(t, do(t, p.public, "PATCH", path, `{"name":"back\\u0000slash"}`, bearer(token)...), 200, "an escaped backslash before u0000")
	wantStatus(t, do(t, p.public, "PATCH", path, `{"name":"Work laptop"}`, bearer(token)...), 200, "rename back")
	wantStatus(t, do(t, p.public, "DELETE", "/webauthn/credentials/a%00b", "", bearer(token)...), 404, "NUL in the id")
	wantStatus(t, do(t, p.public, "PATCH", "/webauthn/credentials/%FF", `{"name":"x"}`, bearer(token)...), 404, "invalid UTF-8 in the id")

	// GET /users/{id} lists them too (the reference's deprecated field).
	rec = do(t, p.public, "GET", "/users/"+u.ID.String(), "", bearer(token)...)
	wantStatus(t, rec, 200, "GET /users/{id}")
	var own struct {
		WebauthnCredentials []struct{ ID, Name string } `json:"webauthn_credentials"`
	}
	json.Unmarshal(rec.Body.Bytes(), &own)
	if len(own.WebauthnCredentials) != 1 || own.WebauthnCredentials[0].ID != id || own.WebauthnCredentials[0].Name != "Work laptop" {
		t.Fatalf("GET /users/{id}: %s", rec.Body)
	}

	// Admin routes.
	base := "/users/" + u.ID.String() + "/webauthn_credentials"
	rec = do(t, p.admin, "GET", base, "")
	wantStatus(t, rec, 200, "admin list")
	if list := decode[[]map[string]any](t, rec); len(list) != 1 || list[0]["name"] != "Work laptop" {
		t.Fatalf("admin list: %s", rec.Body)
	}
	wantStatus(t, do(t, p.admin, "GET", base+"/"+id, ""), 200, "admin get")
	rec = do(t, p.admin, "GET", "/users/"+u.ID.String(), "")
	var adminUser struct {
		ID                  string                `json:"id"`
		Emails              []map[string]any      `json:"emails"`
		WebauthnCredentials []struct{ ID string } `json:"webauthn_credentials"`
	}
	json.Unmarshal(rec.Body.Bytes(), &adminUser)
	if adminUser.ID != u.ID.String() || len(adminUser.Emails) != 1 || len(adminUser.WebauthnCredentials) != 1 || adminUser.WebauthnCredentials[0].ID != id {
		t.Fatalf("admin GET /users/{id}: %s", rec.Body)
	}
	wantStatus(t, do(t, p.admin, "GET", base+"/nope", ""), 404, "admin get unknown")
	wantStatus(t, do(t, p.admin, "GET", "/users/"+uuid.NewString()+"/webauthn_credentials", ""), 404, "admin unknown user")
	wantStatus(t, do(t, p.admin, "GET", "/users/nope/webauthn_credentials", ""), 400, "admin bad uuid")
	wantStatus(t, do(t, p.admin, "DELETE", base+"/"+id, ""), 204, "admin delete")
	wantStatus(t, do(t, p.public, "DELETE", path, "", bearer(token)...), 404, "delete again")
	if list := decode[[]map[string]any](t, do(t, p.public, "GET", "/webauthn/credentials", "", bearer(token)...)); len(list) != 0 {
		t.Fatalf("after delete: %v", list)
	}
}

// TestPasskeyRoutesOff: without a passkey service the routes are not served.
func TestPasskeyRoutesOff(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	wantStatus(t, do(t, api.public, "POST", "/webauthn/login/initialize", "{}"), http.StatusNotFound, "login/initialize")
}
