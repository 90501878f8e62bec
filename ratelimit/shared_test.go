package ratelimit_test

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/ratelimit"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
	"github.com/redis/go-redis/v9"
)

// newLimiter builds a limiter of one kind with tokens per interval on the
// clock now (nil: the kind's default clock). Every call gets buckets no
// other call sees.
type newLimiter func(tb testing.TB, tokens int, interval time.Duration, now func() time.Time) ratelimit.Limiter

// kinds are the limiters under test. The database ones need a server
// (HANKO_TEST_POSTGRES_DSN, HANKO_TEST_MYSQL_DSN), Redis needs
// HANKO_TEST_REDIS_ADDR; they skip without.
var kinds = []struct {
	name string
	new  newLimiter
}{
	{"memory", func(_ testing.TB, tokens int, interval time.Duration, now func() time.Time) ratelimit.Limiter {
		return ratelimit.NewMemory(tokens, interval, now)
	}},
	{"sqlite", func(tb testing.TB, tokens int, interval time.Duration, now func() time.Time) ratelimit.Limiter {
		return ratelimit.NewDatabase(storetest.OpenSQLite(tb), tokens, interval, ratelimit.Options{Now: now})
	}},
	{"postgres", func(tb testing.TB, tokens int, interval time.Duration, now func() time.Time) ratelimit.Limiter {
		return ratelimit.NewDatabase(storetest.OpenPostgres(tb), tokens, interval, ratelimit.Options{Now: now})
	}},
	{"mysql", func(tb testing.TB, tokens int, interval time.Duration, now func() time.Time) ratelimit.Limiter {
		return ratelimit.NewDatabase(openMySQL(tb), tokens, interval, ratelimit.Options{Now: now})
	}},
	{"redis", func(tb testing.TB, tokens int, interval time.Duration, now func() time.Time) ratelimit.Limiter {
		return ratelimit.NewRedis(redisClient(tb), tokens, interval, ratelimit.Options{Prefix: testPrefix(), Now: now})
	}},
}

// eachKind runs f as a parallel subtest per limiter kind.
func eachKind(t *testing.T, f func(t *testing.T, newL newLimiter)) {
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			f(t, k.new)
		})
	}
}

// openMySQL creates a fresh database on the server HANKO_TEST_MYSQL_DSN
// names, migrates it, and drops it when tb ends; it skips without the
// variable.
func openMySQL(tb testing.TB) *store.DB {
	tb.Helper()
	dsn := os.Getenv("HANKO_TEST_MYSQL_DSN")
	if dsn == "" {
		tb.Skip("HANKO_TEST_MYSQL_DSN is not set")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("HANKO_TEST_MYSQL_DSN: %v", err)
	}
	admin, err := store.Open(tb.Context(), store.Options{Dialect: "mysql", DSN: dsn, MaxOpenConns: 1})
	if err != nil {
		tb.Fatal(err)
	}
	name := "hanko_test_" + strings.ToLower(rand.Text())
	if _, err := admin.Bun().ExecContext(tb.Context(), "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		admin.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Bun().ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
		admin.Close()
	})
	c := cfg.Clone()
	c.DBName = name
	return storetest.OpenMigrated(tb, store.Options{Dialect: "mysql", DSN: c.FormatDSN()})
}

// redisClient connects to HANKO_TEST_REDIS_ADDR, or skips tb.
func redisClient(tb testing.TB) *redis.Client {
	tb.Helper()
	addr := os.Getenv("HANKO_TEST_REDIS_ADDR")
	if addr == "" {
		tb.Skip("HANKO_TEST_REDIS_ADDR is not set")
	}
	o, err := ratelimit.ParseRedisAddress(addr, os.Getenv("HANKO_TEST_REDIS_PASSWORD"))
	if err != nil {
		tb.Fatal(err)
	}
	c := redis.NewClient(o)
	tb.Cleanup(func() { c.Close() })
	return c
}

