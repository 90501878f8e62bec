package password

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/store"
)

// Store is the persistence the password Service needs. *store.DB
// implements it.
type Store interface {
	// InTx runs fn in a transaction, joining one already in ctx.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// GetPasswordCredential returns a user's credential; autherr.NotFound
	// if the user has none or does not exist.
	GetPasswordCredential(ctx context.Context, userID uuid.UUID) (store.PasswordCredential, error)
	// CreatePasswordCredential inserts a credential; autherr.Conflict if
	// the user already has one, autherr.NotFound if the user does not exist.
	CreatePasswordCredential(ctx context.Context, c store.PasswordCredential) error
	// UpdatePasswordCredential replaces a user's hash and stamps
	// updated_at; autherr.NotFound if the user has no credential.
	UpdatePasswordCredential(ctx context.Context, userID uuid.UUID, hash string, now time.Time) error
	// DeletePasswordCredential deletes a user's credential;
	// autherr.NotFound if there is none.
	DeletePasswordCredential(ctx context.Context, userID uuid.UUID) error
}
