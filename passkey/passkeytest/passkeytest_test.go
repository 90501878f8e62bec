package passkeytest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/hanko-go/hanko/passkey/passkeytest"
)

const (
	testOrigin = "https://example.com"
	testRPID   = "example.com"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// creation describes PublicKeyCredentialCreationOptions for newCreation.
type creation struct {
	rpID      string // "-" leaves rp.id out
	userID    string
	challenge string
	algs      []int64
	exclude   [][]byte
	bare      bool
}

func newCreation(tb testing.TB, c creation) []byte {
	tb.Helper()
	if c.userID == "" {
		c.userID = "user-1"
	}
	if c.challenge == "" {
		c.challenge = "registration-challenge"
	}
	if c.algs == nil {
		c.algs = []int64{-7, -8, -257}
	}
	rp := map[string]any{"name": "Example"}
	switch c.rpID {
	case "":
		rp["id"] = testRPID
	case "-":
	default:
		rp["id"] = c.rpID
	}
	params := []map[string]any{}
	for _, alg := range c.algs {
		params = append(params, map[string]any{"type": "public-key", "alg": alg})
	}
	exclude := []map[string]any{}
	for _, id := range c.exclude {
		exclude = append(exclude, map[string]any{"type": "public-key", "id": b64(id)})
	}
	pk := map[string]any{
		"rp":                     rp,
		"user":                   map[string]any{"id": b64([]byte(c.userID)), "name": c.userID + "@example.com", "displayName": c.userID},
		"challenge":              b64([]byte(c.challenge)),
		"pubKeyCredParams":       params,
		"timeout":                300000,
		"excludeCredentials":     exclude,
		"authenticatorSelection": map[string]any{"residentKey": "required", "userVerification": "required"},
		"attestation":            "direct",
	}
	return mustJSON(tb, pk, c.bare)
}

// request describes PublicKeyCredentialRequestOptions for newRequest.
type request struct {
	rpID      string // "-" leaves rpId out
	challenge string
	allow     [][]byte
	bare      bool
}

func newRequest(tb testing.TB, r request) []byte {
	tb.Helper()
	if r.challenge == "" {
		r.challenge = "login-challenge"
	}
	pk := map[string]any{"challenge": b64([]byte(r.challenge)), "userVerification": "required"}
	switch r.rpID {
	case "":
		pk["rpId"] = testRPID
	case "-":
	default:
		pk["rpId"] = r.rpID
	}
	if r.allow != nil {
		allow := []map[string]any{}
		for _, id := range r.allow {
			allow = append(allow, map[string]any{"type": "public-key", "id": b64(id), "transports": []string{"internal"}})
		}
		pk["allowCredentials"] = allow
	}
	return mustJSON(tb, pk, r.bare)
}

func mustJSON(tb testing.TB, pk map[string]any, bare bool) []byte {
	tb.Helper()
	var v any = map[string]any{"publicKey": pk}
	if bare {
		v = pk
	}
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// relyingParty is what the verifying side expects.
type relyingParty struct {
	rpID       string
	origins    []string // http(s) origins; others are passed as opaque origins
	challenge  string   // raw challenge text
	verifyUser bool
}

func defaultRP(challenge string) relyingParty {
	return relyingParty{rpID: testRPID, origins: []string{testOrigin}, challenge: challenge, verifyUser: true}
}

func (rp relyingParty) split() (web, opaque []string) {
	for _, o := range rp.origins {
		if strings.HasPrefix(o, "http") {
			web = append(web, o)
		} else {
			opaque = append(opaque, o)
		}
	}
	return web, opaque
}

// verifyRegistration parses and verifies a registration with go-webauthn.
func verifyRegistration(resp []byte, rp relyingParty) (*protocol.ParsedCredentialCreationData, error) {
	p, err := protocol.ParseCredentialCreationResponseBytes(resp)
	if err != nil {
		return nil, err
	}
	web, opaque := rp.split()
	params := []protocol.CredentialParameter{
		{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgES256},
		{Type: protocol.PublicKeyCredentialType, Algorithm: webauthncose.AlgEdDSA},
	}
	_, err = p.Verify(b64([]byte(rp.challenge)), rp.rpID, web, opaque, nil, protocol.TopOriginExplicitVerificationMode,
		false, rp.verifyUser, true, nil, params, protocol.AttestationPolicy{}, protocol.SignaturePolicy{})
	return p, err
}

// verifyLogin parses and verifies an assertion against a stored COSE key.
func verifyLogin(resp []byte, rp relyingParty, publicKey []byte) (*protocol.ParsedCredentialAssertionData, error) {
	p, err := protocol.ParseCredentialRequestResponseBytes(resp)
	if err != nil {
		return nil, err
	}
	web, opaque := rp.split()
	err = p.Verify(b64([]byte(rp.challenge)), rp.rpID, "", web, opaque, nil, protocol.TopOriginExplicitVerificationMode,
		false, rp.verifyUser, true, publicKey, protocol.SignaturePolicy{})
	return p, err
}

func mustRegister(tb testing.TB, a *passkeytest.Authenticator, origin string, opts []byte) []byte {
	tb.Helper()
	resp, err := a.Register(origin, opts)
	if err != nil {
		tb.Fatalf("Register: %v", err)
	}
	return resp
}

func mustLogin(tb testing.TB, a *passkeytest.Authenticator, origin string, opts []byte) []byte {
	tb.Helper()
	resp, err := a.Login(origin, opts)
	if err != nil {
		tb.Fatalf("Login: %v", err)
	}
	return resp
}

// mustVerifiedRegistration registers with default options and verifies it,
// returning the stored COSE key.
func mustVerifiedRegistration(tb testing.TB, a *passkeytest.Authenticator, c creation) []byte {
	tb.Helper()
	p, err := verifyRegistration(mustRegister(tb, a, testOrigin, newCreation(tb, c)), defaultRP(orDefault(c.challenge, "registration-challenge")))
	if err != nil {
		tb.Fatalf("verify registration: %v", err)
	}
	return p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// wantProtocolError checks that err is a go-webauthn error whose Details
// contain want. go-webauthn's WithDetails copies do not match their sentinel
// with errors.Is, so the message is compared.
func wantProtocolError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("verification succeeded, want an error containing %q", want)
	}
	var perr *protocol.Error
	if !errors.As(err, &perr) {
		t.Fatalf("error %v (%T) is not a *protocol.Error", err, err)
	}
	if !strings.Contains(perr.Details+" "+perr.DevInfo, want) {
		t.Fatalf("error details %q / %q, want %q", perr.Details, perr.DevInfo, want)
	}
}

func TestRegisterAndLogin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		alg         passkeytest.Alg
		attestation string
		wantType    string // go-webauthn names self attestation basic_surrogate (FIDO metadata)
	}{
		{passkeytest.ES256, passkeytest.AttestationNone, "none"},
		{passkeytest.ES256, passkeytest.AttestationPacked, "basic_surrogate"},
		{passkeytest.EdDSA, passkeytest.AttestationNone, "none"},
		{passkeytest.EdDSA, passkeytest.AttestationPacked, "basic_surrogate"},
	} {
		t.Run(fmt.Sprintf("%d/%s", tc.alg, tc.attestation), func(t *testing.T) {
			t.Parallel()
			a := passkeytest.New(passkeytest.WithAlgorithm(tc.alg), passkeytest.WithAttestation(tc.attestation))
			reg := mustRegister(t, a, testOrigin, newCreation(t, creation{}))
			p, err := verifyRegistration(reg, defaultRP("registration-challenge"))
			if err != nil {
				t.Fatalf("verify registration: %v", err)
			}
			att := p.Response.AttestationObject
			if att.Format != tc.attestation || att.Type != tc.wantType {
				t.Errorf("fmt %q type %q, want %q %q", att.Format, att.Type, tc.attestation, tc.wantType)
			}
			if want := passkeytest.DefaultAAGUID(); !bytes.Equal(att.AuthData.AttData.AAGUID, want[:]) {
				t.Errorf("AAGUID %x, want %x", att.AuthData.AttData.AAGUID, want)
			}
			if f := att.AuthData.Flags; !f.UserPresent() || !f.UserVerified() || !f.HasBackupEligible() || !f.HasBackupState() {
				t.Errorf("flags %08b, want UP UV BE BS", f)
			}
			if got := p.Raw.AttestationResponse.PublicKeyAlgorithm; got != int64(tc.alg) {
				t.Errorf("publicKeyAlgorithm %d, want %d", got, tc.alg)
			}
			if p.AuthenticatorAttachment != protocol.Platform {
				t.Errorf("authenticatorAttachment %q, want platform", p.AuthenticatorAttachment)
			}
			if got := fmt.Sprint(p.Response.Transports); got != "[internal hybrid]" {
				t.Errorf("transports %s", got)
			}
			if len(p.RawID) != 32 {
				t.Errorf("credential ID is %d bytes, want 32", len(p.RawID))
			}

			creds := a.Credentials()
			if len(creds) != 1 {
				t.Fatalf("%d credentials, want 1", len(creds))
			}
			c := creds[0]
			cose := att.AuthData.AttData.CredentialPublicKey
			if !bytes.Equal(c.ID, p.RawID) || c.RPID != testRPID || string(c.UserHandle) != "user-1" ||
				c.UserName != "user-1@example.com" || c.Alg != tc.alg || !bytes.Equal(c.PublicKey, cose) ||
				!bytes.Equal(c.PublicKeyDER, p.Raw.AttestationResponse.PublicKey) {
				t.Errorf("Credentials()[0] = %+v does not match the registration", c)
			}

			for _, r := range []request{{}, {bare: true, rpID: "-"}, {allow: [][]byte{c.ID}}} {
				login := mustLogin(t, a, testOrigin, newRequest(t, r))
				pa, err := verifyLogin(login, defaultRP("login-challenge"), cose)
				if err != nil {
					t.Fatalf("verify login %+v: %v", r, err)
				}
				if string(pa.Response.UserHandle) != "user-1" {
					t.Errorf("userHandle %q, want user-1", pa.Response.UserHandle)
				}
				if !bytes.Equal(pa.RawID, c.ID) {
					t.Errorf("login used credential %x, want %x", pa.RawID, c.ID)
				}
			}
		})
	}
}