// testPrefix is a Redis key prefix of its own, so that test runs sharing a
// server never share a bucket.
func testPrefix() string { return "hanko-test:" + rand.Text() + ":" }

func TestSharedFourthCallRefused(t *testing.T) {
	t.Parallel()
	eachKind(t, func(t *testing.T, newL newLimiter) {
		c := newClock()
		l := newL(t, 3, time.Minute, c.Now)
		for i, want := range []int{2, 1, 0} {
			r := allow(t, l, "k")
			if !r.Allowed || r.Remaining != want || r.Limit != 3 || r.Reset != 20*time.Second || r.RetryAfter != 0 {
				t.Fatalf("call %d: %+v", i+1, r)
			}
		}
		r := allow(t, l, "k")
		if r.Allowed || r.Remaining != 0 || r.RetryAfter != 20*time.Second || r.Reset != 20*time.Second {
			t.Fatalf("4th call: %+v", r)
		}
		c.Add(5 * time.Second)
		if r := allow(t, l, "k"); r.Allowed || r.RetryAfter != 15*time.Second {
			t.Fatalf("after 5s: %+v", r)
		}
		if r := allow(t, l, "other"); !r.Allowed || r.Remaining != 2 {
			t.Fatalf("another key: %+v", r)
		}
	})
}

func TestSharedRefill(t *testing.T) {
	t.Parallel()
	eachKind(t, func(t *testing.T, newL newLimiter) {
		c := newClock()
		l := newL(t, 3, time.Minute, c.Now)
		for range 3 {
			allow(t, l, "k")
		}
		c.Add(20 * time.Second)
		if r := allow(t, l, "k"); !r.Allowed || r.Remaining != 0 {
			t.Fatalf("after one refill: %+v", r)
		}
		if r := allow(t, l, "k"); r.Allowed {
			t.Fatalf("second call after one refill: %+v", r)
		}
		c.Add(time.Minute)
		for i := range 3 {
			if r := allow(t, l, "k"); !r.Allowed || r.Remaining != 2-i {
				t.Fatalf("after full refill, call %d: %+v", i+1, r)
			}
		}
		if r := allow(t, l, "k"); r.Allowed {
			t.Fatal("refill exceeded capacity")
		}
		c.Add(time.Hour)
		allow(t, l, "k")
		allow(t, l, "k")
		c.Add(30 * time.Second) // one token back at 20s, the next at 40s
		if r := allow(t, l, "k"); !r.Allowed || r.Remaining != 1 || r.Reset != 10*time.Second {
			t.Fatalf("partial refill: %+v", r)
		}
	})
}

// 100 concurrent callers on one key never get more than the limit, on any
// store; the clock stands still, so exactly the limit is admitted.
func TestSharedConcurrentExact(t *testing.T) {
	t.Parallel()
	eachKind(t, func(t *testing.T, newL newLimiter) {
		l := newL(t, 7, time.Minute, newClock().Now)
		var ok atomic.Int32
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				r, err := l.Allow(t.Context(), "shared")
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
	})
}

// Two limiters on one database (two instances of a service) share buckets;
// a prefix separates limiters.
func TestDatabaseShared(t *testing.T) {
	t.Parallel()
	db := storetest.OpenSQLite(t)
	c := newClock()
	a := ratelimit.NewDatabase(db, 2, time.Minute, ratelimit.Options{Prefix: "passcode:", Now: c.Now})
	b := ratelimit.NewDatabase(db, 2, time.Minute, ratelimit.Options{Prefix: "passcode:", Now: c.Now})
	other := ratelimit.NewDatabase(db, 2, time.Minute, ratelimit.Options{Prefix: "password:", Now: c.Now})
	if !allow(t, a, "k").Allowed || !allow(t, b, "k").Allowed {
		t.Fatal("first two calls refused")
	}
	if allow(t, a, "k").Allowed || allow(t, b, "k").Allowed {
		t.Fatal("third call allowed: instances do not share the bucket")
	}
	if !allow(t, other, "k").Allowed {
		t.Fatal("another prefix shares the bucket")
	}
}

