package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Config is the whole of Hanko's config.yaml. Field tags carry the YAML key (and the same JSON
// key, so a Config can be dumped as JSON); environment variable names are derived from the YAML
// keys (see ApplyEnv). The zero value is not useful: start from Default or Parse.
//
// A Config is a plain value without internal state; copy it freely. Slices are shared by copies,
// so treat them as read-only or copy them before changing elements.
type Config struct {
	Account  Account  `yaml:"account" json:"account"`
	AuditLog AuditLog `yaml:"audit_log" json:"audit_log"`
	// ConvertLegacyConfig makes PostProcess copy deprecated keys onto their replacements.
	// Default false.
	ConvertLegacyConfig bool     `yaml:"convert_legacy_config" json:"convert_legacy_config"`
	Database            Database `yaml:"database" json:"database"`
	// Debug adds debugging detail (the error cause) to Flow API responses. Default false.
	Debug         bool          `yaml:"debug" json:"debug"`
	Email         Email         `yaml:"email" json:"email"`
	EmailDelivery EmailDelivery `yaml:"email_delivery" json:"email_delivery"`
	// Emails is deprecated; see Emails for the replacement keys.
	Emails Emails `yaml:"emails" json:"emails"`
	Log    Log    `yaml:"log" json:"log"`
	MFA    MFA    `yaml:"mfa" json:"mfa"`
	// Passcode is deprecated; see Passcode for the replacement keys.
	Passcode    Passcode    `yaml:"passcode" json:"passcode"`
	Passkey     Passkey     `yaml:"passkey" json:"passkey"`
	Password    Password    `yaml:"password" json:"password"`
	RateLimiter RateLimiter `yaml:"rate_limiter" json:"rate_limiter"`
	SAML        SAML        `yaml:"saml" json:"saml"`
	Secrets     Secrets     `yaml:"secrets" json:"secrets"`
	Server      Server      `yaml:"server" json:"server"`
	Service     Service     `yaml:"service" json:"service"`
	Session     Session     `yaml:"session" json:"session"`
	// SMTP is deprecated: use EmailDelivery.SMTP (email_delivery.smtp). Default host localhost,
	// port "465".
	SMTP       SMTP       `yaml:"smtp" json:"smtp"`
	ThirdParty ThirdParty `yaml:"third_party" json:"third_party"`
	Username   Username   `yaml:"username" json:"username"`
	WebAuthn   WebAuthn   `yaml:"webauthn" json:"webauthn"`
	Webhooks   Webhooks   `yaml:"webhooks" json:"webhooks"`
}

// Account controls account life cycle. Defaults: AllowDeletion false, AllowSignup true.
type Account struct {
	// AllowDeletion lets users delete their own account (DELETE /user, flow action account_delete).
	AllowDeletion bool `yaml:"allow_deletion" json:"allow_deletion"`
	AllowSignup   bool `yaml:"allow_signup" json:"allow_signup"`
}

// AuditLog controls where audit records go. Defaults: console output on (stdout), Mask true,
// storage off.
type AuditLog struct {
	ConsoleOutput AuditLogConsole `yaml:"console_output" json:"console_output"`
	// Mask hides most of email addresses and usernames in console and stored records.
	Mask    bool            `yaml:"mask" json:"mask"`
	Storage AuditLogStorage `yaml:"storage" json:"storage"`
}

// AuditLogConsole writes audit records as log lines. Defaults: Enabled true, Output "stdout"
// (one of "stdout", "stderr").
type AuditLogConsole struct {
	Enabled bool   `yaml:"enabled" json:"enabled"`
	Output  string `yaml:"output" json:"output"`
}

// AuditLogStorage persists audit records in the database (the admin API lists them).
// Default Enabled false.
type AuditLogStorage struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
}