func TestOptionShapes(t *testing.T) {
	t.Parallel()
	t.Run("Bare", func(t *testing.T) {
		t.Parallel()
		mustVerifiedRegistration(t, passkeytest.New(), creation{bare: true})
	})
	t.Run("PaddedAndStandardBase64", func(t *testing.T) {
		t.Parallel()
		a := passkeytest.New()
		// "??>" encodes differently in std and url alphabets: Pz8+ vs Pz8-.
		opts := fmt.Sprintf(`{"rp":{"id":"example.com","name":"x"},"user":{"id":%q,"name":"u","displayName":"u"},
			"challenge":%q,"pubKeyCredParams":[{"type":"public-key","alg":-7}]}`,
			base64.StdEncoding.EncodeToString([]byte("??>")), base64.URLEncoding.EncodeToString([]byte("c")))
		if _, err := verifyRegistration(mustRegister(t, a, testOrigin, []byte(opts)), defaultRP("c")); err != nil {
			t.Fatal(err)
		}
		if got := a.Credentials()[0].UserHandle; string(got) != "??>" {
			t.Errorf("user handle %q", got)
		}
	})
	t.Run("EmptyParamsMeanES256", func(t *testing.T) {
		t.Parallel()
		mustVerifiedRegistration(t, passkeytest.New(), creation{algs: []int64{}})
		_, err := passkeytest.New(passkeytest.WithAlgorithm(passkeytest.EdDSA)).Register(testOrigin, newCreation(t, creation{algs: []int64{}}))
		if !errors.Is(err, passkeytest.ErrNotSupported) {
			t.Errorf("EdDSA with empty pubKeyCredParams: %v, want ErrNotSupported", err)
		}
	})
	t.Run("CredProps", func(t *testing.T) {
		t.Parallel()
		opts := bytes.Replace(newCreation(t, creation{bare: true}), []byte(`{`), []byte(`{"extensions":{"credProps":true},`), 1)
		p, err := verifyRegistration(mustRegister(t, passkeytest.New(), testOrigin, opts), defaultRP("registration-challenge"))
		if err != nil {
			t.Fatal(err)
		}
		if cp := p.ClientExtensionResults.CredProps; cp == nil || cp.RK == nil || !*cp.RK {
			t.Errorf("credProps %+v, want rk true", cp)
		}
	})
	t.Run("Options", func(t *testing.T) {
		t.Parallel()
		aaguid := [16]byte{1, 2, 3}
		a := passkeytest.New(passkeytest.WithAAGUID(aaguid), passkeytest.WithTransports("usb", "nfc"),
			passkeytest.WithAuthenticatorAttachment("cross-platform"))
		p, err := verifyRegistration(mustRegister(t, a, testOrigin, newCreation(t, creation{})), defaultRP("registration-challenge"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.Response.AttestationObject.AuthData.AttData.AAGUID, aaguid[:]) ||
			fmt.Sprint(p.Response.Transports) != "[usb nfc]" || p.AuthenticatorAttachment != protocol.CrossPlatform {
			t.Errorf("AAGUID %x transports %v attachment %q", p.Response.AttestationObject.AuthData.AttData.AAGUID,
				p.Response.Transports, p.AuthenticatorAttachment)
		}
	})
}

func TestRegisterRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		origin string
		opts   string // JSON; "" uses newCreation with c
		c      creation
		alg    passkeytest.Alg
		want   error
	}{
		{name: "MalformedJSON", opts: `{"publicKey":`, want: passkeytest.ErrInvalidOptions},
		{name: "NoChallenge", opts: `{"rp":{"id":"example.com"},"user":{"id":"dQ"}}`, want: passkeytest.ErrInvalidOptions},
		{name: "NoUserID", opts: `{"rp":{"id":"example.com"},"user":{"name":"u"},"challenge":"Yw"}`, want: passkeytest.ErrInvalidOptions},
		{name: "NoRP", opts: `{"user":{"id":"dQ"},"challenge":"Yw"}`, want: passkeytest.ErrInvalidOptions},
		{name: "BadBase64", opts: `{"rp":{},"user":{"id":"!!"},"challenge":"Yw"}`, want: passkeytest.ErrInvalidOptions},
		{name: "UserIDTooLong", c: creation{userID: strings.Repeat("u", 65)}, want: passkeytest.ErrInvalidOptions},
		{name: "OtherRPID", c: creation{rpID: "example.org"}, want: passkeytest.ErrSecurity},
		{name: "PublicSuffixRPID", c: creation{rpID: "com"}, want: passkeytest.ErrSecurity},
		{name: "SubdomainRPIDOfParentOrigin", c: creation{rpID: "login.example.com"}, want: passkeytest.ErrSecurity},
		{name: "LookalikeSuffix", origin: "https://badexample.com", want: passkeytest.ErrSecurity},
		{name: "InsecureOrigin", origin: "http://example.com", want: passkeytest.ErrSecurity},
		{name: "OriginWithPath", origin: "https://example.com/login", want: passkeytest.ErrSecurity},
		{name: "NotAnOrigin", origin: "example.com", want: passkeytest.ErrSecurity},
		{name: "AndroidWithoutRPID", origin: "android:apk-key-hash:abc", c: creation{rpID: "-"}, want: passkeytest.ErrInvalidOptions},
		{name: "NoCommonAlgorithm", c: creation{algs: []int64{-257}}, want: passkeytest.ErrNotSupported},
		{name: "EdDSANotOffered", c: creation{algs: []int64{-7}}, alg: passkeytest.EdDSA, want: passkeytest.ErrNotSupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := []byte(tc.opts)
			if tc.opts == "" {
				opts = newCreation(t, tc.c)
			}
			var aopts []passkeytest.Option
			if tc.alg != 0 {
				aopts = append(aopts, passkeytest.WithAlgorithm(tc.alg))
			}
			a := passkeytest.New(aopts...)
			resp, err := a.Register(orDefault(tc.origin, testOrigin), opts)
			if !errors.Is(err, tc.want) || resp != nil {
				t.Fatalf("Register = %s, %v; want %v", resp, err, tc.want)
			}
			if n := len(a.Credentials()); n != 0 {
				t.Errorf("%d credentials after a refused registration", n)
			}
		})
	}
}

