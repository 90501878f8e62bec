package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
	"github.com/hanko-go/hanko/users"
	"github.com/hanko-go/hanko/webhook"
)

// BenchmarkEmitOnUserCreate measures what the webhook emitter adds to
// Users().Create: nothing wired, wired with no subscriber (one indexed
// lookup), and wired with one subscriber (lookup, user load, outbox row).
func BenchmarkEmitOnUserCreate(b *testing.B) {
	for _, tc := range []struct {
		name  string
		hooks []webhook.Hook
		wired bool
	}{
		{"no emitter", nil, false},
		{"webhook no subscriber", nil, true},
		{"webhook one subscriber", []webhook.Hook{{Callback: "http://127.0.0.1:1/hook", Events: []string{"user"}}}, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			db := storetest.OpenSQLite(b)
			cfg := users.Config{Store: db}
			if tc.wired {
				cfg.Events = newService(b, db, newClock(), func(c *webhook.Config) { c.Hooks = tc.hooks })
			}
			us, err := users.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				_, err := us.Create(b.Context(), users.NewUser{Emails: []users.NewEmail{{Address: fmt.Sprintf("u%d@example.com", i), Primary: true}}})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDispatch measures delivery throughput: b.N queued events
// delivered to a local receiver by the dispatcher's claim-and-send loop.
func BenchmarkDispatch(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	defer srv.Close()
	db, c := storetest.OpenSQLite(b), newClock()
	s := newService(b, db, c, func(cfg *webhook.Config) {
		cfg.Hooks = []webhook.Hook{{Callback: srv.URL, Events: []string{"email.send"}}}
		cfg.Client = srv.Client()
	})
	rows := make([]store.OutboxEvent, 0, b.N)
	now := c.Now()
	for range b.N {
		rows = append(rows, store.OutboxEvent{ID: uuid.New(), Event: events.EmailSend, Data: `{"subject":"x","data":{"otp_code":"123456"}}`,
			Callback: srv.URL, NextAttemptAt: now, CreatedAt: now})
	}
	for i := 0; i < len(rows); i += 500 {
		if err := db.InsertOutbox(b.Context(), rows[i:min(i+500, len(rows))]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for {
		n, err := s.DeliverDue(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	if n, _ := db.CountOutbox(b.Context()); n != 0 {
		b.Fatalf("%d rows left", n)
	}
}
