package thirdparty

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/store"
)

// AccountStore is the persistence account linking needs from users and
// emails. *store.DB implements it; every method joins the transaction of
// an enclosing InTx.
type AccountStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	CreateUser(ctx context.Context, u store.User) error
	LockUser(ctx context.Context, id uuid.UUID) error // row lock until the tx ends; autherr.NotFound
	CreateEmail(ctx context.Context, e store.Email) error
	GetEmail(ctx context.Context, id uuid.UUID) (store.Email, error)
	GetEmailByAddress(ctx context.Context, address string) (store.Email, error)
}

// EmailStore is the rest of what linking changes about addresses.
type EmailStore interface {
	UpdateEmail(ctx context.Context, e store.Email) error
	// ClaimEmail assigns an unassigned email to a user; autherr.Conflict
	// when it is assigned (a concurrent claimer won) or gone.
	ClaimEmail(ctx context.Context, id, userID uuid.UUID, verified bool, now time.Time) error
	CountEmails(ctx context.Context, userID uuid.UUID) (int, error)
	GetPrimaryEmail(ctx context.Context, userID uuid.UUID) (store.PrimaryEmail, error)
	SetPrimaryEmail(ctx context.Context, id, userID, emailID uuid.UUID, now time.Time) error
}

// IdentityStore keeps the links between provider accounts and addresses.
type IdentityStore interface {
	CreateIdentity(ctx context.Context, i store.Identity) error // autherr.Conflict when the account is linked
	GetIdentity(ctx context.Context, providerName, providerID string) (store.Identity, error)
	UpdateIdentity(ctx context.Context, i store.Identity) error
	ListIdentities(ctx context.Context, userID uuid.UUID) ([]store.Identity, error)
}

// TokenStore keeps one-time tokens.
type TokenStore interface {
	CreateToken(ctx context.Context, t store.Token) error
	// ConsumeToken deletes and returns the token with a value; of
	// concurrent callers exactly one gets it, the others autherr.NotFound.
	ConsumeToken(ctx context.Context, value string) (store.Token, error)
}

// Store is every persistence need of third-party login.
type Store interface {
	AccountStore
	EmailStore
	IdentityStore
	TokenStore
}

// Sealer encrypts and authenticates the OAuth state, so that the browser
// carries it without being able to read or change it. The jwks package's
// AES-256-GCM sealer (a subkey of secrets.keys) implements it.
type Sealer interface {
	Seal(plaintext []byte) (string, error)
	Open(sealed string) ([]byte, error)
}
