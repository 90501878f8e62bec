package store

import (
	"context"

	"github.com/google/uuid"
)

// CreateIdentity inserts a third-party identity. A provider account that is
// already linked (same provider_id and provider_name) is autherr.Conflict;
// an unknown email autherr.NotFound.
func (s *DB) CreateIdentity(ctx context.Context, i Identity) error {
	_, err := s.idb(ctx).NewInsert().Model(&i).Exec(ctx)
	return mapErr(err)
}

// GetIdentity returns the identity of a provider account: providerName is
// the provider's configuration name, providerID the account's subject at
// the provider (autherr.NotFound if none).
func (s *DB) GetIdentity(ctx context.Context, providerName, providerID string) (Identity, error) {
	var i Identity
	err := s.idb(ctx).NewSelect().Model(&i).
		Where("provider_name = ?", providerName).Where("provider_id = ?", providerID).Scan(ctx)
	return i, mapErr(err)
}

// UpdateIdentity replaces the mutable fields of the identity with i's ID
// (email_id, data, updated_at). A missing identity is autherr.NotFound.
func (s *DB) UpdateIdentity(ctx context.Context, i Identity) error {
	return affected(s.idb(ctx).NewUpdate().Model(&i).
		Column("email_id", "data", "updated_at").WherePK().Exec(ctx))
}

// ListIdentities returns the identities linked to any address of a user,
// oldest first.
func (s *DB) ListIdentities(ctx context.Context, userID uuid.UUID) ([]Identity, error) {
	var is []Identity
	err := s.idb(ctx).NewSelect().Model(&is).
		Where("email_id IN (SELECT id FROM emails WHERE user_id = ?)", userID).
		Order("created_at ASC", "id ASC").Scan(ctx)
	return is, mapErr(err)
}
