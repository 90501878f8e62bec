package webhook

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
)

// Start starts the dispatcher: it delivers due outbox rows whenever Wake is
// called (after every committed Emit) and every Poll. Start after Close, or
// a second Start, does nothing.
func (s *Service) Start() {
	s.startMu.Lock()
	defer s.startMu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	ctx, cancel := context.WithCancel(context.Background())
	s.done.Go(func() {
		defer cancel()
		t := time.NewTicker(s.cfg.Poll)
		defer t.Stop()
		for {
			s.drain(ctx)
			select {
			case <-s.stop:
				return
			case <-s.wake:
			case <-t.C:
			}
		}
	})
	// Stop cancels in-flight requests.
	s.done.Go(func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	})
}

// Close stops the dispatcher and waits for it; in-flight requests are
// cancelled and their rows stay in the outbox for the next start (or
// another instance). Releasing those rows takes one store call each,
// bounded by 10 s, so a stuck database delays Close but cannot hang it. It
// is safe to call more than once.
func (s *Service) Close() {
	s.startMu.Lock()
	if !s.stopped {
		s.stopped = true
		close(s.stop)
	}
	s.startMu.Unlock()
	s.done.Wait()
}

// drain claims and delivers batches until the outbox has nothing due.
func (s *Service) drain(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.DeliverDue(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Warn("webhook outbox claim failed", slog.Any("error", err))
			}
			return
		}
		if n < s.cfg.Batch {
			return
		}
	}
}

// DeliverDue claims one batch of due rows, delivers them (Workers at a
// time) and returns how many it claimed. It first asks whether anything is
// due at all, so an idle outbox costs one read, not a write transaction.
// The dispatcher calls it; tests and tools may call it directly.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	now := s.now()
	if due, err := s.cfg.Store.OutboxDue(ctx, now); err != nil || !due {
		return 0, err
	}
	lease := now.Add(s.cfg.Lease)
	rows, err := s.cfg.Store.ClaimOutbox(ctx, now, lease, s.cfg.Batch)
	if err != nil {
		return 0, err
	}
	sem := make(chan struct{}, s.cfg.Workers)
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		delivered []uuid.UUID
	)
	for _, row := range rows {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if s.deliverRow(ctx, row, lease) {
				mu.Lock()
				delivered = append(delivered, row.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// One statement for the whole batch: on SQLite every write is a sync.
	bctx, cancel := s.bookkeeping(ctx)
	defer cancel()
	if err := s.cfg.Store.DeleteOutbox(bctx, lease, delivered...); err != nil {
		// The rows come back after their lease (or another instance took
		// them over already): duplicates, which at-least-once allows and
		// the Idempotency-Key tells apart.
		s.cfg.Logger.Warn("webhooks delivered but not removed", slog.Int("rows", len(delivered)), slog.Any("error", err))
	}
	return len(rows), nil
}

// bookkeeping returns the context of one store call about a claimed row:
// not cancelled with ctx, since a row whose request was cancelled must
// still be released, but bounded, so that Close cannot hang on a stuck
// database. The lease covers whatever does not get written.
func (s *Service) bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), s.bookTimeout)
}

