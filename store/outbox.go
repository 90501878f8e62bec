package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// InsertOutbox writes webhook deliveries, normally in the transaction of the
// change that caused them.
func (s *DB) InsertOutbox(ctx context.Context, rows []OutboxEvent) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := s.idb(ctx).NewInsert().Model(&rows).Exec(ctx)
	return mapErr(err)
}

// ClaimOutbox leases up to limit deliveries that are due at now (their
// next_attempt_at has come and no unexpired lease holds them) until
// lockedUntil, and returns them, oldest due first. Concurrent claimers on
// any number of instances get disjoint rows: PostgreSQL and MySQL skip rows
// another claimer has locked (FOR UPDATE SKIP LOCKED; MySQL 8, MariaDB
// 10.6+), SQLite serialises writers (BEGIN IMMEDIATE). A leased row becomes
// due again when its lease runs out, so a crashed instance's rows are
// retried by another. lockedUntil is stored UTC to the microsecond, and
// that is the value the rows come back with: the claimer passes it to
// DeleteOutbox and RescheduleOutbox to prove the lease is still its own.
func (s *DB) ClaimOutbox(ctx context.Context, now, lockedUntil time.Time, limit int) ([]OutboxEvent, error) {
	lockedUntil = leaseTime(lockedUntil)
	var rows []OutboxEvent
	// On MySQL/MariaDB the claim runs at READ COMMITTED: at the default
	// REPEATABLE READ, FOR UPDATE takes gap locks on the scanned index range,
	// and a change inserting its outbox row at the same moment deadlocks
	// with the claim (error 1213, seen under test), failing the user's
	// request. Without gap locks inserts never wait for a claim.
	var opts *sql.TxOptions
	if s.dialect == MySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	err := s.inTx(ctx, opts, func(ctx context.Context) error {
		rows = rows[:0]
		q := s.idb(ctx).NewSelect().Model(&rows).
			Where("next_attempt_at <= ?", now).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("locked_until IS NULL").WhereOr("locked_until <= ?", now)
			}).
			Order("next_attempt_at", "id").Limit(int64(limit))
		if s.dialect != SQLite {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx); err != nil {
			return mapErr(err)
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]uuid.UUID, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
			rows[i].LockedUntil = &lockedUntil
		}
		_, err := s.idb(ctx).NewUpdate().Model((*OutboxEvent)(nil)).
			Set("locked_until = ?", lockedUntil).Where("id IN (?)", bun.List(ids)).Exec(ctx)
		return mapErr(err)
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// OutboxDue reports whether any delivery is due at now and not leased:
// the rows ClaimOutbox would claim. It is one indexed read, so an idle
// dispatcher polls without taking a write lock (on SQLite every claim is
// BEGIN IMMEDIATE).
func (s *DB) OutboxDue(ctx context.Context, now time.Time) (bool, error) {
	due, err := s.idb(ctx).NewSelect().Model((*OutboxEvent)(nil)).ColumnExpr("1").
		Where("next_attempt_at <= ?", now).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("locked_until IS NULL").WhereOr("locked_until <= ?", now)
		}).
		Exists(ctx) // SELECT EXISTS (...): stops at the first due row
	return due, mapErr(err)
}

// DeleteOutbox removes deliveries (delivered, or given up) in one
// statement, but only those still leased until lockedUntil, the lease
// ClaimOutbox gave: a row whose lease ran out and that another claimer took
// over is left to it. It is autherr.NotFound when no row matched.
func (s *DB) DeleteOutbox(ctx context.Context, lockedUntil time.Time, ids ...uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	return affected(s.idb(ctx).NewDelete().Model((*OutboxEvent)(nil)).
		Where("id IN (?)", bun.List(ids)).Where("locked_until = ?", leaseTime(lockedUntil)).Exec(ctx))
}

// RescheduleOutbox records a failed attempt: the delivery's attempt count
// and last error, and when to try again; its lease is released. Like
// DeleteOutbox it touches the row only while it is still leased until
// lockedUntil; otherwise (or when the row is gone) it is autherr.NotFound.
func (s *DB) RescheduleOutbox(ctx context.Context, id uuid.UUID, lockedUntil time.Time, attempts int, next time.Time, lastError string) error {
	return affected(s.idb(ctx).NewUpdate().Model((*OutboxEvent)(nil)).
		Set("attempts = ?", attempts).Set("next_attempt_at = ?", next).Set("last_error = ?", lastError).
		Set("locked_until = NULL").Where("id = ?", id).Where("locked_until = ?", leaseTime(lockedUntil)).Exec(ctx))
}

// leaseTime is a lease as stored and compared: UTC, microseconds (the
// precision of every dialect's column), so equality holds after a round
// trip.
func leaseTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// CountOutbox returns how many deliveries are pending (leased or not).
func (s *DB) CountOutbox(ctx context.Context) (int, error) {
	n, err := s.idb(ctx).NewSelect().Model((*OutboxEvent)(nil)).Count(ctx)
	return int(n), mapErr(err)
}

// ListOutbox returns every pending delivery, oldest first (for tests and
// operators).
func (s *DB) ListOutbox(ctx context.Context) ([]OutboxEvent, error) {
	rows := []OutboxEvent{}
	err := s.idb(ctx).NewSelect().Model(&rows).Order("created_at", "id").Scan(ctx)
	return rows, mapErr(err)
}