func TestOrigins(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, origin, rpID, wantRPID string
	}{
		{"Subdomain", "https://login.example.com", testRPID, testRPID},
		{"Port", "https://example.com:8443", testRPID, testRPID},
		{"DefaultRPIDIsHost", "https://Example.com", "-", "example.com"},
		{"Localhost", "http://localhost:8080", "-", "localhost"},
		{"LocalhostSubdomain", "http://app.localhost:3000", "localhost", "localhost"},
		{"Loopback", "http://127.0.0.1:8080", "127.0.0.1", "127.0.0.1"},
		{"Android", "android:apk-key-hash:z5QW1k9Vwq1vZb8f1Y4Hq1zM0rNQd0gTQ7T0kR4xBqA", "example.org", "example.org"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := passkeytest.New()
			reg := mustRegister(t, a, tc.origin, newCreation(t, creation{rpID: tc.rpID}))
			rp := relyingParty{rpID: tc.wantRPID, origins: []string{tc.origin}, challenge: "registration-challenge", verifyUser: true}
			p, err := verifyRegistration(reg, rp)
			if err != nil {
				t.Fatalf("verify registration: %v", err)
			}
			if got := a.Credentials()[0].RPID; got != tc.wantRPID {
				t.Errorf("RPID %q, want %q", got, tc.wantRPID)
			}
			rp.challenge = "login-challenge"
			login := mustLogin(t, a, tc.origin, newRequest(t, request{rpID: tc.rpID}))
			if _, err := verifyLogin(login, rp, p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey); err != nil {
				t.Fatalf("verify login: %v", err)
			}
		})
	}
	t.Run("LoginRPIDMismatch", func(t *testing.T) {
		t.Parallel()
		a := passkeytest.New()
		mustRegister(t, a, testOrigin, newCreation(t, creation{}))
		if _, err := a.Login("https://example.org", newRequest(t, request{})); !errors.Is(err, passkeytest.ErrSecurity) {
			t.Errorf("Login from another site: %v, want ErrSecurity", err)
		}
		// The right origin but another RP ID finds no credential.
		if _, err := a.Login("https://login.example.com", newRequest(t, request{rpID: "login.example.com"})); !errors.Is(err, passkeytest.ErrNoCredential) {
			t.Errorf("Login for another RP ID: %v, want ErrNoCredential", err)
		}
	})
}