// Email configures how email addresses are acquired and used. Defaults: Enabled,
// AcquireOnRegistration, AcquireOnLogin, RequireVerification, UseAsLoginIdentifier and
// UseForAuthentication true; Optional false; Limit 5; MaxLength 120; PasscodeTTL 300 (seconds).
// Hanko's JSON schema claims AcquireOnLogin false and MaxLength 100; its code (and we) use true
// and 120.
type Email struct {
	Enabled               bool `yaml:"enabled" json:"enabled"`
	Optional              bool `yaml:"optional" json:"optional"`
	AcquireOnRegistration bool `yaml:"acquire_on_registration" json:"acquire_on_registration"`
	AcquireOnLogin        bool `yaml:"acquire_on_login" json:"acquire_on_login"`
	RequireVerification   bool `yaml:"require_verification" json:"require_verification"`
	// Limit is the maximum number of addresses per user (>= 1).
	Limit                int  `yaml:"limit" json:"limit"`
	UseAsLoginIdentifier bool `yaml:"use_as_login_identifier" json:"use_as_login_identifier"`
	MaxLength            int  `yaml:"max_length" json:"max_length"`
	UseForAuthentication bool `yaml:"use_for_authentication" json:"use_for_authentication"`
	// PasscodeTTL is how long an email passcode stays valid, in seconds (> 0).
	PasscodeTTL int `yaml:"passcode_ttl" json:"passcode_ttl"`
}

// EmailDelivery configures outgoing mail. Defaults: Enabled true, FromAddress
// "noreply@hanko.io", FromName "Hanko", SMTP host "localhost" port "465". With Enabled false
// nothing is sent and the email.send webhook carries the passcode instead.
type EmailDelivery struct {
	Enabled     bool   `yaml:"enabled" json:"enabled"`
	FromAddress string `yaml:"from_address" json:"from_address"`
	FromName    string `yaml:"from_name" json:"from_name"`
	SMTP        SMTP   `yaml:"smtp" json:"smtp"`
}

// SMTP is an SMTP server. Port is a string, as in Hanko; YAML integers are accepted too.
type SMTP struct {
	Host     string `yaml:"host" json:"host"`
	Port     string `yaml:"port" json:"port"`
	User     string `yaml:"user" json:"user"`
	Password string `yaml:"password" json:"password"`
}

// Emails is the deprecated predecessor of Email; PostProcess maps it when
// convert_legacy_config is set. Defaults: RequireVerification true, MaxNumOfAddresses 5.
type Emails struct {
	// RequireVerification is deprecated: use email.require_verification.
	RequireVerification bool `yaml:"require_verification" json:"require_verification"`
	// MaxNumOfAddresses is deprecated: use email.limit.
	MaxNumOfAddresses int `yaml:"max_num_of_addresses" json:"max_num_of_addresses"`
}

// Log configures application logging. Default LogHealthAndMetrics false (Hanko's schema says
// true; its code says false).
type Log struct {
	// LogHealthAndMetrics logs requests to the health and metrics endpoints.
	LogHealthAndMetrics bool `yaml:"log_health_and_metrics" json:"log_health_and_metrics"`
}

// MFA configures multi-factor authentication. Defaults: Enabled true, Optional true,
// AcquireOnRegistration true, AcquireOnLogin false, security keys and TOTP enabled.
type MFA struct {
	AcquireOnLogin        bool         `yaml:"acquire_on_login" json:"acquire_on_login"`
	AcquireOnRegistration bool         `yaml:"acquire_on_registration" json:"acquire_on_registration"`
	Enabled               bool         `yaml:"enabled" json:"enabled"`
	Optional              bool         `yaml:"optional" json:"optional"`
	SecurityKeys          SecurityKeys `yaml:"security_keys" json:"security_keys"`
	TOTP                  TOTP         `yaml:"totp" json:"totp"`
}

