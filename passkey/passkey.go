// Package passkey registers passkeys (WebAuthn credentials) and logs users
// in with them, on top of github.com/go-webauthn/webauthn.
//
// A ceremony has two steps. Begin* returns the options the browser passes
// to navigator.credentials.create or .get and stores the challenge in the
// database, so the second step may run on another instance. Finish*
// consumes the challenge atomically (a replayed or concurrently duplicated
// finish fails), verifies the browser's answer and records what it learned.
//
// Beyond the reference implementation, the signature counter is stored and
// checked: a counter that goes backwards is refused as a possible cloned
// authenticator (and audited), while authenticators that always report 0,
// as synced passkeys do, keep working. Backup flags are updated on every
// login; a credential whose stored backup-eligible flag disagrees with the
// authenticator (rows written before the flag was stored) still logs in.
package passkey

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// Store is what the passkey service needs from the database; *store.DB
// implements it.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	GetUser(ctx context.Context, id uuid.UUID) (store.User, error)
	LockUser(ctx context.Context, id uuid.UUID) error

	CreateWebauthnCredential(ctx context.Context, c store.WebauthnCredential) error
	GetWebauthnCredential(ctx context.Context, id string) (store.WebauthnCredential, error)
	GetWebauthnCredentialKey(ctx context.Context, id string) (store.WebauthnCredential, error)
	WebauthnCredentials(ctx context.Context, userID uuid.UUID) ([]store.WebauthnCredential, error)
	RecordWebauthnLogin(ctx context.Context, id string, signCount uint32, backupEligible, backupState bool, at time.Time) error
	RenameWebauthnCredential(ctx context.Context, userID uuid.UUID, id, name string, at time.Time) error
	DeleteWebauthnCredential(ctx context.Context, userID uuid.UUID, id string) error
	CreateWebauthnSessionData(ctx context.Context, d store.WebauthnSessionData) error
	ConsumeWebauthnSessionData(ctx context.Context, challenge, operation string) (store.WebauthnSessionData, error)
}

// Config configures a Service. Store, RPID and Origins are required.
type Config struct {
	Store Store

	// RPID is the relying party ID, the registrable domain passkeys are
	// bound to (webauthn.relying_party.id).
	RPID string
	// RPDisplayName is shown by some authenticators [Hanko Authentication
	// Service].
	RPDisplayName string
	// Origins are the origins whose pages may run ceremonies: web origins
	// ("https://example.com") and native ones ("android:apk-key-hash:…").
	Origins []string

	// RegistrationTimeout and LoginTimeout bound each ceremony; the browser
	// is told, and the server refuses answers that come later [10 min].
	RegistrationTimeout, LoginTimeout time.Duration
	// UserVerification is required|preferred|discouraged [preferred]
	// (passkey.user_verification).
	UserVerification string
	// Attestation is direct|indirect|none [direct]
	// (passkey.attestation_preference).
	Attestation string
	// Limit is the most credentials a user may hold; 0 means no limit
	// (passkey.limit).
	Limit int

	// Events receives the audit events of ceremonies and credential changes.
	Events events.Emitter

	Now    func() time.Time // [time.Now]
	Rand   io.Reader        // for IDs [crypto/rand.Reader]
	Logger *slog.Logger     // [discard]
}

// Operations stored with a pending ceremony.
const (
	opRegistration   = "registration"
	opAuthentication = "authentication"
)

