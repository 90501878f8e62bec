package users

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/store"
)

// Store is the persistence users need for accounts. *store.DB implements it.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	CreateUser(ctx context.Context, u store.User) error                          // autherr.Conflict on a taken ID
	GetUser(ctx context.Context, id uuid.UUID) (store.User, error)               // with emails, primary, username; autherr.NotFound
	ListUsers(ctx context.Context, q store.UserQuery) ([]store.User, int, error) // one page and the total
	DeleteUser(ctx context.Context, id uuid.UUID) error                          // cascades; autherr.NotFound
	CreateUsername(ctx context.Context, n store.Username) error                  // autherr.Conflict on a taken name
	LockUser(ctx context.Context, id uuid.UUID) error                            // row lock until the tx ends; autherr.NotFound
	TouchUser(ctx context.Context, id uuid.UUID, now time.Time) error
}

// EmailStore is the persistence users need for email addresses.
type EmailStore interface {
	CreateEmail(ctx context.Context, e store.Email) error // autherr.Conflict on a taken address
	GetEmail(ctx context.Context, id uuid.UUID) (store.Email, error)
	GetEmailByAddress(ctx context.Context, address string) (store.Email, error)
	UpdateEmail(ctx context.Context, e store.Email) error
	// ClaimEmail assigns an unassigned email to a user; autherr.Conflict
	// when it is assigned (a concurrent claimer won) or gone.
	ClaimEmail(ctx context.Context, id, userID uuid.UUID, verified bool, now time.Time) error
	DeleteEmail(ctx context.Context, id uuid.UUID) error
	CountEmails(ctx context.Context, userID uuid.UUID) (int, error)
	GetPrimaryEmail(ctx context.Context, userID uuid.UUID) (store.PrimaryEmail, error)
	SetPrimaryEmail(ctx context.Context, id, userID, emailID uuid.UUID, now time.Time) error
}

// CredentialCounter tells whether a user has passkeys (for POST /user).
type CredentialCounter interface {
	CountWebauthnCredentials(ctx context.Context, userID uuid.UUID) (int, error)
}

// BulkStore is what import and export need: bulk writes, existence checks
// for a batch, and keyset pages over all users.
type BulkStore interface {
	InsertUsers(ctx context.Context, us []store.User) error
	InsertEmails(ctx context.Context, es []store.Email) error
	InsertPrimaryEmails(ctx context.Context, ps []store.PrimaryEmail) error
	InsertPasswordCredentials(ctx context.Context, cs []store.PasswordCredential) error
	ExistingEmailAddresses(ctx context.Context, addresses []string) ([]string, error)
	ExistingUserIDs(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error)
	ScanUsers(ctx context.Context, after uuid.UUID, limit int) ([]store.User, error)
}

// FullStore is every persistence need of the users feature.
type FullStore interface {
	Store
	EmailStore
	CredentialCounter
	BulkStore
}

// SessionRevoker ends every session of a user; the session feature
// implements it. It joins the caller's transaction.
type SessionRevoker interface {
	RevokeUser(ctx context.Context, userID uuid.UUID) error
}