// SecurityKeys configures WebAuthn security keys as a second factor. Defaults: Enabled true,
// AttestationPreference "direct" (direct|indirect|none; Hanko ignores it and uses
// passkey.attestation_preference), AuthenticatorAttachment "cross-platform"
// (platform|cross-platform|no_preference), Limit 10, UserVerification "discouraged"
// (required|preferred|discouraged).
type SecurityKeys struct {
	AttestationPreference   string `yaml:"attestation_preference" json:"attestation_preference"`
	AuthenticatorAttachment string `yaml:"authenticator_attachment" json:"authenticator_attachment"`
	Enabled                 bool   `yaml:"enabled" json:"enabled"`
	Limit                   int    `yaml:"limit" json:"limit"`
	UserVerification        string `yaml:"user_verification" json:"user_verification"`
}

// TOTP configures authenticator-app codes as a second factor. Default Enabled true.
type TOTP struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
}

// Passcode is deprecated; PostProcess maps its keys when convert_legacy_config is set.
// Defaults: TTL 300, Email and SMTP empty.
type Passcode struct {
	// Email is deprecated: use email_delivery.from_address / from_name.
	Email PasscodeEmail `yaml:"email" json:"email"`
	// SMTP is deprecated: use email_delivery.smtp.
	SMTP SMTP `yaml:"smtp" json:"smtp"`
	// TTL is deprecated: use email.passcode_ttl.
	TTL int `yaml:"ttl" json:"ttl"`
}

// PasscodeEmail is the deprecated sender of passcode mails. Defaults empty.
type PasscodeEmail struct {
	FromAddress string `yaml:"from_address" json:"from_address"`
	FromName    string `yaml:"from_name" json:"from_name"`
}

// Passkey configures passkeys. Defaults: Enabled true, Optional true, AcquireOnRegistration and
// AcquireOnLogin "always" (always|conditional|never), AttestationPreference "direct"
// (direct|indirect|none), UserVerification "preferred" (required|preferred|discouraged),
// Limit 10.
type Passkey struct {
	Enabled               bool   `yaml:"enabled" json:"enabled"`
	Optional              bool   `yaml:"optional" json:"optional"`
	AcquireOnRegistration string `yaml:"acquire_on_registration" json:"acquire_on_registration"`
	AcquireOnLogin        string `yaml:"acquire_on_login" json:"acquire_on_login"`
	AttestationPreference string `yaml:"attestation_preference" json:"attestation_preference"`
	UserVerification      string `yaml:"user_verification" json:"user_verification"`
	Limit                 int    `yaml:"limit" json:"limit"`
}

// Password configures passwords. Defaults: Enabled true, Optional false, AcquireOnRegistration
// "always", AcquireOnLogin "never" (always|conditional|never), Recovery true, MinLength 8
// (0..72, the bcrypt limit), MinPasswordLength 0.
type Password struct {
	Enabled               bool   `yaml:"enabled" json:"enabled"`
	Optional              bool   `yaml:"optional" json:"optional"`
	AcquireOnRegistration string `yaml:"acquire_on_registration" json:"acquire_on_registration"`
	AcquireOnLogin        string `yaml:"acquire_on_login" json:"acquire_on_login"`
	Recovery              bool   `yaml:"recovery" json:"recovery"`
	MinLength             int    `yaml:"min_length" json:"min_length"`
	// MinPasswordLength is deprecated: use min_length. Hanko's code default is 0 (its schema
	// says 8); PostProcess copies it only when it is not 0.
	MinPasswordLength int `yaml:"min_password_length" json:"min_password_length"`
}

// RateLimiter configures token-bucket rate limits. Defaults: Enabled true, Store "in_memory"
// (in_memory|redis, and ours: database, shared through the SQL database), passcode 3/1m,
// OTP 3/1m, password 5/1m, token exchange 3/1m.
type RateLimiter struct {
	Enabled bool   `yaml:"enabled" json:"enabled"`
	Store   string `yaml:"store" json:"store"`
	// RedisConfig is required when Store is "redis".
	RedisConfig    RedisConfig `yaml:"redis_config" json:"redis_config"`
	PasscodeLimits RateLimit   `yaml:"passcode_limits" json:"passcode_limits"`
	OTPLimits      RateLimit   `yaml:"otp_limits" json:"otp_limits"`
	PasswordLimits RateLimit   `yaml:"password_limits" json:"password_limits"`
	TokenLimits    RateLimit   `yaml:"token_limits" json:"token_limits"`
}

