package config

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// fieldKeys returns the keys of every *FieldError in err.
func fieldKeys(t *testing.T, err error) []string {
	t.Helper()
	var keys []string
	for _, e := range joined(err) {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Errorf("error %q is not a *FieldError", e)
			continue
		}
		keys = append(keys, fe.Key)
	}
	if err != nil && joined(err) == nil { // a single error is not wrapped in a join
		var fe *FieldError
		if errors.As(err, &fe) {
			keys = append(keys, fe.Key)
		}
	}
	return keys
}

func TestValidate(t *testing.T) {
	t.Parallel()
	enableGoogle := func(c *Config) {
		c.ThirdParty.Providers.Google = ThirdPartyProvider{Enabled: true, ClientID: "id", Secret: "s"}
		c.ThirdParty.RedirectURL = "https://auth.example/thirdparty/callback"
		c.ThirdParty.ErrorRedirectURL = "https://app.example/error"
		c.ThirdParty.AllowedRedirectURLs = []string{"https://app.example/**"}
	}
	enableSAML := func(c *Config) {
		c.SAML.Enabled = true
		c.SAML.EndpointURL = "https://auth.example"
		c.SAML.AudienceURI = "https://auth.example"
		c.SAML.IdentityProviders = []IdentityProvider{{Enabled: true, Name: "Okta", Domain: "example.com", MetadataURL: "https://idp.example/md"}}
	}
	for _, tc := range []struct {
		name   string
		mutate func(c *Config)
		want   []string // failing keys, in report order; nil means valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"short secret", func(c *Config) { c.Secrets.Keys = []string{"0123456789abcdef", "short"} }, []string{"secrets.keys[1]"}},
		{"no secrets", func(c *Config) { c.Secrets.Keys = nil }, []string{"secrets.keys"}},
		{"eddsa", func(c *Config) { c.Secrets.Algorithm = "EdDSA" }, nil},
		{"rs256 4096 as hanko", func(c *Config) { c.Secrets.Algorithm, c.Secrets.RSAKeySize = "RS256", 4096 }, nil},
		{"rsa 3072", func(c *Config) { c.Secrets.RSAKeySize = 3072 }, nil},
		{"unknown algorithm", func(c *Config) { c.Secrets.Algorithm = "HS256" }, []string{"secrets.algorithm"}},
		{"algorithm is case-sensitive", func(c *Config) { c.Secrets.Algorithm = "es256" }, []string{"secrets.algorithm"}},
		{"empty algorithm", func(c *Config) { c.Secrets.Algorithm = "" }, []string{"secrets.algorithm"}},
		{"rsa key size", func(c *Config) { c.Secrets.RSAKeySize = 1024 }, []string{"secrets.rsa_key_size"}},
		{"rsa key size zero", func(c *Config) { c.Secrets.RSAKeySize = 0 }, []string{"secrets.rsa_key_size"}},
		{"trusted proxies", func(c *Config) {
			c.Server.Public.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.1", "::1", "fd00::/8"}
		}, nil},
		{"bad trusted proxies", func(c *Config) {
			c.Server.Public.TrustedProxies = []string{"10.0.0.0/8", "10.0.0.0/33", "proxy.local", ""}
		}, []string{"server.public.trusted_proxies[1]", "server.public.trusted_proxies[2]", "server.public.trusted_proxies[3]"}},
		{"admin api keys", func(c *Config) { c.Server.Admin.APIKeys = []string{"0123456789abcdef0123456789abcdef"} }, nil},
		{"short admin api key", func(c *Config) {
			c.Server.Admin.APIKeys = []string{"0123456789abcdef0123456789abcdef", "short"}
		}, []string{"server.admin.api_keys[1]"}},
		{"public api keys", func(c *Config) { c.Server.Public.APIKeys = []string{"0123456789abcdef0123456789abcdef"} }, []string{"server.public.api_keys"}},
		{"empty service name", func(c *Config) { c.Service.Name = " " }, []string{"service.name"}},
		{"empty public address", func(c *Config) { c.Server.Public.Address = "" }, []string{"server.public.address"}},
		{"wildcard cors", func(c *Config) { c.Server.Public.CORS.AllowOrigins = []string{"*"} }, []string{"server.public.cors.allow_origins"}},
		{"wildcard cors allowed", func(c *Config) {
			c.Server.Public.CORS.AllowOrigins = []string{"*"}
			c.Server.Public.CORS.UnsafeWildcardOriginAllowed = true
		}, nil},
		{"lifespan", func(c *Config) { c.Session.Lifespan = 0 }, []string{"session.lifespan"}},
		{"passkey enums", func(c *Config) {
			c.Passkey.AcquireOnLogin = "sometimes"
			c.Passkey.AttestationPreference = "enterprise"
			c.Passkey.UserVerification = "maybe"
		}, []string{"passkey.acquire_on_login", "passkey.attestation_preference", "passkey.user_verification"}},
		{"password acquire", func(c *Config) { c.Password.AcquireOnRegistration = "yes" }, []string{"password.acquire_on_registration"}},
		{"mfa attachment", func(c *Config) { c.MFA.SecurityKeys.AuthenticatorAttachment = "usb" }, []string{"mfa.security_keys.authenticator_attachment"}},
		{"deprecated webauthn uv", func(c *Config) { c.WebAuthn.UserVerification = "x" }, []string{"webauthn.user_verification"}},
		{"redis without address", func(c *Config) { c.RateLimiter.Store = "redis" }, []string{"rate_limiter.redis_config.address"}},
		{"redis with address", func(c *Config) {
			c.RateLimiter.Store = "redis"
			c.RateLimiter.RedisConfig.Address = "redis:6379/0"
		}, nil},
		{"database store", func(c *Config) { c.RateLimiter.Store = "database" }, nil},
		{"unknown store", func(c *Config) { c.RateLimiter.Store = "memcached" }, []string{"rate_limiter.store"}},
		{"rate limits", func(c *Config) {
			c.RateLimiter.PasscodeLimits.Tokens = 0
			c.RateLimiter.TokenLimits.Interval = Duration(-time.Second)
		}, []string{"rate_limiter.passcode_limits.tokens", "rate_limiter.token_limits.interval"}},
		{"rate limits ignored when disabled", func(c *Config) {
			c.RateLimiter.Enabled = false
			c.RateLimiter.Store = "nope"
			c.RateLimiter.OTPLimits.Tokens = 0
		}, nil},
		{"console output", func(c *Config) { c.AuditLog.ConsoleOutput.Output = "file" }, []string{"audit_log.console_output.output"}},
		{"third party ok", enableGoogle, nil},
		{"third party incomplete", func(c *Config) {
			c.ThirdParty.Providers.GitHub.Enabled = true
		}, []string{
			"third_party.providers.github.client_id", "third_party.providers.github.secret",
			"third_party.redirect_url", "third_party.error_redirect_url", "third_party.allowed_redirect_urls",
		}},
		{"disabled provider needs nothing", func(c *Config) { c.ThirdParty.Providers.Apple.ClientID = "x" }, nil},
		{"saml ok", enableSAML, nil},
		{"saml incomplete", func(c *Config) { c.SAML.Enabled = true }, []string{"saml.endpoint_url", "saml.audience_uri", "saml.identity_providers"}},
		{"saml idp incomplete", func(c *Config) {
			enableSAML(c)
			c.SAML.IdentityProviders[0].MetadataURL = ""
			c.SAML.IdentityProviders[0].Domain = ""
		}, []string{"saml.identity_providers[0].domain", "saml.identity_providers[0].metadata_url"}},
		{"username lengths", func(c *Config) { c.Username.MinLength, c.Username.MaxLength = 10, 5 }, []string{"username.max_length"}},
		{"webhooks", func(c *Config) {
			c.Webhooks.Hooks = []Webhook{
				{Callback: "https://ok.example/h", Events: []string{"user", "email.send"}},
				{Callback: "/relative", Events: []string{"user.created"}},
				{Callback: "https://ok.example", Events: nil},
			}
		}, []string{"webhooks.hooks[1].callback", "webhooks.hooks[1].events[0]", "webhooks.hooks[2].events"}},
		{"relying party", func(c *Config) {
			c.WebAuthn.RelyingParty.ID = ""
			c.WebAuthn.RelyingParty.Origins = nil
		}, []string{"webauthn.relying_party.id", "webauthn.relying_party.origins"}},
		{"database dialect", func(c *Config) { c.Database.Dialect = "oracle" }, []string{"database.dialect"}},
		{"database url", func(c *Config) { c.Database.URL = "foo://bar" }, []string{"database.url"}},
		{"database port", func(c *Config) { c.Database.Dialect, c.Database.Port = "postgres", "fivefour" }, []string{"database.port"}},
		{"database pool", func(c *Config) {
			c.Database.MaxOpenConns = -1
			c.Database.ConnMaxLifetime = Duration(-time.Minute)
		}, []string{"database.max_open_conns", "database.conn_max_lifetime"}},
		{"email", func(c *Config) {
			c.Email.Limit = 0
			c.Email.PasscodeTTL = 0
		}, []string{"email.limit", "email.passcode_ttl"}},
		{"smtp port", func(c *Config) { c.EmailDelivery.SMTP.Port = "smtp" }, []string{"email_delivery.smtp.port"}},
		{"password length", func(c *Config) { c.Password.MinLength = 73 }, []string{"password.min_length"}},
		{"password length negative", func(c *Config) { c.Password.MinLength = -1 }, []string{"password.min_length"}},
		{"server-side limit", func(c *Config) {
			c.Session.ServerSide.Enabled = true
			c.Session.ServerSide.Limit = 0
		}, []string{"session.server_side.limit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tc.mutate(&c)
			err := c.Validate()
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want failures for %v", tc.want)
			}
			if got := fieldKeys(t, err); !slices.Equal(got, tc.want) {
				t.Errorf("failing keys = %v\n            want %v\nerror: %v", got, tc.want, err)
			}
		})
	}
}

