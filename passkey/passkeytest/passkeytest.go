package passkeytest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// Errors returned by Register and Login. Each stands for the DOMException a
// browser would reject the navigator.credentials promise with; match them
// with errors.Is.
var (
	// ErrInvalidOptions means the options JSON is malformed or lacks a
	// required member (rp, user.id, challenge); browsers throw a TypeError.
	ErrInvalidOptions = errors.New("passkeytest: invalid options")
	// ErrSecurity means the origin is not a secure web origin, or the RP ID
	// is neither the origin's host nor a registrable suffix of it
	// (SecurityError).
	ErrSecurity = errors.New("passkeytest: RP ID not valid for origin")
	// ErrNotSupported means pubKeyCredParams names none of the
	// authenticator's algorithms (NotSupportedError).
	ErrNotSupported = errors.New("passkeytest: no supported algorithm in pubKeyCredParams")
	// ErrExcluded means excludeCredentials lists a credential the
	// authenticator holds for the RP ID (InvalidStateError).
	ErrExcluded = errors.New("passkeytest: authenticator holds an excluded credential")
	// ErrNoCredential means the authenticator holds no credential the request
	// can use (NotAllowedError). Resign returns it for unknown credentials.
	ErrNoCredential = errors.New("passkeytest: no usable credential")
)

// Credential is a copy of one credential the Authenticator holds.
type Credential struct {
	ID           []byte
	RPID         string
	UserHandle   []byte // user.id from the creation options
	UserName     string // user.name from the creation options
	Alg          Alg
	Counter      uint32        // the value the last ceremony reported
	PublicKey    []byte        // the COSE_Key from attested credential data, what a relying party stores
	PublicKeyDER []byte        // the same key as a DER SubjectPublicKeyInfo (response.publicKey)
	Signer       crypto.Signer // the private key; sign with Resign unless you need raw access
}

// credential is the authenticator's own record; Credential is its copy.
type credential struct {
	id, userHandle []byte
	rpID, userName string
	alg            Alg
	counter        uint32
	cose, der      []byte
	key            crypto.Signer
}

// Authenticator is a software passkey provider holding discoverable
// credentials, together with the browser logic around it. Create it with New.
// Safe for concurrent use.
type Authenticator struct {
	mu    sync.Mutex
	s     settings
	enc   cbor.EncMode
	creds []*credential // registration order; the last is the most recent
	use   []byte        // credential picked by Use for the next Login
}

// New returns an Authenticator holding no credentials. It panics if an option
// names an algorithm or attestation format it cannot produce.
func New(opts ...Option) *Authenticator {
	s := settings{
		alg:         ES256,
		attestation: AttestationNone,
		aaguid:      DefaultAAGUID(),
		flags:       Flags{UserPresent: true, UserVerified: true, BackupEligible: true, BackupState: true},
		counter:     Incrementing,
		rand:        rand.Reader,
		transports:  []string{"internal", "hybrid"},
		attachment:  "platform",
	}
	for _, opt := range opts {
		opt(&s)
	}
	if s.alg != ES256 && s.alg != EdDSA {
		panic(fmt.Sprintf("passkeytest: WithAlgorithm(%d): only ES256 (-7) and EdDSA (-8) are supported", s.alg))
	}
	if s.attestation != AttestationNone && s.attestation != AttestationPacked {
		panic(fmt.Sprintf("passkeytest: WithAttestation(%q): only %q and %q are supported", s.attestation, AttestationNone, AttestationPacked))
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	// CTAP2 canonical CBOR (sorted map keys, shortest forms), which is what
	// authenticators emit and what go-webauthn's decoder expects.
	enc, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic("passkeytest: " + err.Error())
	}
	return &Authenticator{s: s, enc: enc}
}