// RedisConfig locates the Redis server of the redis rate-limit store. Address has the form
// host[:port][/database] (port 6379, database 0 by default; ours: a redis:// or rediss://
// URL too). Defaults empty.
type RedisConfig struct {
	Address  string `yaml:"address" json:"address"`
	Password string `yaml:"password" json:"password"`
}

// RateLimit allows Tokens operations per Interval (both > 0 when rate limiting is enabled).
type RateLimit struct {
	Tokens   int      `yaml:"tokens" json:"tokens"`
	Interval Duration `yaml:"interval" json:"interval"`
}

// SAML configures SAML single sign-on (an enterprise feature in Hanko). Default Enabled false.
// When enabled, EndpointURL, AudienceURI and at least one identity provider are required.
// URL lists accept globs.
type SAML struct {
	Enabled             bool               `yaml:"enabled" json:"enabled"`
	EndpointURL         string             `yaml:"endpoint_url" json:"endpoint_url"`
	AudienceURI         string             `yaml:"audience_uri" json:"audience_uri"`
	DefaultRedirectURL  string             `yaml:"default_redirect_url" json:"default_redirect_url"`
	AllowedRedirectURLs []string           `yaml:"allowed_redirect_urls" json:"allowed_redirect_urls"`
	Options             SAMLOptions        `yaml:"options" json:"options"`
	IdentityProviders   []IdentityProvider `yaml:"identity_providers" json:"identity_providers"`
}

// SAMLOptions tunes the SAML service provider. All default to false (Hanko's code; its schema
// claims true for SignAuthnRequests and ValidateEncryptionCert).
type SAMLOptions struct {
	SignAuthnRequests       bool `yaml:"sign_authn_requests" json:"sign_authn_requests"`
	ForceLogin              bool `yaml:"force_login" json:"force_login"`
	ValidateEncryptionCert  bool `yaml:"validate_encryption_cert" json:"validate_encryption_cert"`
	SkipSignatureValidation bool `yaml:"skip_signature_validation" json:"skip_signature_validation"`
	AllowMissingAttributes  bool `yaml:"allow_missing_attributes" json:"allow_missing_attributes"`
}

// IdentityProvider is one SAML IdP, chosen by the domain of the user's email address. An
// enabled IdP needs Name, Domain and MetadataURL. PostProcess fills empty AttributeMap entries
// for name, family_name, given_name and email with the xmlsoap claim URIs.
type IdentityProvider struct {
	Enabled               bool         `yaml:"enabled" json:"enabled"`
	Name                  string       `yaml:"name" json:"name"`
	Domain                string       `yaml:"domain" json:"domain"`
	MetadataURL           string       `yaml:"metadata_url" json:"metadata_url"`
	SkipEmailVerification bool         `yaml:"skip_email_verification" json:"skip_email_verification"`
	AttributeMap          AttributeMap `yaml:"attribute_map" json:"attribute_map"`
}

// AttributeMap names the IdP assertion attributes that carry each user attribute.
type AttributeMap struct {
	Name              string `yaml:"name" json:"name"`
	FamilyName        string `yaml:"family_name" json:"family_name"`
	GivenName         string `yaml:"given_name" json:"given_name"`
	MiddleName        string `yaml:"middle_name" json:"middle_name"`
	NickName          string `yaml:"nickname" json:"nickname"`
	PreferredUsername string `yaml:"preferred_username" json:"preferred_username"`
	Profile           string `yaml:"profile" json:"profile"`
	Picture           string `yaml:"picture" json:"picture"`
	Website           string `yaml:"website" json:"website"`
	Gender            string `yaml:"gender" json:"gender"`
	Birthdate         string `yaml:"birthdate" json:"birthdate"`
	ZoneInfo          string `yaml:"zone_info" json:"zone_info"`
	Locale            string `yaml:"locale" json:"locale"`
	UpdatedAt         string `yaml:"updated_at" json:"updated_at"`
	Email             string `yaml:"email" json:"email"`
	EmailVerified     string `yaml:"email_verified" json:"email_verified"`
	Phone             string `yaml:"phone" json:"phone"`
	PhoneVerified     string `yaml:"phone_verified" json:"phone_verified"`
}

