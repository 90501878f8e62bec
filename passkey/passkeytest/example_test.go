package passkeytest_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/hanko-go/hanko/passkey/passkeytest"
)

// A registration and a login against options JSON as a relying party sends
// it. In a real test the responses are posted to the server's finalize
// endpoints.
func Example() {
	// A seeded reader makes credential IDs, keys and signatures reproducible.
	a := passkeytest.New(passkeytest.WithRand(rand.NewChaCha8([32]byte{})))

	creation := `{"publicKey":{
		"rp":{"id":"example.com","name":"Example"},
		"user":{"id":"dXNlci0x","name":"alice@example.com","displayName":"Alice"},
		"challenge":"cmVnaXN0cmF0aW9uLWNoYWxsZW5nZQ",
		"pubKeyCredParams":[{"type":"public-key","alg":-7},{"type":"public-key","alg":-257}],
		"authenticatorSelection":{"residentKey":"required","userVerification":"required"}}}`
	reg, err := a.Register("https://example.com", []byte(creation))
	if err != nil {
		fmt.Println(err)
		return
	}
	var r struct {
		Type     string `json:"type"`
		Response struct {
			PublicKeyAlgorithm int `json:"publicKeyAlgorithm"`
		} `json:"response"`
	}
	_ = json.Unmarshal(reg, &r)
	fmt.Println("registered:", r.Type, r.Response.PublicKeyAlgorithm)

	// No allowCredentials: a discoverable (usernameless) login.
	request := `{"publicKey":{"challenge":"bG9naW4tY2hhbGxlbmdl","rpId":"example.com","userVerification":"required"}}`
	login, err := a.Login("https://example.com", []byte(request))
	if err != nil {
		fmt.Println(err)
		return
	}
	var l struct {
		Response struct {
			UserHandle string `json:"userHandle"`
		} `json:"response"`
	}
	_ = json.Unmarshal(login, &l)
	fmt.Println("userHandle:", l.Response.UserHandle)

	creds := a.Credentials()
	fmt.Println("credentials:", len(creds), "counter:", creds[0].Counter)
	// Output:
	// registered: public-key -7
	// userHandle: dXNlci0x
	// credentials: 1 counter: 1
}

// ModifyClientData rewrites clientDataJSON without re-signing, for tests
// that a relying party rejects a replayed or cross-origin response.
func ExampleModifyClientData() {
	a := passkeytest.New()
	_, _ = a.Register("https://example.com", []byte(`{"rp":{"id":"example.com"},"user":{"id":"dQ"},"challenge":"YQ"}`))
	login, _ := a.Login("https://example.com", []byte(`{"challenge":"Yg"}`))

	forged := passkeytest.ModifyClientData(login, func(m map[string]any) {
		m["origin"] = "https://evil.example"
	})

	var resp struct {
		Response struct {
			ClientDataJSON string `json:"clientDataJSON"`
		} `json:"response"`
	}
	_ = json.Unmarshal(forged, &resp)
	clientData, _ := base64.RawURLEncoding.DecodeString(resp.Response.ClientDataJSON)
	fmt.Println(string(clientData))
	// Output:
	// {"type":"webauthn.get","challenge":"Yg","origin":"https://evil.example","crossOrigin":false}
}