func TestExcludeCredentials(t *testing.T) {
	t.Parallel()
	a := passkeytest.New()
	mustRegister(t, a, testOrigin, newCreation(t, creation{}))
	id := a.Credentials()[0].ID

	_, err := a.Register(testOrigin, newCreation(t, creation{userID: "user-2", exclude: [][]byte{[]byte("other"), id}}))
	if !errors.Is(err, passkeytest.ErrExcluded) {
		t.Fatalf("Register with own credential excluded: %v, want ErrExcluded", err)
	}
	// Credentials are scoped to their RP ID, so another RP's list that happens
	// to hold the same ID excludes nothing.
	mustRegister(t, a, "https://example.org", newCreation(t, creation{rpID: "example.org", exclude: [][]byte{id}}))
	// Another authenticator does not hold the credential.
	mustRegister(t, passkeytest.New(), testOrigin, newCreation(t, creation{exclude: [][]byte{id}}))
	if n := len(a.Credentials()); n != 2 {
		t.Errorf("%d credentials, want 2", n)
	}
}

func TestRegisterReplacesSameUser(t *testing.T) {
	t.Parallel()
	a := passkeytest.New()
	mustRegister(t, a, testOrigin, newCreation(t, creation{}))
	first := a.Credentials()[0].ID
	mustRegister(t, a, testOrigin, newCreation(t, creation{}))
	creds := a.Credentials()
	if len(creds) != 1 || bytes.Equal(creds[0].ID, first) {
		t.Fatalf("after re-registering the same user: %d credentials, first kept: %v", len(creds), bytes.Equal(creds[0].ID, first))
	}
	mustRegister(t, a, testOrigin, newCreation(t, creation{userID: "user-2"}))
	if n := len(a.Credentials()); n != 2 {
		t.Errorf("%d credentials after registering a second user, want 2", n)
	}
}