// Secrets holds the keys that encrypt signing keys and state at rest. Keys[0] encrypts;
// every key is tried for decryption. At least one key, each at least 16 characters. Default
// ["abcedfghijklmnopqrstuvwxyz"], which is public and must be replaced in production.
// Algorithm and RSAKeySize are ours; Hanko always generates RSA 4096 RS256 keys.
type Secrets struct {
	Keys []string `yaml:"keys" json:"keys"`
	// Algorithm is the JWS algorithm of newly generated signing keys: "ES256" (default),
	// "RS256" or "EdDSA". Keys already stored keep their own algorithm.
	Algorithm string `yaml:"algorithm" json:"algorithm"`
	// RSAKeySize is the modulus size in bits of newly generated RS256 keys: 2048 (default),
	// 3072 or 4096 (Hanko's size). Checked whatever Algorithm says.
	RSAKeySize int `yaml:"rsa_key_size" json:"rsa_key_size"`
}

// Server configures the two HTTP listeners. Defaults: public ":8000" with CORS origin
// http://localhost:8888, admin ":8001".
type Server struct {
	Public ServerSettings `yaml:"public" json:"public"`
	Admin  ServerSettings `yaml:"admin" json:"admin"`
}

// ServerSettings is one listener. Address is a net.Listen address (host:port), non-empty.
//
// Ours: TrustedProxies lists the reverse proxies (CIDRs or single IPs; default none) whose
// X-Forwarded-For and X-Real-IP headers are believed when taking the client IP; with none,
// the client IP is the socket peer. APIKeys (server.admin.api_keys only; default none) are the
// bearer tokens the admin API requires when non-empty; each has at least 32 characters.
type ServerSettings struct {
	Address        string   `yaml:"address" json:"address"`
	CORS           CORS     `yaml:"cors" json:"cors"`
	TrustedProxies []string `yaml:"trusted_proxies" json:"trusted_proxies"`
	APIKeys        []string `yaml:"api_keys" json:"api_keys"`
}

// ParsePrefix parses one trusted_proxies entry: a CIDR ("10.0.0.0/8") or a single address
// ("192.0.2.1", "::1"), which becomes a prefix of full length. The prefix is masked.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("address %q has a zone", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// CORS configures cross-origin requests. AllowOrigins entries may be globs; a bare "*" is only
// accepted with UnsafeWildcardOriginAllowed, because credentials are always allowed.
type CORS struct {
	AllowOrigins                []string `yaml:"allow_origins" json:"allow_origins"`
	UnsafeWildcardOriginAllowed bool     `yaml:"unsafe_wildcard_origin_allowed" json:"unsafe_wildcard_origin_allowed"`
}

// Service describes the deployment. Name (default "Hanko Authentication Service") appears in
// mails and as TOTP issuer and must not be empty.
type Service struct {
	Name string `yaml:"name" json:"name"`
}

// Session configures session JWTs and their cookie. Defaults: Lifespan 12h, Audience empty
// (PostProcess sets [webauthn.relying_party.id]), Issuer empty (no iss claim),
// EnableAuthTokenHeader false, server-side sessions off with limit 100.
type Session struct {
	Audience              []string   `yaml:"audience" json:"audience"`
	Cookie                Cookie     `yaml:"cookie" json:"cookie"`
	EnableAuthTokenHeader bool       `yaml:"enable_auth_token_header" json:"enable_auth_token_header"`
	Issuer                string     `yaml:"issuer" json:"issuer"`
	Lifespan              Duration   `yaml:"lifespan" json:"lifespan"`
	ServerSide            ServerSide `yaml:"server_side" json:"server_side"`
}

