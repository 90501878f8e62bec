package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// CreateSession inserts a server-side session. An unknown user is
// autherr.NotFound; a taken ID autherr.Conflict.
func (s *DB) CreateSession(ctx context.Context, se Session) error {
	_, err := s.idb(ctx).NewInsert().Model(&se).Exec(ctx)
	return mapErr(err)
}

// GetSession returns a session by ID (autherr.NotFound if none).
func (s *DB) GetSession(ctx context.Context, id uuid.UUID) (Session, error) {
	var se Session
	err := s.idb(ctx).NewSelect().Model(&se).Where("id = ?", id).Scan(ctx)
	return se, mapErr(err)
}

// ListSessions returns a user's sessions that have not expired at now,
// newest first.
func (s *DB) ListSessions(ctx context.Context, userID uuid.UUID, now time.Time) ([]Session, error) {
	var ses []Session
	err := s.idb(ctx).NewSelect().Model(&ses).
		Where("user_id = ?", userID).
		Where("expires_at IS NULL OR expires_at > ?", now).
		Order("created_at DESC", "id DESC").Scan(ctx)
	return ses, mapErr(err)
}

// TouchSession sets a session's last use (autherr.NotFound if none).
func (s *DB) TouchSession(ctx context.Context, id uuid.UUID, now time.Time) error {
	return affected(s.idb(ctx).NewUpdate().Model((*Session)(nil)).
		Set("last_used = ?", now).Set("updated_at = ?", now).Where("id = ?", id).Exec(ctx))
}

// DeleteSessions deletes the sessions with the given IDs and returns those
// that existed, so that the caller revokes exactly those.
func (s *DB) DeleteSessions(ctx context.Context, ids []uuid.UUID) ([]Session, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var gone []Session
	err := s.idb(ctx).NewSelect().Model(&gone).Where("id IN (?)", bun.List(ids)).Scan(ctx)
	if err != nil {
		return nil, mapErr(err)
	}
	if len(gone) == 0 {
		return nil, nil
	}
	_, err = s.idb(ctx).NewDelete().Model((*Session)(nil)).Where("id IN (?)", bun.List(ids)).Exec(ctx)
	return gone, mapErr(err)
}

// ListAllSessions returns every session of a user, expired or not.
func (s *DB) ListAllSessions(ctx context.Context, userID uuid.UUID) ([]Session, error) {
	var ses []Session
	err := s.idb(ctx).NewSelect().Model(&ses).Where("user_id = ?", userID).Scan(ctx)
	return ses, mapErr(err)
}

// CreateSessionRevocations records revoked sessions in one statement.
func (s *DB) CreateSessionRevocations(ctx context.Context, rs []SessionRevocation) error {
	if len(rs) == 0 {
		return nil
	}
	_, err := s.idb(ctx).NewInsert().Model(&rs).Exec(ctx)
	return mapErr(err)
}

// SessionRevocationsSince returns the revocations recorded at or after
// since whose session has not expired at now, oldest first.
func (s *DB) SessionRevocationsSince(ctx context.Context, since, now time.Time) ([]SessionRevocation, error) {
	var rs []SessionRevocation
	err := s.idb(ctx).NewSelect().Model(&rs).
		Where("created_at >= ?", since).
		Where("expires_at IS NULL OR expires_at > ?", now).
		Order("created_at ASC").Scan(ctx)
	return rs, mapErr(err)
}

// GetPrimaryEmailOf returns the primary email of a user in one query
// (autherr.NotFound if the user has none).
func (s *DB) GetPrimaryEmailOf(ctx context.Context, userID uuid.UUID) (Email, error) {
	var e Email
	err := s.idb(ctx).NewSelect().Model(&e).
		Join("JOIN primary_emails AS p ON p.email_id = email.id").
		Where("p.user_id = ?", userID).Scan(ctx)
	return e, mapErr(err)
}

// ExcessSessions returns the IDs of a user's active sessions beyond the
// newest keep, oldest last: the ones a per-user limit evicts. It reads only
// those rows, so the common case (under the limit) returns nothing cheaply.
func (s *DB) ExcessSessions(ctx context.Context, userID uuid.UUID, now time.Time, keep int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := s.idb(ctx).NewSelect().Model((*Session)(nil)).Column("id").
		Where("user_id = ?", userID).
		Where("expires_at IS NULL OR expires_at > ?", now).
		Order("created_at DESC", "id DESC").
		Offset(int64(keep)).Limit(1<<20).
		Scan(ctx, &ids)
	return ids, mapErr(err)
}