// Service runs passkey ceremonies and manages credentials. It is safe for
// concurrent use.
type Service struct {
	cfg Config
	wa  *webauthn.WebAuthn
	uv  protocol.UserVerificationRequirement
}

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("passkey: Config.Store is required")
	}
	if cfg.RPDisplayName == "" {
		cfg.RPDisplayName = "Hanko Authentication Service"
	}
	if cfg.RegistrationTimeout <= 0 {
		cfg.RegistrationTimeout = 10 * time.Minute
	}
	if cfg.LoginTimeout <= 0 {
		cfg.LoginTimeout = 10 * time.Minute
	}
	if cfg.UserVerification == "" {
		cfg.UserVerification = string(protocol.VerificationPreferred)
	}
	if cfg.Attestation == "" {
		cfg.Attestation = string(protocol.PreferDirectAttestation)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	uv := protocol.UserVerificationRequirement(cfg.UserVerification)
	switch uv {
	case protocol.VerificationRequired, protocol.VerificationPreferred, protocol.VerificationDiscouraged:
	default:
		return nil, fmt.Errorf("passkey: user verification %q is not required, preferred or discouraged", cfg.UserVerification)
	}
	switch protocol.ConveyancePreference(cfg.Attestation) {
	case protocol.PreferDirectAttestation, protocol.PreferIndirectAttestation, protocol.PreferNoAttestation:
	default:
		return nil, fmt.Errorf("passkey: attestation %q is not direct, indirect or none", cfg.Attestation)
	}
	var web, opaque []string
	for _, o := range cfg.Origins {
		if u, err := url.Parse(o); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			web = append(web, o)
		} else {
			opaque = append(opaque, o)
		}
	}
	if len(web) == 0 {
		return nil, errors.New("passkey: at least one http(s) origin is required")
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:                  cfg.RPID,
		RPDisplayName:         cfg.RPDisplayName,
		RPOrigins:             web,
		RPOpaqueOrigins:       opaque,
		AttestationPreference: protocol.ConveyancePreference(cfg.Attestation),
		Timeouts: webauthn.TimeoutsConfig{
			// Expiry is enforced here, against Config.Now, not by the library.
			Registration: webauthn.TimeoutConfig{Timeout: cfg.RegistrationTimeout, TimeoutUVD: cfg.RegistrationTimeout},
			Login:        webauthn.TimeoutConfig{Timeout: cfg.LoginTimeout, TimeoutUVD: cfg.LoginTimeout},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("passkey: %w", err)
	}
	return &Service{cfg: cfg, wa: wa, uv: uv}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// The errors of the ceremonies. Their kinds give the reference's statuses.
var (
	// ErrUserVerification: user verification is required but the
	// authenticator did not verify the user (Unprocessable: 422).
	ErrUserVerification = autherr.New(autherr.Unprocessable, "user verification required but missing")
	// ErrChallenge: the challenge is unknown, used or expired.
	ErrChallenge = errors.New("unknown, used or expired challenge")
	// ErrClone: the signature counter went backwards.
	ErrClone = errors.New("signature counter went backwards: possible cloned authenticator")
	// ErrLimit: the user holds Config.Limit credentials already (Conflict).
	ErrLimit = autherr.New(autherr.Conflict, "passkey limit reached")
)

// user adapts a store user and credentials to webauthn.User.
type user struct {
	id    uuid.UUID
	name  string
	creds []webauthn.Credential
}

func (u *user) WebAuthnID() []byte                         { return u.id[:] }
func (u *user) WebAuthnName() string                       { return u.name }
func (u *user) WebAuthnDisplayName() string                { return u.name }
func (u *user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// displayName is what an authenticator shows for the account: the primary
// address, else any address, else the username, else the user ID.
func displayName(u store.User) string {
	if id := u.PrimaryEmailID(); id != uuid.Nil {
		for _, e := range u.Emails {
			if e.ID == id {
				return e.Address
			}
		}
	}
	if len(u.Emails) > 0 {
		return u.Emails[0].Address
	}
	if u.Username != nil {
		return u.Username.Username
	}
	return u.ID.String()
}

// encodeID is how credential IDs and public keys are stored: base64url
// without padding.
func encodeID(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// BeginRegistration starts registering a passkey for userID and returns the
// options for navigator.credentials.create. The options require a
// discoverable credential and exclude the user's existing ones. An unknown
// user is autherr.Invalid, a user at the limit ErrLimit.
func (s *Service) BeginRegistration(ctx context.Context, userID uuid.UUID) (*protocol.CredentialCreation, error) {
	creation, err := s.beginRegistration(ctx, userID)
	if err != nil {
		s.emitFailure(ctx, events.WebauthnRegistrationInitFailed, userID, err)
		return nil, err
	}
	return creation, events.Emit(ctx, s.cfg.Events, events.Event{Audit: events.WebauthnRegistrationInitSucceeded, UserID: userID})
}

func (s *Service) beginRegistration(ctx context.Context, userID uuid.UUID) (*protocol.CredentialCreation, error) {
	u, err := s.cfg.Store.GetUser(ctx, userID)
	if autherr.KindOf(err) == autherr.NotFound {
		return nil, autherr.New(autherr.Invalid, "user not found")
	}
	if err != nil {
		return nil, err
	}
	creds, err := s.cfg.Store.WebauthnCredentials(ctx, userID)
	if err != nil {
		return nil, err
	}
	if s.cfg.Limit > 0 && len(creds) >= s.cfg.Limit {
		return nil, ErrLimit
	}
	exclude := make([]protocol.CredentialDescriptor, 0, len(creds))
	for _, c := range creds {
		d, err := descriptor(c)
		if err != nil {
			return nil, err
		}
		exclude = append(exclude, d)
	}
	creation, sd, err := s.wa.BeginRegistration(&user{id: userID, name: displayName(u)},
		webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			RequireResidentKey: protocol.ResidentKeyRequired(),
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			UserVerification:   s.uv,
		}))
	if err != nil {
		return nil, fmt.Errorf("passkey: begin registration: %w", err)
	}
	if err := s.storeCeremony(ctx, sd.Challenge, &userID, opRegistration, s.cfg.RegistrationTimeout); err != nil {
		return nil, err
	}
	return creation, nil
}

// storeCeremony records a pending ceremony.
func (s *Service) storeCeremony(ctx context.Context, challenge string, userID *uuid.UUID, op string, ttl time.Duration) error {
	id, err := uuid.NewRandomFromReader(s.cfg.Rand)
	if err != nil {
		return err
	}
	now := s.now()
	exp := now.Add(ttl)
	return s.cfg.Store.CreateWebauthnSessionData(ctx, store.WebauthnSessionData{
		ID: id, Challenge: challenge, UserID: userID, UserVerification: string(s.uv), Operation: op,
		ExpiresAt: &exp, CreatedAt: now, UpdatedAt: now,
	})
}

// consume takes the pending ceremony of op for challenge. A missing, used
// or expired one is ErrChallenge.
func (s *Service) consume(ctx context.Context, challenge, op string) (store.WebauthnSessionData, error) {
	d, err := s.cfg.Store.ConsumeWebauthnSessionData(ctx, challenge, op)
	if autherr.KindOf(err) == autherr.NotFound {
		return d, ErrChallenge
	}
	if err != nil {
		return d, err
	}
	if d.ExpiresAt != nil && !s.cfg.Now().Before(*d.ExpiresAt) {
		return d, ErrChallenge
	}
	return d, nil
}

// Registered is a credential FinishRegistration stored.
type Registered struct {
	CredentialID string
	UserID       uuid.UUID
	Credential   store.WebauthnCredential
}

// FinishRegistration verifies the browser's answer to BeginRegistration
// (the PublicKeyCredential JSON) for userID and stores the credential, named
// name, or after its authenticator when name is empty. Malformed input, an
// unknown, used or expired challenge, another user's challenge and a failed
// verification are autherr.Invalid; a missing user verification that
// Config.UserVerification requires is ErrUserVerification.
func (s *Service) FinishRegistration(ctx context.Context, userID uuid.UUID, body []byte, name string) (Registered, error) {
	r, err := s.finishRegistration(ctx, userID, body, name)
	if err != nil {
		s.emitFailure(ctx, events.WebauthnRegistrationFinalFailed, userID, err)
		return Registered{}, err
	}
	return r, nil
}

func (s *Service) finishRegistration(ctx context.Context, userID uuid.UUID, body []byte, name string) (Registered, error) {
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return Registered{}, invalid("invalid attestation", err)
	}
	d, err := s.consume(ctx, parsed.Response.CollectedClientData.Challenge, opRegistration)
	if errors.Is(err, ErrChallenge) {
		return Registered{}, autherr.New(autherr.Invalid, ErrChallenge.Error())
	}
	if err != nil {
		return Registered{}, err
	}
	if d.UserID == nil || *d.UserID != userID {
		return Registered{}, autherr.New(autherr.Invalid, "the challenge belongs to another session")
	}
	if s.uv == protocol.VerificationRequired && !parsed.Response.AttestationObject.AuthData.Flags.HasUserVerified() {
		return Registered{}, ErrUserVerification
	}
	cred, err := s.wa.CreateCredential(&user{id: userID}, s.sessionData(d, nil), parsed)
	if err != nil {
		return Registered{}, invalid("attestation verification failed", err)
	}
	id := encodeID(cred.ID)
	if len(id) > 255 {
		return Registered{}, autherr.New(autherr.Invalid, "credential ID too long")
	}
	if name = strings.TrimSpace(name); name == "" {
		name = authenticatorName(cred.Authenticator.AAGUID)
	}
	if err := checkName(name); err != nil {
		return Registered{}, err
	}
	now := s.now()
	aaguid, _ := uuid.FromBytes(cred.Authenticator.AAGUID) // zero when absent
	c := store.WebauthnCredential{
		ID: id, UserID: userID, PublicKey: encodeID(cred.PublicKey), AttestationType: cred.AttestationType,
		AAGUID: aaguid, SignCount: cred.Authenticator.SignCount,
		BackupEligible: cred.Flags.BackupEligible, BackupState: cred.Flags.BackupState,
		CreatedAt: now, UpdatedAt: now,
	}
	if name != "" {
		c.Name = &name
	}
	for _, t := range dedupe(parsed.Response.Transports) {
		tid, err := uuid.NewRandomFromReader(s.cfg.Rand)
		if err != nil {
			return Registered{}, err
		}
		c.Transports = append(c.Transports, store.WebauthnCredentialTransport{ID: tid, Name: string(t), WebauthnCredentialID: id})
	}
	err = s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		if s.cfg.Limit > 0 {
			// Concurrent registrations of one user queue here, so the count
			// below stays true until this one commits.
			if err := s.cfg.Store.LockUser(ctx, userID); err != nil {
				return err
			}
			existing, err := s.cfg.Store.WebauthnCredentials(ctx, userID)
			if err != nil {
				return err
			}
			if len(existing) >= s.cfg.Limit {
				return ErrLimit
			}
		}
		if err := s.cfg.Store.CreateWebauthnCredential(ctx, c); err != nil {
			if autherr.KindOf(err) == autherr.Conflict {
				return autherr.New(autherr.Invalid, "credential already registered")
			}
			return err
		}
		return events.Emit(ctx, s.cfg.Events, events.Event{
			Audit: events.WebauthnRegistrationFinalSucceeded, UserID: userID,
			Details: map[string]any{"credential_id": id},
		})
	})
	if err != nil {
		return Registered{}, err
	}
	return Registered{CredentialID: id, UserID: userID, Credential: c}, nil
}