// Cookie is the session cookie. Defaults: Name "hanko", Domain "" (host-only), HTTPOnly true,
// SameSite "strict" (strict|lax|none; like Hanko, other values mean the browser's default mode),
// Secure true.
type Cookie struct {
	Domain   string `yaml:"domain" json:"domain"`
	HTTPOnly bool   `yaml:"http_only" json:"http_only"`
	Name     string `yaml:"name" json:"name"`
	SameSite string `yaml:"same_site" json:"same_site"`
	Secure   bool   `yaml:"secure" json:"secure"`
}

// ServerSide configures server-side session records. Defaults: Enabled false, Limit 100
// sessions per user (the oldest are removed beyond it).
type ServerSide struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	Limit   int  `yaml:"limit" json:"limit"`
}

// ThirdParty configures OAuth/OIDC login. When any provider is enabled, RedirectURL,
// ErrorRedirectURL and at least one AllowedRedirectURLs entry are required. PostProcess strips
// trailing slashes from ErrorRedirectURL, DefaultRedirectURL and AllowedRedirectURLs.
type ThirdParty struct {
	Providers ThirdPartyProviders `yaml:"providers" json:"providers"`
	// RedirectURL is this service's callback (<public API>/thirdparty/callback).
	RedirectURL        string `yaml:"redirect_url" json:"redirect_url"`
	ErrorRedirectURL   string `yaml:"error_redirect_url" json:"error_redirect_url"`
	DefaultRedirectURL string `yaml:"default_redirect_url" json:"default_redirect_url"`
	// AllowedRedirectURLs are globs (* and **) for redirect_to targets.
	AllowedRedirectURLs []string `yaml:"allowed_redirect_urls" json:"allowed_redirect_urls"`
	// CustomProviders (ours; Hanko later added the same key) are generic OpenID Connect
	// providers by name, found by their issuer's discovery document. The name is the
	// provider query parameter of /thirdparty/auth. Default none.
	CustomProviders map[string]CustomProvider `yaml:"custom_providers" json:"custom_providers"`
}

// CustomProvider is a generic OpenID Connect provider (third_party.custom_providers.<name>).
// An enabled one needs Issuer (an absolute https URL; http only for localhost), ClientID and
// Secret. DisplayName defaults to the name and is what GET /.well-known/config lists; Scopes
// default to [openid profile email] ("openid" is added when missing); AllowLinking defaults to
// false.
type CustomProvider struct {
	Enabled      bool     `yaml:"enabled" json:"enabled"`
	DisplayName  string   `yaml:"display_name" json:"display_name"`
	Issuer       string   `yaml:"issuer" json:"issuer"`
	ClientID     string   `yaml:"client_id" json:"client_id"`
	Secret       string   `yaml:"secret" json:"secret"`
	Scopes       []string `yaml:"scopes" json:"scopes"`
	AllowLinking bool     `yaml:"allow_linking" json:"allow_linking"`
}

// ThirdPartyProviders holds one entry per supported provider. All are disabled by default;
// AllowLinking defaults to true for Apple, Discord, GitHub and Google and false for LinkedIn
// and Microsoft.
type ThirdPartyProviders struct {
	Apple     ThirdPartyProvider `yaml:"apple" json:"apple"`
	Discord   ThirdPartyProvider `yaml:"discord" json:"discord"`
	GitHub    ThirdPartyProvider `yaml:"github" json:"github"`
	Google    ThirdPartyProvider `yaml:"google" json:"google"`
	LinkedIn  ThirdPartyProvider `yaml:"linkedin" json:"linkedin"`
	Microsoft ThirdPartyProvider `yaml:"microsoft" json:"microsoft"`
}