// Keys longer than the key column are hashed, not truncated: two long keys
// with a common start keep their own buckets.
func TestDatabaseLongKeys(t *testing.T) {
	t.Parallel()
	l := ratelimit.NewDatabase(storetest.OpenSQLite(t), 1, time.Minute, ratelimit.Options{Prefix: "p:", Now: newClock().Now})
	long := strings.Repeat("a", 1000)
	for _, k := range []string{long + "1", long + "2", long[:253], long[:254]} {
		if !allow(t, l, k).Allowed {
			t.Fatalf("key of %d bytes: first call refused", len(k))
		}
		if allow(t, l, k).Allowed {
			t.Fatalf("key of %d bytes: second call allowed", len(k))
		}
	}
}

// A store that fails makes Allow fail closed with ErrUnavailable.
func TestDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	db, err := store.Open(t.Context(), store.Options{Dialect: "sqlite", DSN: t.TempDir() + "/x.db"})
	if err != nil {
		t.Fatal(err)
	}
	db.Close() // never migrated, and closed
	_, err = ratelimit.NewDatabase(db, 1, time.Minute, ratelimit.Options{}).Allow(t.Context(), "k")
	if !errors.Is(err, ratelimit.ErrUnavailable) || !errors.Is(err, autherr.Unavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestRedisUnavailable(t *testing.T) {
	t.Parallel()
	o, err := ratelimit.ParseRedisAddress("127.0.0.1:1", "")
	if err != nil {
		t.Fatal(err)
	}
	o.MaxRetries = -1
	c := redis.NewClient(o)
	defer c.Close()
	start := time.Now()
	_, err = ratelimit.NewRedis(c, 1, time.Minute, ratelimit.Options{}).Allow(t.Context(), "k")
	if !errors.Is(err, ratelimit.ErrUnavailable) || !errors.Is(err, autherr.Unavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("failing took %s", d)
	}
}

// Without an injected clock the Redis limiter uses the server's TIME; a
// short real interval shows tokens coming back.
func TestRedisServerClock(t *testing.T) {
	t.Parallel()
	l := ratelimit.NewRedis(redisClient(t), 2, 2*time.Second, ratelimit.Options{Prefix: testPrefix()})
	for i := range 2 {
		if r := allow(t, l, "k"); !r.Allowed {
			t.Fatalf("call %d refused: %+v", i+1, r)
		}
	}
	r := allow(t, l, "k")
	if r.Allowed || r.RetryAfter <= 0 || r.RetryAfter > time.Second {
		t.Fatalf("3rd call: %+v", r)
	}
	time.Sleep(r.RetryAfter + 20*time.Millisecond)
	if r := allow(t, l, "k"); !r.Allowed {
		t.Fatalf("after Retry-After: %+v", r)
	}
}

// Keys carry the prefix and expire once their bucket is full again; the
// script survives a SCRIPT FLUSH (EVALSHA falls back to EVAL).
func TestRedisKeys(t *testing.T) {
	t.Parallel()
	c := redisClient(t)
	prefix := testPrefix()
	l := ratelimit.NewRedis(c, 3, time.Minute, ratelimit.Options{Prefix: prefix})
	allow(t, l, "k")
	if ttl := c.PTTL(t.Context(), prefix+"k").Val(); ttl <= 0 || ttl > 20*time.Second {
		t.Fatalf("PTTL after one token = %s, want (0, 20s]", ttl)
	}
	allow(t, l, "k")
	allow(t, l, "k")
	if ttl := c.PTTL(t.Context(), prefix+"k").Val(); ttl <= 40*time.Second || ttl > time.Minute {
		t.Fatalf("PTTL after three tokens = %s, want (40s, 1m]", ttl)
	}
	if err := c.ScriptFlush(t.Context()).Err(); err != nil {
		t.Fatal(err)
	}
	if r := allow(t, l, "k"); r.Allowed {
		t.Fatalf("4th call after SCRIPT FLUSH: %+v", r)
	}
	if r := allow(t, l, "fresh"); !r.Allowed {
		t.Fatalf("new key after SCRIPT FLUSH: %+v", r)
	}
}

func TestParseRedisAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, addr string
		db       int
	}{
		{"localhost", "localhost:6379", 0},
		{"redis:6380", "redis:6380", 0},
		{"10.0.0.1:6379/2", "10.0.0.1:6379", 2},
		{"cache.internal/15", "cache.internal:6379", 15},
		{"[::1]:7000/1", "[::1]:7000", 1},
		{"[::1]", "[::1]:6379", 0},
		{"::1", "[::1]:6379", 0},
		{"redis://:pw@example.com:6390/3", "example.com:6390", 3},
	} {
		o, err := ratelimit.ParseRedisAddress(tc.in, "")
		if err != nil || o.Addr != tc.addr || o.DB != tc.db {
			t.Errorf("%q: %+v %v, want %s db %d", tc.in, o, err, tc.addr, tc.db)
		}
	}
	o, err := ratelimit.ParseRedisAddress("redis://:inurl@h/1", "configured")
	if err != nil || o.Password != "configured" {
		t.Errorf("password not overridden: %v", err)
	}
	for _, in := range []string{"", "/1", "host:", "host:0", "host:65536", "host:x", "host/x", "host/-1", "host/01", ":6379", "redis://h/x", "[::1"} {
		if o, err := ratelimit.ParseRedisAddress(in, ""); err == nil {
			t.Errorf("%q accepted: %+v", in, o)
		}
	}
}

