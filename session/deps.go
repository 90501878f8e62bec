package session

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
)

// Keys is the signing key set; *jwks.Set implements it.
type Keys interface {
	Signer() jwks.Key
	Lookup(ctx context.Context, kid string) (jwks.Key, bool, error)
}

// Store is the persistence sessions need. *store.DB implements it.
type Store interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	CreateSession(ctx context.Context, s store.Session) error
	GetSession(ctx context.Context, id uuid.UUID) (store.Session, error)
	ListSessions(ctx context.Context, userID uuid.UUID, now time.Time) ([]store.Session, error)
	ListAllSessions(ctx context.Context, userID uuid.UUID) ([]store.Session, error)
	ExcessSessions(ctx context.Context, userID uuid.UUID, now time.Time, keep int) ([]uuid.UUID, error)
	TouchSession(ctx context.Context, id uuid.UUID, now time.Time) error
	DeleteSessions(ctx context.Context, ids []uuid.UUID) ([]store.Session, error)
}

// RevocationStore is the feed of revoked sessions shared by all instances.
type RevocationStore interface {
	CreateSessionRevocations(ctx context.Context, rs []store.SessionRevocation) error
	SessionRevocationsSince(ctx context.Context, since, now time.Time) ([]store.SessionRevocation, error)
}

// EmailStore finds the primary email for the token's email claim.
type EmailStore interface {
	GetPrimaryEmailOf(ctx context.Context, userID uuid.UUID) (store.Email, error)
}

// FullStore is every persistence need of sessions.
type FullStore interface {
	Store
	RevocationStore
	EmailStore
}