// ThirdPartyProvider is one OAuth client. An enabled provider needs ClientID and Secret.
// AllowLinking links a provider identity to an existing account with the same email.
//
// For Apple, Secret is either a client secret JWT made beforehand (as in Hanko) or, with TeamID
// and KeyID (ours, Apple only), the PKCS #8 PEM private key of a "Sign in with Apple" key, from
// which a short-lived ES256 client secret is made for every code exchange.
type ThirdPartyProvider struct {
	Enabled      bool   `yaml:"enabled" json:"enabled"`
	ClientID     string `yaml:"client_id" json:"client_id"`
	Secret       string `yaml:"secret" json:"secret"`
	AllowLinking bool   `yaml:"allow_linking" json:"allow_linking"`
	TeamID       string `yaml:"team_id" json:"team_id"`
	KeyID        string `yaml:"key_id" json:"key_id"`
}

// Username configures usernames (characters [A-Za-z0-9_]). Defaults: Enabled false,
// Optional true, AcquireOnRegistration, AcquireOnLogin and UseAsLoginIdentifier true,
// MinLength 3, MaxLength 32 (MinLength <= MaxLength).
type Username struct {
	Enabled               bool `yaml:"enabled" json:"enabled"`
	Optional              bool `yaml:"optional" json:"optional"`
	AcquireOnRegistration bool `yaml:"acquire_on_registration" json:"acquire_on_registration"`
	AcquireOnLogin        bool `yaml:"acquire_on_login" json:"acquire_on_login"`
	UseAsLoginIdentifier  bool `yaml:"use_as_login_identifier" json:"use_as_login_identifier"`
	MinLength             int  `yaml:"min_length" json:"min_length"`
	MaxLength             int  `yaml:"max_length" json:"max_length"`
}

// WebAuthn configures the relying party and ceremony timeouts. Defaults: relying party id
// "localhost", display name "Hanko Authentication Service", origins ["http://localhost:8888"];
// timeouts 600000 ms.
type WebAuthn struct {
	RelyingParty RelyingParty     `yaml:"relying_party" json:"relying_party"`
	Timeouts     WebAuthnTimeouts `yaml:"timeouts" json:"timeouts"`
	// Timeout is deprecated: use timeouts.registration and timeouts.login. Default 600000.
	Timeout int `yaml:"timeout" json:"timeout"`
	// UserVerification is deprecated: use passkey.user_verification. Default "preferred";
	// still validated (required|preferred|discouraged).
	UserVerification string `yaml:"user_verification" json:"user_verification"`
}

// RelyingParty identifies this service to authenticators. ID (the effective domain) and at
// least one origin are required; origins may be web origins or android:apk-key-hash:... values.
type RelyingParty struct {
	ID          string   `yaml:"id" json:"id"`
	DisplayName string   `yaml:"display_name" json:"display_name"`
	Icon        string   `yaml:"icon" json:"icon"`
	Origins     []string `yaml:"origins" json:"origins"`
}

// WebAuthnTimeouts are the client-side ceremony timeouts in milliseconds. Defaults 600000.
type WebAuthnTimeouts struct {
	Registration int `yaml:"registration" json:"registration"`
	Login        int `yaml:"login" json:"login"`
}

// Webhooks configures event callbacks. Defaults: Enabled false (gates the hooks listed here,
// not hooks created through the admin API), AllowTimeExpiration false, no hooks.
type Webhooks struct {
	Enabled             bool      `yaml:"enabled" json:"enabled"`
	AllowTimeExpiration bool      `yaml:"allow_time_expiration" json:"allow_time_expiration"`
	Hooks               []Webhook `yaml:"hooks" json:"hooks"`
}

// Webhook subscribes Callback (an absolute URL) to Events. An event also matches its
// sub-events: "user" receives every "user.*" event.
type Webhook struct {
	Callback string   `yaml:"callback" json:"callback"`
	Events   []string `yaml:"events" json:"events"`
}

