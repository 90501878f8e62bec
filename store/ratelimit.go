package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/hanko-go/hanko/autherr"
)

// MaxRateLimitKey is the longest bucket key TakeRateLimitToken accepts, in
// bytes (the column holds 255 characters).
const MaxRateLimitKey = 255

// ErrRateLimitContended is returned by TakeRateLimitToken when the bucket
// kept appearing and disappearing under it (a sweeper and writers racing on
// one key); it is autherr.Unavailable and worth no retry by the caller.
var ErrRateLimitContended = autherr.New(autherr.Unavailable, "rate limit bucket contended")

// takeAttempts bounds TakeRateLimitToken's update/insert rounds. Two suffice
// unless the sweeper deletes the row between them every time.
const takeAttempts = 4

// TakeRateLimitToken takes one token from the token bucket key, if it has
// one, and reports the bucket's full time afterwards (when it holds capacity
// tokens again) and whether a token was taken. A bucket regains one token
// every per and holds at most capacity; a missing bucket is full.
//
// The bucket is one number, its full time f (microseconds): a token is
// available at now when max(f, now) <= now + (capacity-1)*per, and taking it
// sets f = max(f, now) + per. That test-and-set is a single conditional
// UPDATE, so however many callers race on a key (on any instance), no more
// tokens are taken than the bucket has: PostgreSQL and MySQL re-check the
// condition on the row they waited for, SQLite serialises writers. A bucket
// is inserted only when the update found no row, with a do-nothing conflict
// clause, and the loser of an insert race retries the update.
//
// The row's expires_at is set to now + capacity*per, by which the bucket is
// full again whatever happens, so DeleteExpired may delete it then. A key
// longer than MaxRateLimitKey is autherr.Invalid; per must be at least a
// microsecond and capacity at least one.
func (s *DB) TakeRateLimitToken(ctx context.Context, key string, now time.Time, per time.Duration, capacity int) (full time.Time, ok bool, err error) {
	switch {
	case len(key) > MaxRateLimitKey:
		return time.Time{}, false, autherr.New(autherr.Invalid, "rate limit key too long")
	case per < time.Microsecond || capacity < 1:
		return time.Time{}, false, autherr.New(autherr.Invalid, "rate limit needs per >= 1µs and capacity >= 1")
	}
	b := bucketArgs{
		key:     key,
		now:     now.UnixMicro(),
		per:     per.Microseconds(),
		latest:  now.UnixMicro() + int64(capacity-1)*per.Microseconds(),
		expires: now.Add(time.Duration(capacity) * per).UTC(),
	}
	for range takeAttempts {
		f, taken, err := s.takeExisting(ctx, b)
		if err != nil || taken {
			return time.UnixMicro(f), taken, err
		}
		// No token taken: the bucket is empty, or there is no bucket.
		err = s.idb(ctx).QueryRowContext(ctx, "SELECT full_at FROM rate_limits WHERE id = ?", key).Scan(&f)
		switch {
		case err == nil:
			return time.UnixMicro(f), false, nil
		case !errors.Is(err, sql.ErrNoRows):
			return time.Time{}, false, mapErr(err)
		}
		if inserted, err := s.insertBucket(ctx, b); err != nil || inserted {
			return time.UnixMicro(b.now + b.per), inserted, err
		}
		// Another caller inserted the bucket first: take from it.
	}
	return time.Time{}, false, ErrRateLimitContended
}

// bucketArgs are one TakeRateLimitToken call's values in the table's units.
type bucketArgs struct {
	key     string
	now     int64 // µs
	per     int64 // µs
	latest  int64 // the largest full_at that still has a token at now
	expires time.Time
}

// takeExisting is the conditional UPDATE of TakeRateLimitToken. It reports
// the new full time when it took a token. PostgreSQL and SQLite return it
// with the update; MariaDB has no UPDATE ... RETURNING, so there the update
// and a read-back share a transaction, whose row lock makes the value read
// the one written.
func (s *DB) takeExisting(ctx context.Context, b bucketArgs) (full int64, ok bool, err error) {
	const set = " SET full_at = %s(full_at, ?) + ?, expires_at = ? WHERE id = ? AND full_at <= ?"
	switch s.dialect {
	case MySQL:
		err = s.InTx(ctx, func(ctx context.Context) error {
			res, err := s.idb(ctx).ExecContext(ctx, "UPDATE rate_limits"+fmt.Sprintf(set, "GREATEST"),
				b.now, b.per, b.expires, b.key, b.latest)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				return err
			}
			ok = true
			return s.idb(ctx).QueryRowContext(ctx, "SELECT full_at FROM rate_limits WHERE id = ?", b.key).Scan(&full)
		})
	default:
		greatest := "GREATEST"
		if s.dialect == SQLite {
			greatest = "MAX" // SQLite's two-argument MAX is scalar
		}
		err = s.idb(ctx).QueryRowContext(ctx, "UPDATE rate_limits"+fmt.Sprintf(set, greatest)+" RETURNING full_at",
			b.now, b.per, b.expires, b.key, b.latest).Scan(&full)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, false, nil
		}
		ok = err == nil
	}
	if err != nil {
		return 0, false, mapErr(err)
	}
	return full, ok, nil
}

// insertBucket creates key's bucket with one token taken, unless the bucket
// exists; it reports whether it created it.
func (s *DB) insertBucket(ctx context.Context, b bucketArgs) (bool, error) {
	q := "INSERT INTO rate_limits (id, full_at, expires_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING"
	if s.dialect == MySQL {
		// The key fits the column (checked above), so IGNORE can only
		// swallow the duplicate key.
		q = "INSERT IGNORE INTO rate_limits (id, full_at, expires_at) VALUES (?, ?, ?)"
	}
	res, err := s.idb(ctx).ExecContext(ctx, q, b.key, b.now+b.per, b.expires)
	if err != nil {
		return false, mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, mapErr(err)
	}
	return n == 1, nil
}
