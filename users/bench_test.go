package users_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

// writeUsers writes n users in the import format: one verified primary
// address each (user<i>@example.com) and, on every 10th user, a second
// unverified one (second<i>@example.org). IDs are random but fixed by seed.
func writeUsers(w io.Writer, n int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	r := mrand.New(mrand.NewPCG(seed, 0x68616e6b6f))
	bw.WriteString("[")
	for i := range n {
		if i > 0 {
			bw.WriteString(",\n")
		}
		fmt.Fprintf(bw, `{"user_id":"%08x-%04x-4%03x-8%03x-%012x","emails":[{"address":"user%d@example.com","is_primary":true,"is_verified":true}`,
			r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff, i)
		if i%10 == 0 {
			fmt.Fprintf(bw, `,{"address":"second%d@example.org","is_primary":false,"is_verified":false}`, i)
		}
		bw.WriteString(`],"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-06-01T12:00:00Z"}`)
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// userStream returns a reader of n generated users (see writeUsers), written
// by a goroutine through a pipe, so that the file never exists in memory as
// a whole. The goroutine ends when the reader is drained or closed.
func userStream(tb testing.TB, n int) io.ReadCloser {
	tb.Helper()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeUsers(pw, n, uint64(n))) }()
	tb.Cleanup(func() { pr.Close() })
	return pr
}

// BenchmarkImport imports 10,000 generated users per iteration into a fresh
// database: SQLite always, PostgreSQL when HANKO_TEST_POSTGRES_DSN is set.
// It reports the heap in use at the end of each import as heap-B.
func BenchmarkImport(b *testing.B) {
	const n = 10_000
	for _, tc := range []struct {
		name string
		open func(b *testing.B) *store.DB
	}{
		{"sqlite", func(b *testing.B) *store.DB { return newSQLite(b) }},
		{"postgres", func(b *testing.B) *store.DB { return newPostgres(b) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var heap uint64
			for b.Loop() {
				b.StopTimer()
				db := tc.open(b)
				svc := newService(b, db, nil)
				src := userStream(b, n)
				b.StartTimer()
				res, err := svc.Import(b.Context(), src)
				if err != nil || res.Users != n {
					b.Fatalf("import: %+v %v", res, err)
				}
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap = max(heap, ms.HeapInuse)
			}
			b.ReportMetric(float64(n), "users/op")
			b.ReportMetric(float64(heap), "heap-B")
		})
	}
}

// newSQLite opens a fresh, migrated SQLite database in a temp dir.
func newSQLite(tb testing.TB) *store.DB {
	tb.Helper()
	return mustMigrated(tb, store.Options{Dialect: "sqlite", DSN: filepath.Join(tb.TempDir(), "hanko.db")})
}

// newPostgres creates a fresh database on the server HANKO_TEST_POSTGRES_DSN
// names (skipping without it), drops it when tb ends and returns it migrated.
func newPostgres(tb testing.TB) *store.DB {
	tb.Helper()
	dsn := os.Getenv("HANKO_TEST_POSTGRES_DSN")
	if dsn == "" {
		tb.Skip("HANKO_TEST_POSTGRES_DSN is not set")
	}
	admin, err := store.Open(tb.Context(), store.Options{Dialect: "postgres", DSN: dsn, MaxOpenConns: 1})
	if err != nil {
		tb.Fatal(err)
	}
	name := "users_test_" + strings.ToLower(rand.Text())
	if _, err := admin.Bun().ExecContext(tb.Context(), "CREATE DATABASE "+name); err != nil {
		admin.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx := context.Background()
		if _, err := admin.Bun().ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("HANKO_TEST_POSTGRES_DSN must be a postgres:// URL: %v", err)
	}
	u.Path = "/" + name
	return mustMigrated(tb, store.Options{Dialect: "postgres", DSN: u.String()})
}

func mustMigrated(tb testing.TB, o store.Options) *store.DB {
	tb.Helper()
	db, err := store.Open(tb.Context(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// newService returns a users.Service over db; cfg, when given, adjusts the
// configuration (Store is set afterwards).
func newService(tb testing.TB, db *store.DB, adjust func(*users.Config)) *users.Service {
	tb.Helper()
	cfg := users.Config{AllowSignup: true, RequireVerification: true}
	if adjust != nil {
		adjust(&cfg)
	}
	cfg.Store = db
	s, err := users.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
