package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/hanko-go/hanko/autherr"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultMinLength is password.min_length's default, in characters.
	DefaultMinLength = 8
	// DefaultMaxBytes is the reference's limit: bcrypt reads 72 bytes.
	DefaultMaxBytes = 72
)

// Limits on what Verify accepts from stored hashes (see limits).
const (
	// verifyMaxMemory is the largest argon2id memory cost, in KiB, Verify
	// runs unless the configured Params.Memory is larger: 256 MiB.
	verifyMaxMemory = 256 * 1024
	// verifyMaxIterations likewise bounds the argon2id time cost.
	verifyMaxIterations = 16
	// maxBcryptCost bounds imported bcrypt hashes: cost 16 is 16 times the
	// reference's cost 12, roughly four seconds per attempt on a server core.
	maxBcryptCost = 16
	// bcryptMaxInput is bcrypt's input limit; it silently ignores the rest.
	bcryptMaxInput = 72
)

// Config configures a Hasher. Zero fields take the defaults documented on
// each; New never modifies the caller's Config.
type Config struct {
	// Params are the argon2id parameters for new hashes. The zero value
	// means DefaultParams(); any other value must pass Params.Validate.
	Params Params
	// MaxConcurrent is how many hashes (argon2id or bcrypt) may run at once
	// across the Hasher; further callers wait. Peak hashing memory is about
	// MaxConcurrent × Params.Memory KiB. Default runtime.GOMAXPROCS(0).
	MaxConcurrent int
	// MinLength is password.min_length: the fewest characters (Unicode code
	// points, as the reference's legacy API counts them) a new password may
	// have. Default 8.
	MinLength int
	// MaxBytes is the most bytes a password may have, new or at login.
	// Default 72, as the reference (bcrypt's limit); argon2id has no such
	// limit, so larger values are allowed.
	MaxBytes int
	// Rand supplies salts. Default crypto/rand.Reader.
	Rand io.Reader
}

// Hasher hashes and verifies passwords. It is safe for concurrent use; all
// hashing work shares one semaphore of Config.MaxConcurrent slots.
type Hasher struct {
	params   Params
	minLen   int
	maxBytes int
	rand     io.Reader
	lim      limits
	sem      chan struct{}

	// dummy is an argon2id hash with the current params, a random salt and
	// a random key that no password derives, for VerifyUnknown.
	dummy string

	errTooShort, errTooLong error
}

// New validates cfg, applies its defaults and returns a Hasher. Every
// problem is reported in one error, autherr.Internal if Rand fails. New
// reads SaltLength+KeyLength bytes from Rand for VerifyUnknown's dummy hash.
func New(cfg Config) (*Hasher, error) {
	if cfg.Params == (Params{}) {
		cfg.Params = DefaultParams()
	}
	if cfg.MaxConcurrent == 0 {
		cfg.MaxConcurrent = runtime.GOMAXPROCS(0)
	}
	if cfg.MinLength == 0 {
		cfg.MinLength = DefaultMinLength
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}

	var errs []error
	if err := cfg.Params.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("Params: %w", err))
	}
	if cfg.MaxConcurrent < 0 {
		errs = append(errs, fmt.Errorf("MaxConcurrent %d must be positive", cfg.MaxConcurrent))
	}
	if cfg.MinLength < 0 {
		errs = append(errs, fmt.Errorf("MinLength (password.min_length) %d must be positive", cfg.MinLength))
	}
	if cfg.MaxBytes < 0 {
		errs = append(errs, fmt.Errorf("MaxBytes %d must be positive", cfg.MaxBytes))
	}
	if cfg.MinLength > cfg.MaxBytes { // every character takes at least a byte
		errs = append(errs, fmt.Errorf("MinLength (password.min_length) %d exceeds MaxBytes %d", cfg.MinLength, cfg.MaxBytes))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("password: invalid configuration: %w", errors.Join(errs...))
	}

	h := &Hasher{
		params:      cfg.Params,
		minLen:      cfg.MinLength,
		maxBytes:    cfg.MaxBytes,
		rand:        cfg.Rand,
		lim:         limits{maxMemory: max(cfg.Params.Memory, verifyMaxMemory), maxIterations: max(cfg.Params.Iterations, verifyMaxIterations)},
		sem:         make(chan struct{}, cfg.MaxConcurrent),
		errTooShort: tooShort(cfg.MinLength),
		errTooLong:  tooLong(cfg.MaxBytes),
	}
	d := phc{params: h.params, salt: make([]byte, h.params.SaltLength), key: make([]byte, h.params.KeyLength)}
	if err := h.read(d.salt); err != nil {
		return nil, err
	}
	if err := h.read(d.key); err != nil {
		return nil, err
	}
	h.dummy = d.encode()
	return h, nil
}

// Params returns the argon2id parameters the Hasher uses for new hashes.
func (h *Hasher) Params() Params { return h.params }