// sessionData rebuilds what the library needs of a stored ceremony.
func (s *Service) sessionData(d store.WebauthnSessionData, userHandle []byte) webauthn.SessionData {
	sd := webauthn.SessionData{
		Challenge:        d.Challenge,
		RelyingPartyID:   s.cfg.RPID,
		UserVerification: protocol.UserVerificationRequirement(d.UserVerification),
		CredParams:       webauthn.CredentialParametersDefault(),
	}
	if d.UserID != nil {
		sd.UserID = d.UserID[:]
	} else {
		sd.UserID = userHandle
	}
	return sd
}

// BeginLogin starts a login and returns the options for
// navigator.credentials.get. With a userID that has credentials, the
// options list them (allowCredentials); otherwise they ask for a
// discoverable credential. An unknown userID is autherr.Invalid.
func (s *Service) BeginLogin(ctx context.Context, userID *uuid.UUID) (*protocol.CredentialAssertion, error) {
	a, err := s.beginLogin(ctx, userID)
	uid := uuid.Nil
	if userID != nil {
		uid = *userID
	}
	if err != nil {
		s.emitFailure(ctx, events.WebauthnAuthenticationInitFailed, uid, err)
		return nil, err
	}
	return a, events.Emit(ctx, s.cfg.Events, events.Event{Audit: events.WebauthnAuthenticationInitSucceeded, UserID: uid})
}

