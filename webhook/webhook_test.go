package webhook_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
	"github.com/hanko-go/hanko/webhook"
)

func TestRetriesUntilDeliveredExactlyOnce(t *testing.T) {
	db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 3)
	var mu sync.Mutex
	outcomes := map[bool]int{}
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: rcv.URL(), Events: []string{"user"}}}
		cfg.OnDelivery = func(event string, ok bool) {
			mu.Lock()
			defer mu.Unlock()
			outcomes[ok]++
		}
	})
	uid := newUser(t, db, "ada@example.com")
	emit(t, db, s, events.Event{Audit: events.UserCreated, Webhook: events.UserCreate, UserID: uid})

	drain(t, db, s, c, 20)

	got := rcv.deliveries()
	if len(got) != 4 || len(rcv.succeeded()) != 1 {
		t.Fatalf("receiver got %d requests (%d ok), want 3 failures then 1 success", len(got), len(rcv.succeeded()))
	}
	for _, d := range got {
		if d.Key == "" || d.Key != got[0].Key {
			t.Fatalf("Idempotency-Key %q, first was %q: want one stable key", d.Key, got[0].Key)
		}
		if d.Event != "user.create" || d.ContentType != "application/json" || d.UserAgent == "" {
			t.Fatalf("delivery %+v", d)
		}
	}
	if depth(t, s) != 0 {
		t.Fatal("delivered row still in the outbox")
	}
	if outcomes[false] != 3 || outcomes[true] != 1 {
		t.Fatalf("OnDelivery outcomes %v, want 3 failed and 1 ok", outcomes)
	}
	// Delivered is final: more dispatching sends nothing more.
	c.Advance(time.Hour)
	drain(t, db, s, c, 3)
	if len(rcv.deliveries()) != 4 {
		t.Fatalf("redelivered: %d requests", len(rcv.deliveries()))
	}
}

func TestBackoffWaitsBetweenAttempts(t *testing.T) {
	db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 100)
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: rcv.URL(), Events: []string{"email.send"}}}
		cfg.RetryBase, cfg.RetryMax = time.Minute, time.Hour
	})
	emit(t, db, s, events.Event{Webhook: events.EmailSend, Data: map[string]string{"subject": "x"}})
	for range 3 {
		if _, err := s.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(rcv.deliveries()); n != 1 {
		t.Fatalf("%d attempts without the clock moving, want 1 (the retry waits)", n)
	}
	c.Advance(time.Minute) // the first retry waits between 30 s and 1 min
	if _, err := s.DeliverDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.deliveries()); n != 2 {
		t.Fatalf("%d attempts after the backoff, want 2", n)
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 1000)
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: rcv.URL(), Events: []string{"user"}}}
		cfg.MaxAttempts = 4
	})
	emit(t, db, s, events.Event{Webhook: events.UserCreate, UserID: newUser(t, db, "a@example.com")})
	drain(t, db, s, c, 20)
	if n := len(rcv.deliveries()); n != 4 {
		t.Fatalf("%d attempts, want MaxAttempts = 4", n)
	}
	if depth(t, s) != 0 {
		t.Fatal("given-up row left in the outbox")
	}
}

