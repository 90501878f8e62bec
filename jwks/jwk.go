package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
)

// useSig is the JWK "use" of every key we write and publish (RFC 7517 §4.2).
const useSig = "sig"

// generate makes a fresh key pair for alg with a random uuid kid, as Hanko
// names its keys, and returns it with its private JWK JSON. The caller owns
// (and should clear) the JSON.
func generate(rand io.Reader, alg string, rsaBits int) (Key, []byte, error) {
	id, err := uuid.NewRandomFromReader(rand)
	if err != nil {
		return Key{}, nil, fmt.Errorf("jwks: making a kid: %w", err)
	}
	var priv crypto.Signer
	switch alg {
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand)
	case RS256:
		priv, err = rsa.GenerateKey(rand, rsaBits)
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand)
	default:
		err = fmt.Errorf("unsupported algorithm %q", alg)
	}
	if err != nil {
		return Key{}, nil, fmt.Errorf("jwks: generating a %s key: %w", alg, err)
	}
	k := Key{ID: id.String(), Algorithm: alg, Private: priv, Public: priv.Public()}
	data, err := jose.JSONWebKey{Key: priv, KeyID: k.ID, Algorithm: alg, Use: useSig}.MarshalJSON()
	if err != nil {
		return Key{}, nil, fmt.Errorf("jwks: encoding the new key: %w", err)
	}
	return k, data, nil
}

// parsePrivateJWK reads a private JWK of any type go-jose knows and keeps
// what we can sign with: RSA (>= 2048 bits), EC P-256 and Ed25519. The
// algorithm comes from the key type; a declared "alg" must agree. A JWK
// without "kid" gets its RFC 7638 thumbprint. The key must pass a sign and
// verify round trip, which catches private and public parts that do not
// belong together. Errors wrap ErrInvalidKey and never quote key material.
func parsePrivateJWK(rand io.Reader, data []byte) (Key, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(data); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return Key{}, fmt.Errorf("%w: malformed JSON at offset %d", ErrInvalidKey, syn.Offset)
		}
		return Key{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if jwk.IsPublic() {
		return Key{}, fmt.Errorf("%w: the JWK holds no private key", ErrInvalidKey)
	}
	priv, ok := jwk.Key.(crypto.Signer)
	if !ok {
		return Key{}, fmt.Errorf("%w: a %T JWK cannot sign", ErrInvalidKey, jwk.Key)
	}
	if jwk.Use != "" && jwk.Use != useSig {
		return Key{}, fmt.Errorf("%w: the JWK is for use %q, not %q", ErrInvalidKey, jwk.Use, useSig)
	}
	alg, err := algorithmOf(priv.Public(), jwk.Algorithm)
	if err != nil {
		return Key{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
	}
	if r, ok := priv.(*rsa.PrivateKey); ok {
		// go-jose validates but does not precompute; without this every
		// signature would redo the expensive checks.
		r.Precompute()
	}
	kid := jwk.KeyID
	if kid == "" {
		tp, err := jwk.Thumbprint(crypto.SHA256)
		if err != nil {
			return Key{}, fmt.Errorf("%w: %w", ErrInvalidKey, err)
		}
		kid = base64.RawURLEncoding.EncodeToString(tp)
	}
	k := Key{ID: kid, Algorithm: alg, Private: priv, Public: priv.Public()}
	msg := []byte("jwks self-test")
	sig, err := k.Sign(rand, msg)
	if err != nil || !k.Verify(msg, sig) {
		return Key{}, fmt.Errorf("%w: private and public parts do not match", ErrInvalidKey)
	}
	return k, nil
}

// publicJWK is the JWK of k as published in the JWK set: no private part.
func publicJWK(k Key) jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Public, KeyID: k.ID, Algorithm: k.Algorithm, Use: useSig}
}

// Generate makes a new key pair for alg (ES256, RS256 with rsaBits, or
// EdDSA) with a random uuid kid, and returns it with its private JWK as
// JSON. It stores nothing; the CLI's "jwk create" prints the JSON.
func Generate(rand io.Reader, alg string, rsaBits int) (Key, []byte, error) {
	if rsaBits == 0 {
		rsaBits = DefaultRSABits
	}
	return generate(rand, alg, rsaBits)
}