// TestParseRedisAddressHidesCredentials: configuration errors end up in
// logs, so they never repeat the address's user name or password, whether
// the URL does not parse at all or go-redis refuses it afterwards.
func TestParseRedisAddressHidesCredentials(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"redis://:s3cret@cache.internal:notaport/0", // url.Parse fails; its error quotes the URL
		"redis://admin:s3cret@cache.internal/x",     // go-redis: bad database number
		"redis://admin:s3cret@cache.internal/1/2",   // go-redis: bad path
		"redis://:s3/cret@cache.internal:6379",      // unescaped "/": the password lands in the port
		"redis://:s3%zzcret@cache.internal",         // bad escape inside the password
		"rediz://admin:s3cret@cache.internal",       // bad scheme
		"admin:s3cret@cache.internal",               // credentials without a scheme
		"s3cret@cache.internal:6379/1",
	} {
		_, err := ratelimit.ParseRedisAddress(in, "")
		if err == nil {
			t.Errorf("%q accepted", in)
			continue
		}
		for _, secret := range []string{"s3", "cret", "admin"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%q: error %q repeats %q", in, err, secret)
			}
		}
	}
}

func FuzzParseRedisAddress(f *testing.F) {
	for _, s := range []string{"localhost", "h:1/2", "[::1]:7000/1", "::1", "redis://h:1/2", "host/x", "[", "a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		o, err := ratelimit.ParseRedisAddress(in, "")
		if err != nil {
			if o != nil {
				t.Fatal("options returned with an error")
			}
			return
		}
		if o.Addr == "" || o.DB < 0 {
			t.Fatalf("%q: %+v", in, o)
		}
	})
}

// BenchmarkSharedAllow measures Allow on a hot key for each shared store
// (the database ones and Redis only when their variables are set).
func BenchmarkSharedAllow(b *testing.B) {
	for _, k := range kinds {
		for _, c := range []struct {
			name   string
			tokens int
		}{{"allowed", 1 << 30}, {"refused", 5}} {
			b.Run(k.name+"/"+c.name, func(b *testing.B) {
				l := k.new(b, c.tokens, time.Hour, nil)
				ctx := b.Context()
				b.ReportAllocs()
				for b.Loop() {
					if _, err := l.Allow(ctx, "passcode/0b41f4c1-0f8c-4b3a-9d3b-0a6c8f0e8a11/203.0.113.7"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
