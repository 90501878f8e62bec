package config

import (
	"slices"
	"strings"
	"testing"
)

func TestCustomProvidersParse(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(`
third_party:
  custom_providers:
    acme:
      enabled: true
      display_name: Acme ID
      issuer: https://id.acme.test
      client_id: cid
      secret: sec
      scopes: [openid, email]
      allow_linking: true
  providers:
    apple:
      team_id: T1
      key_id: K1
`))
	if err != nil {
		t.Fatal(err)
	}
	want := CustomProvider{Enabled: true, DisplayName: "Acme ID", Issuer: "https://id.acme.test", ClientID: "cid", Secret: "sec",
		Scopes: []string{"openid", "email"}, AllowLinking: true}
	got := c.ThirdParty.CustomProviders["acme"]
	if !slices.Equal(got.Scopes, want.Scopes) || got.Enabled != want.Enabled || got.DisplayName != want.DisplayName ||
		got.Issuer != want.Issuer || got.ClientID != want.ClientID || got.Secret != want.Secret || got.AllowLinking != want.AllowLinking {
		t.Fatalf("custom provider = %+v, want %+v", got, want)
	}
	if p := c.ThirdParty.Providers.Apple; p.TeamID != "T1" || p.KeyID != "K1" {
		t.Fatalf("apple = %+v", p)
	}

	// Strict YAML holds inside the map: an unknown key is named with its path.
	_, err = Parse([]byte("third_party:\n  custom_providers:\n    acme:\n      issuer_url: x\n"))
	if err == nil || !strings.Contains(err.Error(), `third_party.custom_providers.acme.issuer_url`) {
		t.Fatalf("unknown key inside a custom provider: %v", err)
	}
}

func TestCustomProvidersEnv(t *testing.T) {
	t.Parallel()
	c := Default()
	err := c.ApplyEnv(lookupMap(map[string]string{
		"THIRD_PARTY_CUSTOM_PROVIDERS": `{"acme":{"enabled":true,"issuer":"https://id.acme.test","client_id":"c","secret":"s"}}`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if p := c.ThirdParty.CustomProviders["acme"]; !p.Enabled || p.Issuer != "https://id.acme.test" || p.ClientID != "c" {
		t.Fatalf("custom provider from env = %+v", p)
	}
	for _, bad := range []string{`{"acme":{"issuer_url":"x"}}`, `[1]`, `{"a":{}} x`} {
		c := Default()
		if err := c.ApplyEnv(lookupMap(map[string]string{"THIRD_PARTY_CUSTOM_PROVIDERS": bad})); err == nil ||
			!strings.Contains(err.Error(), "THIRD_PARTY_CUSTOM_PROVIDERS") {
			t.Errorf("THIRD_PARTY_CUSTOM_PROVIDERS=%s: %v", bad, err)
		}
	}
}

func TestCustomProvidersValidate(t *testing.T) {
	t.Parallel()
	base := func() Config {
		c := Default()
		c.ThirdParty.RedirectURL = "https://auth.example/thirdparty/callback"
		c.ThirdParty.ErrorRedirectURL = "https://app.example/error"
		c.ThirdParty.AllowedRedirectURLs = []string{"https://app.example/**"}
		return c
	}
	ok := CustomProvider{Enabled: true, Issuer: "https://id.acme.test", ClientID: "c", Secret: "s"}
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		wants []string
	}{
		{"valid", func(c *Config) { c.ThirdParty.CustomProviders = map[string]CustomProvider{"acme": ok} }, nil},
		{"localhost http", func(c *Config) {
			p := ok
			p.Issuer = "http://127.0.0.1:9999/realms/x"
			c.ThirdParty.CustomProviders = map[string]CustomProvider{"acme": p}
		}, nil},
		{"missing fields", func(c *Config) {
			c.ThirdParty.CustomProviders = map[string]CustomProvider{"acme": {Enabled: true, Issuer: "http://id.acme.test"}}
		}, []string{"third_party.custom_providers.acme.client_id", "third_party.custom_providers.acme.secret", "third_party.custom_providers.acme.issuer"}},
		{"bad name", func(c *Config) { c.ThirdParty.CustomProviders = map[string]CustomProvider{"Acme Corp": ok} },
			[]string{"third_party.custom_providers.Acme Corp"}},
		{"built-in name", func(c *Config) { c.ThirdParty.CustomProviders = map[string]CustomProvider{"google": ok} },
			[]string{"third_party.custom_providers.google"}},
		{"enabled needs redirect URLs", func(c *Config) {
			*c = Default()
			c.ThirdParty.CustomProviders = map[string]CustomProvider{"acme": ok}
		}, []string{"third_party.redirect_url", "third_party.error_redirect_url", "third_party.allowed_redirect_urls"}},
		{"team_id on github", func(c *Config) { c.ThirdParty.Providers.GitHub.TeamID = "T" }, []string{"third_party.providers.github"}},
		{"apple key id without team id", func(c *Config) {
			c.ThirdParty.Providers.Apple = ThirdPartyProvider{Enabled: true, ClientID: "c", Secret: "s", KeyID: "K"}
		}, []string{"third_party.providers.apple"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.edit(&c)
			got := fieldKeys(t, c.Validate())
			slices.Sort(got)
			want := slices.Clone(tc.wants)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("Validate keys = %q, want %q", got, want)
			}
		})
	}
}
