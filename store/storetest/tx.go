package storetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

var errAbort = errors.New("storetest: abort the transaction")

// mustBeGone fails unless neither the user nor the email exists.
func mustBeGone(tb testing.TB, s Store, u store.User, e store.Email) {
	tb.Helper()
	_, err := s.GetUser(tb.Context(), u.ID)
	wantKind(tb, err, autherr.NotFound, "GetUser after rollback")
	_, err = s.GetEmail(tb.Context(), e.ID)
	wantKind(tb, err, autherr.NotFound, "GetEmail after rollback")
	_, err = s.GetEmailByAddress(tb.Context(), e.Address)
	wantKind(tb, err, autherr.NotFound, "GetEmailByAddress after rollback")
}

func testTxRollbackLeavesNothing(t *testing.T, s Store) {
	u := newUser(at(0))
	e := newEmail(&u.ID, "rollback@example.com", at(0))
	err := s.InTx(t.Context(), func(ctx context.Context) error {
		if err := s.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := s.CreateEmail(ctx, e); err != nil {
			return err
		}
		// The transaction sees its own writes.
		if _, err := s.GetEmail(ctx, e.ID); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	mustBeGone(t, s, u, e)
	// And a committed transaction keeps both.
	mustOK(t, s.InTx(t.Context(), func(ctx context.Context) error {
		if err := s.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.CreateEmail(ctx, e)
	}), "InTx commit")
	if got := mustGetUser(t, s, u.ID); len(got.Emails) != 1 {
		t.Fatalf("committed user has %d emails, want 1", len(got.Emails))
	}
}

// testNestedTxJoinsOuter: an inner InTx sees the outer one's writes and
// rolls back with it, whichever of them fails.
func testNestedTxJoinsOuter(t *testing.T, s Store) {
	for _, tc := range []struct {
		name     string
		innerErr error
		outerErr error
	}{
		{"outer fails after inner succeeded", nil, errAbort},
		{"inner fails", errAbort, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := newUser(at(0))
			e := newEmail(&u.ID, "nested-"+u.ID.String()+"@example.com", at(0))
			err := s.InTx(t.Context(), func(ctx context.Context) error {
				if err := s.CreateUser(ctx, u); err != nil {
					return err
				}
				if err := s.InTx(ctx, func(ctx context.Context) error {
					if _, err := s.GetUser(ctx, u.ID); err != nil {
						return err // not joined: the outer write is invisible
					}
					if err := s.CreateEmail(ctx, e); err != nil {
						return err
					}
					return tc.innerErr
				}); err != nil {
					return err
				}
				if _, err := s.GetEmail(ctx, e.ID); err != nil {
					return err
				}
				return tc.outerErr
			})
			if !errors.Is(err, errAbort) {
				t.Fatalf("InTx = %v, want %v", err, errAbort)
			}
			mustBeGone(t, s, u, e)
		})
	}
}

// testConflictInTxRollsBack: a unique violation mid-transaction is
// Conflict and undoes the writes before it.
func testConflictInTxRollsBack(t *testing.T, s Store) {
	mustCreateEmail(t, s, newEmail(nil, "taken@example.com", at(0)))
	u := newUser(at(1))
	e := newEmail(&u.ID, "fresh@example.com", at(1))
	err := s.InTx(t.Context(), func(ctx context.Context) error {
		if err := s.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := s.CreateEmail(ctx, e); err != nil {
			return err
		}
		return s.CreateEmail(ctx, newEmail(&u.ID, "taken@example.com", at(1)))
	})
	wantKind(t, err, autherr.Conflict, "InTx with a taken address")
	mustBeGone(t, s, u, e)
}

// testTimesRoundTrip: times come back as the same instant to the
// microsecond, whatever their zone, and sort chronologically.
func testTimesRoundTrip(t *testing.T, s Store) {
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		at   time.Time
	}{
		{"utc", time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)},
		{"one microsecond", time.Date(2025, 1, 2, 3, 4, 5, 1000, time.UTC)},
		{"whole second", time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"unix epoch", time.Unix(0, 0).UTC()},
		{"far past", time.Date(1850, 3, 4, 5, 6, 7, 890123000, time.UTC)},
		{"far future", time.Date(2999, 12, 31, 23, 59, 59, 999999000, time.UTC)},
		{"east of utc", time.Date(2025, 6, 7, 1, 30, 0, 654321000, time.FixedZone("IST", 5*3600+30*60))},
		{"west of utc, other day", time.Date(2025, 12, 31, 20, 0, 0, 500000000, time.FixedZone("PST", -8*3600))},
		{"local", time.Date(2025, 3, 30, 2, 30, 0, 250000000, time.Local)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.at.Truncate(time.Microsecond)
			u := store.User{ID: uuid.New(), CreatedAt: want, UpdatedAt: want.Add(time.Microsecond)}
			mustCreateUser(t, s, u)
			e := newEmail(&u.ID, u.ID.String()+"@example.com", want)
			mustCreateEmail(t, s, e)
			got := mustGetUser(t, s, u.ID)
			if !got.CreatedAt.Equal(u.CreatedAt) || !got.UpdatedAt.Equal(u.UpdatedAt) {
				t.Fatalf("user times = %v, %v; want %v, %v", got.CreatedAt, got.UpdatedAt, u.CreatedAt, u.UpdatedAt)
			}
			if len(got.Emails) != 1 {
				t.Fatalf("%d emails, want 1", len(got.Emails))
			}
			checkEmail(t, got.Emails[0], e)
		})
	}

	listed, _, err := s.ListUsers(ctx, store.UserQuery{})
	mustOK(t, err, "ListUsers")
	if !slices.IsSortedFunc(listed, func(a, b store.User) int { return a.CreatedAt.Compare(b.CreatedAt) }) {
		var got []string
		for _, u := range listed {
			got = append(got, u.CreatedAt.UTC().Format(time.RFC3339Nano))
		}
		t.Fatalf("ListUsers ascending is not in creation order: %v", got)
	}
}

