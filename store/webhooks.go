package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
)

// CreateWebhook inserts a webhook and its events in one transaction (joining
// the caller's). A taken ID is autherr.Conflict.
func (s *DB) CreateWebhook(ctx context.Context, w Webhook) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.idb(ctx).NewInsert().Model(&w).Exec(ctx); err != nil {
			return mapErr(err)
		}
		return s.insertWebhookEvents(ctx, w.Events)
	})
}

func (s *DB) insertWebhookEvents(ctx context.Context, evs []WebhookEvent) error {
	if len(evs) == 0 {
		return nil
	}
	_, err := s.idb(ctx).NewInsert().Model(&evs).Exec(ctx)
	return mapErr(err)
}

func orderWebhookEvents(q *bun.SelectQuery) *bun.SelectQuery { return q.Order("created_at", "event") }

// GetWebhook returns a webhook with its events; autherr.NotFound if there is
// none.
func (s *DB) GetWebhook(ctx context.Context, id uuid.UUID) (Webhook, error) {
	var w Webhook
	err := s.idb(ctx).NewSelect().Model(&w).Relation("Events", orderWebhookEvents).Where("id = ?", id).Scan(ctx)
	return w, mapErr(err)
}

// ListWebhooks returns every webhook, disabled ones included, oldest first,
// with their events.
func (s *DB) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	ws := []Webhook{}
	err := s.idb(ctx).NewSelect().Model(&ws).Relation("Events", orderWebhookEvents).Order("created_at", "id").Scan(ctx)
	return ws, mapErr(err)
}

// UpdateWebhook replaces a webhook's callback, enabled flag, failure count,
// expiry and events (the events of w replace all stored ones) in one
// transaction. autherr.NotFound if there is no such webhook.
func (s *DB) UpdateWebhook(ctx context.Context, w Webhook) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		err := affected(s.idb(ctx).NewUpdate().Model(&w).
			Column("callback", "enabled", "failures", "expires_at", "updated_at").WherePK().Exec(ctx))
		if err != nil {
			return err
		}
		if _, err := s.idb(ctx).NewDelete().Model((*WebhookEvent)(nil)).Where("webhook_id = ?", w.ID).Exec(ctx); err != nil {
			return mapErr(err)
		}
		return s.insertWebhookEvents(ctx, w.Events)
	})
}

// DeleteWebhook deletes a webhook, its events and its pending deliveries
// (by cascade). autherr.NotFound if there is none.
func (s *DB) DeleteWebhook(ctx context.Context, id uuid.UUID) error {
	return affected(s.idb(ctx).NewDelete().Model((*Webhook)(nil)).Where("id = ?", id).Exec(ctx))
}

// WebhooksFor returns the enabled webhooks subscribed to event: those with
// an event that is event itself or a dot-separated prefix of it ("user"
// matches "user.update.email.create"). Events are not loaded.
func (s *DB) WebhooksFor(ctx context.Context, event string) ([]Webhook, error) {
	var prefixes []string
	for i := range len(event) {
		if event[i] == '.' {
			prefixes = append(prefixes, event[:i])
		}
	}
	prefixes = append(prefixes, event)
	var ws []Webhook
	err := s.idb(ctx).NewSelect().Model(&ws).
		Where("enabled = ?", true).
		Where("id IN (SELECT webhook_id FROM webhook_events WHERE event IN (?))", bun.List(prefixes)).
		Order("created_at", "id").Scan(ctx)
	return ws, mapErr(err)
}

// RecordWebhookSuccess resets a webhook's failure count and extends its
// expiry to expiresAt. autherr.NotFound if there is no such webhook.
func (s *DB) RecordWebhookSuccess(ctx context.Context, id uuid.UUID, expiresAt, now time.Time) error {
	return affected(s.idb(ctx).NewUpdate().Model((*Webhook)(nil)).
		Set("failures = 0").Set("expires_at = ?", expiresAt).Set("updated_at = ?", now).
		Where("id = ?", id).Exec(ctx))
}

// RecordWebhookFailure counts a failed delivery in one statement and
// disables the webhook when its failures then exceed maxFailures. It
// reports whether the webhook is disabled now. autherr.NotFound if there is
// no such webhook.
func (s *DB) RecordWebhookFailure(ctx context.Context, id uuid.UUID, maxFailures int, now time.Time) (disabled bool, err error) {
	err = s.InTx(ctx, func(ctx context.Context) error {
		// enabled is assigned first: MySQL evaluates SET left to right with
		// the new values, the others with the old ones.
		err := affected(s.idb(ctx).NewUpdate().Model((*Webhook)(nil)).
			Set("enabled = CASE WHEN failures + 1 > ? THEN ? ELSE enabled END", maxFailures, false).
			Set("failures = failures + 1").Set("updated_at = ?", now).
			Where("id = ?", id).Exec(ctx))
		if err != nil {
			return err
		}
		var enabled bool
		if err := s.idb(ctx).NewSelect().Model((*Webhook)(nil)).Column("enabled").Where("id = ?", id).Scan(ctx, &enabled); err != nil {
			return mapErr(err)
		}
		disabled = !enabled
		return nil
	})
	return disabled, err
}

// DisableWebhook turns a webhook off. autherr.NotFound if there is none.
func (s *DB) DisableWebhook(ctx context.Context, id uuid.UUID, now time.Time) error {
	return affected(s.idb(ctx).NewUpdate().Model((*Webhook)(nil)).
		Set("enabled = ?", false).Set("updated_at = ?", now).Where("id = ?", id).Exec(ctx))
}
