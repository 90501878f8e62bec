package httpapi_test

import (
	"testing"

	"github.com/hanko-go/hanko/passkey/passkeytest"
)

// FuzzWebauthnFinalize posts arbitrary JSON to both finalize routes: the
// answer is a 4xx (or, for a valid assertion, 200), never a 500 or a panic.
func FuzzWebauthnFinalize(f *testing.F) {
	p := newPasskeyAPI(f)
	_, token := login(f, p.testAPI, "fuzz@example.com")
	auth := passkeytest.New()
	rec := do(f, p.public, "POST", "/webauthn/registration/initialize", "", bearer(token)...)
	att, err := auth.Register(rpOrigin, rec.Body.Bytes())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(att)
	wantStatus(f, do(f, p.public, "POST", "/webauthn/registration/finalize", string(att), bearer(token)...), 200, "register")
	f.Add(p.assertion(f, auth, `{}`))
	f.Add(passkeytest.TamperSignature(p.assertion(f, auth, `{}`)))
	f.Add([]byte(`{"id":"","rawId":"","type":"public-key","response":{}}`))
	f.Add([]byte(`{"response":{"clientDataJSON":"e30","attestationObject":"oA"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/webauthn/login/finalize", "/webauthn/registration/finalize"} {
			rec := do(t, p.public, "POST", path, string(body), bearer(token)...)
			if rec.Code >= 500 {
				t.Fatalf("%s answered %d: %s", path, rec.Code, rec.Body)
			}
		}
	})
}
