package hanko

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/hanko-go/hanko/config"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

// Store is every persistence need of every feature; *store.DB implements it.
type Store interface {
	users.FullStore
}

var _ Store = (*store.DB)(nil)

// defaultSecret is Hanko's public default for secrets.keys.
const defaultSecret = "abcedfghijklmnopqrstuvwxyz"

// Hanko is an authentication service: it is the public API's http.Handler,
// serves the admin API through Admin, and exposes every feature as Go
// through its accessors. It is safe for concurrent use. Close releases it.
type Hanko struct {
	cfg    config.Config
	db     *store.DB
	users  *users.Service
	public http.Handler
	admin  http.Handler
	log    *slog.Logger
}

// New builds a Hanko from the options. It merges the configuration (defaults,
// WithConfig, WithConfigFile, WithEnv), validates it once and reports every
// problem in one error, connects to the database and, with WithAutoMigrate,
// migrates it.
func New(opts ...Option) (*Hanko, error) {
	s := settings{cfg: config.Default(), now: time.Now, rand: rand.Reader}
	for _, opt := range opts {
		opt(&s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	cfg, err := s.config()
	if err != nil {
		return nil, fmt.Errorf("hanko: invalid configuration: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := s.open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("hanko: %w", err)
	}
	if s.migrate {
		if err := db.Migrate(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("hanko: %w", err)
		}
	}
	h, err := build(cfg, db, s)
	if err != nil {
		db.Close()
		return nil, err
	}
	h.warnDevelopmentDefaults()
	return h, nil
}

// config merges and validates the configuration.
func (s *settings) config() (config.Config, error) {
	cfg := s.cfg
	if s.cfgFile != "" {
		if s.explicit {
			return cfg, errors.New("WithConfig and WithConfigFile exclude each other: pass one")
		}
		var err error
		if cfg, err = config.Load(s.cfgFile); err != nil {
			return cfg, err
		}
	}
	if s.env != nil {
		if err := cfg.ApplyEnv(s.env); err != nil {
			return cfg, err
		}
	}
	cfg.PostProcess()
	return cfg, cfg.Validate()
}

// open connects to the database the options or the configuration name.
func (s *settings) open(ctx context.Context, cfg config.Config) (*store.DB, error) {
	if s.bunDB != nil {
		return store.New(s.bunDB)
	}
	o := store.Options{
		Dialect: s.dialect, DSN: s.dsn,
		MaxOpenConns: cfg.Database.MaxOpenConns, MaxIdleConns: cfg.Database.MaxIdleConns,
		ConnMaxLifetime: cfg.Database.ConnMaxLifetime.Std(), ConnMaxIdleTime: cfg.Database.ConnMaxIdleTime.Std(),
	}
	if o.Dialect == "" {
		dialect, dsn, err := cfg.Database.Resolve()
		if err != nil {
			return nil, err
		}
		o.Dialect, o.DSN = dialect, dsn
	}
	return store.Open(ctx, o)
}

// build wires the features and the HTTP layer.
func build(cfg config.Config, db *store.DB, s settings) (*Hanko, error) {
	us, err := users.New(users.Config{
		Store:               db,
		RequireVerification: cfg.Email.RequireVerification,
		AllowSignup:         cfg.Account.AllowSignup,
		EmailLimit:          cfg.Email.Limit,
		EmailMaxLength:      cfg.Email.MaxLength,
		UsernameMinLength:   cfg.Username.MinLength,
		UsernameMaxLength:   cfg.Username.MaxLength,
		Now:                 s.now,
		Rand:                s.rand,
	})
	if err != nil {
		return nil, err
	}
	h := &Hanko{cfg: cfg, db: db, users: us, log: s.log}
	deps := httpapi.Deps{
		Users:  us,
		Ready:  db.Ping,
		Logger: s.log,
		Now:    s.now,
		Rand:   s.rand,
		Settings: httpapi.Settings{
			CORS: httpapi.CORS{
				AllowOrigins:                slices.Clone(cfg.Server.Public.CORS.AllowOrigins),
				UnsafeWildcardOriginAllowed: cfg.Server.Public.CORS.UnsafeWildcardOriginAllowed,
				ExposeHeaders:               exposedHeaders(cfg),
			},
			LogHealth:           cfg.Log.LogHealthAndMetrics,
			RequireVerification: cfg.Email.RequireVerification,
			WellKnown:           wellKnown(cfg),
		},
	}
	h.public = httpapi.Public(deps)
	h.admin = httpapi.Admin(deps)
	return h, nil
}

// exposedHeaders are the response headers the browser SDK must read.
func exposedHeaders(cfg config.Config) []string {
	h := []string{"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Session-Lifetime"}
	if cfg.Session.EnableAuthTokenHeader {
		h = append(h, "X-Auth-Token")
	}
	return h
}

// wellKnown builds the public configuration document.
func wellKnown(cfg config.Config) httpapi.WellKnownConfig {
	p := cfg.ThirdParty.Providers
	providers := []string{}
	for _, e := range []struct {
		name string
		on   bool
	}{
		{"Apple", p.Apple.Enabled}, {"Discord", p.Discord.Enabled}, {"GitHub", p.GitHub.Enabled},
		{"Google", p.Google.Enabled}, {"LinkedIn", p.LinkedIn.Enabled}, {"Microsoft", p.Microsoft.Enabled},
	} {
		if e.on {
			providers = append(providers, e.name)
		}
	}
	enterprise := false
	for _, idp := range cfg.SAML.IdentityProviders {
		enterprise = enterprise || cfg.SAML.Enabled && idp.Enabled
	}
	return httpapi.WellKnownConfig{
		Password:      httpapi.PasswordConfig{Enabled: cfg.Password.Enabled, MinPasswordLength: cfg.Password.MinLength},
		Emails:        httpapi.EmailsConfig{RequireVerification: cfg.Email.RequireVerification, MaxNumOfAddresses: cfg.Email.Limit},
		Providers:     providers,
		Account:       httpapi.AccountConfig{AllowDeletion: cfg.Account.AllowDeletion, AllowSignup: cfg.Account.AllowSignup},
		UseEnterprise: enterprise,
	}
}

// warnDevelopmentDefaults says loudly when the service runs with settings
// that are fine on a laptop and unsafe anywhere else.
func (h *Hanko) warnDevelopmentDefaults() {
	if slices.Contains(h.cfg.Secrets.Keys, defaultSecret) {
		h.log.Warn("secrets.keys contains Hanko's public default key: anyone can decrypt the signing keys; set your own secret (SECRETS_KEYS) before production")
	}
}

// ServeHTTP serves the public API. Mount it under a prefix with
// http.StripPrefix:
//
//	mux.Handle("/auth/", http.StripPrefix("/auth", h))
func (h *Hanko) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.public.ServeHTTP(w, r) }

// Admin returns the admin API handler. Serve it on a separate, private
// listener: it manages every user.
func (h *Hanko) Admin() http.Handler { return h.admin }

// Users returns the user management API.
func (h *Hanko) Users() *users.Service { return h.users }

// Config returns the effective configuration (after file, environment and
// post-processing).
func (h *Hanko) Config() Config { return h.cfg }

// Store returns the database store, for hosts that run their own queries
// on the same pool (Store().Bun()).
func (h *Hanko) Store() *store.DB { return h.db }

// Migrate brings the database schema up to date. It is idempotent and safe
// when several instances run it at once.
func (h *Hanko) Migrate(ctx context.Context) error { return h.db.Migrate(ctx) }

// Ready reports whether the database answers.
func (h *Hanko) Ready(ctx context.Context) error { return h.db.Ping(ctx) }

// Close releases the database pool (unless it came from WithDB).
func (h *Hanko) Close() error {
	return errors.Join(h.db.Close())
}
