package passkeytest

import (
	"io"
	"slices"
)

// Alg is a COSE algorithm identifier (RFC 9053, IANA "COSE Algorithms").
type Alg int64

// The algorithms an Authenticator can create keys for.
const (
	ES256 Alg = -7 // ECDSA over P-256 with SHA-256, ASN.1 DER signatures
	EdDSA Alg = -8 // Ed25519
)

// Attestation statement formats accepted by WithAttestation.
const (
	AttestationNone   = "none"   // empty attStmt
	AttestationPacked = "packed" // packed self attestation signed by the credential key (WebAuthn L3 §8.2)
)

// Flags are the authenticator data flags the Authenticator reports
// (WebAuthn L3 §6.1 "flags"). AT is set on registration and ED never.
type Flags struct {
	UserPresent    bool // UP, bit 0
	UserVerified   bool // UV, bit 2
	BackupEligible bool // BE, bit 3: the credential may be synced
	BackupState    bool // BS, bit 4: the credential is currently backed up
}

// byte returns the flags as laid out in authenticator data.
func (f Flags) byte() byte {
	var b byte
	if f.UserPresent {
		b |= flagUP
	}
	if f.UserVerified {
		b |= flagUV
	}
	if f.BackupEligible {
		b |= flagBE
	}
	if f.BackupState {
		b |= flagBS
	}
	return b
}

// Authenticator data flag bits (WebAuthn L3 §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// CounterMode says how a credential's signature counter moves.
type CounterMode int

const (
	// Incrementing adds 1 to the credential's counter before every assertion,
	// so the first login reports 1. Registration reports the current value, 0.
	Incrementing CounterMode = iota
	// Zero never changes the counter, so every ceremony reports 0 (unless
	// SetCounter moved it), like Apple's and Google's synced passkeys.
	Zero
)

// Option configures an Authenticator. Options never fail; New panics on a
// value no authenticator could use (an unknown Alg or attestation format).
type Option func(*settings)

type settings struct {
	alg         Alg
	attestation string
	aaguid      [16]byte
	flags       Flags
	counter     CounterMode
	rand        io.Reader
	transports  []string
	attachment  string
}

// DefaultAAGUID returns the AAGUID reported unless WithAAGUID is given:
// "passkeytest" followed by 00 00 00 00 01. It is not registered with the FIDO
// Metadata Service.
func DefaultAAGUID() [16]byte {
	return [16]byte{'p', 'a', 's', 's', 'k', 'e', 'y', 't', 'e', 's', 't', 0, 0, 0, 0, 1}
}

// WithAlgorithm sets the key type of credentials created from now on.
// Default ES256; EdDSA is the other choice.
func WithAlgorithm(alg Alg) Option { return func(s *settings) { s.alg = alg } }

// WithAttestation sets the attestation statement format: AttestationNone
// (the default, what browsers send for attestation "none") or
// AttestationPacked (self attestation). The format is used whatever
// attestation conveyance the server asks for.
func WithAttestation(format string) Option { return func(s *settings) { s.attestation = format } }

// WithAAGUID sets the AAGUID in attested credential data. Default DefaultAAGUID().
func WithAAGUID(aaguid [16]byte) Option { return func(s *settings) { s.aaguid = aaguid } }

// WithFlags sets the flags reported in authenticator data. Default all four
// set, like a synced passkey after user verification.
func WithFlags(f Flags) Option { return func(s *settings) { s.flags = f } }

// WithCounter sets how signature counters move. Default Incrementing.
func WithCounter(m CounterMode) Option { return func(s *settings) { s.counter = m } }

// WithRand sets the source of credential IDs and private keys. Default
// crypto/rand.Reader. With a seeded reader (math/rand/v2's ChaCha8, say) the
// whole output is reproducible, since ECDSA signatures are deterministic.
// The reader is only used while the Authenticator's lock is held.
func WithRand(r io.Reader) Option { return func(s *settings) { s.rand = r } }

// WithTransports sets response.transports of registrations. Default
// "internal", "hybrid"; no arguments send an empty list.
func WithTransports(transports ...string) Option {
	return func(s *settings) { s.transports = slices.Clone(transports) }
}

// WithAuthenticatorAttachment sets the authenticatorAttachment member of
// responses: "platform" (the default), "cross-platform", or "" to leave it out.
func WithAuthenticatorAttachment(attachment string) Option {
	return func(s *settings) { s.attachment = attachment }
}
