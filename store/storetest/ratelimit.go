package storetest

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanko-go/hanko/autherr"
)

// take calls TakeRateLimitToken with 3 tokens per minute (one every 20 s)
// and checks its answer.
func take(t *testing.T, s Store, key string, now time.Time, wantOK bool, wantFull time.Time) {
	t.Helper()
	full, ok, err := s.TakeRateLimitToken(t.Context(), key, now, 20*time.Second, 3)
	mustOK(t, err, "TakeRateLimitToken "+key)
	if ok != wantOK || !full.Equal(wantFull) {
		t.Fatalf("take %s at %s: ok=%t full=%s, want ok=%t full=%s", key, now.Format(time.RFC3339Nano),
			ok, full.UTC().Format(time.RFC3339Nano), wantOK, wantFull.UTC().Format(time.RFC3339Nano))
	}
}

// testRateLimits checks the token bucket arithmetic of the database
// rate-limit store, key isolation and the sweeping of full buckets.
func testRateLimits(t *testing.T, s Store) {
	// A missing bucket is full: three tokens, each moving the full time
	// 20 s ahead; the fourth call takes nothing.
	take(t, s, "k", at(0), true, at(20))
	take(t, s, "k", at(0), true, at(40))
	take(t, s, "k", at(0), true, at(60))
	take(t, s, "k", at(0), false, at(60))
	take(t, s, "k", at(5), false, at(60))
	// One token is back 20 s later; it is taken from the full time, not
	// from now.
	take(t, s, "k", at(20), true, at(80))
	take(t, s, "k", at(20), false, at(80))
	// A bucket full for long restarts from now: capacity, not history.
	take(t, s, "k", at(3600), true, at(3620))

	// Keys are isolated and compare exactly (case, length).
	take(t, s, "K", at(0), true, at(20))
	long := strings.Repeat("x", 255)
	take(t, s, long, at(0), true, at(20))
	take(t, s, long[:254], at(0), true, at(20))
	_, _, err := s.TakeRateLimitToken(t.Context(), long+"x", at(0), 20*time.Second, 3)
	wantKind(t, err, autherr.Invalid, "a 256-byte key")
	_, _, err = s.TakeRateLimitToken(t.Context(), "k", at(0), 0, 3)
	wantKind(t, err, autherr.Invalid, "per 0")

	// expires_at is when the bucket is surely full (now + capacity*per):
	// the sweeper deletes the four buckets above, and a bucket in use stays
	// until it is full again.
	n, err := s.DeleteExpired(t.Context(), at(5000), 100)
	mustOK(t, err, "DeleteExpired")
	if n != 4 {
		t.Fatalf("swept %d buckets, want 4", n)
	}
	take(t, s, "k", at(5000), true, at(5020)) // a new, full bucket
	take(t, s, "k", at(5000), true, at(5040))
	if n, err := s.DeleteExpired(t.Context(), at(5059), 100); err != nil || n != 0 {
		t.Fatalf("swept a bucket in use: %d (%v)", n, err)
	}
	if n, err := s.DeleteExpired(t.Context(), at(5061), 100); err != nil || n != 1 {
		t.Fatalf("swept %d full buckets (%v), want 1", n, err)
	}
	take(t, s, "k", at(5061), true, at(5081))
}

// testRateLimitsConcurrent races many takers on one new bucket: exactly the
// capacity is taken, whoever creates the row.
func testRateLimitsConcurrent(t *testing.T, s Store) {
	const racers, capacity = 40, 7
	per := time.Second
	for round, now := range []time.Time{at(0), at(1)} {
		var taken atomic.Int32
		var wg sync.WaitGroup
		for range racers {
			wg.Go(func() {
				_, ok, err := s.TakeRateLimitToken(t.Context(), "shared", now, per, capacity)
				if err != nil {
					t.Error(err)
				}
				if ok {
					taken.Add(1)
				}
			})
		}
		wg.Wait()
		// Round one empties the bucket; a second later one token is back.
		want := []int32{capacity, 1}[round]
		if taken.Load() != want {
			t.Fatalf("round %d: %d tokens taken, want %d", round+1, taken.Load(), want)
		}
	}
	full, ok, err := s.TakeRateLimitToken(t.Context(), "shared", at(1), per, capacity)
	mustOK(t, err, "TakeRateLimitToken")
	if ok || !full.Equal(at(capacity+1)) {
		t.Fatalf("after the races: ok=%t full=%s, want refused, full at +%ds", ok, full, capacity+1)
	}
}