// Register answers navigator.credentials.create(). creationOptions is the
// server's JSON, either {"publicKey":{...}} or the bare
// PublicKeyCredentialCreationOptions; origin is the page origin
// ("https://example.com", "http://localhost:8080") or an Android app origin
// ("android:apk-key-hash:..."), for which the RP ID check is skipped.
//
// It checks the options like a browser (see the Err values), creates a new
// discoverable credential, replacing one for the same RP ID and user handle,
// and returns the JSON of the PublicKeyCredential as toJSON() serialises it
// (WebAuthn L3 §5.1.8, RegistrationResponseJSON).
func (a *Authenticator) Register(origin string, creationOptions []byte) ([]byte, error) {
	opts, err := parseCreationOptions(creationOptions)
	if err != nil {
		return nil, err
	}
	rpID, err := effectiveRPID(origin, opts.RP.ID)
	if err != nil {
		return nil, err
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.s
	if !acceptsAlg(opts.PubKeyCredParams, s.alg) {
		return nil, fmt.Errorf("%w: want %d", ErrNotSupported, s.alg)
	}
	// WebAuthn L3 §6.3.2 step 3: an excluded credential for this RP ID fails
	// the ceremony before anything is created.
	for _, d := range opts.ExcludeCredentials {
		if c := a.find(d.ID); c != nil && c.rpID == rpID {
			return nil, ErrExcluded
		}
	}

	c, err := newCredential(a.enc, s.rand, s.alg)
	if err != nil {
		return nil, err
	}
	c.rpID, c.userHandle, c.userName = rpID, opts.User.ID, opts.User.Name

	clientData := marshalClientData("webauthn.create", opts.Challenge, origin)
	authData := a.attestedAuthData(c, s.flags.byte()|flagAT)
	var attStmt map[string]any
	if s.attestation == AttestationPacked {
		// WebAuthn L3 §8.2 self attestation: alg is the credential's and sig
		// covers authData || SHA-256(clientDataJSON), signed by the credential key.
		sig, err := c.sign(authData, clientData)
		if err != nil {
			return nil, err
		}
		attStmt = map[string]any{"alg": int64(c.alg), "sig": sig}
	} else {
		attStmt = map[string]any{}
	}
	attObj, err := a.enc.Marshal(attestationObject{Fmt: s.attestation, AttStmt: attStmt, AuthData: authData})
	if err != nil {
		return nil, fmt.Errorf("passkeytest: encode attestation object: %w", err)
	}

	// §6.3.2 step 7: a new credential replaces one for the same RP and user.
	a.creds = slices.DeleteFunc(a.creds, func(o *credential) bool {
		return o.rpID == rpID && bytes.Equal(o.userHandle, c.userHandle)
	})
	a.creds = append(a.creds, c)

	ext := map[string]any{}
	if opts.wantsCredProps() {
		ext["credProps"] = map[string]bool{"rk": true}
	}
	return encodeJSON(registrationResponse{
		ID:         b64(c.id),
		RawID:      b64(c.id),
		Type:       "public-key",
		Attachment: s.attachment,
		Response: attestationResponse{
			ClientDataJSON:     b64(clientData),
			AttestationObject:  b64(attObj),
			Transports:         nonNil(s.transports),
			PublicKeyAlgorithm: int64(c.alg),
			PublicKey:          b64(c.der),
			AuthenticatorData:  b64(authData),
		},
		Extensions: ext,
	}), nil
}

// Login answers navigator.credentials.get(). requestOptions is the server's
// JSON, either {"publicKey":{...}} or the bare
// PublicKeyCredentialRequestOptions; rpId defaults to the origin's host.
//
// With allowCredentials it uses one of the listed credentials it holds for
// the RP ID; without, it uses a discoverable credential for the RP ID. Either
// way the credential picked with Use wins if eligible, and otherwise the most
// recently registered one is used; ErrNoCredential if there is none, or if
// the credential picked with Use is not eligible. The returned JSON is the
// AuthenticationResponseJSON of WebAuthn L3 §5.1.8, with userHandle the
// user.id given at registration.
func (a *Authenticator) Login(origin string, requestOptions []byte) ([]byte, error) {
	opts, err := parseRequestOptions(requestOptions)
	if err != nil {
		return nil, err
	}
	rpID, err := effectiveRPID(origin, opts.RPID)
	if err != nil {
		return nil, err
	}

	a.mu.Lock()
	defer a.mu.Unlock()
	var candidates []*credential
	for _, c := range a.creds {
		if c.rpID != rpID {
			continue
		}
		if len(opts.AllowCredentials) > 0 && !slices.ContainsFunc(opts.AllowCredentials, func(d descriptor) bool {
			return bytes.Equal(d.ID, c.id)
		}) {
			continue
		}
		candidates = append(candidates, c)
	}
	var c *credential
	if a.use != nil {
		i := slices.IndexFunc(candidates, func(c *credential) bool { return bytes.Equal(c.id, a.use) })
		if i < 0 {
			return nil, fmt.Errorf("%w: the credential picked with Use is not eligible for RP ID %q", ErrNoCredential, rpID)
		}
		c = candidates[i]
	} else if len(candidates) > 0 {
		c = candidates[len(candidates)-1]
	}
	if c == nil {
		return nil, fmt.Errorf("%w for RP ID %q", ErrNoCredential, rpID)
	}

	// Sign before committing the counter so a failed signature changes nothing.
	counter := c.counter
	if a.s.counter == Incrementing {
		counter++
	}
	clientData := marshalClientData("webauthn.get", opts.Challenge, origin)
	authData := authDataBytes(rpID, a.s.flags.byte(), counter)
	sig, err := c.sign(authData, clientData)
	if err != nil {
		return nil, err
	}
	c.counter = counter
	a.use = nil

	return encodeJSON(assertionJSON{
		ID:         b64(c.id),
		RawID:      b64(c.id),
		Type:       "public-key",
		Attachment: a.s.attachment,
		Response: assertionResponse{
			ClientDataJSON:    b64(clientData),
			AuthenticatorData: b64(authData),
			Signature:         b64(sig),
			UserHandle:        b64(c.userHandle),
		},
		Extensions: map[string]any{},
	}), nil
}

// Credentials returns copies of the credentials held, oldest first.
func (a *Authenticator) Credentials() []Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Credential, 0, len(a.creds))
	for _, c := range a.creds {
		out = append(out, Credential{
			ID:           slices.Clone(c.id),
			RPID:         c.rpID,
			UserHandle:   slices.Clone(c.userHandle),
			UserName:     c.userName,
			Alg:          c.alg,
			Counter:      c.counter,
			PublicKey:    slices.Clone(c.cose),
			PublicKeyDER: slices.Clone(c.der),
			Signer:       c.key,
		})
	}
	return out
}

