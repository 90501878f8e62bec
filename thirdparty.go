package hanko

import (
	"fmt"
	"slices"

	"github.com/hanko-go/hanko/config"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/thirdparty"
	"github.com/hanko-go/hanko/users"
)

// newThirdParty builds third-party login from third_party.*, or returns nil
// when no provider (built-in or custom) is enabled. The OAuth state is
// sealed with a key derived from secrets.keys for that purpose alone
// (jwks.NewSealer), not with the key that encrypts the signing keys.
func newThirdParty(cfg config.Config, db *store.DB, s settings) (*thirdparty.Service, error) {
	tp := cfg.ThirdParty
	pc := func(p config.ThirdPartyProvider) thirdparty.ProviderConfig {
		return thirdparty.ProviderConfig{ClientID: p.ClientID, Secret: p.Secret, AllowLinking: p.AllowLinking,
			RedirectURL: tp.RedirectURL, Now: s.now}
	}
	var providers []thirdparty.Provider
	bp := tp.Providers
	if bp.Apple.Enabled {
		var key *thirdparty.AppleKey
		if bp.Apple.TeamID != "" {
			key = &thirdparty.AppleKey{TeamID: bp.Apple.TeamID, KeyID: bp.Apple.KeyID, PrivateKeyPEM: bp.Apple.Secret}
		}
		p, err := thirdparty.Apple(pc(bp.Apple), key)
		if err != nil {
			return nil, fmt.Errorf("hanko: third_party.providers.apple: %w", err)
		}
		providers = append(providers, p)
	}
	for _, b := range []struct {
		p   config.ThirdPartyProvider
		new func(thirdparty.ProviderConfig) thirdparty.Provider
	}{
		{bp.Discord, thirdparty.Discord}, {bp.GitHub, thirdparty.GitHub}, {bp.Google, thirdparty.Google},
		{bp.LinkedIn, thirdparty.LinkedIn}, {bp.Microsoft, thirdparty.Microsoft},
	} {
		if b.p.Enabled {
			providers = append(providers, b.new(pc(b.p)))
		}
	}
	for _, name := range customProviderNames(tp) {
		c := tp.CustomProviders[name]
		providers = append(providers, thirdparty.OIDC(thirdparty.OIDCConfig{
			ProviderConfig: thirdparty.ProviderConfig{ClientID: c.ClientID, Secret: c.Secret, AllowLinking: c.AllowLinking,
				RedirectURL: tp.RedirectURL, Now: s.now},
			Name: name, DisplayName: c.DisplayName, Issuer: c.Issuer, Scopes: slices.Clone(c.Scopes),
		}))
	}
	if len(providers) == 0 {
		return nil, nil
	}
	sealer, err := jwks.NewSealer(cfg.Secrets.Keys, s.rand)
	if err != nil {
		return nil, fmt.Errorf("hanko: third_party: %w", err)
	}
	svc, err := thirdparty.New(thirdparty.Config{
		Store: db, Sealer: sealer, Providers: providers,
		ErrorRedirectURL: tp.ErrorRedirectURL, AllowedRedirectURLs: slices.Clone(tp.AllowedRedirectURLs),
		RequireVerification: cfg.Email.RequireVerification, AllowSignup: cfg.Account.AllowSignup,
		EmailLimit: cfg.Email.Limit, NormalizeEmail: users.NormalizeEmail,
		Events: s.events, Now: s.now, Rand: s.rand,
	})
	if err != nil {
		return nil, fmt.Errorf("hanko: %w", err)
	}
	return svc, nil
}

// customProviderNames returns the names of the enabled custom providers,
// sorted.
func customProviderNames(tp config.ThirdParty) []string {
	var names []string
	for name, c := range tp.CustomProviders {
		if c.Enabled {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// ThirdParty returns the third-party login API, or nil when no provider is
// enabled.
func (h *Hanko) ThirdParty() *thirdparty.Service { return h.thirdParty }
