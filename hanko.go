package hanko

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/hanko-go/hanko/audit"
	"github.com/hanko-go/hanko/config"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/mail"
	"github.com/hanko-go/hanko/metrics"
	"github.com/hanko-go/hanko/passcode"
	"github.com/hanko-go/hanko/passkey"
	"github.com/hanko-go/hanko/password"
	"github.com/hanko-go/hanko/ratelimit"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/thirdparty"
	"github.com/hanko-go/hanko/users"
	"github.com/hanko-go/hanko/webhook"
	"github.com/redis/go-redis/v9"
)

// Store is every persistence need of every feature; *store.DB implements it.
type Store interface {
	users.FullStore
	jwks.Store
	session.FullStore
	passcode.Store
	password.Store
	ratelimit.Store
	thirdparty.Store
	webhook.Store
	passkey.Store
	audit.Store
}

var _ Store = (*store.DB)(nil)

// defaultSecret is Hanko's public default for secrets.keys.
const defaultSecret = "abcedfghijklmnopqrstuvwxyz"

// Hanko is an authentication service: it is the public API's http.Handler,
// serves the admin API through Admin, and exposes every feature as Go
// through its accessors. It is safe for concurrent use. Close releases it.
type Hanko struct {
	cfg       config.Config
	db        *store.DB
	keys      *jwks.Set
	sessions  *session.Manager
	users     *users.Service
	passcodes *passcode.Service
	passwords *password.Service
	passkeys  *passkey.Service
	public    http.Handler
	admin     http.Handler
	log       *slog.Logger

	thirdParty *thirdparty.Service // nil without an enabled provider

	adminWarning sync.Once // the unauthenticated-admin warning, once

	webhooks *webhook.Service
	audit    *audit.Log
	metrics  *metrics.Metrics // nil with WithoutMetrics

	closeLimits func() error // releases the rate limiters' Redis client

	stopSweep chan struct{}
	swept     sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New builds a Hanko from the options. It merges the configuration (defaults,
// WithConfig, WithConfigFile, WithEnv), validates it once and reports every
// problem in one error, connects to the database and, with WithAutoMigrate,
// migrates it.
func New(opts ...Option) (*Hanko, error) {
	s, cfg, db, err := openConfigured(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if s.migrate {
		err = db.Migrate(ctx)
	} else {
		err = schemaCurrent(ctx, db)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("hanko: %w", err)
	}
	h, err := build(ctx, cfg, db, s)
	if err != nil {
		db.Close()
		return nil, err
	}
	h.warnDevelopmentDefaults()
	h.startSweeper(s)
	h.webhooks.Start()
	return h, nil
}

// sweepBatch bounds each table's deletions per sweep.
const sweepBatch = 1000

// startSweeper deletes expired short-lived rows in the background until
// Close.
func (h *Hanko) startSweeper(s settings) {
	interval := s.sweep
	if interval == 0 {
		interval = time.Minute
	}
	h.stopSweep = make(chan struct{})
	if interval < 0 {
		return
	}
	h.swept.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-h.stopSweep:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if n, err := h.db.DeleteExpired(ctx, s.now().UTC(), sweepBatch); err != nil {
				h.log.Warn("sweeping expired rows failed", slog.Any("error", err))
			} else if n > 0 {
				h.log.Debug("swept expired rows", slog.Int("rows", n))
			}
			cancel()
		}
	})
}

// OpenStore merges and validates the configuration like New and connects to
// the database, without building any feature: for tools that manage the
// schema (the CLI's migrate command), which must work on an empty database.
// The caller closes the store.
func OpenStore(opts ...Option) (*store.DB, Config, error) {
	_, cfg, db, err := openConfigured(opts)
	return db, cfg, err
}

