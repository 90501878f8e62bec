package store

import (
	"context"
)

// CreateToken inserts a one-time token. A taken value is autherr.Conflict;
// an unknown user or identity autherr.NotFound.
func (s *DB) CreateToken(ctx context.Context, t Token) error {
	_, err := s.idb(ctx).NewInsert().Model(&t).Exec(ctx)
	return mapErr(err)
}

// ConsumeToken deletes the token with the given value and returns it, expired
// or not: the caller decides what an expired token means. A missing value is
// autherr.NotFound. Of any number of concurrent calls with one value exactly
// one gets the token: the row is read and then deleted by a statement whose
// affected-row count decides the winner (a loser deletes nothing and gets
// autherr.NotFound), in one transaction that joins the caller's.
func (s *DB) ConsumeToken(ctx context.Context, value string) (Token, error) {
	var t Token
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.idb(ctx).NewSelect().Model(&t).Where("value = ?", value).Scan(ctx); err != nil {
			return mapErr(err)
		}
		return affected(s.idb(ctx).NewDelete().Model((*Token)(nil)).Where("id = ?", t.ID).Exec(ctx))
	})
	if err != nil {
		return Token{}, err
	}
	return t, nil
}
