package users_test

import (
	"bufio"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"runtime"
	"testing"

	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
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

// newSQLite and newPostgres open fresh, migrated databases (see storetest).
func newSQLite(tb testing.TB) *store.DB   { return storetest.OpenSQLite(tb) }
func newPostgres(tb testing.TB) *store.DB { return storetest.OpenPostgres(tb) }

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
