package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

func newWebhook(callback string, created time.Time, evs ...string) store.Webhook {
	w := store.Webhook{ID: uuid.New(), Callback: callback, Enabled: true, ExpiresAt: created.Add(30 * 24 * time.Hour),
		CreatedAt: created, UpdatedAt: created}
	for _, e := range evs {
		w.Events = append(w.Events, store.WebhookEvent{ID: uuid.New(), WebhookID: w.ID, Event: e, CreatedAt: created, UpdatedAt: created})
	}
	return w
}

func hookEvents(w store.Webhook) []string {
	var out []string
	for _, e := range w.Events {
		out = append(out, e.Event)
	}
	slices.Sort(out)
	return out
}

func hookIDs(ws []store.Webhook) []uuid.UUID {
	out := make([]uuid.UUID, len(ws))
	for i, w := range ws {
		out[i] = w.ID
	}
	return out
}

// testWebhooks covers the admin API hooks: create, get, list, update
// (events replaced), prefix lookup of subscribers, delete with cascade to
// pending deliveries.
func testWebhooks(t *testing.T, s Store) {
	ctx := t.Context()
	a := newWebhook("https://a.example/hook", at(0), "user")
	b := newWebhook("https://b.example/hook", at(1), "user.update.email.create", "email.send")
	mustOK(t, s.CreateWebhook(ctx, a), "CreateWebhook a")
	mustOK(t, s.CreateWebhook(ctx, b), "CreateWebhook b")
	wantKind(t, s.CreateWebhook(ctx, a), autherr.Conflict, "CreateWebhook duplicate")

	got, err := s.GetWebhook(ctx, b.ID)
	mustOK(t, err, "GetWebhook")
	if got.Callback != b.Callback || !got.Enabled || got.Failures != 0 || !got.ExpiresAt.Equal(b.ExpiresAt) ||
		!slices.Equal(hookEvents(got), []string{"email.send", "user.update.email.create"}) {
		t.Fatalf("GetWebhook = %+v", got)
	}
	_, err = s.GetWebhook(ctx, uuid.New())
	wantKind(t, err, autherr.NotFound, "GetWebhook unknown")

	list, err := s.ListWebhooks(ctx)
	mustOK(t, err, "ListWebhooks")
	if !slices.Equal(hookIDs(list), []uuid.UUID{a.ID, b.ID}) || len(list[0].Events) != 1 {
		t.Fatalf("ListWebhooks = %v", hookIDs(list))
	}

	for _, tc := range []struct {
		event string
		want  []uuid.UUID
	}{
		{"user.create", []uuid.UUID{a.ID}},
		{"user.update.email.create", []uuid.UUID{a.ID, b.ID}},
		{"user.update.email.delete", []uuid.UUID{a.ID}},
		{"email.send", []uuid.UUID{b.ID}},
		{"email", nil},
	} {
		ws, err := s.WebhooksFor(ctx, tc.event)
		mustOK(t, err, "WebhooksFor "+tc.event)
		if got := hookIDs(ws); !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("WebhooksFor(%q) = %v, want %v", tc.event, got, tc.want)
		}
	}

	// Update replaces the events and may disable; disabled hooks hear nothing.
	b2 := newWebhook("https://b2.example/hook", at(1), "user.delete")
	b2.ID, b2.Enabled, b2.UpdatedAt = b.ID, false, at(5)
	for i := range b2.Events {
		b2.Events[i].WebhookID = b.ID
	}
	mustOK(t, s.UpdateWebhook(ctx, b2), "UpdateWebhook")
	got, err = s.GetWebhook(ctx, b.ID)
	mustOK(t, err, "GetWebhook after update")
	if got.Enabled || got.Callback != "https://b2.example/hook" || !slices.Equal(hookEvents(got), []string{"user.delete"}) {
		t.Fatalf("after UpdateWebhook: %+v", got)
	}
	if ws, _ := s.WebhooksFor(ctx, "email.send"); len(ws) != 0 {
		t.Fatalf("disabled hook still subscribed: %v", hookIDs(ws))
	}
	wantKind(t, s.UpdateWebhook(ctx, newWebhook("https://x.example", at(0), "user")), autherr.NotFound, "UpdateWebhook unknown")

	// Deleting a hook drops its pending deliveries.
	row := store.OutboxEvent{ID: uuid.New(), Event: "user.create", Data: `{}`, WebhookID: &a.ID, Callback: a.Callback,
		NextAttemptAt: at(0), CreatedAt: at(0)}
	mustOK(t, s.InsertOutbox(ctx, []store.OutboxEvent{row}), "InsertOutbox")
	mustOK(t, s.DeleteWebhook(ctx, a.ID), "DeleteWebhook")
	wantKind(t, s.DeleteWebhook(ctx, a.ID), autherr.NotFound, "DeleteWebhook twice")
	if n, err := s.CountOutbox(ctx); err != nil || n != 0 {
		t.Fatalf("CountOutbox after DeleteWebhook = %d, %v; want 0", n, err)
	}
}

