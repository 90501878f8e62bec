package jwks

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"
)

// MinSecretLength is the shortest secret New accepts, as in Hanko.
const MinSecretLength = 16

// Config configures New. Store and Secrets are required; every other zero
// field takes the default stated on it.
type Config struct {
	// Store holds the jwks rows. Required.
	Store Store
	// Secrets are secrets.keys: at least one, each at least MinSecretLength
	// characters. Secrets[0] encrypts new rows; every secret is tried to
	// decrypt. Row i+1 belongs to Secrets[i] and is generated when missing.
	// New copies nothing but the derived AES keys.
	Secrets []string
	// Algorithm is the JWS algorithm of keys New generates: ES256 (default),
	// RS256 or EdDSA. Stored keys keep their own algorithm.
	Algorithm string
	// RSABits is the modulus size of generated RS256 keys: 2048 (default),
	// 3072 or 4096 (what Hanko generates).
	RSABits int
	// Now is the clock for created_at and reload rate limiting. Default
	// time.Now.
	Now func() time.Time
	// Rand is the randomness for kids, nonces and Ed25519 keys (and for ECDSA
	// and RSA keys on Go versions whose standard library still reads it).
	// Default crypto/rand.Reader.
	Rand io.Reader
	// Logger receives key generation and reload events; never secrets or key
	// material. Default: discard.
	Logger *slog.Logger
	// MinReloadInterval bounds reloads triggered by unknown kids (default 1s).
	// Lookup reloads at most once per interval, so tokens with made-up kids
	// cannot hammer the database.
	MinReloadInterval time.Duration
}

// DefaultMinReloadInterval is the default Config.MinReloadInterval.
const DefaultMinReloadInterval = time.Second

// DefaultRSABits is the default Config.RSABits.
const DefaultRSABits = 2048

// Set is the signing key set: every stored key for verification, the newest
// as the signer, and the public JWK set document. A Set is safe for
// concurrent use; reads (Signer, Key, JSON, ETag) never block and never do
// I/O, and reloads swap in a new snapshot atomically.
type Set struct {
	store     Store
	seal      *sealer
	alg       string
	rsaBits   int
	now       func() time.Time
	rand      io.Reader
	log       *slog.Logger
	minReload time.Duration

	cur atomic.Pointer[snapshot]

	// reloading is a one-slot semaphore: it serialises reloads and guards
	// lastReload. A channel rather than a mutex so that waiting honours ctx.
	reloading  chan struct{}
	lastReload time.Time
}

// snapshot is one immutable view of the store.
type snapshot struct {
	signer Key
	byKID  map[string]Key
	rows   map[int]loadedRow // by row id, to skip decrypting unchanged rows
	order  []int             // ids of rows, ascending
	json   []byte
	etag   string
}

// loadedRow remembers what a row's key_data parsed to.
type loadedRow struct {
	keyData string
	key     Key
}

// New validates cfg, makes sure that a jwks row exists for every secret
// (ids 1..len(Secrets), generating the missing ones with Algorithm and
// Secrets[0]) and loads every stored row.
//
// Several instances may start at once on one database: a row another
// instance created first (CreateJWK answers autherr.Conflict) is read, not
// replaced, so all of them end with the same keys. New fails with
// ErrInvalidConfig for a bad cfg, with ErrUndecryptable or ErrInvalidKey
// naming the row when a stored row cannot be used (startup must not go on
// with a key missing), and with the store's error when it cannot be read.
func New(ctx context.Context, cfg Config) (*Set, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	seal, err := newSealer(cfg.Secrets)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	s := &Set{
		store:     cfg.Store,
		seal:      seal,
		alg:       cmp.Or(cfg.Algorithm, ES256),
		rsaBits:   cmp.Or(cfg.RSABits, DefaultRSABits),
		now:       cfg.Now,
		rand:      cfg.Rand,
		log:       cfg.Logger,
		minReload: cmp.Or(cfg.MinReloadInterval, DefaultMinReloadInterval),
		reloading: make(chan struct{}, 1),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.init(ctx, len(cfg.Secrets)); err != nil {
		return nil, err
	}
	return s, nil
}

func (c Config) validate() error {
	var errs []error
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	if c.Store == nil {
		fail("Store is required")
	}
	if len(c.Secrets) == 0 {
		fail("at least one secret is required")
	}
	for i, secret := range c.Secrets {
		if len(secret) < MinSecretLength {
			fail("Secrets[%d] must be at least %d characters", i, MinSecretLength)
		}
	}
	switch c.Algorithm {
	case "", ES256, RS256, EdDSA:
	default:
		fail("Algorithm must be %s, %s or %s, got %q", ES256, RS256, EdDSA, c.Algorithm)
	}
	switch c.RSABits {
	case 0, 2048, 3072, 4096:
	default:
		fail("RSABits must be 2048, 3072 or 4096, got %d", c.RSABits)
	}
	if c.MinReloadInterval < 0 {
		fail("MinReloadInterval must not be negative, got %s", c.MinReloadInterval)
	}
	return errors.Join(errs...)
}

// Signer returns the key that signs new tokens: the most recently created
// stored key (ties go to the higher row id). It changes only when a reload
// (Reload, or Lookup of an unknown kid) finds a newer row.
func (s *Set) Signer() Key { return s.cur.Load().signer }

// Key returns the verification key with the given kid, without I/O. Use
// Lookup to also find keys that another instance created since the last
// reload.
func (s *Set) Key(kid string) (Key, bool) {
	k, ok := s.cur.Load().byKID[kid]
	return k, ok
}

// Lookup returns the key with the given kid. On a miss it reloads the store,
// at most once per MinReloadInterval across all callers, and looks again; a
// miss within the interval answers (Key{}, false, nil) at once. Concurrent
// misses share one reload. The error is ctx's or the reload's (a store
// failure, or ErrUndecryptable/ErrInvalidKey for rows that cannot be used);
// it is nil whenever the key is found.
func (s *Set) Lookup(ctx context.Context, kid string) (Key, bool, error) {
	if k, ok := s.Key(kid); ok {
		return k, true, nil
	}
	select {
	case s.reloading <- struct{}{}:
	case <-ctx.Done():
		return Key{}, false, ctx.Err()
	}
	defer func() { <-s.reloading }()
	if k, ok := s.Key(kid); ok { // another caller's reload found it
		return k, true, nil
	}
	if s.now().Sub(s.lastReload) < s.minReload {
		return Key{}, false, nil
	}
	err := s.reload(ctx)
	if k, ok := s.Key(kid); ok {
		return k, true, nil
	}
	return Key{}, false, err
}

// Reload re-reads the store now, not rate-limited: new rows become
// verification keys and a newer row becomes the signer. Rows that cannot be
// used (ErrUndecryptable, ErrInvalidKey, for instance a row encrypted with a
// secret this instance does not have) are left out and reported in the
// error, while every usable row is installed. On a store failure the current
// keys stay. Safe to call concurrently with everything else, for instance
// from a ticker.
func (s *Set) Reload(ctx context.Context) error {
	select {
	case s.reloading <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.reloading }()
	return s.reload(ctx)
}

// JSON returns the public JWK set document, {"keys":[...]}, one key per
// usable stored row in row order, each with kty, kid, alg, use "sig" and its
// public parameters only. The document is rendered once per reload and
// shared: callers must not modify the returned bytes.
func (s *Set) JSON() []byte { return s.cur.Load().json }

// ETag returns a strong HTTP entity tag of JSON(), quoted, for conditional
// requests (RFC 9110 §8.8.3).
func (s *Set) ETag() string { return s.cur.Load().etag }
