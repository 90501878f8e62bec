package passkeytest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"slices"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// androidOriginPrefix starts the origin Android's Credential Manager puts in
// clientDataJSON for native apps; it has no host to check the RP ID against.
const androidOriginPrefix = "android:apk-key-hash:"

// binary is a byte string carried in JSON as base64url. It also accepts
// padding and standard base64, as relying parties' JSON varies and browsers'
// parseCreationOptionsFromJSON is lenient about padding.
type binary []byte

func (b *binary) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		*b = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	v, err := decodeB64(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}

func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if v, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return v, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// b64 encodes as browsers' toJSON() do: base64url without padding.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// descriptor is a PublicKeyCredentialDescriptor.
type descriptor struct {
	Type string `json:"type"`
	ID   binary `json:"id"`
}

// credParam is a PublicKeyCredentialParameters.
type credParam struct {
	Type string `json:"type"`
	Alg  int64  `json:"alg"`
}

// creationOptions is the part of PublicKeyCredentialCreationOptions
// (WebAuthn L3 §5.4) the authenticator acts on; the rest is ignored.
type creationOptions struct {
	RP *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rp"`
	User *struct {
		ID          binary `json:"id"`
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	} `json:"user"`
	Challenge          binary                     `json:"challenge"`
	PubKeyCredParams   []credParam                `json:"pubKeyCredParams"`
	ExcludeCredentials []descriptor               `json:"excludeCredentials"`
	Extensions         map[string]json.RawMessage `json:"extensions"`
}

func (o *creationOptions) wantsCredProps() bool {
	return string(bytes.TrimSpace(o.Extensions["credProps"])) == "true"
}

// requestOptions is the part of PublicKeyCredentialRequestOptions
// (WebAuthn L3 §5.5) the authenticator acts on.
type requestOptions struct {
	Challenge        binary       `json:"challenge"`
	RPID             string       `json:"rpId"`
	AllowCredentials []descriptor `json:"allowCredentials"`
}