func (s *Service) beginLogin(ctx context.Context, userID *uuid.UUID) (*protocol.CredentialAssertion, error) {
	var creds []store.WebauthnCredential
	if userID != nil {
		if _, err := s.cfg.Store.GetUser(ctx, *userID); autherr.KindOf(err) == autherr.NotFound {
			return nil, autherr.New(autherr.Invalid, "user not found")
		} else if err != nil {
			return nil, err
		}
		var err error
		if creds, err = s.cfg.Store.WebauthnCredentials(ctx, *userID); err != nil {
			return nil, err
		}
	}
	var (
		assertion *protocol.CredentialAssertion
		sd        *webauthn.SessionData
		err       error
		owner     *uuid.UUID
	)
	if len(creds) == 0 {
		assertion, sd, err = s.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(s.uv))
	} else {
		u := &user{id: *userID}
		for _, c := range creds {
			wc, err := credentialOf(c)
			if err != nil {
				return nil, err
			}
			u.creds = append(u.creds, wc)
		}
		owner = userID
		assertion, sd, err = s.wa.BeginLogin(u, webauthn.WithUserVerification(s.uv))
	}
	if err != nil {
		return nil, fmt.Errorf("passkey: begin login: %w", err)
	}
	if err := s.storeCeremony(ctx, sd.Challenge, owner, opAuthentication, s.cfg.LoginTimeout); err != nil {
		return nil, err
	}
	return assertion, nil
}

