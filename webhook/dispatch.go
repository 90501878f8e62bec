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
// another instance). It is safe to call more than once.
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
// time) and returns how many it claimed. The dispatcher calls it; tests and
// tools may call it directly.
func (s *Service) DeliverDue(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.cfg.Store.ClaimOutbox(ctx, now, now.Add(s.cfg.Lease), s.cfg.Batch)
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
			if s.deliverRow(ctx, row) {
				mu.Lock()
				delivered = append(delivered, row.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// One statement for the whole batch: on SQLite every write is a sync.
	if err := s.cfg.Store.DeleteOutbox(context.WithoutCancel(ctx), delivered...); err != nil && !errors.Is(err, autherr.NotFound) {
		// The rows come back after their lease: duplicates, which
		// at-least-once allows and the Idempotency-Key tells apart.
		s.cfg.Logger.Warn("webhooks delivered but not removed", slog.Int("rows", len(delivered)), slog.Any("error", err))
	}
	return len(rows), nil
}

// deliverRow sends one row and records the outcome. It reports whether
// the row was delivered; the caller then deletes it.
func (s *Service) deliverRow(ctx context.Context, row store.OutboxEvent) (delivered bool) {
	// Bookkeeping must happen even when ctx is cancelled mid-request.
	bg := context.WithoutCancel(ctx)
	callback := row.Callback
	if row.WebhookID != nil {
		h, err := s.cfg.Store.GetWebhook(bg, *row.WebhookID)
		switch {
		case errors.Is(err, autherr.NotFound):
			s.drop(bg, row, "hook deleted")
			return
		case err != nil:
			s.retryLater(bg, row, row.Attempts, err)
			return
		case !h.Enabled:
			s.drop(bg, row, "hook disabled")
			return
		case s.cfg.AllowTimeExpiration && !s.now().Before(h.ExpiresAt):
			if err := s.cfg.Store.DisableWebhook(bg, h.ID, s.now()); err != nil && !errors.Is(err, autherr.NotFound) {
				s.retryLater(bg, row, row.Attempts, err)
				return
			}
			s.drop(bg, row, "hook expired")
			return
		}
		callback = h.Callback
	}
	err := s.send(ctx, callback, row)
	if ctx.Err() != nil {
		// Shutting down: not the receiver's fault; try again soon.
		s.retryLater(bg, row, row.Attempts, nil)
		return
	}
	if s.cfg.OnDelivery != nil {
		s.cfg.OnDelivery(row.Event, err == nil)
	}
	if err == nil {
		if row.WebhookID != nil {
			now := s.now()
			if err := s.cfg.Store.RecordWebhookSuccess(bg, *row.WebhookID, now.Add(hookLifetime), now); err != nil && !errors.Is(err, autherr.NotFound) {
				s.cfg.Logger.Warn("webhook success not recorded", slog.String("webhook_id", row.WebhookID.String()), slog.Any("error", err))
			}
		}
		return true
	}
	s.cfg.Logger.Info("webhook delivery failed", slog.String("event", row.Event), slog.String("id", row.ID.String()),
		slog.Int("attempt", row.Attempts+1), slog.Any("error", err))
	if row.WebhookID != nil {
		disabled, ferr := s.cfg.Store.RecordWebhookFailure(bg, *row.WebhookID, maxFailures, s.now())
		if errors.Is(ferr, autherr.NotFound) || ferr == nil && disabled {
			s.drop(bg, row, "hook disabled after repeated failures")
			return
		}
	}
	s.retryLater(bg, row, row.Attempts+1, err)
	return false
}

// retryLater reschedules a row after attempts failed attempts, or gives it
// up after MaxAttempts. A nil cause is no attempt: the row is released for
// another try right away.
func (s *Service) retryLater(ctx context.Context, row store.OutboxEvent, attempts int, cause error) {
	if attempts >= s.cfg.MaxAttempts {
		s.drop(ctx, row, fmt.Sprintf("given up after %d attempts", attempts))
		return
	}
	next, msg := s.now(), ""
	if cause != nil {
		next = next.Add(s.backoff(max(attempts, 1)))
		msg = cause.Error()
	}
	if err := s.cfg.Store.RescheduleOutbox(ctx, row.ID, attempts, next, msg); err != nil && !errors.Is(err, autherr.NotFound) {
		s.cfg.Logger.Warn("webhook retry not recorded", slog.String("id", row.ID.String()), slog.Any("error", err))
	}
}

// drop removes a row that will not be delivered.
func (s *Service) drop(ctx context.Context, row store.OutboxEvent, why string) {
	s.cfg.Logger.Warn("webhook delivery dropped", slog.String("event", row.Event), slog.String("id", row.ID.String()),
		slog.String("reason", why))
	if err := s.cfg.Store.DeleteOutbox(ctx, row.ID); err != nil && !errors.Is(err, autherr.NotFound) {
		s.cfg.Logger.Warn("webhook row not removed", slog.String("id", row.ID.String()), slog.Any("error", err))
	}
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

// send POSTs row to callback. Any status >= 400 and any transport error is
// a failure.
func (s *Service) send(ctx context.Context, callback string, row store.OutboxEvent) error {
	now := s.cfg.Now()
	tok, err := session.SignJWT(s.cfg.Keys.Signer(), s.cfg.Rand, claims{
		Audience: s.cfg.Audience, Data: json.RawMessage(row.Data), Event: row.Event,
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
