package store

import "context"

// ListJWKs returns every signing key row, ordered by id. An empty table is an
// empty list, not an error.
func (s *DB) ListJWKs(ctx context.Context) ([]JWK, error) {
	var ks []JWK
	err := s.idb(ctx).NewSelect().Model(&ks).OrderExpr("id ASC").Scan(ctx)
	if err != nil && !isNoRows(err) {
		return nil, mapErr(err)
	}
	return ks, nil
}

// CreateJWK inserts k with its given ID. A taken ID is autherr.Conflict, so
// instances that race to create the same key row learn that they lost.
func (s *DB) CreateJWK(ctx context.Context, k JWK) error {
	_, err := s.idb(ctx).NewInsert().Model(&k).Exec(ctx)
	return mapErr(err)
}
