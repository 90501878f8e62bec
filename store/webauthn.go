package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// CreateWebauthnCredential inserts a credential with its transports. A
// taken credential ID is autherr.Conflict, an unknown user
// autherr.NotFound.
func (s *DB) CreateWebauthnCredential(ctx context.Context, c WebauthnCredential) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.idb(ctx).NewInsert().Model(&c).Exec(ctx); err != nil {
			return mapErr(err)
		}
		if len(c.Transports) == 0 {
			return nil
		}
		_, err := s.idb(ctx).NewInsert().Model(&c.Transports).Exec(ctx)
		return mapErr(err)
	})
}

// GetWebauthnCredential returns a credential with its transports
// (autherr.NotFound if none).
func (s *DB) GetWebauthnCredential(ctx context.Context, id string) (WebauthnCredential, error) {
	var c WebauthnCredential
	err := s.idb(ctx).NewSelect().Model(&c).Relation("Transports").Where("?TableAlias.id = ?", id).Scan(ctx)
	return c, mapErr(err)
}

// GetWebauthnCredentialKey returns a credential without its transports
// (autherr.NotFound if none): what a login needs, in one statement.
func (s *DB) GetWebauthnCredentialKey(ctx context.Context, id string) (WebauthnCredential, error) {
	var c WebauthnCredential
	err := s.idb(ctx).NewSelect().Model(&c).Where("id = ?", id).Scan(ctx)
	return c, mapErr(err)
}

// WebauthnCredentials returns a user's credentials with their transports,
// oldest first.
func (s *DB) WebauthnCredentials(ctx context.Context, userID uuid.UUID) ([]WebauthnCredential, error) {
	cs := []WebauthnCredential{}
	err := s.idb(ctx).NewSelect().Model(&cs).Relation("Transports").
		Where("?TableAlias.user_id = ?", userID).OrderExpr("?TableAlias.created_at, ?TableAlias.id").Scan(ctx)
	return cs, mapErr(err)
}

// RecordWebauthnLogin stores what a login taught about a credential: its
// signature counter, backup flags and the time of use. The counter only
// moves forward (or stays 0, for authenticators without one): it is
// autherr.NotFound when the credential is gone or its stored counter is
// already at or above signCount (a concurrent login got there first).
func (s *DB) RecordWebauthnLogin(ctx context.Context, id string, signCount uint32, backupEligible, backupState bool, at time.Time) error {
	q := s.idb(ctx).NewUpdate().Model((*WebauthnCredential)(nil)).
		Set("sign_count = ?", signCount).
		Set("backup_eligible = ?", backupEligible).
		Set("backup_state = ?", backupState).
		Set("last_used_at = ?", at).
		Set("updated_at = ?", at).
		Where("id = ?", id)
	if signCount == 0 {
		q = q.Where("sign_count = 0")
	} else {
		q = q.Where("sign_count < ?", signCount)
	}
	return affected(q.Exec(ctx))
}

// RenameWebauthnCredential sets the name of a credential of userID
// (autherr.NotFound when userID has no such credential).
func (s *DB) RenameWebauthnCredential(ctx context.Context, userID uuid.UUID, id, name string, at time.Time) error {
	return affected(s.idb(ctx).NewUpdate().Model((*WebauthnCredential)(nil)).
		Set("name = ?", name).Set("updated_at = ?", at).
		Where("id = ?", id).Where("user_id = ?", userID).Exec(ctx))
}

// DeleteWebauthnCredential deletes a credential of userID and its
// transports (autherr.NotFound when userID has no such credential).
func (s *DB) DeleteWebauthnCredential(ctx context.Context, userID uuid.UUID, id string) error {
	return affected(s.idb(ctx).NewDelete().Model((*WebauthnCredential)(nil)).
		Where("id = ?", id).Where("user_id = ?", userID).Exec(ctx))
}

// CreateWebauthnSessionData stores a pending ceremony. A challenge stored
// before is autherr.Conflict.
func (s *DB) CreateWebauthnSessionData(ctx context.Context, d WebauthnSessionData) error {
	_, err := s.idb(ctx).NewInsert().Model(&d).Exec(ctx)
	return mapErr(err)
}

// ConsumeWebauthnSessionData deletes and returns the pending ceremony of
// the given operation with the given challenge. Of concurrent callers
// exactly one gets it; the others, and any later caller, get
// autherr.NotFound. Expiry is the caller's to check: an expired ceremony is
// consumed all the same.
func (s *DB) ConsumeWebauthnSessionData(ctx context.Context, challenge, operation string) (WebauthnSessionData, error) {
	var d WebauthnSessionData
	if s.dialect != MySQL { // one statement: DELETE … RETURNING
		err := s.idb(ctx).NewDelete().Model(&d).
			Where("challenge = ?", challenge).Where("operation = ?", operation).
			Returning("*").Scan(ctx)
		return d, mapErr(err)
	}
	// MySQL has no DELETE … RETURNING: read, then delete by id; only the
	// caller whose delete removed the row owns it.
	err := s.idb(ctx).NewSelect().Model(&d).
		Where("challenge = ?", challenge).Where("operation = ?", operation).Scan(ctx)
	if err != nil {
		return d, mapErr(err)
	}
	err = affected(s.idb(ctx).NewDelete().Model((*WebauthnSessionData)(nil)).Where("id = ?", d.ID).Exec(ctx))
	if err != nil {
		return WebauthnSessionData{}, err
	}
	return d, nil
}