// Use picks the credential the next Login uses, as if the user chose it in
// the browser's account picker. The choice is consumed by the next successful
// Login; Use(nil) clears it.
func (a *Authenticator) Use(credentialID []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.use = slices.Clone(credentialID)
}

// SetCounter sets a credential's signature counter; an Incrementing
// authenticator reports n+1 on the next Login, a Zero one reports n. Unknown
// IDs are ignored. Use it to simulate a cloned authenticator (a counter going
// backwards).
func (a *Authenticator) SetCounter(credentialID []byte, n uint32) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.find(credentialID); c != nil {
		c.counter = n
	}
}

// SetFlags changes the flags reported by subsequent ceremonies, e.g. to flip
// BackupState or drop UserVerified.
func (a *Authenticator) SetFlags(f Flags) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.s.flags = f
}

// Forget deletes a credential, as a user removing a passkey from their
// password manager would. Unknown IDs are ignored.
func (a *Authenticator) Forget(credentialID []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.creds = slices.DeleteFunc(a.creds, func(c *credential) bool { return bytes.Equal(c.id, credentialID) })
}

// find returns the held credential with the given ID, or nil. Callers hold a.mu.
func (a *Authenticator) find(id []byte) *credential {
	for _, c := range a.creds {
		if bytes.Equal(c.id, id) {
			return c
		}
	}
	return nil
}

// attestedAuthData builds registration authenticator data: the common 37
// bytes, then attested credential data (WebAuthn L3 §6.5.2): AAGUID,
// credential ID length (big endian uint16), credential ID, COSE public key.
func (a *Authenticator) attestedAuthData(c *credential, flags byte) []byte {
	b := authDataBytes(c.rpID, flags, c.counter)
	b = append(b, a.s.aaguid[:]...)
	b = append(b, byte(len(c.id)>>8), byte(len(c.id)))
	b = append(b, c.id...)
	return append(b, c.cose...)
}

// authDataBytes is the 37-byte prefix of authenticator data (WebAuthn L3
// §6.1): SHA-256(rpId) || flags || signCount (big endian uint32).
func authDataBytes(rpID string, flags byte, counter uint32) []byte {
	h := sha256.Sum256([]byte(rpID))
	b := make([]byte, 0, 37+128)
	b = append(b, h[:]...)
	b = append(b, flags)
	return append(b, byte(counter>>24), byte(counter>>16), byte(counter>>8), byte(counter))
}
