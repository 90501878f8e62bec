package jwks

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
)

// OAuthStateLabel is the HKDF info string of the key that seals the OAuth
// state (NewSealer).
const OAuthStateLabel = "hanko/oauth-state"

// Sealer encrypts small values (the OAuth state) with the AES-256-GCM
// scheme of the key store: the first of secrets.keys seals, every entry
// opens, and the sealed form is padded base64url of nonce||ciphertext||tag.
// Unlike the key store it does not use SHA-256(secret) as the AES key but a
// subkey derived from the secret for one purpose (HKDF-SHA256 with the
// label as info), so that a value the browser carries is never sealed under
// the key that protects the signing keys at rest: an oracle or a nonce
// reuse on one side tells nothing about the other. Hanko v1.2.1 seals its
// state with the signing keys' key; a state it sealed does not open here,
// which only matters for logins in flight (StateTTL) while switching. It is
// safe for concurrent use.
type Sealer struct {
	s    *sealer
	rand io.Reader
}

// NewSealer returns the OAuth-state Sealer for secrets (at least one),
// keyed with OAuthStateLabel, drawing nonces from rnd [crypto/rand.Reader
// when nil].
func NewSealer(secrets []string, rnd io.Reader) (*Sealer, error) {
	return newLabeledSealer(OAuthStateLabel, secrets, rnd)
}

// newLabeledSealer returns a Sealer whose keys are HKDF-SHA256(secret,
// info=label) for each secret.
func newLabeledSealer(label string, secrets []string, rnd io.Reader) (*Sealer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("jwks: at least one secret is required")
	}
	s := &sealer{aeads: make([]cipher.AEAD, len(secrets))}
	for i, secret := range secrets {
		key, err := hkdf.Key(sha256.New, []byte(secret), nil, label, 32)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		clear(key)
		if err != nil {
			return nil, err
		}
		if s.aeads[i], err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Sealer{s: s, rand: rnd}, nil
}

// Seal encrypts plaintext with the first secret and a fresh nonce and
// returns padded base64url.
func (s *Sealer) Seal(plaintext []byte) (string, error) { return s.s.seal(s.rand, plaintext) }

// Open decrypts what Seal (with any of the secrets) produced. Anything
// else, including tampered data, is an error.
func (s *Sealer) Open(sealed string) ([]byte, error) { return s.s.open(sealed) }
