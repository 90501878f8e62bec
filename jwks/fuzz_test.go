package jwks

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// FuzzKeyData feeds arbitrary key_data through decryption and JWK parsing,
// the path every stored row takes, and arbitrary plaintexts through a seal
// and open round trip into the parser. Invariants: no panic; failures are
// ErrInvalidKey or ErrUndecryptable and return no key; a parsed key signs
// and verifies; sealing then opening returns the plaintext.
func FuzzKeyData(f *testing.F) {
	seal, err := newSealer([]string{"fuzz-secret-0123456789", "other-secret-0123456789"})
	if err != nil {
		f.Fatal(err)
	}
	for _, data := range seedJWKs(f) {
		sealed, err := seal.seal(rand.Reader, data)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(sealed, data)
		raw, _ := base64.URLEncoding.DecodeString(sealed)
		f.Add(base64.StdEncoding.EncodeToString(raw), []byte(`{"kty":"EC"}`))
	}
	f.Add("", []byte(""))
	f.Add("AAAA", []byte("{"))
	f.Add("not base64!", []byte(`{"kty":"oct","k":"AAAA"}`))
	f.Add("====", []byte(`{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB","p":"AQ","q":"AQ"}`))
	f.Add(" \n", []byte(`{"kty":"OKP","crv":"Ed25519","x":"","d":""}`))
	f.Add("QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", []byte(`{"kty":"EC","crv":"P-256","x":"AA","y":"AA","d":"AA"}`))

	f.Fuzz(func(t *testing.T, keyData string, plaintext []byte) {
		if pt, err := seal.open(keyData); err != nil {
			if pt != nil || !(errors.Is(err, ErrInvalidKey) || errors.Is(err, ErrUndecryptable)) {
				t.Fatalf("open = %d bytes, %v", len(pt), err)
			}
		} else {
			checkParse(t, pt)
		}

		sealed, err := seal.seal(rand.Reader, plaintext)
		if err != nil {
			t.Fatal(err)
		}
		opened, err := seal.open(sealed)
		if err != nil || !bytes.Equal(opened, plaintext) {
			t.Fatalf("round trip: %v", err)
		}
		checkParse(t, plaintext)
	})
}

// seedJWKs returns a private JWK of each algorithm. The RSA one comes from
// testdata: generating RSA keys under fuzzing instrumentation takes long.
func seedJWKs(f *testing.F) [][]byte {
	f.Helper()
	rsaJWK, err := os.ReadFile(filepath.Join("testdata", "rsa2048.jwk.json"))
	if err != nil {
		f.Fatal(err)
	}
	out := [][]byte{bytes.TrimSpace(rsaJWK)}
	for _, alg := range []string{ES256, EdDSA} {
		_, data, err := generate(rand.Reader, alg, 0)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// checkParse parses data as a stored private JWK and checks the invariants.
func checkParse(t *testing.T, data []byte) {
	k, err := parsePrivateJWK(rand.Reader, data)
	if err != nil {
		// Compare field by field: a Key holding Ed25519 slices is not comparable.
		if !errors.Is(err, ErrInvalidKey) || k.ID != "" || k.Algorithm != "" || k.Private != nil || k.Public != nil {
			t.Fatalf("parse = %+v, %v; want a zero Key and ErrInvalidKey", k, err)
		}
		return
	}
	msg := []byte("fuzz")
	sig, err := k.Sign(rand.Reader, msg)
	if err != nil || !k.Verify(msg, sig) {
		t.Fatalf("a parsed key does not sign and verify: %v", err)
	}
	if pub, err := publicJWK(k).MarshalJSON(); err != nil || bytes.Contains(pub, []byte(`"d"`)) {
		t.Fatalf("public JWK %s, %v", pub, err)
	}
	var back jose.JSONWebKey
	if err := back.UnmarshalJSON(mustMarshal(t, publicJWK(k))); err != nil || !back.IsPublic() {
		t.Fatalf("public JWK does not read back as public: %v", err)
	}
}

func mustMarshal(t *testing.T, k jose.JSONWebKey) []byte {
	b, err := k.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzVerify checks that Verify never panics and accepts nothing it did not
// sign, whatever the input and signature.
func FuzzVerify(f *testing.F) {
	var keys []Key
	for _, data := range seedJWKs(f) {
		k, err := parsePrivateJWK(rand.Reader, data)
		if err != nil {
			f.Fatal(err)
		}
		keys = append(keys, k)
		sig, _ := k.Sign(rand.Reader, []byte("a.b"))
		f.Add([]byte("a.b"), sig)
	}
	f.Add([]byte(""), []byte(""))
	f.Add([]byte("a.b"), make([]byte, 64))
	f.Fuzz(func(t *testing.T, input, sig []byte) {
		for _, k := range keys {
			if k.Verify(input, sig) && !bytes.Equal(input, []byte("a.b")) {
				t.Fatalf("%s verifies a signature over %q it never made", k.Algorithm, input)
			}
		}
	})
}
