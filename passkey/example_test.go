package passkey_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"

	"github.com/hanko-go/hanko/passkey"
	"github.com/hanko-go/hanko/passkey/passkeytest"
	"github.com/hanko-go/hanko/store"
)

// A registration and a discoverable login, with the software authenticator
// standing in for the browser.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "passkey-example")
	defer os.RemoveAll(dir)
	db, _ := store.Open(ctx, store.Options{Dialect: "sqlite", DSN: filepath.Join(dir, "hanko.db")})
	defer db.Close()
	_ = db.Migrate(ctx)
	userID, now := uuid.New(), time.Now().UTC()
	_ = db.CreateUser(ctx, store.User{ID: userID, CreatedAt: now, UpdatedAt: now})

	svc, err := passkey.New(passkey.Config{Store: db, RPID: "example.com", Origins: []string{"https://example.com"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	browser := passkeytest.New()

	creation, _ := svc.BeginRegistration(ctx, userID) // send to navigator.credentials.create
	opts, _ := json.Marshal(creation)
	credential, _ := browser.Register("https://example.com", opts)
	reg, err := svc.FinishRegistration(ctx, userID, credential, "")
	fmt.Println("registered:", err == nil, reg.UserID == userID)

	assertion, _ := svc.BeginLogin(ctx, nil) // send to navigator.credentials.get
	opts, _ = json.Marshal(assertion)
	answer, _ := browser.Login("https://example.com", opts)
	login, err := svc.FinishLogin(ctx, answer, nil)
	fmt.Println("logged in:", err == nil, login.UserID == userID)

	// A replay of the same answer fails: the challenge was used.
	_, err = svc.FinishLogin(ctx, answer, nil)
	fmt.Println("replay refused:", err != nil)
	// Output:
	// registered: true true
	// logged in: true true
	// replay refused: true
}