// openConfigured applies the options, merges and validates the
// configuration and connects to the database.
func openConfigured(opts []Option) (settings, config.Config, *store.DB, error) {
	s := newSettings(opts)
	cfg, err := s.config()
	if err != nil {
		return s, cfg, nil, fmt.Errorf("hanko: invalid configuration: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := s.open(ctx, cfg)
	if err != nil {
		return s, cfg, nil, fmt.Errorf("hanko: %w", err)
	}
	return s, cfg, db, nil
}

// newSettings applies the options over the defaults.
func newSettings(opts []Option) settings {
	s := settings{cfg: config.Default(), now: time.Now, rand: rand.Reader}
	for _, opt := range opts {
		opt(&s)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// schemaCurrent fails with advice when migrations are pending.
func schemaCurrent(ctx context.Context, db *store.DB) error {
	_, pending, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("the database schema is not up to date (pending migrations %v): run \"migrate up\" or use WithAutoMigrate", pending)
	}
	return nil
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
func build(ctx context.Context, cfg config.Config, db *store.DB, s settings) (*Hanko, error) {
	keys, err := jwks.New(ctx, jwks.Config{
		Store: db, Secrets: cfg.Secrets.Keys, Algorithm: cfg.Secrets.Algorithm, RSABits: cfg.Secrets.RSAKeySize,
		Now: s.now, Rand: s.rand, Logger: s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("hanko: signing keys: %w", err)
	}
	m := newMetrics(&s)
	hooks, err := webhooks(cfg, db, keys, s)
	if err != nil {
		return nil, err
	}
	auditLog, err := newAuditLog(cfg, db, s)
	if err != nil {
		return nil, err
	}
	// Every feature emits through one emitter, inside its transactions.
	s.events = events.Multi(hooks, auditLog, metricsEmitter(m, hooks))
	sessions, err := session.New(session.Config{
		Keys: keys, Store: db,
		Lifespan: cfg.Session.Lifespan.Std(), Audience: cfg.Session.Audience, Issuer: cfg.Session.Issuer,
		ServerSide: cfg.Session.ServerSide.Enabled, Limit: cfg.Session.ServerSide.Limit,
		Cookie: session.Cookie{
			Name: cfg.Session.Cookie.Name, Domain: cfg.Session.Cookie.Domain, HTTPOnly: cfg.Session.Cookie.HTTPOnly,
			SameSite: cfg.Session.Cookie.SameSite, Secure: cfg.Session.Cookie.Secure,
		},
		AuthTokenHeader: cfg.Session.EnableAuthTokenHeader,
		Events:          s.events,
		Now:             s.now, Rand: s.rand, Logger: s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("hanko: sessions: %w", err)
	}
	us, err := users.New(users.Config{
		Store:               db,
		RequireVerification: cfg.Email.RequireVerification,
		AllowSignup:         cfg.Account.AllowSignup,
		EmailLimit:          cfg.Email.Limit,
		EmailMaxLength:      cfg.Email.MaxLength,
		UsernameMinLength:   cfg.Username.MinLength,
		UsernameMaxLength:   cfg.Username.MaxLength,
		Sessions:            sessions,
		Events:              s.events,
		Now:                 s.now,
		Rand:                s.rand,
	})
	if err != nil {
		sessions.Close()
		return nil, err
	}
	codes, err := passcodes(cfg, db, s)
	if err != nil {
		sessions.Close()
		return nil, err
	}
	pks, err := passkeys(cfg, db, s)
	if err != nil {
		sessions.Close()
		return nil, err
	}
	pws, err := passwords(cfg, db, s)
	if err != nil {
		sessions.Close()
		return nil, err
	}
	h := &Hanko{cfg: cfg, db: db, keys: keys, sessions: sessions, users: us, passcodes: codes, passwords: pws, passkeys: pks, log: s.log}
	h.webhooks = hooks
	h.audit, h.metrics = auditLog, m
	lim, closeLimits, err := limits(cfg.RateLimiter, db, s)
	if err != nil {
		sessions.Close()
		return nil, err
	}
	h.closeLimits = closeLimits
	if h.thirdParty, err = newThirdParty(cfg, db, s); err != nil {
		sessions.Close()
		if closeLimits != nil {
			closeLimits()
		}
		return nil, err
	}
	deps := httpapi.Deps{
		Users:     us,
		Sessions:  sessions,
		Passcodes: codes,
		Passwords: pws,
		Passkeys:  pks,
		Limits:    lim,
		Webhooks:  hooks,
		Events:    s.events,
		Audit:     auditLog,
		Metrics:   m,
		Keys:      keys,
		Ready:     db.Ping,
		Logger:    s.log,
		Now:       s.now,
		Rand:      s.rand,
		Settings: httpapi.Settings{
			CORS: httpapi.CORS{
				AllowOrigins:                slices.Clone(cfg.Server.Public.CORS.AllowOrigins),
				UnsafeWildcardOriginAllowed: cfg.Server.Public.CORS.UnsafeWildcardOriginAllowed,
				ExposeHeaders:               exposedHeaders(cfg),
			},
			LogHealth:      cfg.Log.LogHealthAndMetrics,
			AllowDeletion:  cfg.Account.AllowDeletion,
			WellKnown:      wellKnown(cfg),
			TrustedProxies: prefixes(cfg.Server.Public.TrustedProxies),
		},
	}
	deps.ThirdParty, deps.Settings.StateCookieSecure = h.thirdParty, cfg.Session.Cookie.Secure
	h.public = httpapi.Public(deps)
	deps.Settings.TrustedProxies = prefixes(cfg.Server.Admin.TrustedProxies)
	deps.Settings.AdminAPIKeys = slices.Clone(cfg.Server.Admin.APIKeys)
	h.admin = httpapi.Admin(deps)
	return h, nil
}

// prefixes parses server.*.trusted_proxies, which Validate has checked.
func prefixes(entries []string) []netip.Prefix {
	var ps []netip.Prefix
	for _, e := range entries {
		if p, err := config.ParsePrefix(e); err == nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// passcodes builds the passcode service when email passcodes are on
// (email.enabled and email.use_for_authentication), and nil otherwise.
func passcodes(cfg config.Config, db *store.DB, s settings) (*passcode.Service, error) {
	if !cfg.Email.Enabled || !cfg.Email.UseForAuthentication {
		return nil, nil
	}
	mailer := s.mailer
	if mailer == nil && cfg.EmailDelivery.Enabled {
		smtp := cfg.EmailDelivery.SMTP
		m, err := mail.NewSMTP(mail.SMTPConfig{
			Host: smtp.Host, Port: smtp.Port, User: smtp.User, Password: smtp.Password, Now: s.now, Rand: s.rand,
		})
		if err != nil {
			return nil, fmt.Errorf("hanko: email_delivery.smtp: %w", err)
		}
		mailer = m
	}
	p, err := passcode.New(passcode.Config{
		Store: db, Mailer: mailer,
		// The MAC key is derived, so the secret itself never keys two things.
		Secret:      passcode.DeriveSecret([]byte(cfg.Secrets.Keys[0])),
		TTL:         time.Duration(cfg.Email.PasscodeTTL) * time.Second,
		ServiceName: cfg.Service.Name, FromAddress: cfg.EmailDelivery.FromAddress, FromName: cfg.EmailDelivery.FromName,
		Events: s.events,
		Now:    s.now, Rand: s.rand,
	})
	if err != nil {
		return nil, fmt.Errorf("hanko: passcodes: %w", err)
	}
	return p, nil
}

// passkeys builds the passkey service when passkey.enabled is on, and nil
// otherwise.
func passkeys(cfg config.Config, db *store.DB, s settings) (*passkey.Service, error) {
	if !cfg.Passkey.Enabled {
		return nil, nil
	}
	rp := cfg.WebAuthn.RelyingParty
	p, err := passkey.New(passkey.Config{
		Store: db, RPID: rp.ID, RPDisplayName: rp.DisplayName, Origins: rp.Origins,
		RegistrationTimeout: time.Duration(cfg.WebAuthn.Timeouts.Registration) * time.Millisecond,
		LoginTimeout:        time.Duration(cfg.WebAuthn.Timeouts.Login) * time.Millisecond,
		UserVerification:    cfg.Passkey.UserVerification,
		Attestation:         cfg.Passkey.AttestationPreference,
		Limit:               cfg.Passkey.Limit,
		Events:              s.events,
		Now:                 s.now, Rand: s.rand, Logger: s.log,
	})
	if err != nil {
		return nil, fmt.Errorf("hanko: passkey: %w", err)
	}
	return p, nil
}

// passwords builds the password service when password.enabled is on, and
// nil otherwise.
func passwords(cfg config.Config, db *store.DB, s settings) (*password.Service, error) {
	if !cfg.Password.Enabled {
		return nil, nil
	}
	h, err := password.New(password.Config{MinLength: cfg.Password.MinLength, Rand: s.rand})
	if err != nil {
		return nil, fmt.Errorf("hanko: password: %w", err)
	}
	svc, err := password.NewService(password.ServiceConfig{Store: db, Hasher: h, Now: s.now, Rand: s.rand, Logger: s.log, Events: s.events})
	if err != nil {
		return nil, fmt.Errorf("hanko: password: %w", err)
	}
	return svc, nil
}

// limits builds the rate limiters of rate_limiter, each in the store that
// rate_limiter.store names: in_memory (per process), redis (shared through
// redis_config; the Redis server's clock) or database (ours: shared through
// the SQL database, table rate_limits; the injected clock). release frees
// what the limiters hold (the Redis client); it is never nil.
func limits(rl config.RateLimiter, db *store.DB, s settings) (l httpapi.Limits, release func() error, err error) {
	release = func() error { return nil }
	if !rl.Enabled {
		return l, release, nil
	}
	var build func(name string, l config.RateLimit) ratelimit.Limiter
	switch rl.Store {
	case "redis":
		o, err := ratelimit.ParseRedisAddress(rl.RedisConfig.Address, rl.RedisConfig.Password)
		if err != nil {
			return l, release, fmt.Errorf("hanko: invalid configuration: rate_limiter.redis_config.address: %w", err)
		}
		client := redis.NewClient(o)
		release = client.Close
		build = func(name string, l config.RateLimit) ratelimit.Limiter {
			return ratelimit.NewRedis(client, l.Tokens, l.Interval.Std(), ratelimit.Options{Prefix: ratelimit.DefaultRedisPrefix + name + ":"})
		}
	case "database":
		build = func(name string, l config.RateLimit) ratelimit.Limiter {
			return ratelimit.NewDatabase(db, l.Tokens, l.Interval.Std(), ratelimit.Options{Prefix: name + ":", Now: s.now})
		}
	default:
		build = func(_ string, l config.RateLimit) ratelimit.Limiter { return memoryLimiter(l, s) }
	}
	limiter := func(name string, l config.RateLimit) ratelimit.Limiter {
		if l.Tokens <= 0 || l.Interval.Std() <= 0 {
			return nil // Validate rejects this anyway
		}
		return build(name, l)
	}
	return httpapi.Limits{
		Passcode: limiter("passcode", rl.PasscodeLimits),
		Password: limiter("password", rl.PasswordLimits),
		Token:    limiter("token", rl.TokenLimits),
		OTP:      limiter("otp", rl.OTPLimits),
	}, release, nil
}

// memoryLimiter is an in-process limiter for l, or nil (unlimited) when l
// is not positive, which Validate rejects anyway.
func memoryLimiter(l config.RateLimit, s settings) ratelimit.Limiter {
	if l.Tokens <= 0 || l.Interval.Std() <= 0 {
		return nil
	}
	return ratelimit.NewMemory(l.Tokens, l.Interval.Std(), s.now)
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
	for _, name := range customProviderNames(cfg.ThirdParty) { // ours: generic OIDC providers
		providers = append(providers, cmp.Or(cfg.ThirdParty.CustomProviders[name].DisplayName, name))
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
//
// Without server.admin.api_keys the admin API has no authentication; the
// first call logs a warning saying so.
func (h *Hanko) Admin() http.Handler {
	if len(h.cfg.Server.Admin.APIKeys) == 0 {
		h.adminWarning.Do(func() {
			h.log.Warn("the admin API has no authentication: keep it on a private network or set server.admin.api_keys (SERVER_ADMIN_API_KEYS)")
		})
	}
	return h.admin
}

// Users returns the user management API.
func (h *Hanko) Users() *users.Service { return h.users }

// Passcodes returns the email passcode API, or nil when passcodes are off
// (email.enabled or email.use_for_authentication false).
func (h *Hanko) Passcodes() *passcode.Service { return h.passcodes }

// Passkeys returns the passkey (WebAuthn) API, or nil when passkey.enabled
// is off.
func (h *Hanko) Passkeys() *passkey.Service { return h.passkeys }

// Webhooks returns the webhook API: admin API hooks, the outbox depth, and
// the events.Emitter that fills the outbox.
func (h *Hanko) Webhooks() *webhook.Service { return h.webhooks }

// webhooks builds the webhook service. Hooks of the configuration count
// only with webhooks.enabled; admin API hooks always do (as in Hanko).
func webhooks(cfg config.Config, db *store.DB, keys *jwks.Set, s settings) (*webhook.Service, error) {
	wc := webhook.Config{
		Store: db, Keys: keys, Audience: cfg.Session.Audience,
		Secrets:             cfg.Secrets.Keys, // seals payloads (passcodes) at rest
		AllowTimeExpiration: cfg.Webhooks.AllowTimeExpiration,
		Now:                 s.now, Rand: s.rand, Logger: s.log,
	}
	if cfg.Webhooks.Enabled {
		for _, h := range cfg.Webhooks.Hooks {
			wc.Hooks = append(wc.Hooks, webhook.Hook{Callback: h.Callback, Events: slices.Clone(h.Events)})
		}
	}
	for _, fn := range s.webhooks {
		fn(&wc)
	}
	w, err := webhook.New(wc)
	if err != nil {
		return nil, fmt.Errorf("hanko: webhooks: %w", err)
	}
	return w, nil
}

// newAuditLog builds the audit log of audit_log.*: records in the database
// with storage.enabled, console lines with console_output.enabled on the
// stdout or stderr stream that WithAuditConsole handed over.
func newAuditLog(cfg config.Config, db *store.DB, s settings) (*audit.Log, error) {
	ac := audit.Config{Store: db, Storage: cfg.AuditLog.Storage.Enabled, Mask: cfg.AuditLog.Mask, Now: s.now, Rand: s.rand}
	if cfg.AuditLog.ConsoleOutput.Enabled {
		ac.Console = s.auditOut[0]
		if cfg.AuditLog.ConsoleOutput.Output == "stderr" {
			ac.Console = s.auditOut[1]
		}
	}
	l, err := audit.New(ac)
	if err != nil {
		return nil, fmt.Errorf("hanko: audit log: %w", err)
	}
	return l, nil
}

// newMetrics builds the Prometheus metrics, or nil with WithoutMetrics,
// and has the webhook dispatcher report its deliveries to them (after any
// OnDelivery of WithWebhooks).
func newMetrics(s *settings) *metrics.Metrics {
	if s.noMetrics {
		return nil
	}
	m := metrics.New(metrics.Config{Logger: s.log})
	s.webhooks = append(slices.Clone(s.webhooks), func(wc *webhook.Config) {
		host := wc.OnDelivery
		wc.OnDelivery = func(event string, ok bool) {
			if host != nil {
				host(event, ok)
			}
			m.WebhookDelivered(event, ok)
		}
	})
	return m
}

// metricsEmitter connects m to the outbox depth of hooks and returns it as
// the emitter that counts logins, or nil without metrics.
func metricsEmitter(m *metrics.Metrics, hooks *webhook.Service) events.Emitter {
	if m == nil {
		return nil
	}
	m.SetOutboxDepthFunc(hooks.OutboxDepth)
	return m
}

// Passwords returns the password API, or nil when password.enabled is off.
func (h *Hanko) Passwords() *password.Service { return h.passwords }

// Audit returns the audit log: List reads the stored records (those of
// audit_log.storage.enabled).
func (h *Hanko) Audit() *audit.Log { return h.audit }

// Metrics returns the Prometheus metrics (Registry, Handler), or nil with
// WithoutMetrics. The admin API serves them at GET /metrics.
func (h *Hanko) Metrics() *metrics.Metrics { return h.metrics }

// MetricsHandler serves the metrics in Prometheus' text format, for hosts
// that mount them elsewhere than the admin API; with WithoutMetrics it
// answers 404.
func (h *Hanko) MetricsHandler() http.Handler {
	if h.metrics == nil {
		return http.NotFoundHandler()
	}
	return h.metrics.Handler()
}

// Sessions returns the session API: issue, verify and revoke sessions.
func (h *Hanko) Sessions() *session.Manager { return h.sessions }

// Keys returns the signing key set (the JWK set document, rotation).
func (h *Hanko) Keys() *jwks.Set { return h.keys }

// RequireSession lets requests through to next only with a valid session
// (an "Authorization: Bearer" token or the session cookie) and answers 401
// otherwise. next reads the session with SessionFromContext.
func (h *Hanko) RequireSession(next http.Handler) http.Handler {
	return h.sessions.RequireSession(next)
}

// SessionFromContext returns the session that RequireSession verified.
func SessionFromContext(ctx context.Context) (session.Claims, bool) {
	return session.FromContext(ctx)
}

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

// Close stops the background work and releases the database pool (unless it
// came from WithDB) and the Redis client of rate_limiter.store redis. Calls
// after the first return the first's result.
func (h *Hanko) Close() error {
	h.closeOnce.Do(func() {
		h.webhooks.Close()
		close(h.stopSweep)
		h.swept.Wait()
		h.sessions.Close()
		var limitsErr error
		if h.closeLimits != nil {
			limitsErr = h.closeLimits()
		}
		h.closeErr = errors.Join(limitsErr, h.db.Close())
	})
	return h.closeErr
}
