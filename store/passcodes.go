package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
)

// ErrPasscodeTryLimit is returned by IncrementPasscodeTries when the passcode
// has already used up its tries: no try was counted. Its kind is
// autherr.Gone.
var ErrPasscodeTryLimit = autherr.New(autherr.Gone, "passcode try limit reached")

// CreatePasscode inserts a passcode. An unknown user or email is
// autherr.NotFound; a taken ID autherr.Conflict.
func (s *DB) CreatePasscode(ctx context.Context, p Passcode) error {
	_, err := s.idb(ctx).NewInsert().Model(&p).Exec(ctx)
	return mapErr(err)
}

// GetPasscode returns a passcode by ID (autherr.NotFound if none).
func (s *DB) GetPasscode(ctx context.Context, id uuid.UUID) (Passcode, error) {
	var p Passcode
	err := s.idb(ctx).NewSelect().Model(&p).Where("id = ?", id).Scan(ctx)
	return p, mapErr(err)
}

// IncrementPasscodeTries counts one try of a passcode and returns the new
// count, unless max tries are already counted: then it counts nothing and
// returns the current count and ErrPasscodeTryLimit. A missing passcode is
// autherr.NotFound.
//
// The count moves in one conditional UPDATE (try_count < max), so however
// many callers race, at most max tries are ever counted. The update and the
// read-back share a transaction (joining the caller's), whose row lock makes
// the returned count the one this call wrote.
func (s *DB) IncrementPasscodeTries(ctx context.Context, id uuid.UUID, max int) (int, error) {
	var tries int
	err := s.InTx(ctx, func(ctx context.Context) error {
		res, err := s.idb(ctx).NewUpdate().Model((*Passcode)(nil)).
			Set("try_count = try_count + 1").
			Where("id = ?", id).Where("try_count < ?", max).
			Exec(ctx)
		if err != nil {
			return mapErr(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return mapErr(err)
		}
		err = s.idb(ctx).NewSelect().Model((*Passcode)(nil)).Column("try_count").
			Where("id = ?", id).Scan(ctx, &tries)
		if err != nil {
			return mapErr(err) // NotFound: no such passcode
		}
		if n == 0 {
			return ErrPasscodeTryLimit
		}
		return nil
	})
	return tries, err
}

// DeletePasscode deletes a passcode (autherr.NotFound if it is already
// gone). Of concurrent callers exactly one succeeds, which makes the delete
// the point where a passcode is consumed.
func (s *DB) DeletePasscode(ctx context.Context, id uuid.UUID) error {
	return affected(s.idb(ctx).NewDelete().Model((*Passcode)(nil)).Where("id = ?", id).Exec(ctx))
}