// userOf logs in and returns the user handle of the credential used.
func userOf(t *testing.T, a *passkeytest.Authenticator, r request) (string, error) {
	t.Helper()
	resp, err := a.Login(testOrigin, newRequest(t, r))
	if err != nil {
		return "", err
	}
	p, err := protocol.ParseCredentialRequestResponseBytes(resp)
	if err != nil {
		t.Fatal(err)
	}
	return string(p.Response.UserHandle), nil
}

func TestLoginSelection(t *testing.T) {
	t.Parallel()
	a := passkeytest.New()
	mustRegister(t, a, testOrigin, newCreation(t, creation{userID: "alice"}))
	mustRegister(t, a, testOrigin, newCreation(t, creation{userID: "bob"}))
	alice, bob := a.Credentials()[0].ID, a.Credentials()[1].ID

	steps := []struct {
		name    string
		use     []byte
		r       request
		want    string
		wantErr error
	}{
		{name: "MostRecent", want: "bob"},
		{name: "Use", use: alice, want: "alice"},
		{name: "UseIsConsumed", want: "bob"},
		{name: "AllowList", r: request{allow: [][]byte{alice}}, want: "alice"},
		{name: "AllowListMostRecentHeld", r: request{allow: [][]byte{[]byte("gone"), alice, bob}}, want: "bob"},
		{name: "UseWithinAllowList", use: alice, r: request{allow: [][]byte{alice, bob}}, want: "alice"},
		{name: "AllowListNoneHeld", r: request{allow: [][]byte{[]byte("gone")}}, wantErr: passkeytest.ErrNoCredential},
		{name: "UseNotAllowed", use: alice, r: request{allow: [][]byte{bob}}, wantErr: passkeytest.ErrNoCredential},
		{name: "UseKeptAfterFailure", want: "alice"},
		{name: "UseUnknown", use: []byte("gone"), wantErr: passkeytest.ErrNoCredential},
	}
	for _, s := range steps { // sequential: each step depends on the state left by the previous
		if s.use != nil {
			a.Use(s.use)
		}
		got, err := userOf(t, a, s.r)
		if !errors.Is(err, s.wantErr) || got != s.want {
			t.Errorf("%s: Login = %q, %v; want %q, %v", s.name, got, err, s.want, s.wantErr)
		}
	}
	a.Use(nil)
	a.Forget(bob)
	if got, err := userOf(t, a, request{}); err != nil || got != "alice" {
		t.Errorf("after Forget(bob): %q, %v", got, err)
	}
	a.Forget(alice)
	if _, err := userOf(t, a, request{}); !errors.Is(err, passkeytest.ErrNoCredential) {
		t.Errorf("after forgetting all: %v, want ErrNoCredential", err)
	}
}

