package store

import (
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// The record types mirror the tables of Hanko v1.2.1 (reference section 6).
// Callers stamp every ID and time; the store never makes either.

// User is a row of users. The relation fields are filled only by the methods
// that say they load them (GetUser, ListUsers).
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID        uuid.UUID `bun:"id,pk"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`

	Emails       []Email       `bun:"rel:has-many,join:id=user_id"`
	PrimaryEmail *PrimaryEmail `bun:"rel:has-one,join:id=user_id"`
	Username     *Username     `bun:"rel:has-one,join:id=user_id"`
	// Password is loaded only by ScanUsers (export).
	Password *PasswordCredential `bun:"rel:has-one,join:id=user_id"`
}

// PrimaryEmailID returns the ID of u's primary email, or uuid.Nil when u has
// none (or it was not loaded).
func (u *User) PrimaryEmailID() uuid.UUID {
	if u.PrimaryEmail == nil {
		return uuid.Nil
	}
	return u.PrimaryEmail.EmailID
}

// Email is a row of emails. UserID is nil while the address is unassigned,
// which is how the reference keeps addresses that await verification.
type Email struct {
	bun.BaseModel `bun:"table:emails"`

	ID        uuid.UUID  `bun:"id,pk"`
	UserID    *uuid.UUID `bun:"user_id"`
	Address   string     `bun:"address,notnull"`
	Verified  bool       `bun:"verified,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	UpdatedAt time.Time  `bun:"updated_at,notnull"`

	// Identities are the third-party accounts linked through the address;
	// loaded only by GetUser.
	Identities []Identity `bun:"rel:has-many,join:id=email_id"`
}

// PrimaryEmail marks one email of a user as the primary one; a user has at
// most one and an email is primary for at most one user.
type PrimaryEmail struct {
	bun.BaseModel `bun:"table:primary_emails"`

	ID        uuid.UUID `bun:"id,pk"`
	EmailID   uuid.UUID `bun:"email_id,notnull"`
	UserID    uuid.UUID `bun:"user_id,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// Username is a row of usernames: at most one per user, unique overall.
type Username struct {
	bun.BaseModel `bun:"table:usernames"`

	ID        uuid.UUID `bun:"id,pk"`
	UserID    uuid.UUID `bun:"user_id,notnull"`
	Username  string    `bun:"username,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// PasswordCredential is a user's password hash (at most one per user).
type PasswordCredential struct {
	bun.BaseModel `bun:"table:password_credentials"`

	ID        uuid.UUID `bun:"id,pk"`
	UserID    uuid.UUID `bun:"user_id,notnull"`
	Password  string    `bun:"password,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// Passcode is a one-time email code. Code holds a keyed MAC of the code, never
// the code itself. ExpiresAt (ours) is CreatedAt + TTL, kept so that expired
// rows can be swept by index.
type Passcode struct {
	bun.BaseModel `bun:"table:passcodes"`

	ID        uuid.UUID  `bun:"id,pk"`
	UserID    *uuid.UUID `bun:"user_id"`
	EmailID   *uuid.UUID `bun:"email_id"`
	TTL       int        `bun:"ttl,notnull"`
	Code      string     `bun:"code,notnull"`
	TryCount  int        `bun:"try_count,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	UpdatedAt time.Time  `bun:"updated_at,notnull"`
}

// WebauthnCredential is a stored passkey or security key. ID is the
// base64url (unpadded) credential ID.
type WebauthnCredential struct {
	bun.BaseModel `bun:"table:webauthn_credentials"`

	ID              string     `bun:"id,pk"`
	UserID          uuid.UUID  `bun:"user_id,notnull"`
	PublicKey       string     `bun:"public_key,notnull"`
	AttestationType string     `bun:"attestation_type,notnull"`
	AAGUID          uuid.UUID  `bun:"aaguid,notnull"`
	SignCount       uint32     `bun:"sign_count,notnull"`
	Name            *string    `bun:"name"`
	BackupEligible  bool       `bun:"backup_eligible,notnull"`
	BackupState     bool       `bun:"backup_state,notnull"`
	LastUsedAt      *time.Time `bun:"last_used_at"`
	MFAOnly         bool       `bun:"mfa_only,notnull"`
	CreatedAt       time.Time  `bun:"created_at,notnull"`
	UpdatedAt       time.Time  `bun:"updated_at,notnull"`

	Transports []WebauthnCredentialTransport `bun:"rel:has-many,join:id=webauthn_credential_id"`
}

// WebauthnCredentialTransport is one transport hint of a credential.
type WebauthnCredentialTransport struct {
	bun.BaseModel `bun:"table:webauthn_credential_transports"`

	ID                   uuid.UUID `bun:"id,pk"`
	Name                 string    `bun:"name,notnull"`
	WebauthnCredentialID string    `bun:"webauthn_credential_id,notnull"`
}

// WebauthnSessionData is a pending WebAuthn ceremony; Challenge is unique, so
// a challenge can be stored once and consumed once.
type WebauthnSessionData struct {
	bun.BaseModel `bun:"table:webauthn_session_data"`

	ID               uuid.UUID  `bun:"id,pk"`
	Challenge        string     `bun:"challenge,notnull"`
	UserID           *uuid.UUID `bun:"user_id"`
	UserVerification string     `bun:"user_verification,notnull"`
	Operation        string     `bun:"operation,notnull"`
	ExpiresAt        *time.Time `bun:"expires_at"`
	CreatedAt        time.Time  `bun:"created_at,notnull"`
	UpdatedAt        time.Time  `bun:"updated_at,notnull"`

	AllowedCredentials []WebauthnSessionDataAllowedCredential `bun:"rel:has-many,join:id=webauthn_session_data_id"`
}

// WebauthnSessionDataAllowedCredential is one entry of a ceremony's allow list.
type WebauthnSessionDataAllowedCredential struct {
	bun.BaseModel `bun:"table:webauthn_session_data_allowed_credentials"`

	ID                    uuid.UUID `bun:"id,pk"`
	CredentialID          string    `bun:"credential_id,notnull"`
	WebauthnSessionDataID uuid.UUID `bun:"webauthn_session_data_id,notnull"`
	CreatedAt             time.Time `bun:"created_at,notnull"`
	UpdatedAt             time.Time `bun:"updated_at,notnull"`
}

// JWK is a signing key; KeyData is the JSON Web Key encrypted with a secret
// from secrets.keys. ID is the 1-based index of that secret.
type JWK struct {
	bun.BaseModel `bun:"table:jwks"`

	ID        int       `bun:"id,pk"`
	KeyData   string    `bun:"key_data,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// AuditLog is one audit record; Details is JSON.
type AuditLog struct {
	bun.BaseModel `bun:"table:audit_logs"`

	ID                uuid.UUID  `bun:"id,pk"`
	Type              string     `bun:"type,notnull"`
	Error             *string    `bun:"error"`
	MetaHTTPRequestID string     `bun:"meta_http_request_id,notnull"`
	MetaSourceIP      string     `bun:"meta_source_ip,notnull"`
	MetaUserAgent     string     `bun:"meta_user_agent,notnull"`
	ActorUserID       *uuid.UUID `bun:"actor_user_id"`
	ActorEmail        *string    `bun:"actor_email"`
	Details           *string    `bun:"details"`
	CreatedAt         time.Time  `bun:"created_at,notnull"`
	UpdatedAt         time.Time  `bun:"updated_at,notnull"`
}

// Identity links an email to an account at a third-party provider.
type Identity struct {
	bun.BaseModel `bun:"table:identities"`

	ID           uuid.UUID `bun:"id,pk"`
	ProviderID   string    `bun:"provider_id,notnull"`
	ProviderName string    `bun:"provider_name,notnull"`
	Data         *string   `bun:"data"`
	EmailID      uuid.UUID `bun:"email_id,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
	UpdatedAt    time.Time `bun:"updated_at,notnull"`
}

// Token is a one-time token exchanged for a session (third-party login).
type Token struct {
	bun.BaseModel `bun:"table:tokens"`

	ID          uuid.UUID  `bun:"id,pk"`
	UserID      uuid.UUID  `bun:"user_id,notnull"`
	Value       string     `bun:"value,notnull"`
	ExpiresAt   time.Time  `bun:"expires_at,notnull"`
	IdentityID  *uuid.UUID `bun:"identity_id"`
	IsFlow      bool       `bun:"is_flow,notnull"`
	UserCreated bool       `bun:"user_created,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	UpdatedAt   time.Time  `bun:"updated_at,notnull"`
}

// Session is a server-side session; ID is the JWT's session_id claim.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID        uuid.UUID  `bun:"id,pk"`
	UserID    uuid.UUID  `bun:"user_id,notnull"`
	UserAgent string     `bun:"user_agent,notnull"`
	IPAddress string     `bun:"ip_address,notnull"`
	ExpiresAt *time.Time `bun:"expires_at"`
	LastUsed  time.Time  `bun:"last_used,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	UpdatedAt time.Time  `bun:"updated_at,notnull"`
}

// Webhook is a webhook subscription made through the admin API.
type Webhook struct {
	bun.BaseModel `bun:"table:webhooks"`

	ID        uuid.UUID `bun:"id,pk"`
	Callback  string    `bun:"callback,notnull"`
	Enabled   bool      `bun:"enabled,notnull"`
	Failures  int       `bun:"failures,notnull"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`

	Events []WebhookEvent `bun:"rel:has-many,join:id=webhook_id"`
}

// WebhookEvent is one event a webhook subscribes to (prefix-matched).
type WebhookEvent struct {
	bun.BaseModel `bun:"table:webhook_events"`

	ID        uuid.UUID `bun:"id,pk"`
	WebhookID uuid.UUID `bun:"webhook_id,notnull"`
	Event     string    `bun:"event,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// OutboxEvent is an event waiting for webhook delivery to one hook. It is
// written in the transaction of the change that caused it, one row per
// subscribed hook, and delivered after commit. WebhookID is the admin API
// hook, or nil for a hook of the configuration (webhooks.hooks), whose
// URL is Callback.
type OutboxEvent struct {
	bun.BaseModel `bun:"table:webhook_outbox"`

	ID            uuid.UUID  `bun:"id,pk"`
	Event         string     `bun:"event,notnull"`
	Data          string     `bun:"data,notnull"`
	WebhookID     *uuid.UUID `bun:"webhook_id"`
	Callback      string     `bun:"callback,notnull"`
	Attempts      int        `bun:"attempts,notnull"`
	NextAttemptAt time.Time  `bun:"next_attempt_at,notnull"`
	LockedUntil   *time.Time `bun:"locked_until"`
	LastError     *string    `bun:"last_error"`
	CreatedAt     time.Time  `bun:"created_at,notnull"`
}

// SessionRevocation records that a session was revoked (ours). Instances
// poll these rows to refuse revoked sessions without asking the database on
// every request. ExpiresAt is the session's expiry; after it the row is
// useless and may be swept.
type SessionRevocation struct {
	bun.BaseModel `bun:"table:session_revocations"`

	ID        uuid.UUID  `bun:"id,pk"`
	SessionID uuid.UUID  `bun:"session_id,notnull"`
	ExpiresAt *time.Time `bun:"expires_at"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
}
