package audit

import (
	"context"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/store"
)

// Store is the persistence the audit log needs. *store.DB implements it.
type Store interface {
	// CreateAuditLog inserts a record, joining the transaction in ctx.
	CreateAuditLog(ctx context.Context, l store.AuditLog) error
	// ListAuditLogs returns one page of matching records, newest first,
	// and the number of all matching records.
	ListAuditLogs(ctx context.Context, q store.AuditLogQuery) ([]store.AuditLog, int, error)
	// GetPrimaryEmailOf returns a user's primary email; autherr.NotFound
	// when the user has none.
	GetPrimaryEmailOf(ctx context.Context, userID uuid.UUID) (store.Email, error)
}
