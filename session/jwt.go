package session

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/jwks"
)

// Claims are the claims of a session JWT, as the reference issues them.
type Claims struct {
	Subject   uuid.UUID   // sub: the user
	SessionID uuid.UUID   // session_id: the server-side session
	IssuedAt  time.Time   // iat
	ExpiresAt time.Time   // exp
	Audience  []string    // aud
	Issuer    string      // iss, when session.issuer is set
	Email     *EmailClaim // the primary email, when the user has one
}

// EmailClaim is the "email" claim: the user's primary address.
type EmailClaim struct {
	Address    string `json:"address"`
	IsPrimary  bool   `json:"is_primary"`
	IsVerified bool   `json:"is_verified"`
}

// wireClaims is the JSON form of Claims.
type wireClaims struct {
	Audience  []string    `json:"aud"`
	Email     *EmailClaim `json:"email,omitempty"`
	ExpiresAt int64       `json:"exp"`
	IssuedAt  int64       `json:"iat"`
	Issuer    string      `json:"iss,omitempty"`
	SessionID string      `json:"session_id"`
	Subject   string      `json:"sub"`
}

type header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

// b64 is strict: the unused low bits of the last character must be zero,
// so that no two encodings decode to the same signature (JWS malleability).
var b64 = base64.RawURLEncoding.Strict()

// maxTokenLength bounds what Verify will look at; real tokens are well under
// 2 KiB.
const maxTokenLength = 8 << 10

// sign serialises claims as a compact JWS signed with k.
func sign(k jwks.Key, rand io.Reader, c Claims) (string, error) {
	h, err := json.Marshal(header{Alg: k.Algorithm, Kid: k.ID, Typ: "JWT"})
	if err != nil {
		return "", err
	}
	w := wireClaims{
		Audience: c.Audience, Email: c.Email, ExpiresAt: c.ExpiresAt.Unix(), IssuedAt: c.IssuedAt.Unix(),
		Issuer: c.Issuer, SessionID: c.SessionID.String(), Subject: c.Subject.String(),
	}
	p, err := json.Marshal(w)
	if err != nil {
		return "", err
	}
	return signPayload(k, rand, h, p)
}

// SignJWT signs claims, marshalled to JSON, as a compact JWS with k, the
// way session tokens are signed (header alg, kid, typ JWT). The webhook
// tokens use it.
func SignJWT(k jwks.Key, rand io.Reader, claims any) (string, error) {
	h, err := json.Marshal(header{Alg: k.Algorithm, Kid: k.ID, Typ: "JWT"})
	if err != nil {
		return "", err
	}
	p, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return signPayload(k, rand, h, p)
}

// signPayload assembles and signs a compact JWS from its JSON header h and
// payload p.
func signPayload(k jwks.Key, rand io.Reader, h, p []byte) (string, error) {
	buf := make([]byte, 0, b64.EncodedLen(len(h))+b64.EncodedLen(len(p))+2+b64.EncodedLen(512))
	buf = b64.AppendEncode(buf, h)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, p)
	sig, err := k.Sign(rand, buf)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}

// errMalformed is any token that is not a well-formed compact JWS with our
// claims. Callers see only ErrInvalidToken.
var errMalformed = errors.New("session: malformed token")

// parsed is a token split and decoded, not yet verified.
type parsed struct {
	header       header
	signingInput []byte
	signature    []byte
	payload      []byte
}

// split decodes a compact JWS without trusting anything in it.
func split(token string) (parsed, error) {
	var p parsed
	if len(token) > maxTokenLength {
		return p, errMalformed
	}
	// Only the base64url alphabet and the dots (RFC 7515 §7.1): the decoder
	// would skip CR and LF, letting altered tokens verify.
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return p, errMalformed
		}
	}
	raw := []byte(token)
	i := bytes.IndexByte(raw, '.')
	if i < 0 {
		return p, errMalformed
	}
	j := bytes.IndexByte(raw[i+1:], '.')
	if j < 0 {
		return p, errMalformed
	}
	j += i + 1
	if bytes.IndexByte(raw[j+1:], '.') >= 0 {
		return p, errMalformed
	}
	h, err := b64.DecodeString(token[:i])
	if err != nil {
		return p, errMalformed
	}
	if err := json.Unmarshal(h, &p.header); err != nil {
		return p, errMalformed
	}
	if p.payload, err = b64.DecodeString(token[i+1 : j]); err != nil {
		return p, errMalformed
	}
	if p.signature, err = b64.DecodeString(token[j+1:]); err != nil {
		return p, errMalformed
	}
	p.signingInput = raw[:j]
	return p, nil
}

// decodeClaims parses a verified payload.
func decodeClaims(payload []byte) (Claims, error) {
	var w wireClaims
	if err := json.Unmarshal(payload, &w); err != nil {
		return Claims{}, errMalformed
	}
	sub, err := uuid.Parse(w.Subject)
	if err != nil {
		return Claims{}, errMalformed
	}
	sid, err := uuid.Parse(w.SessionID)
	if err != nil {
		return Claims{}, errMalformed
	}
	if w.ExpiresAt == 0 {
		return Claims{}, errMalformed
	}
	return Claims{
		Subject: sub, SessionID: sid, Audience: w.Audience, Issuer: w.Issuer, Email: w.Email,
		IssuedAt: time.Unix(w.IssuedAt, 0).UTC(), ExpiresAt: time.Unix(w.ExpiresAt, 0).UTC(),
	}, nil
}

// rules are the claim checks of a verifier.
type rules struct {
	audience []string // one must be in aud; empty accepts any
	issuer   string   // must equal iss when set
}

// verifyToken checks a token against the key lookup finds for its kid: a
// well-formed compact JWS, signed with the algorithm the key is for (never
// "none"), not expired, not issued in the future beyond clockSkew, and
// within r. A lookup error (the key store failed) is returned as is; every
// other failure is ErrInvalidToken.
func verifyToken(ctx context.Context, token string, now time.Time, r rules,
	lookup func(ctx context.Context, kid string) (jwks.Key, bool, error)) (Claims, error) {
	p, err := split(token)
	if err != nil || p.header.Kid == "" {
		return Claims{}, ErrInvalidToken
	}
	k, ok, err := lookup(ctx, p.header.Kid)
	if err != nil {
		return Claims{}, err
	}
	if !ok || p.header.Alg != k.Algorithm || !k.Verify(p.signingInput, p.signature) {
		return Claims{}, ErrInvalidToken
	}
	c, err := decodeClaims(p.payload)
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	if !now.Before(c.ExpiresAt) || c.IssuedAt.After(now.Add(clockSkew)) {
		return Claims{}, ErrInvalidToken
	}
	if !r.audienceOK(c.Audience) || r.issuer != "" && c.Issuer != r.issuer {
		return Claims{}, ErrInvalidToken
	}
	return c, nil
}

func (r rules) audienceOK(aud []string) bool {
	if len(r.audience) == 0 {
		return true
	}
	for _, a := range aud {
		if slices.Contains(r.audience, a) {
			return true
		}
	}
	return false
}

// clockSkew is how far in the future a token's iat may be (another
// instance's clock).
const clockSkew = time.Minute
