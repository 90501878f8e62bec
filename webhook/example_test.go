package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/webhook"
)

// Emit inside the transaction of a change; after commit the dispatcher
// (Start, or DeliverDue by hand as here) posts {"token","event"} to every
// subscribed hook.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "webhook-example")
	defer os.RemoveAll(dir)
	db, _ := store.Open(ctx, store.Options{Dialect: "sqlite", DSN: filepath.Join(dir, "hanko.db")})
	defer db.Close()
	_ = db.Migrate(ctx)
	keys, _ := jwks.New(ctx, jwks.Config{Store: db, Secrets: []string{"an-example-secret-of-32-characters"}})

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Event string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		fmt.Println("received", body.Event, "key set:", r.Header.Get("Idempotency-Key") != "")
	}))
	defer receiver.Close()

	hooks, err := webhook.New(webhook.Config{
		Store: db, Keys: keys, Audience: []string{"localhost"},
		Hooks: []webhook.Hook{{Callback: receiver.URL, Events: []string{"email.send"}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer hooks.Close()

	_ = db.InTx(ctx, func(ctx context.Context) error {
		// ... the change itself, then:
		return hooks.Emit(ctx, events.Event{Webhook: events.EmailSend, Data: map[string]string{"subject": "Your code"}})
	})
	n, _ := hooks.DeliverDue(ctx)
	fmt.Println("delivered", n)
	// Output:
	// received email.send key set: true
	// delivered 1
}