func TestCounter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		mode passkeytest.CounterMode
		want []uint32 // counters of three logins, SetCounter(10), one more login
	}{
		{"Incrementing", passkeytest.Incrementing, []uint32{1, 2, 3, 11}},
		{"Zero", passkeytest.Zero, []uint32{0, 0, 0, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := passkeytest.New(passkeytest.WithCounter(tc.mode))
			reg := mustRegister(t, a, testOrigin, newCreation(t, creation{}))
			p, err := verifyRegistration(reg, defaultRP("registration-challenge"))
			if err != nil {
				t.Fatal(err)
			}
			if c := p.Response.AttestationObject.AuthData.Counter; c != 0 {
				t.Errorf("registration counter %d, want 0", c)
			}
			cose := p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey
			var got []uint32
			for i := range len(tc.want) {
				if i == 3 {
					a.SetCounter(p.RawID, 10)
				}
				pa, err := verifyLogin(mustLogin(t, a, testOrigin, newRequest(t, request{})), defaultRP("login-challenge"), cose)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, pa.Response.AuthenticatorData.Counter)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("counters %v, want %v", got, tc.want)
			}
			if c := a.Credentials()[0].Counter; c != tc.want[3] {
				t.Errorf("Credentials()[0].Counter = %d, want %d", c, tc.want[3])
			}
		})
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	a := passkeytest.New(passkeytest.WithFlags(passkeytest.Flags{UserPresent: true}))
	reg := mustRegister(t, a, testOrigin, newCreation(t, creation{}))
	_, err := verifyRegistration(reg, defaultRP("registration-challenge"))
	wantProtocolError(t, err, "User verification required")

	rp := defaultRP("registration-challenge")
	rp.verifyUser = false
	p, err := verifyRegistration(reg, rp)
	if err != nil {
		t.Fatal(err)
	}
	if f := p.Response.AttestationObject.AuthData.Flags; f.UserVerified() || f.HasBackupEligible() || f.HasBackupState() {
		t.Errorf("flags %08b, want UP only", f)
	}

	a.SetFlags(passkeytest.Flags{UserPresent: true, UserVerified: true, BackupEligible: true, BackupState: true})
	pa, err := verifyLogin(mustLogin(t, a, testOrigin, newRequest(t, request{})), defaultRP("login-challenge"),
		p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if f := pa.Response.AuthenticatorData.Flags; !f.UserVerified() || !f.HasBackupState() {
		t.Errorf("flags after SetFlags %08b, want UV and BS", f)
	}
}