// unwrap returns the publicKey member of a CredentialCreationOptions or
// CredentialRequestOptions, or data itself when it is the bare inner object.
func unwrap(data []byte) ([]byte, error) {
	var w struct {
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if len(w.PublicKey) > 0 && string(w.PublicKey) != "null" {
		return w.PublicKey, nil
	}
	return data, nil
}

func parseCreationOptions(data []byte) (*creationOptions, error) {
	inner, err := unwrap(data)
	if err != nil {
		return nil, err
	}
	var o creationOptions
	if err := json.Unmarshal(inner, &o); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	switch {
	case o.RP == nil:
		return nil, fmt.Errorf("%w: missing rp", ErrInvalidOptions)
	case o.User == nil || len(o.User.ID) == 0:
		return nil, fmt.Errorf("%w: missing user.id", ErrInvalidOptions)
	case len(o.User.ID) > 64: // WebAuthn L3 §5.4.3: a user handle is at most 64 bytes
		return nil, fmt.Errorf("%w: user.id longer than 64 bytes", ErrInvalidOptions)
	case len(o.Challenge) == 0:
		return nil, fmt.Errorf("%w: missing challenge", ErrInvalidOptions)
	}
	return &o, nil
}

func parseRequestOptions(data []byte) (*requestOptions, error) {
	inner, err := unwrap(data)
	if err != nil {
		return nil, err
	}
	var o requestOptions
	if err := json.Unmarshal(inner, &o); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if len(o.Challenge) == 0 {
		return nil, fmt.Errorf("%w: missing challenge", ErrInvalidOptions)
	}
	return &o, nil
}

// effectiveRPID returns the RP ID a browser would use for a ceremony at
// origin: rpID if given, else the origin's host (WebAuthn L3 §5.1.3 step 8,
// §5.1.4.1 step 8). A given rpID must be the host or a registrable domain
// suffix of it. The public suffix list is approximated: a suffix must contain
// a dot (so "com" is refused) unless it is "localhost".
func effectiveRPID(origin, rpID string) (string, error) {
	if strings.HasPrefix(origin, androidOriginPrefix) {
		// Android's Credential Manager checks the app against the RP's
		// Digital Asset Links; there is no host to compare with.
		if rpID == "" {
			return "", fmt.Errorf("%w: an Android origin needs an explicit RP ID", ErrInvalidOptions)
		}
		return rpID, nil
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: %q is not an origin", ErrSecurity, origin)
	}
	host := strings.ToLower(u.Hostname())
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		// Browsers treat only loopback hosts as secure contexts over http.
		if !isLoopback(host) {
			return "", fmt.Errorf("%w: %q is not a secure context", ErrSecurity, origin)
		}
	default:
		return "", fmt.Errorf("%w: %q is not an https origin", ErrSecurity, origin)
	}
	if rpID == "" {
		return host, nil
	}
	id := strings.ToLower(rpID)
	if id == host {
		return rpID, nil
	}
	if net.ParseIP(host) == nil && strings.HasSuffix(host, "."+id) && (strings.Contains(id, ".") || id == "localhost") {
		return rpID, nil
	}
	return "", fmt.Errorf("%w: RP ID %q is not a registrable suffix of %q", ErrSecurity, rpID, host)
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// acceptsAlg reports whether pubKeyCredParams allow alg. An empty list means
// ES256 and RS256 (WebAuthn L3 §5.1.3 step 10).
func acceptsAlg(params []credParam, alg Alg) bool {
	if len(params) == 0 {
		return alg == ES256
	}
	for _, p := range params {
		if p.Type == "public-key" && Alg(p.Alg) == alg {
			return true
		}
	}
	return false
}

// clientData is CollectedClientData with the members in the order of the
// spec's serialization (WebAuthn L3 §5.8.1.1), which some relying parties
// rely on for limited verification.
type clientData struct {
	Type        string `json:"type"`
	Challenge   string `json:"challenge"`
	Origin      string `json:"origin"`
	CrossOrigin bool   `json:"crossOrigin"`
}

// marshalClientData serialises clientDataJSON. The challenge is the
// base64url (unpadded) encoding of the challenge bytes, like browsers emit
// whatever encoding the server used.
func marshalClientData(typ string, challenge []byte, origin string) []byte {
	return encodeJSON(clientData{Type: typ, Challenge: b64(challenge), Origin: origin})
}

// encodeJSON marshals values that cannot fail (our own response types)
// without HTML escaping, as browsers' JSON.stringify does.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("passkeytest: encode JSON: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// registrationResponse is RegistrationResponseJSON (WebAuthn L3 §5.1).
type registrationResponse struct {
	ID         string              `json:"id"`
	RawID      string              `json:"rawId"`
	Type       string              `json:"type"`
	Attachment string              `json:"authenticatorAttachment,omitempty"`
	Response   attestationResponse `json:"response"`
	Extensions map[string]any      `json:"clientExtensionResults"`
}

// attestationResponse is AuthenticatorAttestationResponseJSON.
type attestationResponse struct {
	ClientDataJSON     string   `json:"clientDataJSON"`
	AttestationObject  string   `json:"attestationObject"`
	Transports         []string `json:"transports"`
	PublicKeyAlgorithm int64    `json:"publicKeyAlgorithm"`
	PublicKey          string   `json:"publicKey"`
	AuthenticatorData  string   `json:"authenticatorData"`
}

// assertionJSON is AuthenticationResponseJSON (WebAuthn L3 §5.1).
type assertionJSON struct {
	ID         string            `json:"id"`
	RawID      string            `json:"rawId"`
	Type       string            `json:"type"`
	Attachment string            `json:"authenticatorAttachment,omitempty"`
	Response   assertionResponse `json:"response"`
	Extensions map[string]any    `json:"clientExtensionResults"`
}

// assertionResponse is AuthenticatorAssertionResponseJSON.
type assertionResponse struct {
	ClientDataJSON    string `json:"clientDataJSON"`
	AuthenticatorData string `json:"authenticatorData"`
	Signature         string `json:"signature"`
	UserHandle        string `json:"userHandle"`
}

// attestationObject is the CBOR attestation object (WebAuthn L3 §6.5.4).
// CTAP2 canonical order puts the keys as fmt, attStmt, authData.
type attestationObject struct {
	Fmt      string `cbor:"fmt"`
	AttStmt  any    `cbor:"attStmt"`
	AuthData []byte `cbor:"authData"`
}

// rawAttestationObject decodes an attestation object keeping attStmt as is.
type rawAttestationObject struct {
	Fmt      string          `cbor:"fmt"`
	AttStmt  cbor.RawMessage `cbor:"attStmt"`
	AuthData []byte          `cbor:"authData"`
}

// newCredential makes a credential with a 32-byte random ID and a fresh key
// drawn from r. The key is derived from bytes of r rather than by
// ecdsa.GenerateKey, which ignores its reader since Go 1.26, so that WithRand
// makes keys reproducible.
func newCredential(enc cbor.EncMode, r io.Reader, alg Alg) (*credential, error) {
	c := &credential{id: make([]byte, 32), alg: alg}
	if _, err := io.ReadFull(r, c.id); err != nil {
		return nil, fmt.Errorf("passkeytest: read credential ID: %w", err)
	}
	seed := make([]byte, 32)
	var coseKey map[int]any
	switch alg {
	case ES256:
		var key *ecdsa.PrivateKey
		// A random 32-byte string is a valid P-256 scalar unless it is zero
		// or at least the group order: probability about 2^-32 per draw.
		for key == nil {
			if _, err := io.ReadFull(r, seed); err != nil {
				return nil, fmt.Errorf("passkeytest: read key: %w", err)
			}
			key, _ = ecdsa.ParseRawPrivateKey(elliptic.P256(), seed)
		}
		pub, err := key.PublicKey.Bytes() // 0x04 || x || y
		if err != nil {
			return nil, fmt.Errorf("passkeytest: public key: %w", err)
		}
		// RFC 9053 §7.1.1 EC2 key: kty 2, alg -7, crv 1 (P-256), x, y.
		coseKey = map[int]any{1: 2, 3: int(ES256), -1: 1, -2: pub[1:33], -3: pub[33:65]}
		c.key = key
	case EdDSA:
		if _, err := io.ReadFull(r, seed); err != nil {
			return nil, fmt.Errorf("passkeytest: read key: %w", err)
		}
		key := ed25519.NewKeyFromSeed(seed)
		// RFC 9053 §7.2 OKP key: kty 1, alg -8, crv 6 (Ed25519), x.
		coseKey = map[int]any{1: 1, 3: int(EdDSA), -1: 6, -2: []byte(key.Public().(ed25519.PublicKey))}
		c.key = key
	default:
		return nil, fmt.Errorf("%w: algorithm %d", ErrNotSupported, alg)
	}
	var err error
	if c.cose, err = enc.Marshal(coseKey); err != nil {
		return nil, fmt.Errorf("passkeytest: encode COSE key: %w", err)
	}
	if c.der, err = x509.MarshalPKIXPublicKey(c.key.Public()); err != nil {
		return nil, fmt.Errorf("passkeytest: encode public key: %w", err)
	}
	return c, nil
}

// sign signs authData || SHA-256(clientDataJSON), the message of both
// assertion signatures (WebAuthn L3 §6.3.3 step 11) and packed attestation
// (§8.2). ECDSA signatures are ASN.1 DER and deterministic (RFC 6979).
func (c *credential) sign(authData, clientDataJSON []byte) ([]byte, error) {
	h := sha256.Sum256(clientDataJSON)
	msg := slices.Concat(authData, h[:])
	switch k := c.key.(type) {
	case *ecdsa.PrivateKey:
		d := sha256.Sum256(msg)
		return k.Sign(nil, d[:], crypto.SHA256) // nil rand selects RFC 6979
	case ed25519.PrivateKey:
		return ed25519.Sign(k, msg), nil
	default:
		return nil, fmt.Errorf("passkeytest: unexpected key type %T", c.key)
	}
}
