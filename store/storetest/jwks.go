package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// testJWKs covers the jwks.Store contract: rows come back ordered by id
// with every column intact, an id is taken once (Conflict), and of racing
// creators of one id exactly one wins, as instances starting together do.
func testJWKs(t *testing.T, s Store) {
	ctx := t.Context()
	rows, err := s.ListJWKs(ctx)
	mustOK(t, err, "ListJWKs on an empty table")
	if len(rows) != 0 {
		t.Fatalf("ListJWKs on an empty table = %d rows", len(rows))
	}

	// Inserted out of order, with key_data as long as an encrypted RSA 4096
	// JWK (about 4.4 kB) and a time with microseconds.
	want := []store.JWK{
		{ID: 1, KeyData: keyData(1, 4400), CreatedAt: at(0)},
		{ID: 2, KeyData: keyData(2, 300), CreatedAt: at(60)},
		{ID: 3, KeyData: keyData(3, 300), CreatedAt: at(30)},
	}
	for _, i := range []int{2, 0, 1} {
		mustOK(t, s.CreateJWK(ctx, want[i]), fmt.Sprintf("CreateJWK %d", want[i].ID))
	}
	checkJWKs(t, s, want)

	t.Run("DuplicateID", func(t *testing.T) {
		err := s.CreateJWK(ctx, store.JWK{ID: 2, KeyData: "other", CreatedAt: at(90)})
		wantKind(t, err, autherr.Conflict, "CreateJWK with a taken id")
		checkJWKs(t, s, want) // the first row stays as it was
	})

	t.Run("ConcurrentCreate", func(t *testing.T) {
		const n = 10
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  = make([]error, n)
		)
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = s.CreateJWK(ctx, store.JWK{ID: 4, KeyData: keyData(100+i, 300), CreatedAt: at(120)})
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("creates %d and %d of row 4 both succeeded", won, i)
			case err == nil:
				won = i
			case !errors.Is(err, autherr.Conflict):
				t.Fatalf("create %d of row 4: %v, want nil or Conflict", i, err)
			}
		}
		if won < 0 {
			t.Fatal("no create of row 4 succeeded")
		}
		checkJWKs(t, s, append(slices.Clone(want), store.JWK{ID: 4, KeyData: keyData(100+won, 300), CreatedAt: at(120)}))
	})
}

// checkJWKs compares every column of ListJWKs' rows with want (by id).
func checkJWKs(tb testing.TB, s Store, want []store.JWK) {
	tb.Helper()
	got, err := s.ListJWKs(tb.Context())
	mustOK(tb, err, "ListJWKs")
	if len(got) != len(want) {
		tb.Fatalf("ListJWKs = %d rows, want %d", len(got), len(want))
	}
	for i, g := range got {
		w := want[i]
		if g.ID != w.ID || g.KeyData != w.KeyData || !g.CreatedAt.Equal(w.CreatedAt) {
			tb.Fatalf("ListJWKs[%d] = id %d, %d bytes, created %v; want id %d, %d bytes, created %v",
				i, g.ID, len(g.KeyData), g.CreatedAt, w.ID, len(w.KeyData), w.CreatedAt)
		}
	}
}

// keyData returns n base64url characters, distinct per seed, like an
// encrypted key.
func keyData(seed, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[(seed*7+i*13+i/64)%len(alphabet)]
	}
	return string(b) + "=="
}