// Login is a successful passkey login.
type Login struct {
	UserID       uuid.UUID
	CredentialID string
}

// FinishLogin verifies the browser's answer to BeginLogin (the assertion
// JSON). Malformed input, including a user handle that is not a user ID,
// is autherr.Invalid; an unknown, used or expired challenge, an unknown or
// deleted credential, a credential of another user than BeginLogin named,
// a failed verification and a counter that went backwards are
// autherr.Unauthenticated.
//
// then, when not nil, runs in the transaction that records the login (the
// place to issue the session), so that the login and what follows commit
// together; its error fails the login.
func (s *Service) FinishLogin(ctx context.Context, body []byte, then func(ctx context.Context, l Login) error) (Login, error) {
	l, err := s.finishLogin(ctx, body, then)
	if err != nil {
		s.emitFailure(ctx, events.WebauthnAuthenticationFinalFailed, l.UserID, err)
		return Login{UserID: l.UserID}, err
	}
	return l, nil
}

// unauthenticated is a login failure: the client sees only msg.
func unauthenticated(msg string, cause error) error {
	e := autherr.New(autherr.Unauthenticated, msg)
	if cause == nil {
		return e
	}
	return fmt.Errorf("%w: %w", e, cause)
}

func (s *Service) finishLogin(ctx context.Context, body []byte, then func(ctx context.Context, l Login) error) (Login, error) {
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return Login{}, invalid("invalid assertion", err)
	}
	var handleOwner uuid.UUID
	if h := parsed.Response.UserHandle; len(h) > 0 {
		if handleOwner, err = uuid.FromBytes(h); err != nil {
			return Login{}, autherr.New(autherr.Invalid, "invalid user handle")
		}
	}
	d, err := s.consume(ctx, parsed.Response.CollectedClientData.Challenge, opAuthentication)
	if errors.Is(err, ErrChallenge) {
		return Login{}, unauthenticated(ErrChallenge.Error(), nil)
	}
	if err != nil {
		return Login{}, err
	}
	id := encodeID(parsed.RawID)
	stored, err := s.cfg.Store.GetWebauthnCredentialKey(ctx, id)
	if autherr.KindOf(err) == autherr.NotFound {
		return Login{}, unauthenticated("unknown credential", nil)
	}
	if err != nil {
		return Login{}, err
	}
	l := Login{UserID: stored.UserID, CredentialID: id}
	if handleOwner != uuid.Nil && handleOwner != stored.UserID {
		return l, unauthenticated("the user handle does not match the credential", nil)
	}
	if d.UserID != nil && *d.UserID != stored.UserID {
		return l, unauthenticated("the credential belongs to another user", nil)
	}
	cred, err := credentialOf(stored)
	if err != nil {
		return l, err
	}
	// The backup-eligible flag cannot change for a credential, but rows
	// written before it was stored say false: for those, take the
	// authenticator's (signed) word rather than lock the user out. A stored
	// true stays binding (go-webauthn refuses a change).
	if !cred.Flags.BackupEligible {
		cred.Flags.BackupEligible = parsed.Response.AuthenticatorData.Flags.HasBackupEligible()
	}
	u := &user{id: stored.UserID, creds: []webauthn.Credential{cred}}
	got, err := s.wa.ValidateLogin(u, s.sessionData(d, u.id[:]), parsed)
	if err != nil {
		return l, unauthenticated("assertion verification failed", err)
	}
	if got.Authenticator.CloneWarning {
		s.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "passkey signature counter went backwards",
			slog.String("credential_id", id), slog.String("user_id", stored.UserID.String()),
			slog.Uint64("stored", uint64(stored.SignCount)), slog.Uint64("received", uint64(parsed.Response.AuthenticatorData.Counter)))
		return l, unauthenticated(ErrClone.Error(), ErrClone)
	}
	flags := parsed.Response.AuthenticatorData.Flags
	err = s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		err := s.cfg.Store.RecordWebauthnLogin(ctx, id, got.Authenticator.SignCount,
			flags.HasBackupEligible(), flags.HasBackupState(), s.now())
		if autherr.KindOf(err) == autherr.NotFound {
			// Deleted meanwhile, or a concurrent login stored a counter at
			// least as high: one of two simultaneous assertions is a replay
			// or a clone.
			return unauthenticated("unknown credential or signature counter conflict", err)
		}
		if err != nil {
			return err
		}
		err = events.Emit(ctx, s.cfg.Events, events.Event{
			Audit: events.WebauthnAuthenticationFinalSucceeded, UserID: stored.UserID,
			Details: map[string]any{"credential_id": id, "login_method": "passkey"},
		})
		if err != nil || then == nil {
			return err
		}
		return then(ctx, l)
	})
	if err != nil {
		return l, err
	}
	return l, nil
}

