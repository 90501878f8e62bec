package ratelimit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hanko-go/hanko/ratelimit"
	"github.com/hanko-go/hanko/store"
)

// Three passcode mails per minute and user: the fourth request waits until
// a token is back, 20 seconds after the first.
func ExampleNewMemory() {
	now := func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	l := ratelimit.NewMemory(3, time.Minute, now)
	for range 4 {
		res, _ := l.Allow(context.Background(), "passcode/ada")
		fmt.Println(res.Allowed, res.Remaining, res.RetryAfter)
	}
	// Output:
	// true 2 0s
	// true 1 0s
	// true 0 0s
	// false 0 20s
}

// Two instances on one database share the buckets (here two limiters on one
// SQLite file); the limiter's prefix keeps limits apart.
func ExampleNewDatabase() {
	dir, _ := os.MkdirTemp("", "ratelimit")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Dialect: "sqlite", DSN: filepath.Join(dir, "hanko.db")})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	now := func() time.Time { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC) }
	a := ratelimit.NewDatabase(db, 2, time.Minute, ratelimit.Options{Prefix: "password:", Now: now})
	b := ratelimit.NewDatabase(db, 2, time.Minute, ratelimit.Options{Prefix: "password:", Now: now})
	for _, l := range []*ratelimit.Database{a, b, a} {
		res, err := l.Allow(ctx, "/password/login/0b41f4c1-0f8c-4b3a-9d3b-0a6c8f0e8a11/203.0.113.7")
		fmt.Println(res.Allowed, res.Remaining, res.RetryAfter, err)
	}
	// Output:
	// true 1 0s <nil>
	// true 0 0s <nil>
	// false 0 30s <nil>
}
