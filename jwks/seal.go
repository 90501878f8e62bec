package jwks

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
)

// Encryption at rest, as Hanko v1.2.1 does it for key_data (and OAuth/SAML
// state): AES-256-GCM under SHA-256(secret), a random 96-bit nonce prepended
// to ciphertext||tag, the whole base64url-encoded with padding. We checked the
// padded URL alphabet against values Hanko itself wrote (its SAML fixtures
// decrypt only that way); reading also accepts the unpadded and standard
// alphabets, in case a row was written or edited by other tools.

const nonceSize = 12 // GCM's standard nonce; Hanko uses the same

// sealer holds one AEAD per secret. aeads[0] encrypts; all of them decrypt.
// It keeps no copy of the secret strings.
type sealer struct {
	aeads []cipher.AEAD
}

func newSealer(secrets []string) (*sealer, error) {
	s := &sealer{aeads: make([]cipher.AEAD, len(secrets))}
	for i, secret := range secrets {
		key := sha256.Sum256([]byte(secret))
		block, err := aes.NewCipher(key[:])
		clear(key[:])
		if err != nil {
			return nil, err
		}
		if s.aeads[i], err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// seal encrypts plaintext with the first secret and a fresh nonce from rand.
func (s *sealer) seal(rand io.Reader, plaintext []byte) (string, error) {
	aead := s.aeads[0]
	buf := make([]byte, nonceSize, nonceSize+len(plaintext)+aead.Overhead())
	if _, err := io.ReadFull(rand, buf); err != nil {
		return "", fmt.Errorf("jwks: reading a nonce: %w", err)
	}
	sealed := aead.Seal(buf, buf, plaintext, nil)
	return base64.URLEncoding.EncodeToString(sealed), nil
}

// encodings are tried in order when reading; padded base64url is what Hanko
// and we write. A function, not a variable, so nothing can change the list.
func encodings() [4]*base64.Encoding {
	return [...]*base64.Encoding{base64.URLEncoding, base64.RawURLEncoding, base64.StdEncoding, base64.RawStdEncoding}
}

// open decodes and decrypts data with every secret in turn. It fails with
// ErrInvalidKey when data is not sealed data at all and with ErrUndecryptable
// when no secret opens it. The caller owns (and should clear) the result.
func (s *sealer) open(data string) ([]byte, error) {
	raw, ok := decodeBase64(strings.TrimSpace(data))
	if !ok {
		return nil, fmt.Errorf("%w: key_data is not base64", ErrInvalidKey)
	}
	if len(raw) < nonceSize+16 { // 16: the GCM tag
		return nil, fmt.Errorf("%w: key_data is too short to be encrypted data", ErrInvalidKey)
	}
	nonce, ciphertext := raw[:nonceSize], raw[nonceSize:]
	for _, aead := range s.aeads {
		// Open into a fresh buffer: opening in place would destroy the
		// ciphertext for the next secret when the tag does not match.
		if pt, err := aead.Open(nil, nonce, ciphertext, nil); err == nil {
			return pt, nil
		}
	}
	return nil, ErrUndecryptable
}

func decodeBase64(s string) ([]byte, bool) {
	for _, enc := range encodings() {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
