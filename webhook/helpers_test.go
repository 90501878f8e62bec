package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/webhook"
)

const testSecret = "a-test-secret-of-32-characters!!"

// clock is a fake clock that moves only when told to.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// delivery is one request a receiver got.
type delivery struct {
	Key, UserAgent, ContentType string
	Token, Event                string
	Status                      int
}

// receiver is an httptest server that records deliveries and fails the
// first fail of them with 500.
type receiver struct {
	srv  *httptest.Server
	fail atomic.Int64

	mu   sync.Mutex
	got  []delivery
	seen chan struct{}
}

func newReceiver(t testing.TB, fail int) *receiver {
	r := &receiver{seen: make(chan struct{}, 10000)}
	r.fail.Store(int64(fail))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var body struct{ Token, Event string }
		_ = json.Unmarshal(b, &body)
		d := delivery{Key: req.Header.Get("Idempotency-Key"), UserAgent: req.Header.Get("User-Agent"),
			ContentType: req.Header.Get("Content-Type"), Token: body.Token, Event: body.Event, Status: http.StatusOK}
		if req.Method != http.MethodPost {
			d.Status = http.StatusMethodNotAllowed
		} else if r.fail.Add(-1) >= 0 {
			d.Status = http.StatusInternalServerError
		}
		r.mu.Lock()
		r.got = append(r.got, d)
		r.mu.Unlock()
		w.WriteHeader(d.Status)
		r.seen <- struct{}{}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hook" }

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// succeeded returns the successful deliveries.
func (r *receiver) succeeded() []delivery {
	var out []delivery
	for _, d := range r.deliveries() {
		if d.Status < 400 {
			out = append(out, d)
		}
	}
	return out
}

// newKeys returns a signing key set on db.
func newKeys(t testing.TB, db *store.DB) *jwks.Set {
	t.Helper()
	keys, err := jwks.New(t.Context(), jwks.Config{Store: db, Secrets: []string{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// newService returns a webhook service on db with a fast, deterministic
// retry schedule, sealing the outbox with testSecret; mod adjusts the
// configuration.
func newService(t testing.TB, db *store.DB, c *clock, mod func(*webhook.Config)) *webhook.Service {
	t.Helper()
	cfg := webhook.Config{
		Store: db, Keys: newKeys(t, db), Audience: []string{"localhost"}, Secrets: []string{testSecret},
		RetryBase: time.Second, RetryMax: 10 * time.Second, Timeout: 5 * time.Second, Poll: 10 * time.Millisecond,
		Now: c.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// newUser stores a user with one primary address.
func newUser(t testing.TB, db *store.DB, address string) uuid.UUID {
	t.Helper()
	ctx, now := t.Context(), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	u := store.User{ID: uuid.New(), CreatedAt: now, UpdatedAt: now}
	e := store.Email{ID: uuid.New(), UserID: &u.ID, Address: address, Verified: true, CreatedAt: now, UpdatedAt: now}
	err := db.InTx(ctx, func(ctx context.Context) error {
		if err := db.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := db.CreateEmail(ctx, e); err != nil {
			return err
		}
		return db.SetPrimaryEmail(ctx, uuid.New(), u.ID, e.ID, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// emit emits e in a transaction of its own.
func emit(t testing.TB, db *store.DB, s *webhook.Service, e events.Event) {
	t.Helper()
	if err := db.InTx(t.Context(), func(ctx context.Context) error { return s.Emit(ctx, e) }); err != nil {
		t.Fatal(err)
	}
}

// drain runs the dispatcher by hand: deliver what is due, move the clock
// past any backoff, until nothing is left or rounds run out.
func drain(t testing.TB, db *store.DB, s *webhook.Service, c *clock, rounds int) {
	t.Helper()
	for range rounds {
		if _, err := s.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n, err := db.CountOutbox(t.Context()); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			return
		}
		c.Advance(time.Minute)
	}
}

func depth(t testing.TB, s *webhook.Service) int {
	t.Helper()
	n, err := s.OutboxDepth(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
