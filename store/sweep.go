package store

import (
	"context"
	"fmt"
	"time"
)

// expiring lists the tables whose rows die with their expires_at column.
// A session revocation is useless once its session has expired; a rate
// limit bucket once it is full again.
var expiring = [...]string{"passcodes", "webauthn_session_data", "tokens", "sessions", "session_revocations", "rate_limits"}

// DeleteExpired deletes up to limit rows from each table of short-lived
// data (passcodes, WebAuthn challenges, one-time tokens, sessions, session
// revocations, rate-limit buckets) whose expires_at is before now, and returns how many
// it deleted. Small batches keep each statement's locks short; several
// instances may run it at once (they delete disjoint or already-gone rows).
func (s *DB) DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error) {
	total := 0
	for _, table := range expiring {
		var q string
		switch s.dialect {
		case MySQL:
			q = fmt.Sprintf("DELETE FROM %s WHERE expires_at < ? LIMIT %d", table, limit)
		default:
			q = fmt.Sprintf("DELETE FROM %s WHERE id IN (SELECT id FROM %s WHERE expires_at < ? LIMIT %d)", table, table, limit)
		}
		res, err := s.idb(ctx).ExecContext(ctx, q, now)
		if err != nil {
			return total, mapErr(fmt.Errorf("sweep %s: %w", table, err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, mapErr(err)
		}
		total += int(n)
	}
	return total, nil
}
