package webhook

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

// Hook is a hook of the configuration (webhooks.hooks): Callback receives
// every event that one of Events names or is a dot-separated prefix of.
type Hook struct {
	Callback string   `json:"callback"`
	Events   []string `json:"events"`
}

// Config configures a Service. Store, Keys and Audience are required; every
// other zero field takes the default in brackets.
type Config struct {
	Store Store
	// Keys signs the tokens: the session signing key set.
	Keys Keys
	// Audience is the session audience, the tokens' aud claim.
	Audience []string
	// Hooks are webhooks.hooks; pass them only with webhooks.enabled.
	Hooks []Hook
	// AllowTimeExpiration is webhooks.allow_time_expiration: an admin API
	// hook past its expires_at is disabled instead of called.
	AllowTimeExpiration bool
	// Secrets are secrets.keys. With them the payload of every outbox row
	// (email.send carries a passcode) is sealed at rest with AES-256-GCM
	// under a key derived from Secrets[0] by HKDF-SHA-256 with the label
	// "hanko/webhook-outbox"; rows sealed under any entry open, so the
	// secrets rotate as the signing keys do. Without them payloads are
	// stored in plain text, and rows sealed earlier cannot be delivered.
	Secrets []string

	// Client sends the requests [an http.Client with Timeout and no
	// redirects followed].
	Client *http.Client
	// Timeout bounds each request [10 s].
	Timeout time.Duration
	// UserAgent is the User-Agent header ["hanko-go-webhooks/1"].
	UserAgent string
	// MaxAttempts is how often one delivery is tried before it is given up
	// [10].
	MaxAttempts int
	// RetryBase and RetryMax shape the backoff: the n-th retry waits
	// RetryBase·2^(n-1), at most RetryMax, of which a random half is
	// jitter [1 min, 6 h: ten attempts span about 8.5 hours].
	RetryBase, RetryMax time.Duration
	// Poll is how often the outbox is polled for rows that no wake-up
	// announced (written by another instance, or due for a retry) [1 s].
	Poll time.Duration
	// Lease is how long a claimed row is reserved for this instance. A
	// batch sends in ceil(Batch/Workers) waves of at most Timeout each, so
	// New refuses a Lease shorter than that plus 10 s; a row whose lease
	// runs out anyway is left to the instance that claims it next
	// [ceil(Batch/Workers)·Timeout + 20 s: 60 s with the defaults].
	Lease time.Duration
	// Batch is how many rows one claim takes [32]; Workers how many
	// requests run at once [8].
	Batch, Workers int

	// OnDelivery, when set, is told of every attempt's outcome (for
	// metrics). It must not block.
	OnDelivery func(event string, ok bool)

	Now    func() time.Time // [time.Now]
	Rand   io.Reader        // row IDs and jitter [crypto/rand.Reader]
	Logger *slog.Logger     // [discard]
}

// Reference constants (section 4.10).
const (
	// maxFailures is how many failures an admin API hook survives; one more
	// disables it.
	maxFailures = 5
	// hookLifetime is how long a hook stays valid after it was created,
	// updated or last called successfully.
	hookLifetime = 30 * 24 * time.Hour
	// tokenLifetime is the exp of a webhook token.
	tokenLifetime = 5 * time.Minute
)

// Our constants.
const (
	// leaseMargin is what a lease must hold beyond the requests of a batch:
	// the bookkeeping of its last wave.
	leaseMargin = 10 * time.Second
	// bookkeepingTimeout bounds each store call the dispatcher makes for a
	// claimed row. It runs without the dispatcher's context (a cancelled
	// request must still release its row), so without a bound a stuck
	// database would make Close hang.
	bookkeepingTimeout = 10 * time.Second
	// sealLabel is the HKDF info of the key that seals outbox payloads, so
	// that key is used for nothing else.
	sealLabel = "hanko/webhook-outbox"
	// sealedPrefix marks a sealed payload. A JSON value never starts with
	// it, so rows written in plain text (before sealing, or without
	// Secrets) still read.
	sealedPrefix = "sealed:"
)