func TestTampering(t *testing.T) {
	t.Parallel()
	// Every case starts from a fresh packed ES256 registration and a login.
	setup := func(t *testing.T, alg passkeytest.Alg) (a *passkeytest.Authenticator, reg, login, cose []byte) {
		t.Helper()
		a = passkeytest.New(passkeytest.WithAlgorithm(alg), passkeytest.WithAttestation(passkeytest.AttestationPacked))
		reg = mustRegister(t, a, testOrigin, newCreation(t, creation{}))
		p, err := verifyRegistration(reg, defaultRP("registration-challenge"))
		if err != nil {
			t.Fatal(err)
		}
		return a, reg, mustLogin(t, a, testOrigin, newRequest(t, request{})), p.Response.AttestationObject.AuthData.AttData.CredentialPublicKey
	}
	setChallenge := func(m map[string]any) { m["challenge"] = b64([]byte("another-challenge")) }
	setOrigin := func(m map[string]any) { m["origin"] = "https://evil.example" }
	addMember := func(m map[string]any) { m["extra"] = json.Number("1") }
	setCounter := func(n uint32) func([]byte) []byte {
		return func(ad []byte) []byte { binary.BigEndian.PutUint32(ad[33:37], n); return ad }
	}
	clearUV := func(ad []byte) []byte { ad[32] &^= 0x04; return ad }
	otherRP := func(ad []byte) []byte { copy(ad[:32], bytes.Repeat([]byte{1}, 32)); return ad }

	for _, alg := range []passkeytest.Alg{passkeytest.ES256, passkeytest.EdDSA} {
		for _, tc := range []struct {
			name   string
			login  bool // tamper the login, else the registration
			tamper func(a *passkeytest.Authenticator, resp []byte) []byte
			want   string // "" means verification passes
		}{
			{"NoOpKeepsSignature", true, func(_ *passkeytest.Authenticator, r []byte) []byte {
				return passkeytest.ModifyClientData(r, func(map[string]any) {})
			}, ""},
			{"Challenge", true, func(_ *passkeytest.Authenticator, r []byte) []byte {
				return passkeytest.ModifyClientData(r, setChallenge)
			}, "Error validating challenge"},
			{"ClientDataBreaksSignature", true, func(_ *passkeytest.Authenticator, r []byte) []byte { return passkeytest.ModifyClientData(r, addMember) }, "Error validating the assertion signature"},
			{"ResignedOrigin", true, func(a *passkeytest.Authenticator, r []byte) []byte {
				return resign(t, a, passkeytest.ModifyClientData(r, setOrigin))
			}, "Error validating origin"},
			{"ResignedExtraMember", true, func(a *passkeytest.Authenticator, r []byte) []byte {
				return resign(t, a, passkeytest.ModifyClientData(r, addMember))
			}, ""},
			{"Counter", true, func(_ *passkeytest.Authenticator, r []byte) []byte {
				return passkeytest.ModifyAuthenticatorData(r, setCounter(7))
			}, "Error validating the assertion signature"},
			{"ResignedCounter", true, func(a *passkeytest.Authenticator, r []byte) []byte {
				return resign(t, a, passkeytest.ModifyAuthenticatorData(r, setCounter(7)))
			}, ""},
			{"ResignedRPIDHash", true, func(a *passkeytest.Authenticator, r []byte) []byte {
				return resign(t, a, passkeytest.ModifyAuthenticatorData(r, otherRP))
			}, "RP Hash mismatch"},
			{"ResignedNoUV", true, func(a *passkeytest.Authenticator, r []byte) []byte {
				return resign(t, a, passkeytest.ModifyAuthenticatorData(r, clearUV))
			}, "User verification required"},
			{"Signature", true, func(_ *passkeytest.Authenticator, r []byte) []byte { return passkeytest.TamperSignature(r) }, "Error validating the assertion signature"},
			{"RegistrationNoOp", false, func(_ *passkeytest.Authenticator, r []byte) []byte {
				return passkeytest.ModifyClientData(r, func(map[string]any) {})
			}, ""},
			{"RegistrationChallenge", false, func(_ *passkeytest.Authenticator, r []byte) []byte {
				return passkeytest.ModifyClientData(r, setChallenge)
			}, "Error validating challenge"},
			{"RegistrationClientData", false, func(_ *passkeytest.Authenticator, r []byte) []byte { return passkeytest.ModifyClientData(r, addMember) }, "Unable to verify signature"},
			{"RegistrationSignature", false, func(_ *passkeytest.Authenticator, r []byte) []byte { return passkeytest.TamperSignature(r) }, "Unable to verify signature"},
			{"RegistrationAuthData", false, func(_ *passkeytest.Authenticator, r []byte) []byte {
				return passkeytest.ModifyAuthenticatorData(r, clearUV)
			}, "User verification required"},
			{"RegistrationResignedExtraMember", false, func(a *passkeytest.Authenticator, r []byte) []byte {
				return resign(t, a, passkeytest.ModifyClientData(r, addMember))
			}, ""},
		} {
			t.Run(fmt.Sprintf("%d/%s", alg, tc.name), func(t *testing.T) {
				t.Parallel()
				a, reg, login, cose := setup(t, alg)
				var err error
				if tc.login {
					_, err = verifyLogin(tc.tamper(a, login), defaultRP("login-challenge"), cose)
				} else {
					_, err = verifyRegistration(tc.tamper(a, reg), defaultRP("registration-challenge"))
				}
				if tc.want == "" {
					if err != nil {
						t.Fatalf("verification failed: %v", err)
					}
					return
				}
				wantProtocolError(t, err, tc.want)
			})
		}
	}

	t.Run("NoneAttestationHasNoSignature", func(t *testing.T) {
		t.Parallel()
		a := passkeytest.New()
		reg := mustRegister(t, a, testOrigin, newCreation(t, creation{}))
		// Without an attestation signature nothing binds clientDataJSON, so
		// only the checked members matter.
		if _, err := verifyRegistration(passkeytest.ModifyClientData(reg, addMember), defaultRP("registration-challenge")); err != nil {
			t.Errorf("none attestation with an extra clientData member: %v", err)
		}
		if got := resign(t, a, reg); !bytes.Equal(got, reg) {
			t.Errorf("Resign changed a none registration")
		}
		defer func() {
			if recover() == nil {
				t.Error("TamperSignature of a none registration did not panic")
			}
		}()
		passkeytest.TamperSignature(reg)
	})
	t.Run("ResignUnknownCredential", func(t *testing.T) {
		t.Parallel()
		_, _, login, _ := setup(t, passkeytest.ES256)
		if _, err := passkeytest.New().Resign(login); !errors.Is(err, passkeytest.ErrNoCredential) {
			t.Errorf("Resign by another authenticator: %v, want ErrNoCredential", err)
		}
	})
}

