package passcode

import (
	"context"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/store"
)

// Store is the persistence passcodes need. *store.DB implements it.
type Store interface {
	// InTx runs fn in a transaction, joining one already in ctx.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// CreatePasscode inserts a passcode row.
	CreatePasscode(ctx context.Context, p store.Passcode) error
	// GetPasscode returns a passcode; autherr.NotFound if there is none.
	GetPasscode(ctx context.Context, id uuid.UUID) (store.Passcode, error)
	// IncrementPasscodeTries counts one try in a single conditional update
	// (try_count < max) and returns the new count. When max tries are
	// already counted it counts nothing and returns an autherr.Gone error
	// (store.ErrPasscodeTryLimit); a missing row is autherr.NotFound.
	// Concurrent callers can never count more than max tries in total.
	IncrementPasscodeTries(ctx context.Context, id uuid.UUID, max int) (tries int, err error)
	// DeletePasscode deletes a passcode; autherr.NotFound if it is already
	// gone, so that of concurrent deleters exactly one succeeds.
	DeletePasscode(ctx context.Context, id uuid.UUID) error
}
