package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"testing"

	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
	"github.com/hanko-go/hanko/users"
)

// BenchmarkAdminListUsers measures GET /users?per_page=100 (the first page,
// newest first, with each user's emails, primary and username) against
// 100,000 users: on SQLite always, on PostgreSQL when
// HANKO_TEST_POSTGRES_DSN names a server where the user may create databases.
// Seeding imports the users once, outside the timed loop.
func BenchmarkAdminListUsers(b *testing.B) {
	const n = 100_000
	for _, tc := range []struct {
		name string
		open func(b *testing.B) *store.DB
	}{
		{"sqlite", func(b *testing.B) *store.DB { return storetest.OpenSQLite(b) }},
		{"postgres", func(b *testing.B) *store.DB { return storetest.OpenPostgres(b) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			db := tc.open(b)
			api := newAdminAPI(b, db)
			seedUsers(b, api.users, n)
			rec := do(b, api.admin, "GET", "/users?per_page=100", "")
			if got := decode[[]adminUser](b, rec); rec.Code != 200 || len(got) != 100 || rec.Header().Get("X-Total-Count") != fmt.Sprint(n) {
				b.Fatalf("GET /users: %d, %d users, total %s", rec.Code, len(got), rec.Header().Get("X-Total-Count"))
			}
			b.ReportAllocs()
			for b.Loop() {
				if rec := do(b, api.admin, "GET", "/users?per_page=100", ""); rec.Code != 200 {
					b.Fatalf("GET /users: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// newAdminAPI is newTestAPI over a given store.
func newAdminAPI(tb testing.TB, db *store.DB) *testAPI {
	tb.Helper()
	us, err := users.New(users.Config{Store: db, AllowSignup: true, RequireVerification: true})
	if err != nil {
		tb.Fatal(err)
	}
	deps := httpapi.Deps{Users: us, Ready: db.Ping}
	return &testAPI{public: httpapi.Public(deps), admin: httpapi.Admin(deps), db: db, users: us}
}

// seedUsers imports n generated users, streamed through a pipe.
func seedUsers(tb testing.TB, svc *users.Service, n int) {
	tb.Helper()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeUsers(pw, n)) }()
	defer pr.Close()
	res, err := svc.Import(tb.Context(), pr)
	if err != nil || res.Users != n {
		tb.Fatalf("seeding %d users: %+v %v", n, res, err)
	}
}

// writeUsers writes n users in the import format, each with a verified
// primary address and every 10th with a second address; creation times
// are spread over n minutes so that the list's sort order is meaningful.
func writeUsers(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("[")
	for i := range n {
		if i > 0 {
			bw.WriteString(",\n")
		}
		fmt.Fprintf(bw, `{"emails":[{"address":"user%d@example.com","is_primary":true,"is_verified":true}`, i)
		if i%10 == 0 {
			fmt.Fprintf(bw, `,{"address":"second%d@example.org","is_primary":false,"is_verified":false}`, i)
		}
		fmt.Fprintf(bw, `],"created_at":"2024-01-01T%02d:%02d:%02dZ"}`, i/3600%24, i/60%60, i%60)
	}
	bw.WriteString("]\n")
	return bw.Flush()
}