// CheckPolicy reports whether plain is acceptable as a new password:
// ErrInvalid unless it is valid UTF-8, ErrTooLong ("password must not be
// longer than 72 bytes") above MaxBytes bytes, ErrTooShort ("password must be
// at least 8 characters") below MinLength characters. All are autherr.Invalid.
func (h *Hasher) CheckPolicy(plain string) error {
	switch {
	case !utf8.ValidString(plain):
		return ErrInvalid
	case len(plain) > h.maxBytes:
		return h.errTooLong
	case utf8.RuneCountInString(plain) < h.minLen:
		return h.errTooShort
	}
	return nil
}

// Hash checks plain against CheckPolicy and returns its argon2id hash in PHC
// string format with a fresh salt from Config.Rand. It waits for a hashing
// slot and returns ctx.Err() if ctx ends first; a Rand failure is
// autherr.Internal.
func (h *Hasher) Hash(ctx context.Context, plain string) (string, error) {
	if err := h.CheckPolicy(plain); err != nil {
		return "", err
	}
	return h.hashUnchecked(ctx, plain)
}

// Verify reports whether plain matches encoded, an argon2id PHC string
// (any parameters within the limits below) or a bcrypt hash ($2a$, $2b$,
// $2y$). needsRehash is true after a match when encoded is bcrypt or its
// argon2id parameters differ from the Hasher's; the caller should then store
// Hash(ctx, plain). A mismatch is (false, false, nil).
//
// Errors: ErrTooLong (autherr.Invalid) when plain exceeds MaxBytes, before
// any work; ErrMalformedHash (autherr.Internal) when encoded cannot be
// parsed, or asks for more than max(256 MiB, Params.Memory) memory, more than
// max(16, Params.Iterations) iterations, or a bcrypt cost above 16;
// ctx.Err() when ctx ends while waiting for a hashing slot. Keys are
// compared in constant time.
func (h *Hasher) Verify(ctx context.Context, plain, encoded string) (ok, needsRehash bool, err error) {
	if len(plain) > h.maxBytes {
		return false, false, h.errTooLong
	}
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		d, err := parseArgon2id(encoded, h.lim)
		if err != nil {
			return false, false, fmt.Errorf("%w: %w", ErrMalformedHash, err)
		}
		if err := h.acquire(ctx); err != nil {
			return false, false, err
		}
		key := argon2.IDKey([]byte(plain), d.salt, d.params.Iterations, d.params.Memory, d.params.Parallelism, d.params.KeyLength)
		h.release()
		ok = subtle.ConstantTimeCompare(key, d.key) == 1
		return ok, ok && d.params != h.params, nil

	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		// bcrypt hashes are exactly 60 bytes; the library ignores trailing
		// bytes, which would let two different strings verify alike.
		if len(encoded) != 60 {
			return false, false, fmt.Errorf("%w: bcrypt hash of %d bytes", ErrMalformedHash, len(encoded))
		}
		cost, err := bcrypt.Cost([]byte(encoded))
		if err != nil {
			return false, false, fmt.Errorf("%w: %w", ErrMalformedHash, err)
		}
		if cost > maxBcryptCost {
			return false, false, fmt.Errorf("%w: bcrypt cost %d above %d", ErrMalformedHash, cost, maxBcryptCost)
		}
		if err := h.acquire(ctx); err != nil {
			return false, false, err
		}
		err = bcrypt.CompareHashAndPassword([]byte(encoded), []byte(plain))
		h.release()
		switch {
		case err == nil:
			// bcrypt truncates at 72 bytes; with MaxBytes above that a longer
			// password must not match on its prefix. The work is done anyway
			// so the answer takes the same time.
			ok = len(plain) <= bcryptMaxInput
			return ok, ok, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, false, nil
		default:
			return false, false, fmt.Errorf("%w: %w", ErrMalformedHash, err)
		}
	}
	return false, false, fmt.Errorf("%w: unknown hash scheme", ErrMalformedHash)
}

// VerifyUnknown does the work of Verify against an argon2id hash with the
// current Params that no password matches. Call it when the user (or their
// password) does not exist, then answer as for a wrong password, so the
// response time does not reveal whether the account exists. It returns
// ErrTooLong exactly when Verify would, and ctx.Err() if ctx ends while
// waiting for a hashing slot; otherwise nil.
//
// Users whose stored hash is still bcrypt (cost 12) take longer than this
// until their next login rehashes them.
func (h *Hasher) VerifyUnknown(ctx context.Context, plain string) error {
	_, _, err := h.Verify(ctx, plain, h.dummy)
	return err
}

// acquire takes a hashing slot, or returns ctx.Err() if ctx ends first.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.sem }

// read fills b from Rand; a failure is autherr.Internal.
func (h *Hasher) read(b []byte) error {
	if _, err := io.ReadFull(h.rand, b); err != nil {
		return fmt.Errorf("%w: password: reading random bytes: %w", autherr.Internal, err)
	}
	return nil
}

// hashUnchecked is Hash without the policy check, for rehashing a password
// that already passed it once; Hash calls it after CheckPolicy.
func (h *Hasher) hashUnchecked(ctx context.Context, plain string) (string, error) {
	d := phc{params: h.params, salt: make([]byte, h.params.SaltLength)}
	if err := h.read(d.salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	d.key = argon2.IDKey([]byte(plain), d.salt, d.params.Iterations, d.params.Memory, d.params.Parallelism, d.params.KeyLength)
	h.release()
	return d.encode(), nil
}
