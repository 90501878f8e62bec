package jwks_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"io"
	"math/big"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/hanko-go/hanko/jwks"
)

// testKeys returns one key of each algorithm, from a fresh Set so that they
// come through the same path as production keys.
func testKeys(tb testing.TB) map[string]jwks.Key {
	tb.Helper()
	out := map[string]jwks.Key{}
	for _, alg := range []string{jwks.ES256, jwks.RS256, jwks.EdDSA} {
		s := mustNew(tb, jwks.Config{Store: newMemStore(), Secrets: []string{secret1}, Algorithm: alg})
		out[alg] = s.Signer()
	}
	return out
}

// opaqueSigner hides the concrete key type, as a KMS or HSM signer would.
type opaqueSigner struct{ crypto.Signer }

// TestSignInteroperates: compact JWSs made with Sign verify with go-jose,
// an independent implementation of RFC 7515/7518/8037.
func TestSignInteroperates(t *testing.T) {
	t.Parallel()
	keys := testKeys(t)
	ecOpaque := keys[jwks.ES256]
	ecOpaque.Private = opaqueSigner{ecOpaque.Private}
	for name, k := range map[string]jwks.Key{
		"ES256": keys[jwks.ES256], "RS256": keys[jwks.RS256], "EdDSA": keys[jwks.EdDSA],
		"ES256 via crypto.Signer": ecOpaque,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b64 := base64.RawURLEncoding.EncodeToString
			input := b64([]byte(`{"alg":"`+k.Algorithm+`","kid":"`+k.ID+`","typ":"JWT"}`)) + "." + b64([]byte(`{"sub":"someone"}`))
			sig, err := k.Sign(rand.Reader, []byte(input))
			if err != nil {
				t.Fatal(err)
			}
			if k.Algorithm == jwks.ES256 && len(sig) != 64 {
				t.Fatalf("ES256 signature is %d bytes, want 64 (R||S)", len(sig))
			}
			jws, err := jose.ParseSigned(input+"."+b64(sig), []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA})
			if err != nil {
				t.Fatal(err)
			}
			payload, err := jws.Verify(k.Public)
			if err != nil || string(payload) != `{"sub":"someone"}` {
				t.Fatalf("go-jose Verify = %q, %v", payload, err)
			}
			if !k.Verify([]byte(input), sig) {
				t.Fatal("Verify rejects our own signature")
			}
		})
	}
}

// TestVerifyRejects: Verify answers false, without panicking, for tampered
// data, every wrong signature shape, foreign keys and broken keys.
func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	keys := testKeys(t)
	msg := []byte("header.payload")
	for alg, k := range keys {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			sig, err := k.Sign(rand.Reader, msg)
			if err != nil {
				t.Fatal(err)
			}
			flipped := append([]byte(nil), sig...)
			flipped[len(flipped)/2] ^= 1
			for name, tc := range map[string]struct {
				input, sig []byte
			}{
				"tampered input": {[]byte("header.payloaD"), sig},
				"flipped bit":    {msg, flipped},
				"nil signature":  {msg, nil},
				"empty input":    {nil, sig},
				"truncated":      {msg, sig[:len(sig)-1]},
				"extended":       {msg, append(append([]byte(nil), sig...), 0)},
				"zeros":          {msg, make([]byte, len(sig))},
				"ones":           {msg, bytesOf(0xff, len(sig))},
				"asn1 form":      {msg, append([]byte{0x30, 0x44, 0x02, 0x20}, sig...)},
			} {
				if k.Verify(tc.input, tc.sig) {
					t.Errorf("%s: Verify = true", name)
				}
			}
			for other, ok := range keys {
				if other != alg && ok.Verify(msg, sig) {
					t.Errorf("a %s key verifies a %s signature", other, alg)
				}
			}
			broken := []jwks.Key{
				{},
				{Algorithm: k.Algorithm},
				{Algorithm: k.Algorithm, Public: "not a key"},
				{Algorithm: k.Algorithm, Public: (*ecdsa.PublicKey)(nil)},
				{Algorithm: k.Algorithm, Public: (*rsa.PublicKey)(nil)},
				{Algorithm: k.Algorithm, Public: &ecdsa.PublicKey{}},
				{Algorithm: k.Algorithm, Public: &ecdsa.PublicKey{Curve: elliptic.P256()}},
				{Algorithm: k.Algorithm, Public: &ecdsa.PublicKey{Curve: elliptic.P256(), X: big.NewInt(1), Y: big.NewInt(1)}},
				{Algorithm: k.Algorithm, Public: &ecdsa.PublicKey{Curve: elliptic.P384(), X: big.NewInt(1), Y: big.NewInt(1)}},
				{Algorithm: k.Algorithm, Public: &rsa.PublicKey{}},
				{Algorithm: k.Algorithm, Public: &rsa.PublicKey{N: big.NewInt(0)}},
				{Algorithm: k.Algorithm, Public: &rsa.PublicKey{N: big.NewInt(3233), E: 17}},
				{Algorithm: k.Algorithm, Public: ed25519.PublicKey{1, 2, 3}},
				{Algorithm: "HS256", Public: k.Public},
				{Algorithm: "none", Public: k.Public},
			}
			for i, b := range broken {
				if b.Verify(msg, sig) {
					t.Errorf("broken key %d verifies", i)
				}
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	keys := testKeys(t)
	public := keys[jwks.ES256]
	public.Private = nil
	if _, err := public.Sign(rand.Reader, []byte("x")); !errors.Is(err, jwks.ErrNoPrivateKey) {
		t.Errorf("Sign without a private key = %v, want ErrNoPrivateKey", err)
	}
	odd := keys[jwks.ES256]
	odd.Algorithm = "PS256"
	if _, err := odd.Sign(rand.Reader, []byte("x")); err == nil {
		t.Error("Sign with an unsupported algorithm succeeded")
	}
	bad := keys[jwks.ES256]
	bad.Private = garbageSigner{bad.Private}
	if _, err := bad.Sign(rand.Reader, []byte("x")); err == nil {
		t.Error("Sign accepted a malformed ASN.1 signature from the signer")
	}
}

// garbageSigner returns a signature that is not ASN.1.
type garbageSigner struct{ crypto.Signer }

func (garbageSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return []byte{1, 2, 3}, nil
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}
