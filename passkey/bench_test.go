package passkey

import (
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/hanko-go/hanko/passkey/passkeytest"
)

// BenchmarkVerifyAssertion is the assertion check of a login alone: parse
// the browser's JSON and verify it against a stored credential (no
// database).
func BenchmarkVerifyAssertion(b *testing.B) {
	for _, alg := range []struct {
		name string
		alg  passkeytest.Alg
	}{{"ES256", passkeytest.ES256}, {"EdDSA", passkeytest.EdDSA}} {
		b.Run(alg.name, func(b *testing.B) {
			s, err := New(Config{Store: nopStore{}, RPID: "example.com", Origins: []string{"https://example.com"}})
			if err != nil {
				b.Fatal(err)
			}
			auth := passkeytest.New(passkeytest.WithAlgorithm(alg.alg), passkeytest.WithCounter(passkeytest.Zero))
			uid := uuid.New()
			creation, sd, err := s.wa.BeginRegistration(&user{id: uid, name: "b@example.com"})
			if err != nil {
				b.Fatal(err)
			}
			opts, _ := json.Marshal(creation)
			att, err := auth.Register("https://example.com", opts)
			if err != nil {
				b.Fatal(err)
			}
			parsedAtt, err := protocol.ParseCredentialCreationResponseBytes(att)
			if err != nil {
				b.Fatal(err)
			}
			cred, err := s.wa.CreateCredential(&user{id: uid}, *sd, parsedAtt)
			if err != nil {
				b.Fatal(err)
			}
			assertion, lsd, err := s.wa.BeginDiscoverableLogin()
			if err != nil {
				b.Fatal(err)
			}
			opts, _ = json.Marshal(assertion)
			body, err := auth.Login("https://example.com", opts)
			if err != nil {
				b.Fatal(err)
			}
			u := &user{id: uid, creds: []webauthn.Credential{*cred}}
			lsd.UserID = uid[:]
			b.ReportAllocs()
			for b.Loop() {
				parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.wa.ValidateLogin(u, *lsd, parsed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// nopStore satisfies Store for benchmarks that never reach it.
type nopStore struct{ Store }
