package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// FieldError is one failed check: Key is the dotted config key (with [i] for list entries),
// Msg says what is wrong. Validate and Database.Resolve return them; use errors.As to pick
// them out of a joined error.
type FieldError struct {
	Key string
	Msg string
}

// Error returns "key: msg".
func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

func fieldErrorf(key, format string, args ...any) *FieldError {
	return &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Allowed values of the enumerated keys. They are functions, not package variables, so no
// caller can change them.
func acquireModes() []string      { return []string{"always", "conditional", "never"} }
func attestationPrefs() []string  { return []string{"direct", "indirect", "none"} }
func userVerifications() []string { return []string{"required", "preferred", "discouraged"} }
func attachments() []string       { return []string{"platform", "cross-platform", "no_preference"} }
func rateLimiterStores() []string { return []string{"in_memory", "redis", "database"} }
func consoleOutputs() []string    { return []string{"stdout", "stderr"} }
func signingAlgorithms() []string { return []string{"ES256", "RS256", "EdDSA"} }

// webhookEvents are the event names a hook may subscribe to (Hanko v1.2.1).
func webhookEvents() []string {
	return []string{
		"user", "user.create", "user.update", "user.delete",
		"user.update.email", "user.update.email.create", "user.update.email.primary",
		"user.update.email.delete", "email.send",
	}
}

// maxPasswordMinLength is the bcrypt input limit: bcrypt reads at most 72 bytes.
const maxPasswordMinLength = 72

// checker collects failures so Validate reports all of them at once.
type checker struct{ errs []error }

func (c *checker) fail(key, format string, args ...any) {
	c.errs = append(c.errs, fieldErrorf(key, format, args...))
}

func (c *checker) nonEmpty(key, v string) {
	if strings.TrimSpace(v) == "" {
		c.fail(key, "must not be empty")
	}
}

func (c *checker) oneOf(key, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		c.fail(key, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
	}
}

func (c *checker) min(key string, v, min int) {
	if v < min {
		c.fail(key, "must be at least %d, got %d", min, v)
	}
}

// port checks an optional TCP port given as a string.
func (c *checker) port(key, v string) {
	if v == "" {
		return
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
		c.fail(key, "must be a port number between 1 and 65535, got %q", v)
	}
}

// Validate makes every check Hanko makes on its configuration, plus a few of ours (marked
// below), and returns all failures joined with errors.Join, each a *FieldError naming the
// key. It returns nil for a valid configuration. Call it after PostProcess; it does not modify c.
func (c Config) Validate() error {
	var v checker

	// secrets: every key must be usable as an AES secret.
	if len(c.Secrets.Keys) == 0 {
		v.fail("secrets.keys", "at least one key is required")
	}
	for i, k := range c.Secrets.Keys {
		if len(k) < 16 {
			v.fail(fmt.Sprintf("secrets.keys[%d]", i), "must be at least 16 characters")
		}
	}
	// ours: the kind of signing key generated for a new secret.
	v.oneOf("secrets.algorithm", c.Secrets.Algorithm, signingAlgorithms())
	if k := c.Secrets.RSAKeySize; k != 2048 && k != 3072 && k != 4096 {
		v.fail("secrets.rsa_key_size", "must be 2048, 3072 or 4096 (bits), got %d", k)
	}

	v.nonEmpty("service.name", c.Service.Name)

	// server (admin address and CORS of both listeners are checked as Hanko does)
	for _, s := range []struct {
		key string
		s   ServerSettings
	}{{"server.public", c.Server.Public}, {"server.admin", c.Server.Admin}} {
		v.nonEmpty(s.key+".address", s.s.Address)
		if slices.Contains(s.s.CORS.AllowOrigins, "*") && !s.s.CORS.UnsafeWildcardOriginAllowed {
			v.fail(s.key+".cors.allow_origins", "wildcard origin \"*\" requires %s.cors.unsafe_wildcard_origin_allowed: true", s.key)
		}
		// ours: trusted proxies must parse.
		for i, p := range s.s.TrustedProxies {
			if _, err := ParsePrefix(p); err != nil {
				v.fail(fmt.Sprintf("%s.trusted_proxies[%d]", s.key, i), "must be a CIDR (10.0.0.0/8) or an IP address, got %q", p)
			}
		}
	}
	// ours: admin API keys; the public API has none.
	if len(c.Server.Public.APIKeys) > 0 {
		v.fail("server.public.api_keys", "is not supported: the public API serves browsers; use server.admin.api_keys")
	}
	for i, k := range c.Server.Admin.APIKeys {
		if len(k) < 32 {
			v.fail(fmt.Sprintf("server.admin.api_keys[%d]", i), "must be at least 32 characters")
		}
	}

	// database: the connection settings must resolve; pool sizes are ours.
	if _, _, err := c.Database.Resolve(); err != nil {
		v.errs = append(v.errs, err)
	}
	if c.Database.URL == "" {
		v.port("database.port", c.Database.Port)
	}
	v.min("database.max_open_conns", c.Database.MaxOpenConns, 0)
	v.min("database.max_idle_conns", c.Database.MaxIdleConns, 0)
	if c.Database.ConnMaxLifetime < 0 {
		v.fail("database.conn_max_lifetime", "must not be negative")
	}
	if c.Database.ConnMaxIdleTime < 0 {
		v.fail("database.conn_max_idle_time", "must not be negative")
	}

	// session
	if c.Session.Lifespan <= 0 {
		v.fail("session.lifespan", "must be a positive duration, got %s", c.Session.Lifespan)
	}
	if c.Session.ServerSide.Enabled {
		v.min("session.server_side.limit", c.Session.ServerSide.Limit, 1)
	}

	// email and delivery
	v.min("email.limit", c.Email.Limit, 1)
	v.min("email.max_length", c.Email.MaxLength, 1)
	v.min("email.passcode_ttl", c.Email.PasscodeTTL, 1)
	if c.EmailDelivery.Enabled {
		// Hanko checks the deprecated top-level smtp block here; we check the one we use. An
		// empty host is allowed: the host application may supply its own mailer.
		v.port("email_delivery.smtp.port", c.EmailDelivery.SMTP.Port)
	}

	// password
	if c.Password.MinLength < 0 || c.Password.MinLength > maxPasswordMinLength {
		v.fail("password.min_length", "must be between 0 and %d, got %d", maxPasswordMinLength, c.Password.MinLength)
	}
	v.oneOf("password.acquire_on_registration", c.Password.AcquireOnRegistration, acquireModes())
	v.oneOf("password.acquire_on_login", c.Password.AcquireOnLogin, acquireModes())

	// passkeys and WebAuthn
	v.oneOf("passkey.acquire_on_registration", c.Passkey.AcquireOnRegistration, acquireModes())
	v.oneOf("passkey.acquire_on_login", c.Passkey.AcquireOnLogin, acquireModes())
	v.oneOf("passkey.attestation_preference", c.Passkey.AttestationPreference, attestationPrefs())
	v.oneOf("passkey.user_verification", c.Passkey.UserVerification, userVerifications())
	v.min("passkey.limit", c.Passkey.Limit, 1)
	v.nonEmpty("webauthn.relying_party.id", c.WebAuthn.RelyingParty.ID)
	if len(c.WebAuthn.RelyingParty.Origins) == 0 {
		v.fail("webauthn.relying_party.origins", "at least one origin is required")
	}
	for i, o := range c.WebAuthn.RelyingParty.Origins {
		v.nonEmpty(fmt.Sprintf("webauthn.relying_party.origins[%d]", i), o)
	}
	v.oneOf("webauthn.user_verification", c.WebAuthn.UserVerification, userVerifications())
	v.min("webauthn.timeouts.registration", c.WebAuthn.Timeouts.Registration, 0)
	v.min("webauthn.timeouts.login", c.WebAuthn.Timeouts.Login, 0)

	// MFA
	v.oneOf("mfa.security_keys.authenticator_attachment", c.MFA.SecurityKeys.AuthenticatorAttachment, attachments())
	v.oneOf("mfa.security_keys.attestation_preference", c.MFA.SecurityKeys.AttestationPreference, attestationPrefs())
	v.oneOf("mfa.security_keys.user_verification", c.MFA.SecurityKeys.UserVerification, userVerifications())
	v.min("mfa.security_keys.limit", c.MFA.SecurityKeys.Limit, 1)

	// rate limiter
	if rl := c.RateLimiter; rl.Enabled {
		v.oneOf("rate_limiter.store", rl.Store, rateLimiterStores())
		if rl.Store == "redis" {
			v.nonEmpty("rate_limiter.redis_config.address", rl.RedisConfig.Address)
		}
		for _, l := range []struct {
			key string
			l   RateLimit
		}{
			{"rate_limiter.passcode_limits", rl.PasscodeLimits},
			{"rate_limiter.otp_limits", rl.OTPLimits},
			{"rate_limiter.password_limits", rl.PasswordLimits},
			{"rate_limiter.token_limits", rl.TokenLimits},
		} {
			v.min(l.key+".tokens", l.l.Tokens, 1)
			if l.l.Interval <= 0 {
				v.fail(l.key+".interval", "must be a positive duration, got %s", l.l.Interval)
			}
		}
	}

	v.oneOf("audit_log.console_output.output", c.AuditLog.ConsoleOutput.Output, consoleOutputs())

	// username (ours: lengths must make sense)
	v.min("username.min_length", c.Username.MinLength, 1)
	if c.Username.MinLength > c.Username.MaxLength {
		v.fail("username.max_length", "must not be less than username.min_length (%d), got %d", c.Username.MinLength, c.Username.MaxLength)
	}

	c.validateThirdParty(&v)
	c.validateSAML(&v)
	c.validateWebhooks(&v)
	return errors.Join(v.errs...)
}

func (c Config) validateThirdParty(v *checker) {
	anyEnabled := false
	for _, p := range c.ThirdParty.Providers.list() {
		key := "third_party.providers." + p.name
		if p.name != "apple" && (p.p.TeamID != "" || p.p.KeyID != "") {
			v.fail(key, "team_id and key_id are for apple only")
		}
		if !p.p.Enabled {
			continue
		}
		anyEnabled = true
		v.nonEmpty(key+".client_id", p.p.ClientID)
		v.nonEmpty(key+".secret", p.p.Secret)
		if (p.p.TeamID == "") != (p.p.KeyID == "") {
			v.fail(key, "team_id and key_id go together")
		}
	}
	anyEnabled = c.validateCustomProviders(v) || anyEnabled
	if !anyEnabled {
		return
	}
	tp := c.ThirdParty
	v.nonEmpty("third_party.redirect_url", tp.RedirectURL)
	v.nonEmpty("third_party.error_redirect_url", tp.ErrorRedirectURL)
	if len(tp.AllowedRedirectURLs) == 0 {
		v.fail("third_party.allowed_redirect_urls", "at least one URL is required when a provider is enabled")
	}
	for i, u := range tp.AllowedRedirectURLs {
		v.nonEmpty(fmt.Sprintf("third_party.allowed_redirect_urls[%d]", i), u)
	}
}

// customProviderName is what a custom provider's name may look like: it becomes a query
// parameter value and identities.provider_name.
var customProviderName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// validateCustomProviders checks third_party.custom_providers (ours) and reports whether any
// is enabled.
func (c Config) validateCustomProviders(v *checker) bool {
	anyEnabled := false
	builtIn := map[string]bool{}
	for _, p := range c.ThirdParty.Providers.list() {
		builtIn[p.name] = true
	}
	for name, p := range c.ThirdParty.CustomProviders {
		key := "third_party.custom_providers." + name
		if !customProviderName.MatchString(name) {
			v.fail(key, "the name must be 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit")
		}
		if builtIn[name] {
			v.fail(key, "the name of a built-in provider cannot be used; configure third_party.providers.%s", name)
		}
		if !p.Enabled {
			continue
		}
		anyEnabled = true
		v.nonEmpty(key+".client_id", p.ClientID)
		v.nonEmpty(key+".secret", p.Secret)
		if u, err := url.Parse(p.Issuer); err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
			!(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
			v.fail(key+".issuer", "must be an https URL without query (http only for localhost), got %q", p.Issuer)
		}
	}
	return anyEnabled
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c Config) validateSAML(v *checker) {
	s := c.SAML
	if !s.Enabled {
		return
	}
	v.nonEmpty("saml.endpoint_url", s.EndpointURL)
	v.nonEmpty("saml.audience_uri", s.AudienceURI)
	if len(s.IdentityProviders) == 0 {
		v.fail("saml.identity_providers", "at least one identity provider is required when saml.enabled is true")
	}
	for i, idp := range s.IdentityProviders {
		if !idp.Enabled {
			continue
		}
		key := fmt.Sprintf("saml.identity_providers[%d]", i)
		v.nonEmpty(key+".name", idp.Name)
		v.nonEmpty(key+".domain", idp.Domain)
		v.nonEmpty(key+".metadata_url", idp.MetadataURL)
	}
}

// validateWebhooks checks configured hooks whether or not webhooks.enabled is set, so a broken
// hook is found before someone switches the feature on.
func (c Config) validateWebhooks(v *checker) {
	for i, h := range c.Webhooks.Hooks {
		key := fmt.Sprintf("webhooks.hooks[%d]", i)
		if u, err := url.Parse(h.Callback); err != nil || !u.IsAbs() || u.Host == "" {
			v.fail(key+".callback", "must be an absolute URL, got %q", h.Callback)
		}
		if len(h.Events) == 0 {
			v.fail(key+".events", "at least one event is required")
		}
		for j, e := range h.Events {
			v.oneOf(fmt.Sprintf("%s.events[%d]", key, j), e, webhookEvents())
		}
	}
}

// namedProvider pairs a provider with its config key.
type namedProvider struct {
	name string
	p    *ThirdPartyProvider
}

// list returns the providers in key order; the pointers alias p's fields.
func (p *ThirdPartyProviders) list() []namedProvider {
	return []namedProvider{
		{"apple", &p.Apple},
		{"discord", &p.Discord},
		{"github", &p.GitHub},
		{"google", &p.Google},
		{"linkedin", &p.LinkedIn},
		{"microsoft", &p.Microsoft},
	}
}
