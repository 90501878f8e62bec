package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// GetPasswordCredential returns a user's password credential
// (autherr.NotFound if the user has none or does not exist).
func (s *DB) GetPasswordCredential(ctx context.Context, userID uuid.UUID) (PasswordCredential, error) {
	var c PasswordCredential
	err := s.idb(ctx).NewSelect().Model(&c).Where("user_id = ?", userID).Scan(ctx)
	return c, mapErr(err)
}

// CreatePasswordCredential inserts a password credential. A user who
// already has one is autherr.Conflict (the unique index on user_id decides,
// so of two concurrent creators exactly one wins); an unknown user is
// autherr.NotFound.
func (s *DB) CreatePasswordCredential(ctx context.Context, c PasswordCredential) error {
	_, err := s.idb(ctx).NewInsert().Model(&c).Exec(ctx)
	return mapErr(err)
}

// UpdatePasswordCredential replaces a user's password hash and stamps
// updated_at with now (autherr.NotFound if the user has no credential).
func (s *DB) UpdatePasswordCredential(ctx context.Context, userID uuid.UUID, hash string, now time.Time) error {
	return affected(s.idb(ctx).NewUpdate().Model((*PasswordCredential)(nil)).
		Set("password = ?", hash).Set("updated_at = ?", now).Where("user_id = ?", userID).Exec(ctx))
}

// DeletePasswordCredential deletes a user's password credential
// (autherr.NotFound if there is none, so of concurrent deleters exactly one
// succeeds).
func (s *DB) DeletePasswordCredential(ctx context.Context, userID uuid.UUID) error {
	return affected(s.idb(ctx).NewDelete().Model((*PasswordCredential)(nil)).Where("user_id = ?", userID).Exec(ctx))
}

// InsertPasswordCredentials bulk-inserts password hashes (user import). A
// user that already has one is autherr.Conflict.
func (s *DB) InsertPasswordCredentials(ctx context.Context, cs []PasswordCredential) error {
	if len(cs) == 0 {
		return nil
	}
	_, err := s.idb(ctx).NewInsert().Model(&cs).Exec(ctx)
	return mapErr(err)
}