// Service is the webhook feature: the events.Emitter that fills the
// outbox, the dispatcher that empties it and the management of admin API
// hooks. It is safe for concurrent use.
type Service struct {
	cfg    Config
	hooks  []Hook
	sealer *jwks.Sealer // nil without Config.Secrets

	// bookTimeout is bookkeepingTimeout; tests shorten it.
	bookTimeout time.Duration

	wake    chan struct{}
	stop    chan struct{}
	done    sync.WaitGroup
	startMu sync.Mutex
	started bool
	stopped bool
}

var _ events.Emitter = (*Service)(nil)

// New returns a Service; Start starts its dispatcher. It fails on a missing
// Store, Keys or Audience, an empty entry of Secrets, a Lease too short for
// a batch and a configured hook with a bad callback or event.
func New(cfg Config) (*Service, error) {
	var errs []error
	secrets := slices.Clone(cfg.Secrets)
	if cfg.Store == nil {
		errs = append(errs, errors.New("webhook: Config.Store is required"))
	}
	if cfg.Keys == nil {
		errs = append(errs, errors.New("webhook: Config.Keys is required"))
	}
	if len(cfg.Audience) == 0 {
		errs = append(errs, errors.New("webhook: Config.Audience is required"))
	}
	hooks := make([]Hook, 0, len(cfg.Hooks))
	for i, h := range cfg.Hooks {
		if err := validate(h.Callback, h.Events); err != nil {
			errs = append(errs, fmt.Errorf("webhook: webhooks.hooks[%d]: %w", i, err))
		}
		hooks = append(hooks, Hook{Callback: h.Callback, Events: slices.Clone(h.Events)})
	}
	for i, secret := range cfg.Secrets {
		if secret == "" {
			errs = append(errs, fmt.Errorf("webhook: Config.Secrets[%d] is empty", i))
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{
			Timeout: cfg.Timeout,
			// A receiver's redirect is an answer, not an invitation to
			// send the token elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "hanko-go-webhooks/1"
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Minute
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 6 * time.Hour
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 32
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	// A row of the last wave is sent after the waves before it; its lease
	// must not run out meanwhile, or another instance sends it too.
	waves := time.Duration((cfg.Batch + cfg.Workers - 1) / cfg.Workers)
	minLease := waves*cfg.Timeout + leaseMargin
	switch {
	case cfg.Lease <= 0:
		cfg.Lease = minLease + leaseMargin
	case cfg.Lease < minLease:
		errs = append(errs, fmt.Errorf("webhook: Config.Lease %s is shorter than a batch may take: %s (ceil(Batch/Workers)·Timeout + %s)",
			cfg.Lease, minLease, leaseMargin))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	cfg.Audience = slices.Clone(cfg.Audience)
	cfg.Secrets = nil // kept only as the derived keys
	cfg.Hooks = nil
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, hooks: hooks, bookTimeout: bookkeepingTimeout, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	if len(secrets) > 0 {
		var err error
		if s.sealer, err = newSealer(secrets, cfg.Rand); err != nil {
			return nil, fmt.Errorf("webhook: outbox key: %w", err)
		}
	}
	return s, nil
}

// newSealer returns the sealer of outbox payloads: for each secret the key
// HKDF-SHA-256(secret, info sealLabel) (which jwks.Sealer hashes once more
// into the AES key), never the secret itself, which also seals the signing
// keys.
func newSealer(secrets []string, rnd io.Reader) (*jwks.Sealer, error) {
	derived := make([]string, len(secrets))
	for i, secret := range secrets {
		key, err := hkdf.Key(sha256.New, []byte(secret), nil, sealLabel, 32)
		if err != nil {
			return nil, err
		}
		derived[i] = string(key)
		clear(key)
	}
	return jwks.NewSealer(derived, rnd)
}

// seal returns the outbox form of a payload: sealed with Config.Secrets,
// as is without.
func (s *Service) seal(data string) (string, error) {
	if s.sealer == nil {
		return data, nil
	}
	sealed, err := s.sealer.Seal([]byte(data))
	if err != nil {
		return "", fmt.Errorf("webhook: seal payload: %w", err)
	}
	return sealedPrefix + sealed, nil
}

// errCannotOpen is a row that no secret opens: it can never be delivered.
var errCannotOpen = errors.New("payload is sealed with a key not in Config.Secrets")

// open returns a row's payload, unsealed.
func (s *Service) open(row store.OutboxEvent) ([]byte, error) {
	sealed, ok := strings.CutPrefix(row.Data, sealedPrefix)
	if !ok {
		return []byte(row.Data), nil
	}
	if s.sealer == nil {
		return nil, errCannotOpen
	}
	data, err := s.sealer.Open(sealed)
	if err != nil {
		return nil, errCannotOpen
	}
	return data, nil
}

// now returns the current time as stored: UTC, microseconds.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

func (s *Service) newID() (uuid.UUID, error) {
	id, err := uuid.NewRandomFromReader(s.cfg.Rand)
	if err != nil {
		return uuid.Nil, fmt.Errorf("webhook: make id: %w", err)
	}
	return id, nil
}

// Matches reports whether a subscription to sub receives event: sub is
// event or a dot-separated prefix of it ("user" receives
// "user.update.email.create").
func Matches(sub, event string) bool {
	return sub == event || strings.HasPrefix(event, sub) && event[len(sub)] == '.'
}

// Emit writes one outbox row for every hook subscribed to e.Webhook, in the
// transaction of ctx, and wakes the dispatcher once that commits. Events
// without a webhook name, and events no hook wants, write nothing. The
// payload is e.Data, or, when that is nil for a user.* event, the user as
// the admin API shows it, loaded in the same transaction (so emit
// user.delete before the deletion). An error (the user is gone, the
// database failed) rolls the caller's change back.
func (s *Service) Emit(ctx context.Context, e events.Event) error {
	if e.Webhook == "" {
		return nil
	}
	var targets []store.OutboxEvent
	for _, h := range s.hooks {
		for _, sub := range h.Events {
			if Matches(sub, e.Webhook) {
				targets = append(targets, store.OutboxEvent{Callback: h.Callback})
				break
			}
		}
	}
	dbHooks, err := s.cfg.Store.WebhooksFor(ctx, e.Webhook)
	if err != nil {
		return fmt.Errorf("webhook: find hooks for %s: %w", e.Webhook, err)
	}
	for _, h := range dbHooks {
		targets = append(targets, store.OutboxEvent{WebhookID: &h.ID, Callback: h.Callback})
	}
	if len(targets) == 0 {
		return nil
	}
	plain, err := s.payload(ctx, e)
	if err != nil {
		return err
	}
	// Sealed: an email.send payload holds a passcode, and rows may wait
	// hours for a receiver to come back.
	data, err := s.seal(plain)
	if err != nil {
		return err
	}
	now := s.now()
	for i := range targets {
		id, err := s.newID()
		if err != nil {
			return err
		}
		t := &targets[i]
		t.ID, t.Event, t.Data, t.NextAttemptAt, t.CreatedAt = id, e.Webhook, data, now, now
	}
	if err := s.cfg.Store.InsertOutbox(ctx, targets); err != nil {
		return fmt.Errorf("webhook: write outbox: %w", err)
	}
	store.AfterCommit(ctx, s.Wake)
	return nil
}

// payload is the JSON of the data claim.
func (s *Service) payload(ctx context.Context, e events.Event) (string, error) {
	data := e.Data
	if data == nil && Matches("user", e.Webhook) {
		u, err := s.cfg.Store.GetUser(ctx, e.UserID)
		if errors.Is(err, autherr.NotFound) {
			return "", fmt.Errorf("webhook: %s for user %s, who does not exist (emit before deleting)", e.Webhook, e.UserID)
		}
		if err != nil {
			return "", fmt.Errorf("webhook: load user for %s: %w", e.Webhook, err)
		}
		data = users.ViewOf(u)
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("webhook: encode %s payload: %w", e.Webhook, err)
	}
	return string(b), nil
}

// Wake makes the dispatcher look at the outbox now instead of at its next
// poll. It never blocks.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// OutboxDepth is how many deliveries are pending (for metrics).
func (s *Service) OutboxDepth(ctx context.Context) (int, error) {
	return s.cfg.Store.CountOutbox(ctx)
}

// ConfigHooks returns the hooks of the configuration.
func (s *Service) ConfigHooks() []Hook {
	out := make([]Hook, len(s.hooks))
	for i, h := range s.hooks {
		out[i] = Hook{Callback: h.Callback, Events: slices.Clone(h.Events)}
	}
	return out
}
