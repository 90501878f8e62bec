package ratelimit_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanko-go/hanko/ratelimit"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func allow(t *testing.T, l ratelimit.Limiter, key string) ratelimit.Result {
	t.Helper()
	r, err := l.Allow(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFourthCallRefused(t *testing.T) {
	c := newClock()
	m := ratelimit.NewMemory(3, time.Minute, c.Now)
	for i, want := range []int{2, 1, 0} {
		r := allow(t, m, "k")
		if !r.Allowed || r.Remaining != want || r.Limit != 3 || r.Reset != 20*time.Second || r.RetryAfter != 0 {
			t.Fatalf("call %d: %+v", i+1, r)
		}
	}
	r := allow(t, m, "k")
	if r.Allowed || r.Remaining != 0 || r.RetryAfter != 20*time.Second || r.Reset != 20*time.Second {
		t.Fatalf("4th call: %+v", r)
	}
	c.Add(5 * time.Second)
	if r := allow(t, m, "k"); r.Allowed || r.RetryAfter != 15*time.Second {
		t.Fatalf("after 5s: %+v", r)
	}
}

func TestRefill(t *testing.T) {
	c := newClock()
	m := ratelimit.NewMemory(3, time.Minute, c.Now)
	for range 3 {
		allow(t, m, "k")
	}
	c.Add(20 * time.Second)
	if r := allow(t, m, "k"); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("after one refill: %+v", r)
	}
	if r := allow(t, m, "k"); r.Allowed {
		t.Fatalf("second call after one refill: %+v", r)
	}
	c.Add(time.Minute)
	for i := range 3 {
		if r := allow(t, m, "k"); !r.Allowed || r.Remaining != 2-i {
			t.Fatalf("after full refill, call %d: %+v", i+1, r)
		}
	}
	if r := allow(t, m, "k"); r.Allowed {
		t.Fatal("refill exceeded capacity")
	}
	// Partial refill with one token in use: 30s regains one token.
	c.Add(time.Hour)
	allow(t, m, "k")
	allow(t, m, "k")
	c.Add(30 * time.Second) // one token back at 20s, the next at 40s
	if r := allow(t, m, "k"); !r.Allowed || r.Remaining != 1 || r.Reset != 10*time.Second {
		t.Fatalf("partial refill: %+v", r)
	}
}

func TestConcurrentExact(t *testing.T) {
	c := newClock()
	m := ratelimit.NewMemory(7, time.Minute, c.Now)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			r, err := m.Allow(t.Context(), "shared")
			if err != nil {
				t.Error(err)
			}
			if r.Allowed {
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if ok.Load() != 7 {
		t.Fatalf("admitted %d, want 7", ok.Load())
	}
}

func TestKeysIsolated(t *testing.T) {
	m := ratelimit.NewMemory(1, time.Minute, newClock().Now)
	if !allow(t, m, "a").Allowed || allow(t, m, "a").Allowed {
		t.Fatal("a: want one allowed call")
	}
	if !allow(t, m, "b").Allowed {
		t.Fatal("b limited by a")
	}
}

func TestFullBucketsDropped(t *testing.T) {
	c := newClock()
	m := ratelimit.NewMemory(3, time.Minute, c.Now)
	for i := range 1000 {
		allow(t, m, strconv.Itoa(i))
	}
	if m.Len() != 1000 {
		t.Fatalf("Len = %d", m.Len())
	}
	c.Add(2 * time.Minute)
	for i := range 64 * 20 { // touch every shard so it sweeps
		allow(t, m, "x"+strconv.Itoa(i))
	}
	if n := m.Len(); n != 64*20 {
		t.Fatalf("full buckets kept: Len = %d", n)
	}
}

func TestKeyCap(t *testing.T) {
	m := ratelimit.NewMemory(3, time.Hour, newClock().Now)
	for i := range ratelimit.DefaultMaxKeys + 5000 {
		allow(t, m, strconv.Itoa(i))
	}
	if n := m.Len(); n > ratelimit.DefaultMaxKeys {
		t.Fatalf("Len = %d, cap %d", n, ratelimit.DefaultMaxKeys)
	}
}

func BenchmarkAllow(b *testing.B) {
	m := ratelimit.NewMemory(5, time.Minute, nil)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		m.Allow(ctx, "passcode/0b41f4c1-0f8c-4b3a-9d3b-0a6c8f0e8a11/203.0.113.7")
	}
}