func TestValidateSigningKeyMessages(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Secrets.Algorithm = "HS256"
	c.Secrets.RSAKeySize = 1024
	err := c.Validate()
	want := "secrets.algorithm: must be one of ES256, RS256, EdDSA, got \"HS256\"\n" +
		"secrets.rsa_key_size: must be 2048, 3072 or 4096 (bits), got 1024"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate = %q, want %q", err, want)
	}
}

func TestValidateMessage(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Secrets.Keys = []string{"short"}
	c.Service.Name = ""
	err := c.Validate()
	want := "secrets.keys[0]: must be at least 16 characters\nservice.name: must not be empty"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate = %q, want %q", err, want)
	}
}

func TestCommonKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ a, b, want string }{
		{"a.b", "a.b", "a.b"},
		{"a.origins[0]", "a.origins[1]", "a.origins"},
		{"a.b[0]", "a.b", "a.b"},
		{"session.lifespan", "session.issuer", "session"},
		{"a.b", "a.bc", "a"},
		{"x", "y", ""},
	} {
		if got := commonKey(tc.a, tc.b); got != tc.want {
			t.Errorf("commonKey(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
		if got := commonKey(tc.b, tc.a); got != tc.want {
			t.Errorf("commonKey(%q, %q) = %q, want %q", tc.b, tc.a, got, tc.want)
		}
	}
}
