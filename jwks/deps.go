package jwks

import (
	"context"

	"github.com/hanko-go/hanko/store"
)

// Store is the persistence jwks needs: the rows of the jwks table. *store.DB
// implements it.
type Store interface {
	// ListJWKs returns every row, ordered by id.
	ListJWKs(ctx context.Context) ([]store.JWK, error)
	// CreateJWK inserts a row; an existing id is autherr.Conflict.
	CreateJWK(ctx context.Context, k store.JWK) error
}
