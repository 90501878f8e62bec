package thirdparty

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// Lifetimes of the reference: the OAuth state (and its cookie) lives 5
// minutes, a one-time token 1 minute.
const (
	StateTTL = 5 * time.Minute
	TokenTTL = time.Minute
)

// Config configures third-party login. Store, Sealer, Providers,
// ErrorRedirectURL, AllowedRedirectURLs and NormalizeEmail are required.
type Config struct {
	Store  Store
	Sealer Sealer
	// Providers are the enabled providers; their names must differ.
	Providers []Provider

	// ErrorRedirectURL is third_party.error_redirect_url.
	ErrorRedirectURL string
	// AllowedRedirectURLs are third_party.allowed_redirect_urls (globs).
	AllowedRedirectURLs []string

	// RequireVerification is email.require_verification: a login needs an
	// address the provider has verified.
	RequireVerification bool
	// AllowSignup is account.allow_signup.
	AllowSignup bool
	// EmailLimit is email.limit [5].
	EmailLimit int
	// NormalizeEmail normalises and validates provider addresses, as every
	// other way in does: users.NormalizeEmail. Required, so that an address
	// is normalised one way only.
	NormalizeEmail func(string) (string, error)

	// Events receives the audit and webhook events, inside the
	// transaction of each change. [none]
	Events events.Emitter

	Now  func() time.Time // [time.Now]
	Rand io.Reader        // [crypto/rand.Reader]
}

// Service runs third-party logins: it starts them (Begin), finishes them
// (Callback: account linking and a one-time token) and exchanges tokens
// for a session (Exchange). It is safe for concurrent use.
type Service struct {
	cfg       Config
	providers map[string]Provider
	redirects *redirectMatcher
}

// New returns a Service or reports what is missing from cfg.
func New(cfg Config) (*Service, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("thirdparty: Config.Store is required"))
	}
	if cfg.Sealer == nil {
		errs = append(errs, errors.New("thirdparty: Config.Sealer is required"))
	}
	if cfg.ErrorRedirectURL == "" {
		errs = append(errs, errors.New("thirdparty: Config.ErrorRedirectURL is required"))
	}
	if cfg.NormalizeEmail == nil {
		errs = append(errs, errors.New("thirdparty: Config.NormalizeEmail is required"))
	}
	m, err := newRedirectMatcher(cfg.AllowedRedirectURLs)
	if err != nil {
		errs = append(errs, fmt.Errorf("thirdparty: allowed redirect URLs: %w", err))
	}
	s := &Service{cfg: cfg, providers: map[string]Provider{}, redirects: m}
	for _, p := range cfg.Providers {
		if _, dup := s.providers[p.Name()]; dup {
			errs = append(errs, fmt.Errorf("thirdparty: two providers are named %q", p.Name()))
		}
		s.providers[p.Name()] = p
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	if s.cfg.Rand == nil {
		s.cfg.Rand = rand.Reader
	}
	if s.cfg.EmailLimit <= 0 {
		s.cfg.EmailLimit = 5
	}
	s.cfg.ErrorRedirectURL = strings.TrimRight(s.cfg.ErrorRedirectURL, "/")
	return s, nil
}

// Provider returns an enabled provider by name.
func (s *Service) Provider(name string) (Provider, bool) {
	p, ok := s.providers[name]
	return p, ok
}

// ErrorRedirectURL is where failed logins are sent.
func (s *Service) ErrorRedirectURL() string { return s.cfg.ErrorRedirectURL }

// AllowedRedirect returns the canonical form of target when it matches
// the allow-list (or is the error redirect URL), and false otherwise.
func (s *Service) AllowedRedirect(target string) (string, bool) {
	if c, ok := s.redirects.allowed(target); ok {
		return c, true
	}
	if c, ok := canonicalURL(target); ok && c == s.cfg.ErrorRedirectURL {
		return c, true
	}
	return "", false
}