// testWebhookFailures covers the failure counter: more than max failures
// disable, a success resets the count and extends the expiry.
func testWebhookFailures(t *testing.T, s Store) {
	ctx := t.Context()
	w := newWebhook("https://a.example/hook", at(0), "user")
	mustOK(t, s.CreateWebhook(ctx, w), "CreateWebhook")
	for i := 1; i <= 6; i++ {
		disabled, err := s.RecordWebhookFailure(ctx, w.ID, 5, at(i))
		mustOK(t, err, "RecordWebhookFailure")
		if disabled != (i > 5) {
			t.Fatalf("failure %d: disabled = %t", i, disabled)
		}
	}
	got, _ := s.GetWebhook(ctx, w.ID)
	if got.Failures != 6 || got.Enabled {
		t.Fatalf("after 6 failures: failures=%d enabled=%t", got.Failures, got.Enabled)
	}
	mustOK(t, s.RecordWebhookSuccess(ctx, w.ID, at(100), at(10)), "RecordWebhookSuccess")
	got, _ = s.GetWebhook(ctx, w.ID)
	if got.Failures != 0 || !got.ExpiresAt.Equal(at(100)) || !got.UpdatedAt.Equal(at(10)) {
		t.Fatalf("after success: %+v", got)
	}
	mustOK(t, s.DisableWebhook(ctx, w.ID, at(11)), "DisableWebhook")
	_, err := s.RecordWebhookFailure(ctx, uuid.New(), 5, at(1))
	wantKind(t, err, autherr.NotFound, "RecordWebhookFailure unknown")
	wantKind(t, s.RecordWebhookSuccess(ctx, uuid.New(), at(1), at(1)), autherr.NotFound, "RecordWebhookSuccess unknown")
}

func newOutbox(due time.Time) store.OutboxEvent {
	return store.OutboxEvent{ID: uuid.New(), Event: "user.create", Data: `{"id":"x"}`, Callback: "https://cfg.example/hook",
		NextAttemptAt: due, CreatedAt: due}
}