// credentialOf turns a stored credential into the library's.
func credentialOf(c store.WebauthnCredential) (webauthn.Credential, error) {
	id, err := decodeStored(c.ID)
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("passkey: stored credential %q: id: %w", c.ID, err)
	}
	pk, err := decodeStored(c.PublicKey)
	if err != nil {
		return webauthn.Credential{}, fmt.Errorf("passkey: stored credential %q: public key: %w", c.ID, err)
	}
	out := webauthn.Credential{
		ID: id, PublicKey: pk, AttestationType: c.AttestationType,
		Flags:         webauthn.CredentialFlags{BackupEligible: c.BackupEligible, BackupState: c.BackupState},
		Authenticator: webauthn.Authenticator{AAGUID: c.AAGUID[:], SignCount: c.SignCount},
	}
	for _, t := range c.Transports {
		out.Transport = append(out.Transport, protocol.AuthenticatorTransport(t.Name))
	}
	return out, nil
}

// decodeStored reads base64url, with or without padding (rows written by
// other implementations).
func decodeStored(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// descriptor is the allow/exclude-list entry of a stored credential.
func descriptor(c store.WebauthnCredential) (protocol.CredentialDescriptor, error) {
	id, err := decodeStored(c.ID)
	if err != nil {
		return protocol.CredentialDescriptor{}, fmt.Errorf("passkey: stored credential %q: id: %w", c.ID, err)
	}
	d := protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType, CredentialID: id}
	for _, t := range c.Transports {
		d.Transport = append(d.Transport, protocol.AuthenticatorTransport(t.Name))
	}
	return d, nil
}

// Credentials returns a user's credentials, oldest first.
func (s *Service) Credentials(ctx context.Context, userID uuid.UUID) ([]store.WebauthnCredential, error) {
	return s.cfg.Store.WebauthnCredentials(ctx, userID)
}

// Credential returns a credential of userID (autherr.NotFound when userID
// has none with that ID).
func (s *Service) Credential(ctx context.Context, userID uuid.UUID, id string) (store.WebauthnCredential, error) {
	if !validID(id) {
		return store.WebauthnCredential{}, errNoCredential
	}
	c, err := s.cfg.Store.GetWebauthnCredential(ctx, id)
	if err == nil && c.UserID != userID {
		return store.WebauthnCredential{}, errNoCredential
	}
	return c, notFound(err)
}