// testConcurrentSameAddress: of 20 concurrent inserts of one address,
// exactly one wins and every other one is Conflict.
func testConcurrentSameAddress(t *testing.T, s Store) {
	const n = 20
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.CreateEmail(t.Context(), newEmail(nil, "race@example.com", at(i)))
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, autherr.Conflict):
			t.Errorf("insert %d: %v, want nil or Conflict", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d inserts succeeded, want exactly 1", won)
	}
}

// checkAllApplied fails unless every known migration is applied.
func checkAllApplied(tb testing.TB, s Store) []int {
	tb.Helper()
	applied, pending, err := s.MigrationStatus(tb.Context())
	mustOK(tb, err, "MigrationStatus")
	if len(applied) == 0 || len(pending) != 0 {
		tb.Fatalf("MigrationStatus = applied %v, pending %v; want all applied", applied, pending)
	}
	return applied
}

func testMigrateTwiceIsNoop(t *testing.T, s Store) {
	ctx := t.Context()
	before := checkAllApplied(t, s)
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	mustOK(t, s.Migrate(ctx), "Migrate again")
	mustOK(t, s.Migrate(ctx), "Migrate a third time")
	if after := checkAllApplied(t, s); !slices.Equal(after, before) {
		t.Fatalf("applied migrations changed: %v -> %v", before, after)
	}
	mustGetUser(t, s, u.ID)
	mustOK(t, s.Ping(ctx), "Ping")
}

// testMigrateDownAndUp: reverting everything drops the tables, and
// migrating again brings them back empty.
func testMigrateDownAndUp(t *testing.T, s Store) {
	ctx := t.Context()
	all := checkAllApplied(t, s)
	u := newUser(at(0))
	mustCreateUser(t, s, u)

	mustOK(t, s.MigrateDown(ctx, 1), "MigrateDown(1)")
	applied, pending, err := s.MigrationStatus(ctx)
	mustOK(t, err, "MigrationStatus")
	if !slices.Equal(applied, all[:len(all)-1]) || !slices.Equal(pending, all[len(all)-1:]) {
		t.Fatalf("after MigrateDown(1): applied %v, pending %v; want %v, %v", applied, pending, all[:len(all)-1], all[len(all)-1:])
	}
	mustOK(t, s.Migrate(ctx), "Migrate after MigrateDown(1)")

	mustOK(t, s.MigrateDown(ctx, 0), "MigrateDown(0)")
	applied, pending, err = s.MigrationStatus(ctx)
	mustOK(t, err, "MigrationStatus")
	if len(applied) != 0 || !slices.Equal(pending, all) {
		t.Fatalf("after MigrateDown(0): applied %v, pending %v; want none, %v", applied, pending, all)
	}
	if err := s.CreateUser(ctx, newUser(at(1))); err == nil {
		t.Fatalf("CreateUser succeeded with the schema reverted")
	}
	mustOK(t, s.MigrateDown(ctx, 0), "MigrateDown(0) with nothing applied")

	mustOK(t, s.Migrate(ctx), "Migrate after MigrateDown(0)")
	checkAllApplied(t, s)
	_, err = s.GetUser(ctx, u.ID)
	wantKind(t, err, autherr.NotFound, "GetUser after down and up")
	mustCreateUser(t, s, u)
}

func testFreshStatus(t *testing.T, a, _ Store) {
	applied, pending, err := a.MigrationStatus(t.Context())
	mustOK(t, err, "MigrationStatus")
	if len(applied) != 0 || len(pending) == 0 {
		t.Fatalf("fresh database: applied %v, pending %v; want none applied", applied, pending)
	}
}

// testConcurrentMigrate: two instances migrating one fresh database at once
// both succeed, and each sees the other's schema.
func testConcurrentMigrate(t *testing.T, a, b Store) {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	start := make(chan struct{})
	for i, s := range []Store{a, b} {
		wg.Go(func() {
			<-start
			errs[i] = s.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	mustOK(t, errors.Join(errs...), "concurrent Migrate")
	if sa, sb := checkAllApplied(t, a), checkAllApplied(t, b); !slices.Equal(sa, sb) {
		t.Fatalf("instances disagree: %v and %v", sa, sb)
	}
	u := newUser(at(0))
	mustCreateUser(t, a, u)
	mustGetUser(t, b, u.ID)
}

// testAfterCommit: AfterCommit runs after a commit, never after a rollback,
// and at once outside a transaction.
func testAfterCommit(t *testing.T, s Store) {
	ctx := t.Context()
	ran := 0
	store.AfterCommit(ctx, func() { ran++ })
	if ran != 1 {
		t.Fatalf("outside a transaction: ran %d times, want 1", ran)
	}
	err := s.InTx(ctx, func(ctx context.Context) error {
		store.AfterCommit(ctx, func() { ran++ })
		return s.InTx(ctx, func(ctx context.Context) error { // nested: joins the outer
			store.AfterCommit(ctx, func() { ran++ })
			if ran != 1 {
				t.Errorf("ran before commit")
			}
			return nil
		})
	})
	mustOK(t, err, "InTx")
	if ran != 3 {
		t.Fatalf("after commit: ran %d, want 3", ran)
	}
	boom := errors.New("boom")
	err = s.InTx(ctx, func(ctx context.Context) error {
		store.AfterCommit(ctx, func() { ran++ })
		return boom
	})
	wantKind(t, err, boom, "rolled back InTx")
	if ran != 3 {
		t.Fatalf("after rollback: ran %d, want 3", ran)
	}
}
