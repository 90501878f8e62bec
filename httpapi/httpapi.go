package httpapi

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/hanko-go/hanko/audit"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/metrics"
	"github.com/hanko-go/hanko/passcode"
	"github.com/hanko-go/hanko/passkey"
	"github.com/hanko-go/hanko/password"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/thirdparty"
	"github.com/hanko-go/hanko/users"
	"github.com/hanko-go/hanko/webhook"
)

// Deps is what the HTTP layer serves. Users, Sessions and Keys are
// required; the rest default as noted.
type Deps struct {
	Users    *users.Service
	Sessions *session.Manager
	// Passcodes serves the passcode routes; they are not served when nil
	// (email.enabled or email.use_for_authentication off).
	Passcodes *passcode.Service
	// Passwords serves the password routes; they are not served when nil
	// (password.enabled off).
	Passwords *password.Service
	// Passkeys serves the WebAuthn routes; they are not served when nil
	// (passkey.enabled off).
	Passkeys *passkey.Service
	// ThirdParty serves GET /thirdparty/auth, GET and POST
	// /thirdparty/callback and POST /token; they are not served when nil
	// (no third-party provider enabled).
	ThirdParty *thirdparty.Service
	// Limits rate-limits the passcode and password routes. [unlimited]
	Limits Limits
	// Audit serves the admin API's GET /audit_logs. [nil: an empty list]
	Audit *audit.Log
	// Metrics counts and times every request by route pattern and serves
	// the admin API's GET /metrics. [nil: off, at no cost per request]
	Metrics *metrics.Metrics
	// Webhooks serves the admin API's /webhooks routes; they are not served
	// when nil.
	Webhooks *webhook.Service
	// Events receives the few events only the HTTP layer knows of
	// (passcode_login_init_failed for an unknown user). [nil: none]
	Events events.Emitter
	// Keys is the signing key set behind GET /.well-known/jwks.json.
	Keys interface {
		JSON() []byte
		ETag() string
	}
	// Ready reports whether the service can serve (the database answers);
	// GET /health/ready answers 503 while it fails. [always ready]
	Ready func(ctx context.Context) error

	Settings Settings

	Logger *slog.Logger     // [discard]
	Now    func() time.Time // [time.Now]
	Rand   io.Reader        // for request IDs [crypto/rand.Reader]
}

// Settings are the configuration values the HTTP layer itself uses.
type Settings struct {
	CORS CORS
	// LogHealth logs requests to /health/* and /metrics too
	// (log.log_health_and_metrics).
	LogHealth bool
	// WellKnown is the body of GET /.well-known/config.
	WellKnown WellKnownConfig
	// AllowDeletion is account.allow_deletion: serve DELETE /user.
	AllowDeletion bool
	// TrustedProxies are the peers whose X-Forwarded-For and X-Real-IP
	// headers are believed when taking the client IP (session rows, the
	// access log, ClientIP). [none: the client IP is the socket peer]
	TrustedProxies []netip.Prefix
	// AdminAPIKeys, when non-empty, are the bearer tokens of which the admin
	// API requires one on every route but /health/alive and /health/ready.
	// [none: the admin API is unauthenticated]
	AdminAPIKeys []string
	// StateCookieSecure sets Secure on the hanko_thirdparty_state cookie
	// (session.cookie.secure).
	StateCookieSecure bool
}

// WellKnownConfig is the public configuration the browser SDK reads.
type WellKnownConfig struct {
	Password      PasswordConfig `json:"password"`
	Emails        EmailsConfig   `json:"emails"`
	Providers     []string       `json:"providers"`
	Account       AccountConfig  `json:"account"`
	UseEnterprise bool           `json:"use_enterprise"`
}

// PasswordConfig is the "password" object of WellKnownConfig.
type PasswordConfig struct {
	Enabled           bool `json:"enabled"`
	MinPasswordLength int  `json:"min_password_length"`
}

// EmailsConfig is the "emails" object of WellKnownConfig.
type EmailsConfig struct {
	RequireVerification bool `json:"require_verification"`
	MaxNumOfAddresses   int  `json:"max_num_of_addresses"`
}

// AccountConfig is the "account" object of WellKnownConfig.
type AccountConfig struct {
	AllowDeletion bool `json:"allow_deletion"`
	AllowSignup   bool `json:"allow_signup"`
}

// api holds what every handler shares.
type api struct {
	d         Deps
	log       *slog.Logger
	now       timeNow
	rand      io.Reader
	logHealth bool
	trusted   []netip.Prefix
}

func newAPI(d Deps) *api {
	a := &api{d: d, log: d.Logger, now: d.Now, rand: d.Rand, logHealth: d.Settings.LogHealth,
		trusted: slices.Clone(d.Settings.TrustedProxies)}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.d.Ready == nil {
		a.d.Ready = func(context.Context) error { return nil }
	}
	if a.d.Settings.WellKnown.Providers == nil {
		a.d.Settings.WellKnown.Providers = []string{}
	}
	return a
}