// TestDatabaseHookDisabledAfterFailuresConfigHookNot: an admin API hook
// counts one failure per event it did not get (after all its retries), not
// per attempt, so one event keeps its whole retry schedule; more than five
// failed events disable the hook. A hook of the configuration never
// disables.
func TestDatabaseHookDisabledAfterFailuresConfigHookNot(t *testing.T) {
	db, c := storetest.OpenSQLite(t), newClock()
	dbRcv, cfgRcv := newReceiver(t, 1000), newReceiver(t, 1000)
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: cfgRcv.URL(), Events: []string{"user"}}}
	})
	hook, err := s.Create(t.Context(), dbRcv.URL(), []string{"user.create"})
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string, enabled bool, failures, dbCalls, cfgCalls int) {
		t.Helper()
		got, err := s.Get(t.Context(), hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Enabled != enabled || got.Failures != failures {
			t.Fatalf("%s: enabled=%t failures=%d, want enabled=%t failures=%d", when, got.Enabled, got.Failures, enabled, failures)
		}
		if n := len(dbRcv.deliveries()); n != dbCalls {
			t.Fatalf("%s: database hook called %d times, want %d", when, n, dbCalls)
		}
		if n := len(cfgRcv.deliveries()); n != cfgCalls {
			t.Fatalf("%s: config hook called %d times, want %d", when, n, cfgCalls)
		}
	}

	// One event: every one of MaxAttempts (10) attempts is made, however
	// many fail, and the lost event is one failure.
	emit(t, db, s, events.Event{Webhook: events.UserCreate, UserID: newUser(t, db, "a@example.com")})
	drain(t, db, s, c, 30)
	check("one failed event", true, 1, 10, 10)

	// Five more: six failed events (> 5) disable the hook, each event
	// still having been tried ten times.
	for i := range 5 {
		emit(t, db, s, events.Event{Webhook: events.UserCreate, UserID: newUser(t, db, fmt.Sprintf("b%d@example.com", i))})
	}
	drain(t, db, s, c, 30)
	check("six failed events", false, 6, 60, 60)

	// A disabled hook hears nothing more; the config hook still does.
	emit(t, db, s, events.Event{Webhook: events.UserCreate, UserID: newUser(t, db, "c@example.com")})
	drain(t, db, s, c, 1)
	check("after disabling", false, 6, 60, 61)
}

// TestDisabledHookDropsPending: pending deliveries of a hook disabled
// through the admin API are dropped at their next attempt (as documented),
// and enabling it again does not bring them back.
func TestDisabledHookDropsPending(t *testing.T) {
	db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 1)
	s := newService(t, db, c, nil)
	hook, err := s.Create(t.Context(), rcv.URL(), []string{"user"})
	if err != nil {
		t.Fatal(err)
	}
	emit(t, db, s, events.Event{Webhook: events.UserCreate, UserID: newUser(t, db, "a@example.com")})
	if _, err := s.DeliverDue(t.Context()); err != nil { // fails, retry pending
		t.Fatal(err)
	}
	if _, err := s.Update(t.Context(), hook.ID, rcv.URL(), []string{"user"}, false); err != nil {
		t.Fatal(err)
	}
	drain(t, db, s, c, 3)
	if depth(t, s) != 0 || len(rcv.deliveries()) != 1 {
		t.Fatalf("disabled hook: %d rows left, %d calls; want 0 rows, 1 call", depth(t, s), len(rcv.deliveries()))
	}
}

func TestDatabaseHookSuccessResetsFailuresAndExtendsExpiry(t *testing.T) {
	db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 2)
	s := newService(t, db, c, func(cfg *webhook.Config) { cfg.MaxAttempts = 2 })
	hook, err := s.Create(t.Context(), rcv.URL(), []string{"user"})
	if err != nil {
		t.Fatal(err)
	}
	uid := newUser(t, db, "a@example.com")
	emit(t, db, s, events.Event{Webhook: events.UserUpdate, UserID: uid})
	if _, err := s.DeliverDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(t.Context(), hook.ID); got.Failures != 0 {
		t.Fatalf("failures after one failed attempt = %d, want 0 (the event is still being retried)", got.Failures)
	}
	drain(t, db, s, c, 10) // the second attempt fails too: the event is given up
	if got, _ := s.Get(t.Context(), hook.ID); got.Failures != 1 || !got.Enabled {
		t.Fatalf("after a failed event: failures=%d enabled=%t, want 1, true", got.Failures, got.Enabled)
	}
	emit(t, db, s, events.Event{Webhook: events.UserDelete, UserID: uid})
	drain(t, db, s, c, 10)
	got, _ := s.Get(t.Context(), hook.ID)
	if !got.Enabled || got.Failures != 0 || !got.ExpiresAt.Equal(c.Now().Add(30*24*time.Hour)) || len(rcv.succeeded()) != 1 {
		t.Fatalf("after success: %+v (now %s)", got, c.Now())
	}
}