func resign(tb testing.TB, a *passkeytest.Authenticator, resp []byte) []byte {
	tb.Helper()
	out, err := a.Resign(resp)
	if err != nil {
		tb.Fatalf("Resign: %v", err)
	}
	return out
}

func TestDeterministicWithRand(t *testing.T) {
	t.Parallel()
	for _, alg := range []passkeytest.Alg{passkeytest.ES256, passkeytest.EdDSA} {
		run := func() (reg, login []byte) {
			a := passkeytest.New(passkeytest.WithAlgorithm(alg), passkeytest.WithAttestation(passkeytest.AttestationPacked),
				passkeytest.WithRand(mathrand.NewChaCha8([32]byte{1})))
			reg = mustRegister(t, a, testOrigin, newCreation(t, creation{}))
			return reg, mustLogin(t, a, testOrigin, newRequest(t, request{}))
		}
		reg1, login1 := run()
		reg2, login2 := run()
		if !bytes.Equal(reg1, reg2) || !bytes.Equal(login1, login2) {
			t.Errorf("alg %d: outputs differ with the same seed", alg)
		}
	}
}

func TestConcurrentLogins(t *testing.T) {
	t.Parallel()
	a := passkeytest.New()
	cose := mustVerifiedRegistration(t, a, creation{})
	const n = 20
	counters := make([]uint32, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := a.Login(testOrigin, newRequest(t, request{}))
			if err != nil {
				t.Error(err)
				return
			}
			p, err := verifyLogin(resp, defaultRP("login-challenge"), cose)
			if err != nil {
				t.Error(err)
				return
			}
			counters[i] = p.Response.AuthenticatorData.Counter
			_ = a.Credentials()
		})
	}
	wg.Wait()
	seen := map[uint32]bool{}
	for _, c := range counters {
		if c < 1 || c > n || seen[c] {
			t.Fatalf("counters %v are not 1..%d once each", counters, n)
		}
		seen[c] = true
	}
}

func TestCredentialsAreCopies(t *testing.T) {
	t.Parallel()
	a := passkeytest.New()
	mustRegister(t, a, testOrigin, newCreation(t, creation{}))
	c := a.Credentials()[0]
	c.ID[0] ^= 0xff
	c.UserHandle[0] ^= 0xff
	if got := a.Credentials()[0]; bytes.Equal(got.ID, c.ID) || bytes.Equal(got.UserHandle, c.UserHandle) {
		t.Error("changing a returned Credential changed the authenticator")
	}
}

func TestNewPanicsOnUnsupportedSettings(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]passkeytest.Option{
		"RS256": passkeytest.WithAlgorithm(-257),
		"tpm":   passkeytest.WithAttestation("tpm"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			passkeytest.New(opt)
		})
	}
}

// FuzzOptions feeds arbitrary options JSON to Register and Login: neither may
// panic, and whatever they accept must parse with go-webauthn.
func FuzzOptions(f *testing.F) {
	f.Add(newCreation(f, creation{}))
	f.Add(newCreation(f, creation{bare: true, exclude: [][]byte{[]byte("x")}}))
	f.Add(newRequest(f, request{allow: [][]byte{[]byte("x")}}))
	f.Add([]byte(`{"publicKey":null,"rp":{},"user":{"id":"AA"},"challenge":"AA","pubKeyCredParams":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		a := passkeytest.New(passkeytest.WithRand(mathrand.NewChaCha8([32]byte{})))
		if reg, err := a.Register(testOrigin, data); err == nil {
			if _, err := protocol.ParseCredentialCreationResponseBytes(reg); err != nil {
				t.Fatalf("accepted options %q gave an unparsable registration: %v", data, err)
			}
		} else if reg != nil {
			t.Fatal("partial registration returned with an error")
		}
		if login, err := a.Login(testOrigin, data); err == nil {
			if _, err := protocol.ParseCredentialRequestResponseBytes(login); err != nil {
				t.Fatalf("accepted options %q gave an unparsable assertion: %v", data, err)
			}
		} else if login != nil {
			t.Fatal("partial assertion returned with an error")
		}
	})
}
