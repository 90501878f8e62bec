package webhook

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// Webhook is a hook made through the admin API, as the admin API shows it.
type Webhook struct {
	ID        uuid.UUID `json:"id"`
	Callback  string    `json:"callback"`
	Enabled   bool      `json:"enabled"`
	Failures  int       `json:"failures"`
	ExpiresAt time.Time `json:"expires_at"`
	Events    []Event   `json:"events"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Event is one subscription of a Webhook.
type Event struct {
	ID    uuid.UUID `json:"id"`
	Event string    `json:"event"`
}

func fromRecord(r store.Webhook) Webhook {
	w := Webhook{ID: r.ID, Callback: r.Callback, Enabled: r.Enabled, Failures: r.Failures, ExpiresAt: r.ExpiresAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Events: make([]Event, len(r.Events))}
	for i, e := range r.Events {
		w.Events[i] = Event{ID: e.ID, Event: e.Event}
	}
	return w
}

// validate checks a hook's callback (an absolute http or https URL) and
// events (at least one, each a known event name, no repeats). The error is
// autherr.Invalid with a message naming the field.
func validate(callback string, evs []string) error {
	u, err := url.Parse(callback)
	if callback == "" {
		return autherr.New(autherr.Invalid, "callback is a required field")
	}
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return autherr.New(autherr.Invalid, "callback must be a valid URL")
	}
	if len(evs) == 0 {
		return autherr.New(autherr.Invalid, "events must contain at least 1 item")
	}
	for i, e := range evs {
		if !slices.Contains(events.WebhookEvents, e) {
			return autherr.New(autherr.Invalid, "events["+strconv.Itoa(i)+"] must be one of ["+strings.Join(events.WebhookEvents, " ")+"]")
		}
		if slices.Contains(evs[:i], e) {
			return autherr.New(autherr.Invalid, "events entries are not unique")
		}
	}
	return nil
}

// List returns every admin API hook, disabled ones included, oldest first.
func (s *Service) List(ctx context.Context) ([]Webhook, error) {
	rs, err := s.cfg.Store.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Webhook, len(rs))
	for i, r := range rs {
		out[i] = fromRecord(r)
	}
	return out, nil
}

// Get returns one admin API hook; ErrNotFound if there is none.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Webhook, error) {
	r, err := s.cfg.Store.GetWebhook(ctx, id)
	if errors.Is(err, autherr.NotFound) {
		return Webhook{}, ErrNotFound
	}
	if err != nil {
		return Webhook{}, err
	}
	return fromRecord(r), nil
}

// Create subscribes callback to evs: enabled, no failures, expiring in 30
// days. Bad input is autherr.Invalid (see validate).
func (s *Service) Create(ctx context.Context, callback string, evs []string) (Webhook, error) {
	if err := validate(callback, evs); err != nil {
		return Webhook{}, err
	}
	id, err := s.newID()
	if err != nil {
		return Webhook{}, err
	}
	now := s.now()
	r := store.Webhook{ID: id, Callback: callback, Enabled: true, ExpiresAt: now.Add(hookLifetime), CreatedAt: now, UpdatedAt: now}
	if r.Events, err = s.eventRows(id, evs, now); err != nil {
		return Webhook{}, err
	}
	if err := s.cfg.Store.CreateWebhook(ctx, r); err != nil {
		return Webhook{}, err
	}
	return fromRecord(r), nil
}

// Update replaces a hook's callback, events and enabled flag, and resets
// its failures and expiry (now + 30 days), as the reference's PUT does; ours
// also accepts enabled false; a disabled hook's pending deliveries are
// dropped at their next attempt. ErrNotFound, or autherr.Invalid for bad
// input.
func (s *Service) Update(ctx context.Context, id uuid.UUID, callback string, evs []string, enabled bool) (Webhook, error) {
	if err := validate(callback, evs); err != nil {
		return Webhook{}, err
	}
	now := s.now()
	var out store.Webhook
	err := s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		r, err := s.cfg.Store.GetWebhook(ctx, id)
		if err != nil {
			return err
		}
		r.Callback, r.Enabled, r.Failures, r.ExpiresAt, r.UpdatedAt = callback, enabled, 0, now.Add(hookLifetime), now
		if r.Events, err = s.eventRows(id, evs, now); err != nil {
			return err
		}
		out = r
		return s.cfg.Store.UpdateWebhook(ctx, r)
	})
	if errors.Is(err, autherr.NotFound) {
		return Webhook{}, ErrNotFound
	}
	if err != nil {
		return Webhook{}, err
	}
	return fromRecord(out), nil
}

// Delete removes a hook and its pending deliveries; ErrNotFound if there is
// none.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	err := s.cfg.Store.DeleteWebhook(ctx, id)
	if errors.Is(err, autherr.NotFound) {
		return ErrNotFound
	}
	return err
}

func (s *Service) eventRows(hookID uuid.UUID, evs []string, now time.Time) ([]store.WebhookEvent, error) {
	rows := make([]store.WebhookEvent, len(evs))
	for i, e := range evs {
		id, err := s.newID()
		if err != nil {
			return nil, err
		}
		rows[i] = store.WebhookEvent{ID: id, WebhookID: hookID, Event: e, CreatedAt: now, UpdatedAt: now}
	}
	return rows, nil
}