// handlerFunc is a handler that returns its failure for writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (a *api) h(f handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f(w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// Public returns the public API: what browsers and the Hanko SDK call.
// Routes are relative to where the host mounts it.
func Public(d Deps) http.Handler {
	a := newAPI(d)
	mux := http.NewServeMux()
	a.health(mux)
	mux.Handle("GET /{$}", a.h(a.statusPage))
	mux.Handle("GET /.well-known/config", a.h(a.wellKnownConfig))
	mux.Handle("POST /users", a.h(a.signUp))
	mux.Handle("POST /user", a.h(a.lookupUser))
	mux.Handle("GET /.well-known/jwks.json", a.h(a.jwks))
	mux.Handle("GET /me", a.authed(a.h(a.me)))
	mux.Handle("GET /users/{id}", a.authed(a.h(a.ownUser)))
	mux.Handle("POST /logout", a.authed(a.h(a.logout)))
	a.emailRoutes(mux)
	mux.Handle("GET /sessions/validate", a.h(a.validateFromRequest))
	mux.Handle("POST /sessions/validate", a.h(a.validateFromBody))
	if d.Passcodes != nil {
		mux.Handle("POST /passcode/login/initialize", a.h(a.passcodeInitialize))
		mux.Handle("POST /passcode/login/finalize", a.h(a.passcodeFinalize))
	}
	a.passwordRoutes(mux)
	a.webauthnRoutes(mux)
	a.thirdPartyRoutes(mux)
	if d.Settings.AllowDeletion {
		mux.Handle("DELETE /user", a.authed(a.h(a.deleteOwnUser)))
	}
	return a.withRequestID(a.withClientIP(a.accessLog(a.instrument("public", d.Settings.CORS.handler(jsonMux(mux))))))
}

// Admin returns the admin API: user management for trusted back-ends. It
// must not be reachable from the internet. With Settings.AdminAPIKeys it
// requires one of the keys as a bearer token.
func Admin(d Deps) http.Handler {
	a := newAPI(d)
	mux := http.NewServeMux()
	a.health(mux)
	mux.Handle("GET /{$}", a.h(a.statusPage))
	mux.Handle("GET /users", a.h(a.adminListUsers))
	mux.Handle("POST /users", a.h(a.adminCreateUser))
	mux.Handle("GET /users/{id}", a.h(a.adminGetUser))
	mux.Handle("DELETE /users/{id}", a.h(a.adminDeleteUser))
	mux.Handle("GET /users/{user_id}/emails", a.h(a.adminListEmails))
	mux.Handle("POST /users/{user_id}/emails", a.h(a.adminAddEmail))
	mux.Handle("GET /users/{user_id}/emails/{email_id}", a.h(a.adminGetEmail))
	mux.Handle("DELETE /users/{user_id}/emails/{email_id}", a.h(a.adminDeleteEmail))
	mux.Handle("POST /users/{user_id}/emails/{email_id}/set_primary", a.h(a.adminSetPrimaryEmail))
	mux.Handle("GET /users/{id}/sessions", a.h(a.adminListSessions))
	mux.Handle("DELETE /users/{id}/sessions/{session_id}", a.h(a.adminDeleteSession))
	mux.Handle("POST /sessions", a.h(a.adminCreateSession))
	mux.Handle("GET /audit_logs", a.h(a.adminListAuditLogs))
	a.metricsRoute(mux)
	a.adminPasswordRoutes(mux)
	a.webhookRoutes(mux)
	a.adminWebauthnRoutes(mux)
	return a.withRequestID(a.withClientIP(a.accessLog(a.instrument("admin", a.requireAPIKey(jsonMux(mux))))))
}

func (a *api) health(mux *http.ServeMux) {
	mux.Handle("GET /health/alive", a.h(func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]bool{"alive": true})
		return nil
	}))
	mux.Handle("GET /health/ready", a.h(func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := a.d.Ready(ctx); err != nil {
			a.log.LogAttrs(r.Context(), slog.LevelWarn, "not ready", slog.Any("error", err))
			writeJSON(w, http.StatusServiceUnavailable, map[string]bool{"ready": false})
			return nil
		}
		writeJSON(w, http.StatusOK, map[string]bool{"ready": true})
		return nil
	}))
}

func (a *api) statusPage(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	_, err := io.WriteString(w, "<!DOCTYPE html><html><head><title>Hanko</title></head><body><h1>Hanko is running</h1></body></html>\n")
	return err
}

func (a *api) wellKnownConfig(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, a.d.Settings.WellKnown)
	return nil
}