// maxName bounds credential names (the column is VARCHAR(255)).
const maxName = 255

func checkName(name string) error {
	if len(name) > maxName {
		return autherr.New(autherr.Invalid, fmt.Sprintf("name must be at most %d bytes", maxName))
	}
	if !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return autherr.New(autherr.Invalid, "name must be valid UTF-8 without control characters")
	}
	return nil
}

// validID reports whether id can be a stored credential ID: unpadded
// base64url of at most 255 characters. Anything else names no credential.
func validID(id string) bool {
	if id == "" || len(id) > 255 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// errNoCredential is the answer for a credential the user does not hold.
var errNoCredential = autherr.New(autherr.NotFound, "webauthn credential not found")

// Rename names a credential of userID. An empty or too long name is
// autherr.Invalid; a credential userID does not hold autherr.NotFound.
func (s *Service) Rename(ctx context.Context, userID uuid.UUID, id, name string) error {
	name = strings.TrimSpace(name)
	if name == "" {
		return autherr.New(autherr.Invalid, "name must not be empty")
	}
	if err := checkName(name); err != nil {
		return err
	}
	if !validID(id) {
		return errNoCredential
	}
	return s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.cfg.Store.RenameWebauthnCredential(ctx, userID, id, name, s.now()); err != nil {
			return notFound(err)
		}
		return events.Emit(ctx, s.cfg.Events, events.Event{
			Audit: events.WebauthnCredentialUpdated, UserID: userID, Details: map[string]any{"credential_id": id},
		})
	})
}

// Delete deletes a credential of userID (autherr.NotFound when userID does
// not hold it). Logins with it fail from then on.
func (s *Service) Delete(ctx context.Context, userID uuid.UUID, id string) error {
	if !validID(id) {
		return errNoCredential
	}
	return s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.cfg.Store.DeleteWebauthnCredential(ctx, userID, id); err != nil {
			return notFound(err)
		}
		return events.Emit(ctx, s.cfg.Events, events.Event{
			Audit: events.WebauthnCredentialDeleted, UserID: userID, Details: map[string]any{"credential_id": id},
		})
	})
}

func notFound(err error) error {
	if autherr.KindOf(err) == autherr.NotFound {
		return errNoCredential
	}
	return err
}

// invalid is a 400 whose message is msg plus the library's description of
// what was wrong (which names fields, never secrets).
func invalid(msg string, cause error) error {
	var pe *protocol.Error
	if errors.As(cause, &pe) && pe.Details != "" {
		msg += ": " + pe.Details
	}
	return fmt.Errorf("%w: %w", autherr.New(autherr.Invalid, msg), cause)
}

// emitFailure records a failed ceremony step. It never fails the caller:
// the step failed already.
func (s *Service) emitFailure(ctx context.Context, audit string, userID uuid.UUID, cause error) {
	msg := autherr.Message(cause)
	if msg == "" {
		msg = "internal error" // the cause itself may name internals
	}
	if err := events.Emit(ctx, s.cfg.Events, events.Event{Audit: audit, UserID: userID, Err: errors.New(msg)}); err != nil {
		s.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "recording a failed passkey step failed", slog.Any("error", err))
	}
}

func dedupe(ts []protocol.AuthenticatorTransport) []protocol.AuthenticatorTransport {
	var out []protocol.AuthenticatorTransport
	for _, t := range ts {
		if !validTransport(string(t)) {
			continue // not a transport name; browsers send a-z and '-'
		}
		dup := false
		for _, o := range out {
			dup = dup || o == t
		}
		if !dup {
			out = append(out, t)
		}
	}
	return out
}

// validTransport reports whether t looks like a transport name ("usb",
// "hybrid", "smart-card", …): 1 to 32 lower-case letters and hyphens.
func validTransport(t string) bool {
	if t == "" || len(t) > 32 {
		return false
	}
	for _, c := range []byte(t) {
		if !(c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}