// Default returns Hanko's code defaults (DefaultConfig in Hanko v1.2.1) with one deliberate
// difference: every database field is empty, which Database.Resolve turns into a SQLite file
// (zero-config mode) instead of Hanko's postgres://hanko:hanko@localhost:5432/hanko.
// Each call returns fresh slices.
func Default() Config {
	return Config{
		Account: Account{AllowSignup: true},
		AuditLog: AuditLog{
			ConsoleOutput: AuditLogConsole{Enabled: true, Output: "stdout"},
			Mask:          true,
		},
		Email: Email{
			Enabled:               true,
			AcquireOnRegistration: true,
			AcquireOnLogin:        true,
			RequireVerification:   true,
			Limit:                 5,
			UseAsLoginIdentifier:  true,
			MaxLength:             120,
			UseForAuthentication:  true,
			PasscodeTTL:           300,
		},
		EmailDelivery: EmailDelivery{
			Enabled:     true,
			FromAddress: "noreply@hanko.io",
			FromName:    "Hanko",
			SMTP:        defaultSMTP(),
		},
		Emails: Emails{RequireVerification: true, MaxNumOfAddresses: 5},
		MFA: MFA{
			AcquireOnRegistration: true,
			Enabled:               true,
			Optional:              true,
			SecurityKeys: SecurityKeys{
				AttestationPreference:   "direct",
				AuthenticatorAttachment: "cross-platform",
				Enabled:                 true,
				Limit:                   10,
				UserVerification:        "discouraged",
			},
			TOTP: TOTP{Enabled: true},
		},
		Passcode: Passcode{TTL: 300},
		Passkey: Passkey{
			Enabled:               true,
			Optional:              true,
			AcquireOnRegistration: "always",
			AcquireOnLogin:        "always",
			AttestationPreference: "direct",
			UserVerification:      "preferred",
			Limit:                 10,
		},
		Password: Password{
			Enabled:               true,
			AcquireOnRegistration: "always",
			AcquireOnLogin:        "never",
			Recovery:              true,
			MinLength:             8,
		},
		RateLimiter: RateLimiter{
			Enabled:        true,
			Store:          "in_memory",
			PasscodeLimits: RateLimit{Tokens: 3, Interval: Duration(time.Minute)},
			OTPLimits:      RateLimit{Tokens: 3, Interval: Duration(time.Minute)},
			PasswordLimits: RateLimit{Tokens: 5, Interval: Duration(time.Minute)},
			TokenLimits:    RateLimit{Tokens: 3, Interval: Duration(time.Minute)},
		},
		Secrets: Secrets{Keys: []string{"abcedfghijklmnopqrstuvwxyz"}, Algorithm: "ES256", RSAKeySize: 2048},
		Server: Server{
			Public: ServerSettings{
				Address: ":8000",
				CORS:    CORS{AllowOrigins: []string{"http://localhost:8888"}},
			},
			Admin: ServerSettings{Address: ":8001"},
		},
		Service: Service{Name: "Hanko Authentication Service"},
		Session: Session{
			Cookie: Cookie{
				HTTPOnly: true,
				Name:     "hanko",
				SameSite: "strict",
				Secure:   true,
			},
			Lifespan:   Duration(12 * time.Hour),
			ServerSide: ServerSide{Limit: 100},
		},
		SMTP: defaultSMTP(),
		ThirdParty: ThirdParty{Providers: ThirdPartyProviders{
			Apple:   ThirdPartyProvider{AllowLinking: true},
			Discord: ThirdPartyProvider{AllowLinking: true},
			GitHub:  ThirdPartyProvider{AllowLinking: true},
			Google:  ThirdPartyProvider{AllowLinking: true},
		}},
		Username: Username{
			Optional:              true,
			AcquireOnRegistration: true,
			AcquireOnLogin:        true,
			UseAsLoginIdentifier:  true,
			MinLength:             3,
			MaxLength:             32,
		},
		WebAuthn: WebAuthn{
			RelyingParty: RelyingParty{
				ID:          "localhost",
				DisplayName: "Hanko Authentication Service",
				Origins:     []string{"http://localhost:8888"},
			},
			Timeouts:         WebAuthnTimeouts{Registration: 600000, Login: 600000},
			Timeout:          600000,
			UserVerification: "preferred",
		},
	}
}

// defaultSMTP is the default of both email_delivery.smtp and the deprecated top-level smtp.
func defaultSMTP() SMTP { return SMTP{Host: "localhost", Port: "465"} }