// ErrorURL is the error redirect URL carrying e's code and description.
func (s *Service) ErrorURL(base string, e *Error) string {
	return withQuery(base, url.Values{"error": {e.Code}, "error_description": {e.Description}})
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("thirdparty: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Service) newID() (uuid.UUID, error) {
	id, err := uuid.NewRandomFromReader(s.cfg.Rand)
	if err != nil {
		return uuid.Nil, fmt.Errorf("thirdparty: make id: %w", err)
	}
	return id, nil
}

// state is the reference's state document, plus the PKCE verifier. It
// travels sealed, so only this service can read or make one.
type state struct {
	Provider   string    `json:"provider"`
	RedirectTo string    `json:"redirect_to"`
	IssuedAt   time.Time `json:"issued_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Nonce      string    `json:"nonce"`
	IsFlow     bool      `json:"is_flow"`
	Verifier   string    `json:"code_verifier"`
}

// Begun is a started login: send the browser to URL and set the state
// cookie to Nonce for StateTTL.
type Begun struct {
	URL   string
	Nonce string
}

// Begin starts a login with provider that ends at redirectTo. It fails with
// an *Error (invalid_request) for an unknown provider or a redirect target
// outside the allow-list.
func (s *Service) Begin(ctx context.Context, provider, redirectTo string) (Begun, error) {
	if provider == "" || redirectTo == "" {
		return Begun{}, fail(CodeInvalidRequest, "provider and redirect_to are required", nil)
	}
	p, ok := s.providers[strings.ToLower(provider)]
	if !ok {
		return Begun{}, fail(CodeInvalidRequest, "unknown provider", nil)
	}
	target, ok := s.AllowedRedirect(redirectTo)
	if !ok {
		return Begun{}, fail(CodeInvalidRequest, "redirect to '"+truncate(redirectTo, 200)+"' not allowed", nil)
	}
	nonce, err := s.random(32)
	if err != nil {
		return Begun{}, fail(CodeServerError, "could not start the login", err)
	}
	verifier, err := s.random(32)
	if err != nil {
		return Begun{}, fail(CodeServerError, "could not start the login", err)
	}
	now := s.now()
	raw, err := json.Marshal(state{Provider: p.Name(), RedirectTo: target, IssuedAt: now, ExpiresAt: now.Add(StateTTL),
		Nonce: nonce, Verifier: verifier})
	if err != nil {
		return Begun{}, fail(CodeServerError, "could not start the login", err)
	}
	sealed, err := s.cfg.Sealer.Seal(raw)
	if err != nil {
		return Begun{}, fail(CodeServerError, "could not start the login", err)
	}
	u, err := p.AuthURL(ctx, AuthRequest{State: sealed, Nonce: nonce, Verifier: verifier})
	if err != nil {
		return Begun{}, fail(CodeServerError, "could not start the login", err)
	}
	return Begun{URL: u, Nonce: nonce}, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// CallbackRequest is what the provider sent back through the browser.
type CallbackRequest struct {
	State, Code             string
	Error, ErrorDescription string
	// CookieNonce is the state cookie's value ("" when absent).
	CookieNonce string
}

// Result is a finished login: send the browser to RedirectTo, which carries
// the one-time token as hanko_token.
type Result struct {
	RedirectTo  string
	UserID      uuid.UUID
	UserCreated bool
}

// Callback finishes a login: it checks the state against the cookie, passes
// provider errors through, exchanges the code, reads the user data, links
// the account (sign-in, linking or sign-up) and stores a one-time token, all
// account changes in one transaction with their events. Failures are
// *Error values; each is also recorded as thirdparty_signin_signup_failed.
func (s *Service) Callback(ctx context.Context, r CallbackRequest) (Result, error) {
	res, provider, err := s.callback(ctx, r)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = fail(CodeServerError, "an internal error occurred", err)
		}
		details := map[string]any{}
		if provider != "" {
			details["provider"] = provider
		}
		if emitErr := events.Emit(ctx, s.cfg.Events, events.Event{Audit: events.ThirdPartySigninSignupFailed, Details: details, Err: errors.New(e.Code + ": " + e.Description)}); emitErr != nil {
			e.Err = errors.Join(e.Err, emitErr)
		}
		return Result{}, e
	}
	return res, nil
}

func (s *Service) openState(r CallbackRequest) (state, error) {
	if r.State == "" {
		return state{}, fail(CodeInvalidRequest, "state is required", nil)
	}
	raw, err := s.cfg.Sealer.Open(r.State)
	if err != nil {
		return state{}, fail(CodeInvalidRequest, "invalid state", err)
	}
	var st state
	if err := json.Unmarshal(raw, &st); err != nil {
		return state{}, fail(CodeInvalidRequest, "invalid state", err)
	}
	if r.CookieNonce == "" || subtle.ConstantTimeCompare([]byte(r.CookieNonce), []byte(st.Nonce)) != 1 {
		return state{}, fail(CodeInvalidRequest, "could not verify state", nil)
	}
	if !s.cfg.Now().Before(st.ExpiresAt) {
		return state{}, fail(CodeInvalidRequest, "state is expired", nil)
	}
	return st, nil
}

func (s *Service) callback(ctx context.Context, r CallbackRequest) (Result, string, error) {
	st, err := s.openState(r)
	if err != nil {
		return Result{}, "", err
	}
	if r.Error != "" {
		return Result{}, st.Provider, fail(truncate(r.Error, 100), truncate(r.ErrorDescription, 500), nil)
	}
	if r.Code == "" {
		return Result{}, st.Provider, fail(CodeInvalidRequest, "auth code missing from request", nil)
	}
	p, ok := s.providers[st.Provider]
	if !ok {
		return Result{}, st.Provider, fail(CodeInvalidRequest, "unknown provider", nil)
	}
	target, ok := s.AllowedRedirect(st.RedirectTo)
	if !ok {
		return Result{}, st.Provider, fail(CodeInvalidRequest, "redirect target not allowed", nil)
	}
	tok, err := p.Exchange(ctx, r.Code, st.Verifier)
	if err != nil {
		return Result{}, st.Provider, fail(CodeInvalidRequest, "could not exchange authorization code for access token", err)
	}
	data, err := p.UserData(ctx, tok, st.Nonce)
	if errors.Is(err, errIDToken) {
		return Result{}, st.Provider, fail(CodeInvalidRequest, "could not verify the ID token", err)
	}
	if err != nil {
		return Result{}, st.Provider, fail(CodeServerError, "could not retrieve user data from provider", err)
	}
	value, err := s.random(32)
	if err != nil {
		return Result{}, st.Provider, err
	}
	var res Result
	err = s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		l, err := s.link(ctx, p, data)
		if err != nil {
			return err
		}
		res.UserID, res.UserCreated = l.userID, l.created
		now := s.now()
		id, err := s.newID()
		if err != nil {
			return err
		}
		return s.cfg.Store.CreateToken(ctx, store.Token{
			ID: id, UserID: l.userID, Value: hashToken(value), ExpiresAt: now.Add(TokenTTL),
			IdentityID: &l.identityID, UserCreated: l.created, CreatedAt: now, UpdatedAt: now,
		})
	})
	if err != nil {
		return Result{}, st.Provider, err
	}
	res.RedirectTo = withQuery(target, url.Values{"hanko_token": {value}})
	return res, st.Provider, nil
}

// hashToken is how one-time tokens are stored: a database reader cannot
// use them, and lookups by hash compare no secret in Go.
func hashToken(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// Exchange consumes a one-time token: ErrTokenNotFound for an unknown
// (or already used) value, ErrTokenExpired after TokenTTL. On success it
// calls issue with the token's user inside the transaction that deletes the
// token, so a session is issued at most once per token. It records
// token_exchange_succeeded or token_exchange_failed.
func (s *Service) Exchange(ctx context.Context, value string, issue func(ctx context.Context, userID uuid.UUID) error) (uuid.UUID, error) {
	var uid uuid.UUID
	err := s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		if value == "" {
			return ErrTokenNotFound
		}
		t, err := s.cfg.Store.ConsumeToken(ctx, hashToken(value))
		if errors.Is(err, autherr.NotFound) {
			return ErrTokenNotFound
		}
		if err != nil {
			return err
		}
		if !s.cfg.Now().Before(t.ExpiresAt) {
			return ErrTokenExpired
		}
		uid = t.UserID
		if err := issue(ctx, uid); err != nil {
			return err
		}
		return events.Emit(ctx, s.cfg.Events, events.Event{Audit: events.TokenExchangeSucceeded, UserID: uid})
	})
	if err != nil {
		if emitErr := events.Emit(ctx, s.cfg.Events, events.Event{Audit: events.TokenExchangeFailed, Err: errors.New(autherr.Message(err))}); emitErr != nil {
			err = errors.Join(err, emitErr)
		}
		return uuid.Nil, err
	}
	return uid, nil
}

// Identity is a provider account linked to one of a user's addresses.
type Identity struct {
	ID           uuid.UUID
	ProviderID   string // the account's ID at the provider
	ProviderName string // the provider's configuration name
	// DisplayName is the provider's display name ("Google"); the name
	// itself for a provider that is no longer configured.
	DisplayName string
	EmailID     uuid.UUID
}

// Identities returns the identities linked to a user's addresses.
func (s *Service) Identities(ctx context.Context, userID uuid.UUID) ([]Identity, error) {
	rows, err := s.cfg.Store.ListIdentities(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Identity, len(rows))
	for i, r := range rows {
		out[i] = Identity{ID: r.ID, ProviderID: r.ProviderID, ProviderName: r.ProviderName, DisplayName: r.ProviderName, EmailID: r.EmailID}
		if p, ok := s.providers[r.ProviderName]; ok {
			out[i].DisplayName = p.DisplayName()
		}
	}
	return out, nil
}
