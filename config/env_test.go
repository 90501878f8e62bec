package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// lookupMap returns a lookup function over m, as os.LookupEnv would over the environment.
func lookupMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestApplyEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{"secrets", map[string]string{"SECRETS_KEYS": "0123456789abcdef0123, fedcba9876543210fedc"}, func(t *testing.T, c Config) {
			if want := []string{"0123456789abcdef0123", "fedcba9876543210fedc"}; !slices.Equal(c.Secrets.Keys, want) {
				t.Errorf("secrets.keys = %q", c.Secrets.Keys)
			}
		}},
		{"signing key kind", map[string]string{"SECRETS_ALGORITHM": "RS256", "SECRETS_RSA_KEY_SIZE": "4096"}, func(t *testing.T, c Config) {
			if c.Secrets.Algorithm != "RS256" || c.Secrets.RSAKeySize != 4096 {
				t.Errorf("secrets.algorithm = %q, secrets.rsa_key_size = %d", c.Secrets.Algorithm, c.Secrets.RSAKeySize)
			}
		}},
		{"database url", map[string]string{"DATABASE_URL": "postgres://u:p@db:5432/hanko?sslmode=disable"}, func(t *testing.T, c Config) {
			if c.Database.URL != "postgres://u:p@db:5432/hanko?sslmode=disable" {
				t.Errorf("database.url = %q", c.Database.URL)
			}
		}},
		{"bool", map[string]string{"PASSWORD_ENABLED": "false", "DEBUG": "1"}, func(t *testing.T, c Config) {
			if c.Password.Enabled || !c.Debug {
				t.Errorf("password.enabled = %v, debug = %v", c.Password.Enabled, c.Debug)
			}
		}},
		{"nested string", map[string]string{"SERVER_PUBLIC_ADDRESS": ":9000", "EMAIL_DELIVERY_SMTP_HOST": "mail.example.com"}, func(t *testing.T, c Config) {
			if c.Server.Public.Address != ":9000" || c.EmailDelivery.SMTP.Host != "mail.example.com" {
				t.Errorf("address = %q, smtp host = %q", c.Server.Public.Address, c.EmailDelivery.SMTP.Host)
			}
		}},
		{"string list", map[string]string{"SERVER_PUBLIC_CORS_ALLOW_ORIGINS": "a,b"}, func(t *testing.T, c Config) {
			if !slices.Equal(c.Server.Public.CORS.AllowOrigins, []string{"a", "b"}) {
				t.Errorf("allow_origins = %q", c.Server.Public.CORS.AllowOrigins)
			}
		}},
		{"empty list", map[string]string{"SESSION_AUDIENCE": ""}, func(t *testing.T, c Config) {
			if c.Session.Audience == nil || len(c.Session.Audience) != 0 {
				t.Errorf("audience = %#v, want empty", c.Session.Audience)
			}
		}},
		{"durations and ints", map[string]string{"SESSION_LIFESPAN": "1h", "RATE_LIMITER_PASSCODE_LIMITS_TOKENS": "10", "RATE_LIMITER_PASSCODE_LIMITS_INTERVAL": "30s"}, func(t *testing.T, c Config) {
			if c.Session.Lifespan.Std() != time.Hour || c.RateLimiter.PasscodeLimits != (RateLimit{10, Duration(30 * time.Second)}) {
				t.Errorf("lifespan = %v, passcode_limits = %+v", c.Session.Lifespan, c.RateLimiter.PasscodeLimits)
			}
		}},
		{"third party", map[string]string{"THIRD_PARTY_PROVIDERS_GOOGLE_CLIENT_ID": "cid", "THIRD_PARTY_PROVIDERS_GOOGLE_ENABLED": "true"}, func(t *testing.T, c Config) {
			if g := c.ThirdParty.Providers.Google; g.ClientID != "cid" || !g.Enabled || !g.AllowLinking {
				t.Errorf("google = %+v", g)
			}
		}},
		{"webhooks", map[string]string{"WEBHOOKS_HOOKS": `{"callback":"https://a.example/h?x=1;y=2","events":["user"]}; {"callback":"https://b.example","events":["email.send","user.delete"]}`}, func(t *testing.T, c Config) {
			want := []Webhook{
				{Callback: "https://a.example/h?x=1;y=2", Events: []string{"user"}},
				{Callback: "https://b.example", Events: []string{"email.send", "user.delete"}},
			}
			if !reflect.DeepEqual(c.Webhooks.Hooks, want) {
				t.Errorf("hooks = %+v", c.Webhooks.Hooks)
			}
		}},
		{"webhooks as array", map[string]string{"WEBHOOKS_HOOKS": `[{"callback":"https://a.example","events":["user"]}]`}, func(t *testing.T, c Config) {
			if len(c.Webhooks.Hooks) != 1 || c.Webhooks.Hooks[0].Callback != "https://a.example" {
				t.Errorf("hooks = %+v", c.Webhooks.Hooks)
			}
		}},
		{"saml identity providers", map[string]string{"SAML_IDENTITY_PROVIDERS": `{"enabled":true,"name":"Okta","domain":"example.com","metadata_url":"https://idp.example/md","attribute_map":{"email":"mail"}}`}, func(t *testing.T, c Config) {
			if len(c.SAML.IdentityProviders) != 1 || c.SAML.IdentityProviders[0].AttributeMap.Email != "mail" {
				t.Errorf("identity_providers = %+v", c.SAML.IdentityProviders)
			}
		}},
		{"unset keeps file value", map[string]string{}, func(t *testing.T, c Config) {
			if !reflect.DeepEqual(c, Default()) {
				t.Error("config changed without variables")
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			if err := c.ApplyEnv(lookupMap(tc.env)); err != nil {
				t.Fatalf("ApplyEnv: %v", err)
			}
			tc.check(t, c)
		})
	}
}

func TestApplyEnvErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string // substrings, one per reported error
	}{
		{"malformed bool", map[string]string{"PASSWORD_ENABLED": "nope"}, []string{`PASSWORD_ENABLED: invalid boolean "nope"`}},
		{"empty bool", map[string]string{"DEBUG": ""}, []string{"DEBUG: invalid boolean"}},
		{"malformed int", map[string]string{"EMAIL_LIMIT": "five"}, []string{`EMAIL_LIMIT: invalid integer "five"`}},
		{"malformed duration", map[string]string{"SESSION_LIFESPAN": "12"}, []string{`SESSION_LIFESPAN: invalid duration "12"`}},
		{"malformed hooks", map[string]string{"WEBHOOKS_HOOKS": `{"callback":"x"} {"callback":"y"}`}, []string{"WEBHOOKS_HOOKS: entry 1: expected \";\""}},
		{"unknown hook key", map[string]string{"WEBHOOKS_HOOKS": `{"url":"x"}`}, []string{"WEBHOOKS_HOOKS: entry 1: invalid JSON object"}},
		{"all reported", map[string]string{"PASSWORD_ENABLED": "nope", "EMAIL_LIMIT": "x", "SERVER_PUBLIC_ADDRESS": ":1"}, []string{"EMAIL_LIMIT", "PASSWORD_ENABLED"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			err := c.ApplyEnv(lookupMap(tc.env))
			if err == nil {
				t.Fatal("ApplyEnv succeeded, want error")
			}
			errs := joined(err)
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d: %v", len(errs), len(tc.want), err)
			}
			for i, want := range tc.want {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i], want)
				}
			}
			if !reflect.DeepEqual(c, Default()) {
				t.Error("ApplyEnv changed the config although it failed")
			}
		})
	}
}

// TestEnvNames checks the derived names: unique, and spelled as Hanko documents them.
func TestEnvNames(t *testing.T) {
	t.Parallel()
	names := envNames()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("duplicate environment variable %s", n)
		}
		seen[n] = true
	}
	for _, want := range []string{
		"SECRETS_KEYS", "DATABASE_URL", "PASSWORD_ENABLED", "SERVER_PUBLIC_ADDRESS",
		"SERVER_PUBLIC_CORS_ALLOW_ORIGINS", "EMAIL_DELIVERY_SMTP_HOST", "SESSION_LIFESPAN",
		"RATE_LIMITER_PASSCODE_LIMITS_TOKENS", "THIRD_PARTY_PROVIDERS_GOOGLE_CLIENT_ID",
		"WEBHOOKS_HOOKS", "WEBAUTHN_RELYING_PARTY_ORIGINS", "SESSION_COOKIE_SAME_SITE",
		"DATABASE_MAX_OPEN_CONNS", "PASSCODE_EMAIL_FROM_ADDRESS", "RATE_LIMITER_REDIS_CONFIG_ADDRESS",
		"SECRETS_ALGORITHM", "SECRETS_RSA_KEY_SIZE",
	} {
		if !seen[want] {
			t.Errorf("missing environment variable %s", want)
		}
	}
}

func TestApplyEnvDoesNotAliasSlices(t *testing.T) {
	t.Parallel()
	a := Default()
	b := a
	if err := b.ApplyEnv(lookupMap(map[string]string{"SECRETS_KEYS": "xxxxxxxxxxxxxxxxxxxx"})); err != nil {
		t.Fatal(err)
	}
	if a.Secrets.Keys[0] != "abcedfghijklmnopqrstuvwxyz" {
		t.Error("ApplyEnv wrote into a slice shared with a copy")
	}
}
