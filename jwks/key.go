package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
)

// The JWS algorithms of signing keys (RFC 7518 §3.1; EdDSA: RFC 8037 §3.1).
// ES256 is the default for new keys; Hanko's own keys are RS256.
const (
	ES256 = "ES256" // ECDSA on P-256 with SHA-256
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256
	EdDSA = "EdDSA" // Ed25519
)

// es256Size is the length of an ES256 signature: R and S as 32-byte
// big-endian integers (RFC 7518 §3.4).
const es256Size = 64

// Key is one signing key: its kid, its JWS algorithm and its key pair. A Key
// is an immutable value, safe to copy and to use concurrently. Compare keys
// by ID: == panics on Ed25519 keys, whose key types are slices.
type Key struct {
	ID        string           // the JWK "kid", carried in the JWS header
	Algorithm string           // ES256, RS256 or EdDSA
	Private   crypto.Signer    // nil for keys known only publicly
	Public    crypto.PublicKey // *ecdsa.PublicKey, *rsa.PublicKey or ed25519.PublicKey
}

// Sign returns the JWS signature of signingInput (the ASCII of
// BASE64URL(header) "." BASE64URL(payload)): for ES256 the 64-byte R||S of
// RFC 7518 §3.4 (not ASN.1), for RS256 PKCS #1 v1.5 over SHA-256, for EdDSA
// Ed25519 over the input itself. rand is passed to the signer; the standard
// library ignores it for ECDSA and RSA since Go 1.26 and Ed25519 is
// deterministic. A key without a private part fails with ErrNoPrivateKey.
func (k Key) Sign(rand io.Reader, signingInput []byte) ([]byte, error) {
	if k.Private == nil {
		return nil, ErrNoPrivateKey
	}
	switch k.Algorithm {
	case ES256:
		digest := sha256.Sum256(signingInput)
		if priv, ok := k.Private.(*ecdsa.PrivateKey); ok {
			r, s, err := ecdsa.Sign(rand, priv, digest[:])
			if err != nil {
				return nil, fmt.Errorf("jwks: signing with %s: %w", k.ID, err)
			}
			return es256Bytes(r, s)
		}
		der, err := k.Private.Sign(rand, digest[:], crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("jwks: signing with %s: %w", k.ID, err)
		}
		return es256FromASN1(der)
	case RS256:
		digest := sha256.Sum256(signingInput)
		sig, err := k.Private.Sign(rand, digest[:], crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("jwks: signing with %s: %w", k.ID, err)
		}
		return sig, nil
	case EdDSA:
		sig, err := k.Private.Sign(rand, signingInput, crypto.Hash(0))
		if err != nil {
			return nil, fmt.Errorf("jwks: signing with %s: %w", k.ID, err)
		}
		return sig, nil
	default:
		return nil, fmt.Errorf("jwks: key %s: unsupported algorithm %q", k.ID, k.Algorithm)
	}
}

// Verify reports whether sig is a valid JWS signature of signingInput under
// k, in the format Sign produces. It returns false, never panics, for any
// signingInput and sig, for a zero Key and for a Public that does not fit
// Algorithm.
func (k Key) Verify(signingInput, sig []byte) bool {
	switch k.Algorithm {
	case ES256:
		pub, ok := k.Public.(*ecdsa.PublicKey)
		if !ok || pub == nil || pub.Curve != elliptic.P256() || pub.X == nil || pub.Y == nil || len(sig) != es256Size {
			return false
		}
		digest := sha256.Sum256(signingInput)
		r := new(big.Int).SetBytes(sig[:es256Size/2])
		s := new(big.Int).SetBytes(sig[es256Size/2:])
		return ecdsa.Verify(pub, digest[:], r, s)
	case RS256:
		pub, ok := k.Public.(*rsa.PublicKey)
		if !ok || pub == nil || pub.N == nil || len(sig) != pub.Size() {
			return false
		}
		digest := sha256.Sum256(signingInput)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	case EdDSA:
		pub, ok := k.Public.(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
			return false
		}
		return ed25519.Verify(pub, signingInput, sig)
	default:
		return false
	}
}

// es256Bytes encodes R and S as fixed-size big-endian halves.
func es256Bytes(r, s *big.Int) ([]byte, error) {
	if r.Sign() <= 0 || s.Sign() <= 0 || r.BitLen() > 256 || s.BitLen() > 256 {
		return nil, errors.New("jwks: ECDSA signer returned an invalid signature")
	}
	out := make([]byte, es256Size)
	r.FillBytes(out[:es256Size/2])
	s.FillBytes(out[es256Size/2:])
	return out, nil
}

// es256FromASN1 converts the ASN.1 ECDSA-Sig-Value that crypto.Signer
// implementations return into the JWS form.
func es256FromASN1(der []byte) ([]byte, error) {
	var v struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &v)
	if err != nil || len(rest) != 0 || v.R == nil || v.S == nil {
		return nil, errors.New("jwks: ECDSA signer returned a malformed signature")
	}
	return es256Bytes(v.R, v.S)
}

// algorithmOf returns the algorithm a public key signs with. A non-empty
// declared algorithm (the JWK "alg") must agree with the key type.
func algorithmOf(pub crypto.PublicKey, declared string) (string, error) {
	var alg string
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if n := p.N.BitLen(); n < 2048 {
			return "", fmt.Errorf("RSA key of %d bits is too small (minimum 2048)", n)
		}
		alg = RS256
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return "", fmt.Errorf("EC key on curve %s is not supported (only P-256)", p.Curve.Params().Name)
		}
		alg = ES256
	case ed25519.PublicKey:
		alg = EdDSA
	default:
		return "", fmt.Errorf("key type %T is not supported", pub)
	}
	if declared != "" && declared != alg {
		return "", fmt.Errorf("alg %q does not fit the key, which signs %s", declared, alg)
	}
	return alg, nil
}
