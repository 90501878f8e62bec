package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// Store is the persistence the Database limiter needs; *store.DB implements
// it (table rate_limits).
type Store interface {
	// TakeRateLimitToken takes one token from the bucket key at now, if it
	// has one, atomically with respect to every other caller on the same
	// database, and returns the bucket's full time afterwards. A bucket
	// regains a token every per and holds at most capacity; a missing
	// bucket is full.
	TakeRateLimitToken(ctx context.Context, key string, now time.Time, per time.Duration, capacity int) (full time.Time, ok bool, err error)
}

// Options tune the shared limiters (NewDatabase, NewRedis). The zero value
// is ready to use.
type Options struct {
	// Prefix namespaces the limiter's keys, so that limiters with different
	// rates never share a bucket ("passcode:", "password:"). Default: none
	// for the database, "hanko:ratelimit:" for Redis. At most 128 bytes.
	Prefix string
	// Now is the clock. Database: default time.Now; the instances sharing a
	// database should keep their clocks in sync (NTP): a clock that runs
	// ahead by d sees buckets d/per tokens fuller. Redis: default nil, which
	// reads the Redis server's clock (TIME) inside the script, so all
	// instances share one clock and skew between them mints no tokens; set
	// Now only for tests.
	Now func() time.Time
}

// maxPrefix bounds Options.Prefix, leaving room for a hashed key within
// the database's 255-character key column.
const maxPrefix = 128

// maxDBKey is the longest bucket id the database stores (store.MaxRateLimitKey).
const maxDBKey = 255

// Database is a Limiter whose buckets live in the SQL database (table
// rate_limits), shared by every instance on that database. Allow is one
// conditional UPDATE in the common case, exact under concurrency. It is
// safe for concurrent use.
type Database struct {
	store  Store
	tokens int
	per    time.Duration
	prefix string
	now    func() time.Time
}

var _ Limiter = (*Database)(nil)

// NewDatabase returns a limiter allowing tokens operations per interval and
// key, counted in s. o.Now defaults to time.Now. tokens and interval must be
// positive and o.Prefix at most 128 bytes; NewDatabase panics otherwise, as
// NewMemory does. The bucket's refill step, interval/tokens, is rounded down
// to a microsecond (the table's unit).
func NewDatabase(s Store, tokens int, interval time.Duration, o Options) *Database {
	per := sharedPer(tokens, interval, o)
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Database{store: s, tokens: tokens, per: per, prefix: o.Prefix, now: now}
}

// sharedPer checks the arguments of the shared limiters and returns the
// time to regain one token, in whole microseconds.
func sharedPer(tokens int, interval time.Duration, o Options) time.Duration {
	if tokens <= 0 || interval <= 0 {
		panic("ratelimit: tokens and interval must be positive")
	}
	if len(o.Prefix) > maxPrefix {
		panic(fmt.Sprintf("ratelimit: prefix longer than %d bytes", maxPrefix))
	}
	return max((interval / time.Duration(tokens)).Truncate(time.Microsecond), time.Microsecond)
}

// Allow takes one token from key's bucket if it has one. When the database
// fails it returns an error wrapping ErrUnavailable.
func (d *Database) Allow(ctx context.Context, key string) (Result, error) {
	now := d.now()
	full, ok, err := d.store.TakeRateLimitToken(ctx, d.id(key), now, d.per, d.tokens)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return bucketResult(ok, max(full.Sub(now), 0), d.per, d.tokens), nil
}

// id is the bucket's row key: the prefix and key, or, when that does not fit
// the column, the prefix and the key's SHA-256 (keys carry user input such as
// email addresses, whose length the limiter does not control).
func (d *Database) id(key string) string {
	if len(d.prefix)+len(key) <= maxDBKey {
		return d.prefix + key
	}
	sum := sha256.Sum256([]byte(key))
	return d.prefix + "#" + base64.RawURLEncoding.EncodeToString(sum[:])
}
