package jwks

import (
	"crypto/rand"
	"errors"
	"io"
)

// Sealer encrypts small values with the AES-256-GCM scheme of the key store
// (SHA-256 of each secrets.keys entry; the first entry seals, every entry
// opens), as Hanko v1.2.1 does for OAuth and SAML state. It is safe for
// concurrent use.
type Sealer struct {
	s    *sealer
	rand io.Reader
}

// NewSealer returns a Sealer for secrets (at least one) drawing nonces from
// rnd [crypto/rand.Reader when nil].
func NewSealer(secrets []string, rnd io.Reader) (*Sealer, error) {
	if len(secrets) == 0 {
		return nil, errors.New("jwks: at least one secret is required")
	}
	s, err := newSealer(secrets)
	if err != nil {
		return nil, err
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