// testOutboxClaim covers leasing: only due, unleased rows are claimed (and
// OutboxDue sees exactly those), a lease hides a row until it runs out,
// reschedule releases it, delete removes it, and both touch a row only
// while the caller's lease still holds it.
func testOutboxClaim(t *testing.T, s Store) {
	ctx := t.Context()
	due := func(now time.Time, want bool) {
		t.Helper()
		got, err := s.OutboxDue(ctx, now)
		mustOK(t, err, "OutboxDue")
		if got != want {
			t.Fatalf("OutboxDue(%s) = %t, want %t", now.Sub(base), got, want)
		}
	}
	due(at(0), false) // empty
	r1, r2, later := newOutbox(at(0)), newOutbox(at(1)), newOutbox(at(100))
	mustOK(t, s.InsertOutbox(ctx, []store.OutboxEvent{r1, r2, later}), "InsertOutbox")
	if n, _ := s.CountOutbox(ctx); n != 3 {
		t.Fatalf("CountOutbox = %d, want 3", n)
	}
	due(at(-1), false) // nothing due yet
	due(at(0), true)
	// A lease with nanoseconds and another zone: stored and compared as
	// UTC microseconds.
	lease1 := at(70).Add(789 * time.Nanosecond).In(time.FixedZone("x", 3600))
	got, err := s.ClaimOutbox(ctx, at(10), lease1, 10)
	mustOK(t, err, "ClaimOutbox")
	if len(got) != 2 || got[0].ID != r1.ID || got[1].ID != r2.ID || got[0].Data != r1.Data || got[0].Callback != r1.Callback {
		t.Fatalf("ClaimOutbox = %+v", got)
	}
	if got[0].LockedUntil == nil || !got[0].LockedUntil.Equal(at(70)) {
		t.Fatalf("ClaimOutbox lease %v, want %v", got[0].LockedUntil, at(70))
	}
	due(at(20), false) // both leased, the third not due
	if again, _ := s.ClaimOutbox(ctx, at(20), at(80), 10); len(again) != 0 {
		t.Fatalf("leased rows claimed again: %d", len(again))
	}
	// The lease runs out: another instance takes the row over.
	due(at(70), true)
	if again, _ := s.ClaimOutbox(ctx, at(70), at(130), 1); len(again) != 1 || again[0].ID != r1.ID {
		t.Fatalf("expired lease not reclaimed: %+v", again)
	}
	// The first claimer's lease is gone: it may neither release nor
	// remove the row, which stays the second claimer's.
	wantKind(t, s.RescheduleOutbox(ctx, r1.ID, lease1, 1, at(75), "late"), autherr.NotFound, "RescheduleOutbox with a lost lease")
	wantKind(t, s.DeleteOutbox(ctx, lease1, r1.ID), autherr.NotFound, "DeleteOutbox with a lost lease")
	// r2's lease (lease1) ran out too, r1's is the second claimer's.
	if again, _ := s.ClaimOutbox(ctx, at(75), at(135), 10); len(again) != 1 || again[0].ID != r2.ID {
		t.Fatalf("after a lost lease, ClaimOutbox = %+v; want only r2", again)
	}
	mustOK(t, s.RescheduleOutbox(ctx, r1.ID, at(130), 3, at(90), "status 500"), "RescheduleOutbox")
	wantKind(t, s.DeleteOutbox(ctx, lease1, r2.ID), autherr.NotFound, "DeleteOutbox with a lost lease")
	mustOK(t, s.DeleteOutbox(ctx, at(135), r2.ID), "DeleteOutbox")
	wantKind(t, s.DeleteOutbox(ctx, at(135), r2.ID), autherr.NotFound, "DeleteOutbox twice")
	got, err = s.ClaimOutbox(ctx, at(100), at(160), 10)
	mustOK(t, err, "ClaimOutbox after reschedule")
	if len(got) != 2 || got[0].ID != r1.ID || got[0].Attempts != 3 || got[0].LastError == nil || *got[0].LastError != "status 500" || got[1].ID != later.ID {
		t.Fatalf("ClaimOutbox after reschedule = %+v", got)
	}
	// A batch delete removes only the rows that the lease still holds.
	mustOK(t, s.DeleteOutbox(ctx, at(160), r1.ID, later.ID, uuid.New()), "DeleteOutbox batch")
	if n, _ := s.CountOutbox(ctx); n != 0 {
		t.Fatalf("CountOutbox after batch delete = %d, want 0", n)
	}
}

// testOutboxClaimConcurrent races claimers (as several instances would)
// and checks that every row is claimed exactly once.
func testOutboxClaimConcurrent(t *testing.T, s Store) {
	ctx := t.Context()
	const n = 60
	rows := make([]store.OutboxEvent, n)
	for i := range rows {
		rows[i] = newOutbox(at(i % 5))
	}
	mustOK(t, s.InsertOutbox(ctx, rows), "InsertOutbox")
	var (
		mu   sync.Mutex
		seen = map[uuid.UUID]int{}
		wg   sync.WaitGroup
		errs []error
	)
	for range 6 {
		wg.Go(func() {
			for {
				got, err := s.ClaimOutbox(ctx, at(10), at(1000), 7)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, r := range got {
					seen[r.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("claimed %d distinct rows, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("row %s claimed %d times", id, c)
		}
	}
}