func TestExpiredHookDisabledWithTimeExpiration(t *testing.T) {
	for _, allow := range []bool{true, false} {
		t.Run(fmt.Sprint("allow_time_expiration=", allow), func(t *testing.T) {
			db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 0)
			s := newService(t, db, c, func(cfg *webhook.Config) { cfg.AllowTimeExpiration = allow })
			hook, err := s.Create(t.Context(), rcv.URL(), []string{"user"})
			if err != nil {
				t.Fatal(err)
			}
			c.Advance(31 * 24 * time.Hour)
			emit(t, db, s, events.Event{Webhook: events.UserCreate, UserID: newUser(t, db, "a@example.com")})
			drain(t, db, s, c, 3)
			got, _ := s.Get(t.Context(), hook.ID)
			if allow && (got.Enabled || len(rcv.deliveries()) != 0) {
				t.Fatalf("expired hook: enabled=%t, called %d times; want disabled, not called", got.Enabled, len(rcv.deliveries()))
			}
			if !allow && (!got.Enabled || len(rcv.succeeded()) != 1) {
				t.Fatalf("expiry ignored: enabled=%t, called %d times", got.Enabled, len(rcv.deliveries()))
			}
		})
	}
}

func TestRolledBackChangeEmitsNothing(t *testing.T) {
	db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 0)
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: rcv.URL(), Events: []string{"user"}}}
	})
	s.Start()
	uid := newUser(t, db, "a@example.com")
	boom := errors.New("boom")
	err := db.InTx(t.Context(), func(ctx context.Context) error {
		if err := s.Emit(ctx, events.Event{Webhook: events.UserDelete, UserID: uid}); err != nil {
			return err
		}
		if err := db.DeleteUser(ctx, uid); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if depth(t, s) != 0 {
		t.Fatal("rolled-back change left an outbox row")
	}
	s.Wake()
	time.Sleep(50 * time.Millisecond) // several polls
	if n := len(rcv.deliveries()); n != 0 {
		t.Fatalf("rolled-back change delivered %d times", n)
	}
	if _, err := db.GetUser(t.Context(), uid); err != nil {
		t.Fatalf("user gone after rollback: %v", err)
	}
}

func TestEmitWithoutSubscribersWritesNothing(t *testing.T) {
	db, c := storetest.OpenSQLite(t), newClock()
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: "https://example.com/hook", Events: []string{"email.send"}}}
	})
	emit(t, db, s, events.Event{Audit: events.UserCreated, Webhook: events.UserCreate, UserID: newUser(t, db, "a@example.com")})
	emit(t, db, s, events.Event{Audit: events.PasswordLoginSucceeded})
	if depth(t, s) != 0 {
		t.Fatal("an event nobody subscribed to was queued")
	}
}

func TestEmitForMissingUserFails(t *testing.T) {
	db, c := storetest.OpenSQLite(t), newClock()
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: "https://example.com/hook", Events: []string{"user"}}}
	})
	err := db.InTx(t.Context(), func(ctx context.Context) error {
		return s.Emit(ctx, events.Event{Webhook: events.UserDelete, UserID: uuid.New()})
	})
	if err == nil || !strings.Contains(err.Error(), "emit before deleting") {
		t.Fatalf("Emit for a missing user: %v", err)
	}
}

func TestPrefixMatching(t *testing.T) {
	db, c := storetest.OpenSQLite(t), newClock()
	all, email, send := newReceiver(t, 0), newReceiver(t, 0), newReceiver(t, 0)
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{
			{Callback: all.URL(), Events: []string{"user"}},
			{Callback: email.URL(), Events: []string{"user.update.email"}},
			{Callback: send.URL(), Events: []string{"email.send"}},
		}
	})
	uid := newUser(t, db, "a@example.com")
	for _, e := range []string{events.UserCreate, events.EmailCreate, events.EmailPrimary, events.EmailDelete, events.UserDelete} {
		emit(t, db, s, events.Event{Webhook: e, UserID: uid})
	}
	emit(t, db, s, events.Event{Webhook: events.EmailSend, Data: map[string]string{}})
	drain(t, db, s, c, 3)
	if len(all.succeeded()) != 5 || len(email.succeeded()) != 3 || len(send.succeeded()) != 1 {
		t.Fatalf("user: %d, user.update.email: %d, email.send: %d; want 5, 3, 1",
			len(all.succeeded()), len(email.succeeded()), len(send.succeeded()))
	}
	for _, tc := range []struct {
		sub, event string
		want       bool
	}{
		{"user", "user.create", true}, {"user", "user", true}, {"user.update", "user.update.email.create", true},
		{"user", "username.x", false}, {"user.create", "user", false}, {"email", "email.send", true},
	} {
		if got := webhook.Matches(tc.sub, tc.event); got != tc.want {
			t.Errorf("Matches(%q, %q) = %t", tc.sub, tc.event, got)
		}
	}
}

