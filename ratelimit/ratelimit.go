package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"github.com/hanko-go/hanko/autherr"
)

// Limiter decides whether one more operation under key is allowed now.
// Implementations are safe for concurrent use. An error means the limiter
// could not decide (its shared store is down); it wraps ErrUnavailable, and
// callers refuse the operation (fail closed).
type Limiter interface {
	Allow(ctx context.Context, key string) (Result, error)
}

// ErrUnavailable is wrapped by the errors of the shared limiters (Redis,
// Database) when their store does not answer. Its kind is
// autherr.Unavailable (503): an auth service that cannot count attempts
// refuses them rather than let a password guesser or a mail bomber through
// (fail closed), and the HTTP layer logs the cause.
var ErrUnavailable = autherr.New(autherr.Unavailable, "rate limiter unavailable")

// Result is the outcome of one Allow call.
type Result struct {
	Allowed   bool
	Limit     int // the bucket capacity
	Remaining int // tokens left after this call
	// Reset is how long until the next token is back (zero when the bucket
	// is full).
	Reset time.Duration
	// RetryAfter is how long the caller must wait before a token is
	// available; zero when Allowed.
	RetryAfter time.Duration
}

const (
	shardCount = 64
	// DefaultMaxKeys bounds the buckets a Memory keeps.
	DefaultMaxKeys = 100_000
)

// Memory is an in-process Limiter: a token bucket per key, refilled evenly
// (one token every interval/tokens). It is safe for concurrent use. Buckets
// that are full again carry no information and are dropped; at most
// DefaultMaxKeys buckets are kept, evicting the fullest (then the oldest)
// first.
type Memory struct {
	tokens   int
	interval time.Duration
	per      time.Duration // time to regain one token
	now      func() time.Time
	seed     maphash.Seed
	maxShard int
	shards   [shardCount]shard
}

type shard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	sweep   time.Time // last sweep of full buckets
}

// bucket holds the time at which it is full again: the tokens missing are
// (full - now) / per, rounded up. This single number is the whole state.
type bucket struct {
	full time.Time
}

var _ Limiter = (*Memory)(nil)

// NewMemory returns a limiter allowing tokens operations per interval and
// key. now is the clock [time.Now when nil]. tokens and interval must be
// positive; NewMemory panics otherwise.
func NewMemory(tokens int, interval time.Duration, now func() time.Time) *Memory {
	if tokens <= 0 || interval <= 0 {
		panic("ratelimit: tokens and interval must be positive")
	}
	if now == nil {
		now = time.Now
	}
	per := interval / time.Duration(tokens)
	if per <= 0 {
		per = 1
	}
	m := &Memory{tokens: tokens, interval: interval, per: per, now: now, seed: maphash.MakeSeed(),
		maxShard: max(1, DefaultMaxKeys/shardCount)}
	for i := range m.shards {
		m.shards[i].buckets = make(map[string]*bucket)
	}
	return m
}

// Allow takes one token from key's bucket if it has one. It never fails.
func (m *Memory) Allow(_ context.Context, key string) (Result, error) {
	now := m.now()
	s := &m.shards[maphash.String(m.seed, key)%shardCount]
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[key]
	full := now
	if b != nil && b.full.After(now) {
		full = b.full
	}
	missing := m.missing(full, now)
	res := Result{Limit: m.tokens}
	if missing >= m.tokens {
		// Empty: the next token is back once full-now drops below capacity.
		wait := full.Sub(now) - time.Duration(m.tokens-1)*m.per
		res.Reset, res.RetryAfter = wait, wait
		return res, nil
	}
	full = full.Add(m.per)
	if b == nil {
		if len(s.buckets) >= m.maxShard {
			s.evict(now)
		}
		b = &bucket{}
		s.buckets[key] = b
	}
	b.full = full
	missing = m.missing(full, now)
	res.Allowed = true
	res.Remaining = m.tokens - missing
	res.Reset = full.Sub(now) - time.Duration(missing-1)*m.per
	if now.Sub(s.sweep) >= m.interval {
		s.sweep = now
		s.dropFull(now)
	}
	return res, nil
}

// missing is the number of tokens a bucket full at full lacks at now.
func (m *Memory) missing(full, now time.Time) int {
	d := full.Sub(now)
	if d <= 0 {
		return 0
	}
	return int((d + m.per - 1) / m.per)
}

// dropFull removes the buckets that are full again.
func (s *shard) dropFull(now time.Time) {
	for k, b := range s.buckets {
		if !b.full.After(now) {
			delete(s.buckets, k)
		}
	}
}

// evict makes room for one bucket: full buckets go first; if none is full,
// the one closest to full (the oldest activity) goes.
func (s *shard) evict(now time.Time) {
	s.dropFull(now)
	if len(s.buckets) == 0 {
		return
	}
	var oldest string
	var at time.Time
	first := true
	for k, b := range s.buckets {
		if first || b.full.Before(at) {
			oldest, at, first = k, b.full, false
		}
	}
	delete(s.buckets, oldest)
}

// Len reports the number of buckets kept (for tests and metrics).
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.buckets)
		s.mu.Unlock()
	}
	return n
}

// bucketResult is the Result of a shared limiter's call: d is how far
// ahead of now the bucket's full time is after the call (a token taken or
// not) and per the time to regain one token. The numbers match Memory's.
func bucketResult(allowed bool, d, per time.Duration, tokens int) Result {
	res := Result{Allowed: allowed, Limit: tokens}
	if !allowed {
		// The next token is back once d drops to (tokens-1)*per.
		wait := max(d-time.Duration(tokens-1)*per, 0)
		res.Reset, res.RetryAfter = wait, wait
		return res
	}
	missing := int((d + per - 1) / per)
	res.Remaining = max(tokens-missing, 0)
	res.Reset = d - time.Duration(missing-1)*per
	return res
}