// deliverRow sends one row, claimed with lease, and records the outcome.
// It reports whether the row was delivered; the caller then deletes it.
func (s *Service) deliverRow(ctx context.Context, row store.OutboxEvent, lease time.Time) (delivered bool) {
	data, err := s.open(row)
	if err != nil {
		s.drop(ctx, row, lease, err.Error())
		return false
	}
	// A passcode mail is worthless once the passcode expired; dropping it
	// also ends the time its code sits in the outbox.
	expires := passcodeExpiry(row.Event, data)
	if !expires.IsZero() && !s.now().Before(expires) {
		s.giveUp(ctx, row, lease, row.Attempts, "passcode expired")
		return false
	}
	callback := row.Callback
	if row.WebhookID != nil {
		bctx, cancel := s.bookkeeping(ctx)
		h, err := s.cfg.Store.GetWebhook(bctx, *row.WebhookID)
		cancel()
		switch {
		case errors.Is(err, autherr.NotFound):
			s.drop(ctx, row, lease, "hook deleted")
			return false
		case err != nil:
			s.retryLater(ctx, row, lease, row.Attempts, err, expires)
			return false
		case !h.Enabled:
			// Disabled by the admin API, after failures or on expiry: its
			// pending deliveries end here (documented in the package).
			s.drop(ctx, row, lease, "hook disabled")
			return false
		case s.cfg.AllowTimeExpiration && !s.now().Before(h.ExpiresAt):
			bctx, cancel := s.bookkeeping(ctx)
			err := s.cfg.Store.DisableWebhook(bctx, h.ID, s.now())
			cancel()
			if err != nil && !errors.Is(err, autherr.NotFound) {
				s.retryLater(ctx, row, lease, row.Attempts, err, expires)
				return false
			}
			s.drop(ctx, row, lease, "hook expired")
			return false
		}
		callback = h.Callback
	}
	err = s.send(ctx, callback, row, data)
	if ctx.Err() != nil {
		// Shutting down: not the receiver's fault; try again soon.
		s.retryLater(ctx, row, lease, row.Attempts, nil, expires)
		return false
	}
	if s.cfg.OnDelivery != nil {
		s.cfg.OnDelivery(row.Event, err == nil)
	}
	if err == nil {
		if row.WebhookID != nil {
			now := s.now()
			bctx, cancel := s.bookkeeping(ctx)
			err := s.cfg.Store.RecordWebhookSuccess(bctx, *row.WebhookID, now.Add(hookLifetime), now)
			cancel()
			if err != nil && !errors.Is(err, autherr.NotFound) {
				s.cfg.Logger.Warn("webhook success not recorded", slog.String("webhook_id", row.WebhookID.String()), slog.Any("error", err))
			}
		}
		return true
	}
	s.cfg.Logger.Info("webhook delivery failed", slog.String("event", row.Event), slog.String("id", row.ID.String()),
		slog.Int("attempt", row.Attempts+1), slog.Any("error", err))
	s.retryLater(ctx, row, lease, row.Attempts+1, err, expires)
	return false
}

// passcodeExpiry is when the passcode of an email.send payload expires
// (data.valid_until), or zero for other events and payloads without one.
func passcodeExpiry(event string, data []byte) time.Time {
	if event != events.EmailSend {
		return time.Time{}
	}
	var p struct {
		Data struct {
			ValidUntil int64 `json:"valid_until"`
		} `json:"data"`
	}
	if json.Unmarshal(data, &p) != nil || p.Data.ValidUntil <= 0 {
		return time.Time{}
	}
	return time.Unix(p.Data.ValidUntil, 0)
}

// retryLater reschedules a row after attempts failed attempts, or gives it
// up after MaxAttempts or when its payload expires (non-zero expires)
// before the next try. A nil cause is no attempt: the row is released for
// another try right away.
func (s *Service) retryLater(ctx context.Context, row store.OutboxEvent, lease time.Time, attempts int, cause error, expires time.Time) {
	if attempts >= s.cfg.MaxAttempts {
		s.giveUp(ctx, row, lease, attempts, fmt.Sprintf("given up after %d attempts", attempts))
		return
	}
	next, msg := s.now(), ""
	if cause != nil {
		next = next.Add(s.backoff(max(attempts, 1)))
		msg = cause.Error()
	}
	if !expires.IsZero() && !next.Before(expires) {
		s.giveUp(ctx, row, lease, attempts, "passcode expires before the next attempt")
		return
	}
	bctx, cancel := s.bookkeeping(ctx)
	defer cancel()
	if err := s.cfg.Store.RescheduleOutbox(bctx, row.ID, lease, attempts, next, msg); err != nil {
		// NotFound: the lease ran out and the row is another claimer's,
		// or it is gone; either way not ours to record.
		s.cfg.Logger.Warn("webhook retry not recorded", slog.String("id", row.ID.String()), slog.Any("error", err))
	}
}

