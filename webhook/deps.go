package webhook

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
)

// EmitStore is what emitting needs: the subscribed hooks, the user for the
// payload and the outbox, all in the caller's transaction.
type EmitStore interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	GetUser(ctx context.Context, id uuid.UUID) (store.User, error) // with emails, primary, username; autherr.NotFound
	WebhooksFor(ctx context.Context, event string) ([]store.Webhook, error)
	InsertOutbox(ctx context.Context, rows []store.OutboxEvent) error
}

// OutboxStore is what the dispatcher needs of the outbox. DeleteOutbox and
// RescheduleOutbox touch a row only while it is still leased until
// lockedUntil, the lease ClaimOutbox gave; otherwise they are
// autherr.NotFound and leave the row to whoever holds it now.
type OutboxStore interface {
	OutboxDue(ctx context.Context, now time.Time) (bool, error)
	ClaimOutbox(ctx context.Context, now, lockedUntil time.Time, limit int) ([]store.OutboxEvent, error)
	DeleteOutbox(ctx context.Context, lockedUntil time.Time, ids ...uuid.UUID) error
	RescheduleOutbox(ctx context.Context, id uuid.UUID, lockedUntil time.Time, attempts int, next time.Time, lastError string) error
	CountOutbox(ctx context.Context) (int, error)
}

// HookStore is the persistence of the hooks made through the admin API.
type HookStore interface {
	CreateWebhook(ctx context.Context, w store.Webhook) error
	GetWebhook(ctx context.Context, id uuid.UUID) (store.Webhook, error) // autherr.NotFound
	ListWebhooks(ctx context.Context) ([]store.Webhook, error)
	UpdateWebhook(ctx context.Context, w store.Webhook) error // autherr.NotFound
	DeleteWebhook(ctx context.Context, id uuid.UUID) error    // autherr.NotFound
	// RecordWebhookSuccess, RecordWebhookFailure and DisableWebhook keep a
	// hook's health; each is autherr.NotFound when the hook is gone.
	RecordWebhookSuccess(ctx context.Context, id uuid.UUID, expiresAt, now time.Time) error
	RecordWebhookFailure(ctx context.Context, id uuid.UUID, maxFailures int, now time.Time) (disabled bool, err error)
	DisableWebhook(ctx context.Context, id uuid.UUID, now time.Time) error
}

// Store is every persistence need of the package; *store.DB implements it.
type Store interface {
	EmitStore
	OutboxStore
	HookStore
}

// Keys gives the key that signs the webhook tokens: the session signing
// key. *jwks.Set implements it.
type Keys interface {
	Signer() jwks.Key
}