func TestTokenClaimsAndPayload(t *testing.T) {
	db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 0)
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: rcv.URL(), Events: []string{"user"}}}
	})
	uid := newUser(t, db, "ada@example.com")
	emit(t, db, s, events.Event{Webhook: events.UserCreate, UserID: uid})
	drain(t, db, s, c, 2)
	got := rcv.succeeded()
	if len(got) != 1 {
		t.Fatalf("%d deliveries", len(got))
	}
	parts := strings.Split(got[0].Token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a compact JWS", got[0].Token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Sub  string   `json:"sub"`
		Aud  []string `json:"aud"`
		Evt  string   `json:"evt"`
		Iat  int64    `json:"iat"`
		Exp  int64    `json:"exp"`
		Data struct {
			ID     uuid.UUID `json:"id"`
			Emails []struct {
				Address   string `json:"address"`
				IsPrimary bool   `json:"is_primary"`
			} `json:"emails"`
		} `json:"data"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Sub != "hanko webhooks" || claims.Evt != "user.create" || len(claims.Aud) != 1 || claims.Aud[0] != "localhost" ||
		claims.Iat != c.Now().Unix() || claims.Exp-claims.Iat != 300 {
		t.Fatalf("claims %+v", claims)
	}
	if claims.Data.ID != uid || len(claims.Data.Emails) != 1 || claims.Data.Emails[0].Address != "ada@example.com" || !claims.Data.Emails[0].IsPrimary {
		t.Fatalf("data claim %+v: want the admin API user", claims.Data)
	}
}

func TestManageHooks(t *testing.T) {
	db, c := storetest.OpenSQLite(t), newClock()
	s := newService(t, db, c, nil)
	ctx := t.Context()
	for _, tc := range []struct {
		callback string
		events   []string
		msg      string
	}{
		{"", []string{"user"}, "callback is a required field"},
		{"not a url", []string{"user"}, "callback must be a valid URL"},
		{"ftp://example.com/x", []string{"user"}, "callback must be a valid URL"},
		{"https://example.com/x", nil, "events must contain at least 1 item"},
		{"https://example.com/x", []string{"user.unknown"}, "events[0] must be one of"},
		{"https://example.com/x", []string{"user", "user"}, "events entries are not unique"},
	} {
		_, err := s.Create(ctx, tc.callback, tc.events)
		if !errors.Is(err, autherr.Invalid) || !strings.HasPrefix(autherr.Message(err), tc.msg) {
			t.Errorf("Create(%q, %v) = %v, want Invalid %q", tc.callback, tc.events, err, tc.msg)
		}
	}
	h, err := s.Create(ctx, "https://example.com/x", []string{"user", "email.send"})
	if err != nil {
		t.Fatal(err)
	}
	if !h.Enabled || h.Failures != 0 || !h.ExpiresAt.Equal(c.Now().Add(30*24*time.Hour)) || len(h.Events) != 2 {
		t.Fatalf("created %+v", h)
	}
	c.Advance(time.Hour)
	up, err := s.Update(ctx, h.ID, "https://example.org/y", []string{"user.delete"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if up.Enabled || up.Callback != "https://example.org/y" || len(up.Events) != 1 || up.Events[0].Event != "user.delete" ||
		!up.ExpiresAt.Equal(c.Now().Add(30*24*time.Hour)) {
		t.Fatalf("updated %+v", up)
	}
	if _, err := s.Update(ctx, uuid.New(), "https://example.org/y", []string{"user"}, true); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("Update unknown: %v", err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	if err := s.Delete(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, h.ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
	if _, err := s.Get(ctx, h.ID); !errors.Is(err, webhook.ErrNotFound) {
		t.Fatalf("Get deleted: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	db := storetest.OpenSQLite(t)
	_, err := webhook.New(webhook.Config{Store: db, Keys: newKeys(t, db), Audience: []string{"x"},
		Hooks: []webhook.Hook{{Callback: "nope", Events: []string{"user"}}}})
	if err == nil || !strings.Contains(err.Error(), "webhooks.hooks[0]") {
		t.Fatalf("New with a bad hook: %v", err)
	}
	if _, err := webhook.New(webhook.Config{}); err == nil {
		t.Fatal("New without Store, Keys, Audience succeeded")
	}
}

// TestTwoDispatchersNoDuplicates runs two services (two instances' pools)
// on one database, both dispatching, and checks every event arrives once.
func TestTwoDispatchersNoDuplicates(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := t.TempDir() + "/hanko.db"
		a := storetest.OpenMigrated(t, store.Options{Dialect: "sqlite", DSN: path})
		b := storetest.OpenMigrated(t, store.Options{Dialect: "sqlite", DSN: path})
		testTwoDispatchers(t, a, b)
	})
	t.Run("postgres", func(t *testing.T) {
		a, b := twoPools(t, "postgres", "HANKO_TEST_POSTGRES_DSN")
		testTwoDispatchers(t, a, b)
	})
	t.Run("mysql", func(t *testing.T) {
		a, b := twoPools(t, "mysql", "HANKO_TEST_MYSQL_DSN")
		testTwoDispatchers(t, a, b)
	})
}

func testTwoDispatchers(t *testing.T, a, b *store.DB) {
	const n = 40
	c, rcv := newClock(), newReceiver(t, 0)
	hooks := []webhook.Hook{{Callback: rcv.URL(), Events: []string{"email.send"}}}
	sa := newService(t, a, c, func(cfg *webhook.Config) { cfg.Hooks = hooks; cfg.Batch = 3 })
	sb := newService(t, b, c, func(cfg *webhook.Config) { cfg.Hooks = hooks; cfg.Batch = 3 })
	sa.Start()
	sb.Start()
	for i := range n {
		s, db := sa, a
		if i%2 == 1 {
			s, db = sb, b
		}
		emit(t, db, s, events.Event{Webhook: events.EmailSend, Data: map[string]int{"i": i}})
	}
	deadline := time.After(20 * time.Second)
	for len(rcv.succeeded()) < n {
		select {
		case <-rcv.seen:
		case <-deadline:
			t.Fatalf("%d of %d events arrived", len(rcv.succeeded()), n)
		}
	}
	time.Sleep(100 * time.Millisecond) // let any duplicate show up
	keys := map[string]int{}
	for _, d := range rcv.deliveries() {
		keys[d.Key]++
	}
	if len(keys) != n {
		t.Fatalf("%d distinct events, want %d", len(keys), n)
	}
	for k, cnt := range keys {
		if cnt != 1 {
			t.Fatalf("event %s delivered %d times", k, cnt)
		}
	}
	// Delivered rows are deleted once their batch is done.
	for end := time.Now().Add(5 * time.Second); depth(t, sa) != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("outbox not empty: %d rows", depth(t, sa))
		}
	}
}

// twoPools creates a fresh database on the server the environment
// variable names and opens two migrated pools on it, as two instances
// would have. It skips when the variable is unset.
func twoPools(t *testing.T, dialect, env string) (a, b *store.DB) {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		t.Skip(env + " is not set")
	}
	admin, err := store.Open(t.Context(), store.Options{Dialect: dialect, DSN: dsn, MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	name := "hanko_wh_" + strings.ToLower(rand.Text())
	if _, err := admin.Bun().ExecContext(t.Context(), "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		drop := "DROP DATABASE " + name
		if dialect == "postgres" {
			drop += " WITH (FORCE)"
		}
		if _, err := admin.Bun().ExecContext(context.Background(), drop); err != nil {
			t.Errorf("%s: %v", drop, err)
		}
		admin.Close()
	})
	if dialect == "postgres" {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		dsn = u.String()
	} else {
		c, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		c.DBName = name
		dsn = c.FormatDSN()
	}
	a = storetest.OpenMigrated(t, store.Options{Dialect: dialect, DSN: dsn})
	b = storetest.OpenMigrated(t, store.Options{Dialect: dialect, DSN: dsn})
	return a, b
}

func TestTransportErrorKeepsCallbackSecret(t *testing.T) {
	db, c := storetest.OpenSQLite(t), newClock()
	rcv := newReceiver(t, 0)
	callback := rcv.URL() + "?token=s3cr3t"
	rcv.srv.Close() // connection refused
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: callback, Events: []string{"email.send"}}}
	})
	emit(t, db, s, events.Event{Webhook: events.EmailSend, Data: map[string]string{}})
	if _, err := s.DeliverDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	rows, err := db.ListOutbox(t.Context())
	if err != nil || len(rows) != 1 || rows[0].Attempts != 1 || rows[0].LastError == nil {
		t.Fatalf("rows %+v, %v", rows, err)
	}
	if strings.Contains(*rows[0].LastError, "s3cr3t") {
		t.Fatalf("last_error shows the callback: %q", *rows[0].LastError)
	}
}

// tokenData returns the data claim of a webhook token (unverified: the
// signature is TestTokenClaimsAndPayload's business).
func tokenData(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a compact JWS", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.Data
}

// passcodeMail is an email.send payload shaped like passcode's, with a
// code valid until validUntil.
func passcodeMail(code string, validUntil time.Time) map[string]any {
	return map[string]any{"type": "passcode", "data": map[string]any{"otp_code": code, "ttl": 300, "valid_until": validUntil.Unix()}}
}

// TestOutboxPayloadSealedAtRest: with Secrets, an outbox row holds its
// payload (an email.send passcode here) only sealed, under a key derived
// for the outbox, not the secret itself; every secret opens it, so secrets
// rotate; a row nobody can open is dropped, not sent.
func TestOutboxPayloadSealedAtRest(t *testing.T) {
	const code = "314159"
	const newSecret = "a-rotated-secret-of-32-characters"
	for _, tc := range []struct {
		name          string
		openWith      []string
		wantDelivered bool
	}{
		{"same secret", []string{testSecret}, true},
		{"rotated secrets", []string{newSecret, testSecret}, true},
		{"unknown secret", []string{newSecret}, false},
		{"no secrets", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 0)
			hooks := []webhook.Hook{{Callback: rcv.URL(), Events: []string{"email.send"}}}
			writer := newService(t, db, c, func(cfg *webhook.Config) { cfg.Hooks, cfg.Secrets = hooks, []string{testSecret} })
			emit(t, db, writer, events.Event{Webhook: events.EmailSend, Data: passcodeMail(code, c.Now().Add(5*time.Minute))})

			rows, err := db.ListOutbox(t.Context())
			if err != nil || len(rows) != 1 {
				t.Fatalf("ListOutbox = %d rows, %v", len(rows), err)
			}
			sealed, ok := strings.CutPrefix(rows[0].Data, "sealed:")
			if !ok || strings.Contains(rows[0].Data, code) || strings.Contains(rows[0].Data, "otp_code") {
				t.Fatalf("outbox data in the clear: %q", rows[0].Data)
			}
			raw, err := jwks.NewSealer([]string{testSecret}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Open(sealed); err == nil {
				t.Fatal("the outbox is sealed under the raw secret, not a derived key")
			}

			reader := newService(t, db, c, func(cfg *webhook.Config) { cfg.Hooks, cfg.Secrets = hooks, tc.openWith })
			drain(t, db, reader, c, 3)
			if depth(t, reader) != 0 {
				t.Fatal("row left in the outbox")
			}
			got := rcv.succeeded()
			if !tc.wantDelivered {
				if len(got) != 0 {
					t.Fatalf("a row nobody can open was sent %d times", len(got))
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("%d deliveries, want 1", len(got))
			}
			inner, _ := tokenData(t, got[0].Token)["data"].(map[string]any)
			if inner["otp_code"] != code {
				t.Fatalf("delivered data %v, want the code unsealed", inner)
			}
		})
	}
}

// TestExpiredPasscodeMailDropped: an email.send row whose passcode has
// expired is dropped instead of delivered, and retries stop once the next
// one would come after the expiry.
func TestExpiredPasscodeMailDropped(t *testing.T) {
	t.Run("expired before the first attempt", func(t *testing.T) {
		db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 0)
		s := newService(t, db, c, func(cfg *webhook.Config) {
			cfg.Hooks = []webhook.Hook{{Callback: rcv.URL(), Events: []string{"email.send"}}}
		})
		emit(t, db, s, events.Event{Webhook: events.EmailSend, Data: passcodeMail("123456", c.Now().Add(5*time.Minute))})
		c.Advance(5 * time.Minute)
		if _, err := s.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := len(rcv.deliveries()); n != 0 || depth(t, s) != 0 {
			t.Fatalf("expired passcode: %d calls, %d rows left; want 0, 0", n, depth(t, s))
		}
	})
	t.Run("retries end at the expiry", func(t *testing.T) {
		db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 1000)
		expires := c.Now().Add(5 * time.Minute)
		var mu sync.Mutex
		var late []time.Time
		s := newService(t, db, c, func(cfg *webhook.Config) {
			cfg.Hooks = []webhook.Hook{{Callback: rcv.URL(), Events: []string{"email.send"}}}
			cfg.RetryBase, cfg.RetryMax = time.Minute, time.Hour
			cfg.OnDelivery = func(string, bool) {
				mu.Lock()
				defer mu.Unlock()
				if now := c.Now(); !now.Before(expires) {
					late = append(late, now)
				}
			}
		})
		emit(t, db, s, events.Event{Webhook: events.EmailSend, Data: passcodeMail("123456", expires)})
		drain(t, db, s, c, 30)
		n := len(rcv.deliveries())
		if depth(t, s) != 0 || n == 0 || n >= 10 || len(late) != 0 {
			t.Fatalf("%d attempts (%d after the expiry), %d rows left; want some attempts, all before the expiry, none left",
				n, len(late), depth(t, s))
		}
	})
}

func TestNewRejectsShortLease(t *testing.T) {
	db := storetest.OpenSQLite(t)
	base := webhook.Config{Store: db, Keys: newKeys(t, db), Audience: []string{"x"}, Timeout: 10 * time.Second, Batch: 32, Workers: 8}
	for _, tc := range []struct {
		lease time.Duration
		ok    bool
	}{
		{0, true},                 // derived: 4 waves of 10 s + 20 s
		{50 * time.Second, true},  // 4·10 s + 10 s
		{49 * time.Second, false}, // a row of the last wave could outlive it
		{time.Minute, true},
	} {
		cfg := base
		cfg.Lease = tc.lease
		_, err := webhook.New(cfg)
		if (err == nil) != tc.ok || err != nil && !strings.Contains(err.Error(), "Config.Lease") {
			t.Errorf("Lease %s: New = %v, want ok=%t", tc.lease, err, tc.ok)
		}
	}
}

// TestLostLeaseLeftToNewClaimer: when a request outlives the row's lease
// and another instance claims the row meanwhile, the first instance's
// outcome (delivered or failed) does not delete or release the row that is
// now the other's.
func TestLostLeaseLeftToNewClaimer(t *testing.T) {
	for _, status := range []int{200, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			db, c := storetest.OpenSQLite(t), newClock()
			var taken []store.OutboxEvent
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Slow receiver: the lease runs out and another instance
				// claims the row before the answer comes.
				c.Advance(time.Hour)
				var err error
				if taken, err = db.ClaimOutbox(r.Context(), c.Now(), c.Now().Add(time.Minute), 10); err != nil {
					t.Error(err)
				}
				w.WriteHeader(status)
			}))
			t.Cleanup(srv.Close)
			s := newService(t, db, c, func(cfg *webhook.Config) {
				cfg.Hooks = []webhook.Hook{{Callback: srv.URL, Events: []string{"email.send"}}}
			})
			emit(t, db, s, events.Event{Webhook: events.EmailSend, Data: map[string]string{}})
			if _, err := s.DeliverDue(t.Context()); err != nil {
				t.Fatal(err)
			}
			if len(taken) != 1 {
				t.Fatalf("the second claimer got %d rows, want 1", len(taken))
			}
			rows, err := db.ListOutbox(t.Context())
			if err != nil || len(rows) != 1 {
				t.Fatalf("ListOutbox = %d rows, %v; want the row kept for its new claimer", len(rows), err)
			}
			if r := rows[0]; r.Attempts != 0 || r.LastError != nil || r.LockedUntil == nil || !r.LockedUntil.Equal(*taken[0].LockedUntil) {
				t.Fatalf("row %+v: the first claimer touched it after losing the lease", r)
			}
		})
	}
}

// stuckStore is a database whose writes after a delivery never finish on
// their own.
type stuckStore struct {
	*store.DB
	once  sync.Once
	stuck chan struct{}
}

func (s *stuckStore) RescheduleOutbox(ctx context.Context, id uuid.UUID, lease time.Time, attempts int, next time.Time, msg string) error {
	s.once.Do(func() { close(s.stuck) })
	<-ctx.Done()
	return ctx.Err()
}

// TestCloseBoundedWhenStoreHangs: Close cancels an in-flight request; the
// bookkeeping that follows has a deadline, so a stuck database delays
// Close but cannot hang it.
func TestCloseBoundedWhenStoreHangs(t *testing.T) {
	db, c := storetest.OpenSQLite(t), newClock()
	inFlight := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // the server notices a gone client only after the body
		inFlight <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	st := &stuckStore{DB: db, stuck: make(chan struct{})}
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Store = st
		cfg.Hooks = []webhook.Hook{{Callback: srv.URL, Events: []string{"email.send"}}}
		cfg.Timeout = time.Minute
	})
	webhook.SetBookkeepingTimeout(s, 50*time.Millisecond)
	s.Start()
	emit(t, db, s, events.Event{Webhook: events.EmailSend, Data: map[string]string{}})
	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("no request within 10 s")
	}
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs on a stuck store")
	}
	select {
	case <-st.stuck:
	default:
		t.Fatal("the cancelled row was not released")
	}
}

// claimCounter counts claim transactions.
type claimCounter struct {
	*store.DB
	claims atomic.Int64
}

func (s *claimCounter) ClaimOutbox(ctx context.Context, now, lockedUntil time.Time, limit int) ([]store.OutboxEvent, error) {
	s.claims.Add(1)
	return s.DB.ClaimOutbox(ctx, now, lockedUntil, limit)
}

// TestIdleDispatcherSkipsClaim: with nothing due (an empty outbox, or a
// retry still waiting) the dispatcher only reads; it claims, a write
// transaction, only when a row is due.
func TestIdleDispatcherSkipsClaim(t *testing.T) {
	db, c, rcv := storetest.OpenSQLite(t), newClock(), newReceiver(t, 1)
	cc := &claimCounter{DB: db}
	s := newService(t, db, c, func(cfg *webhook.Config) {
		cfg.Store = cc
		cfg.Hooks = []webhook.Hook{{Callback: rcv.URL(), Events: []string{"email.send"}}}
		cfg.RetryBase, cfg.RetryMax = time.Minute, time.Hour
	})
	deliver := func(wantClaims int64) {
		t.Helper()
		if _, err := s.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := cc.claims.Load(); n != wantClaims {
			t.Fatalf("%d claims, want %d", n, wantClaims)
		}
	}
	deliver(0) // empty
	emit(t, db, s, events.Event{Webhook: events.EmailSend, Data: map[string]string{}})
	deliver(1) // due: claimed, fails
	deliver(1) // the retry waits: no claim
	c.Advance(time.Minute)
	deliver(2) // due again: delivered
	deliver(2)
	if len(rcv.succeeded()) != 1 {
		t.Fatalf("%d deliveries", len(rcv.succeeded()))
	}
}

// TestMySQLOutboxMigrationRerunKeepsRows: MySQL cannot roll DDL back, so a
// migrator that dies before recording 0003 runs it again; that must keep
// the pending deliveries, while migrating up from the old outbox still
// replaces it.
func TestMySQLOutboxMigrationRerunKeepsRows(t *testing.T) {
	db, _ := twoPools(t, "mysql", "HANKO_TEST_MYSQL_DSN")
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	row := store.OutboxEvent{ID: uuid.New(), Event: events.EmailSend, Data: `{}`, Callback: "https://example.com/hook", NextAttemptAt: now, CreatedAt: now}
	if err := db.InsertOutbox(ctx, []store.OutboxEvent{row}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Bun().ExecContext(ctx, "DELETE FROM hanko_schema_migrations WHERE version >= 3"); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	if n, err := db.CountOutbox(ctx); err != nil || n != 1 {
		t.Fatalf("after re-running 0003: %d rows, %v; want the pending row kept", n, err)
	}
	// Down to the old outbox and up again: the old shape is replaced.
	if err := db.MigrateDown(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	row.ID = uuid.New()
	if err := db.InsertOutbox(ctx, []store.OutboxEvent{row}); err != nil {
		t.Fatalf("InsertOutbox into the migrated outbox: %v", err)
	}
}