// giveUp drops a row that was not delivered. When it failed at least once
// (attempts > 0) that is one failed event for its admin API hook: the
// reference disables a hook after more than maxFailures failed events, and
// counting events, not attempts, keeps the retry schedule of one event from
// disabling the hook on its own.
func (s *Service) giveUp(ctx context.Context, row store.OutboxEvent, lease time.Time, attempts int, why string) {
	if !s.drop(ctx, row, lease, why) || row.WebhookID == nil || attempts == 0 {
		return
	}
	bctx, cancel := s.bookkeeping(ctx)
	defer cancel()
	disabled, err := s.cfg.Store.RecordWebhookFailure(bctx, *row.WebhookID, maxFailures, s.now())
	switch {
	case errors.Is(err, autherr.NotFound):
	case err != nil:
		s.cfg.Logger.Warn("webhook failure not recorded", slog.String("webhook_id", row.WebhookID.String()), slog.Any("error", err))
	case disabled:
		s.cfg.Logger.Warn("webhook disabled after repeated failures", slog.String("webhook_id", row.WebhookID.String()))
	}
}

// drop removes a row that will not be delivered. It reports whether it
// did: false when the lease was lost to another claimer (who decides now)
// or the store failed (the row comes back after its lease).
func (s *Service) drop(ctx context.Context, row store.OutboxEvent, lease time.Time, why string) bool {
	bctx, cancel := s.bookkeeping(ctx)
	defer cancel()
	if err := s.cfg.Store.DeleteOutbox(bctx, lease, row.ID); err != nil {
		s.cfg.Logger.Warn("webhook row not removed", slog.String("id", row.ID.String()), slog.Any("error", err))
		return false
	}
	s.cfg.Logger.Warn("webhook delivery dropped", slog.String("event", row.Event), slog.String("id", row.ID.String()),
		slog.String("reason", why))
	return true
}

// backoff is the wait before retry n (n >= 1): RetryBase·2^(n-1) capped at
// RetryMax, of which the second half is random (jitter), so receivers that
// come back are not hit by every instance at once.
func (s *Service) backoff(n int) time.Duration {
	d := s.cfg.RetryMax
	if n < 40 {
		if e := s.cfg.RetryBase << (n - 1); e > 0 && e < d {
			d = e
		}
	}
	half := d / 2
	var b [8]byte
	if _, err := io.ReadFull(s.cfg.Rand, b[:]); err != nil || half <= 0 {
		return d
	}
	return half + time.Duration(binary.BigEndian.Uint64(b[:])%uint64(half+1))
}

// claims are the webhook token's claims (reference section 4.10).
type claims struct {
	Audience  []string        `json:"aud"`
	Data      json.RawMessage `json:"data"`
	Event     string          `json:"evt"`
	ExpiresAt int64           `json:"exp"`
	IssuedAt  int64           `json:"iat"`
	Subject   string          `json:"sub"`
}

// body is the request body.
type body struct {
	Token string `json:"token"`
	Event string `json:"event"`
}

// maxErrorBody bounds how much of a failed answer is read (and discarded).
const maxErrorBody = 4 << 10

// send POSTs row, whose payload is data, to callback. Any status >= 400
// and any transport error is a failure.
func (s *Service) send(ctx context.Context, callback string, row store.OutboxEvent, data []byte) error {
	now := s.cfg.Now()
	tok, err := session.SignJWT(s.cfg.Keys.Signer(), s.cfg.Rand, claims{
		Audience: s.cfg.Audience, Data: json.RawMessage(data), Event: row.Event,
		ExpiresAt: now.Add(tokenLifetime).Unix(), IssuedAt: now.Unix(), Subject: "hanko webhooks",
	})
	if err != nil {
		return fmt.Errorf("sign token: %w", err)
	}
	b, err := json.Marshal(body{Token: tok, Event: row.Event})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callback, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.cfg.UserAgent)
	req.Header.Set("Idempotency-Key", row.ID.String())
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		// Without the URL: a callback may carry a secret in its query, and
		// the error goes to logs and to last_error.
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("post: %w", ue.Err)
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	if resp.StatusCode >= 400 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
