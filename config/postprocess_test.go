package config

import (
	"reflect"
	"slices"
	"testing"
)

func TestPostProcess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		yaml  string
		check func(t *testing.T, c Config)
	}{
		{"legacy keys mapped", `
convert_legacy_config: true
emails:
  require_verification: false
  max_num_of_addresses: 3
passcode:
  ttl: 600
  email:
    from_address: passcode@example.com
    from_name: Example
  smtp:
    host: old.example.com
    user: olduser
password:
  min_password_length: 12
webauthn:
  user_verification: required
  timeout: 60000
`, func(t *testing.T, c Config) {
			if c.Email.RequireVerification || c.Email.Limit != 3 || c.Email.PasscodeTTL != 600 {
				t.Errorf("email = %+v", c.Email)
			}
			ed := c.EmailDelivery
			if ed.FromAddress != "passcode@example.com" || ed.FromName != "Example" {
				t.Errorf("email_delivery from = %q %q", ed.FromAddress, ed.FromName)
			}
			if want := (SMTP{Host: "old.example.com", Port: "465", User: "olduser"}); ed.SMTP != want {
				t.Errorf("email_delivery.smtp = %+v, want %+v", ed.SMTP, want)
			}
			if c.Password.MinLength != 12 || c.Passkey.UserVerification != "required" {
				t.Errorf("password.min_length = %d, passkey.user_verification = %q", c.Password.MinLength, c.Passkey.UserVerification)
			}
			if c.WebAuthn.Timeouts != (WebAuthnTimeouts{60000, 60000}) {
				t.Errorf("webauthn.timeouts = %+v", c.WebAuthn.Timeouts)
			}
		}},
		{"top-level smtp wins over passcode.smtp", `
convert_legacy_config: true
passcode:
  smtp:
    host: older.example.com
    port: 25
smtp:
  host: newer.example.com
`, func(t *testing.T, c Config) {
			if want := (SMTP{Host: "newer.example.com", Port: "25"}); c.EmailDelivery.SMTP != want {
				t.Errorf("email_delivery.smtp = %+v, want %+v", c.EmailDelivery.SMTP, want)
			}
		}},
		{"unset legacy keys keep new values", `
convert_legacy_config: true
email:
  limit: 9
  passcode_ttl: 120
password:
  min_length: 10
email_delivery:
  smtp:
    host: mail.example.com
`, func(t *testing.T, c Config) {
			if c.Email.Limit != 9 || c.Email.PasscodeTTL != 120 || c.Password.MinLength != 10 || c.EmailDelivery.SMTP.Host != "mail.example.com" {
				t.Errorf("new keys overwritten: email=%+v password=%+v smtp=%+v", c.Email, c.Password, c.EmailDelivery.SMTP)
			}
		}},
		{"no conversion without the flag", `
emails:
  max_num_of_addresses: 2
smtp:
  host: smtp.example.com
`, func(t *testing.T, c Config) {
			if c.Email.Limit != 5 || c.EmailDelivery.SMTP.Host != "localhost" {
				t.Errorf("legacy keys applied without convert_legacy_config: %+v %+v", c.Email, c.EmailDelivery.SMTP)
			}
		}},
		{"audience from relying party", `
webauthn:
  relying_party:
    id: example.com
`, func(t *testing.T, c Config) {
			if !slices.Equal(c.Session.Audience, []string{"example.com"}) {
				t.Errorf("session.audience = %v", c.Session.Audience)
			}
		}},
		{"audience kept", `
session:
  audience: [api.example.com]
`, func(t *testing.T, c Config) {
			if !slices.Equal(c.Session.Audience, []string{"api.example.com"}) {
				t.Errorf("session.audience = %v", c.Session.Audience)
			}
		}},
		{"redirect urls trimmed", `
third_party:
  redirect_url: https://auth.example/thirdparty/callback
  error_redirect_url: https://app.example/error/
  default_redirect_url: https://app.example//
  allowed_redirect_urls: [https://app.example/, "https://*.app.example/**"]
`, func(t *testing.T, c Config) {
			tp := c.ThirdParty
			if tp.ErrorRedirectURL != "https://app.example/error" || tp.DefaultRedirectURL != "https://app.example" {
				t.Errorf("redirects = %q, %q", tp.ErrorRedirectURL, tp.DefaultRedirectURL)
			}
			if !slices.Equal(tp.AllowedRedirectURLs, []string{"https://app.example", "https://*.app.example/**"}) {
				t.Errorf("allowed_redirect_urls = %q", tp.AllowedRedirectURLs)
			}
		}},
		{"saml attribute map defaults", `
saml:
  identity_providers:
    - name: Okta
      attribute_map:
        email: mail
`, func(t *testing.T, c Config) {
			m := c.SAML.IdentityProviders[0].AttributeMap
			if m.Email != "mail" || m.Name != "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" ||
				m.GivenName == "" || m.FamilyName == "" || m.Phone != "" {
				t.Errorf("attribute_map = %+v", m)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := mustParse(t, tc.yaml)
			c.PostProcess()
			tc.check(t, c)
			again := c
			again.PostProcess()
			if !reflect.DeepEqual(again, c) {
				t.Error("PostProcess is not idempotent")
			}
		})
	}
}

func TestPostProcessDoesNotWriteSharedSlices(t *testing.T) {
	t.Parallel()
	urls := []string{"https://a.example/"}
	c := Default()
	c.ThirdParty.AllowedRedirectURLs = urls
	c.PostProcess()
	if urls[0] != "https://a.example/" {
		t.Error("PostProcess modified the caller's slice")
	}
}
