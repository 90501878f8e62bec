package users_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

func TestAddOwnEmailPendingVerification(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	clk := newClock()
	svc := newService(t, db, func(c *users.Config) { c.Now = clk.Now }) // RequireVerification on
	ctx := t.Context()
	u := mustCreate(t, svc, "ada@example.com")

	e, err := svc.AddOwnEmail(ctx, u.ID, " New@Example.com ")
	mustOK(t, err)
	if e.UserID != nil || e.Verified || e.Primary || e.Address != "new@example.com" || !e.CreatedAt.Equal(stored(clk.Now())) {
		t.Fatalf("added %+v; want an unassigned, unverified row created now", e)
	}
	rec, err := db.GetEmail(ctx, e.ID)
	mustOK(t, err)
	if rec.UserID != nil {
		t.Fatalf("stored with user_id %v; want NULL until verified", rec.UserID)
	}
	if es, _ := svc.Emails(ctx, u.ID); len(es) != 1 {
		t.Fatalf("a pending address is listed as the user's: %+v", es)
	}

	// Asking again reuses the pending row, unchanged.
	clk.Advance(time.Minute)
	again, err := svc.AddOwnEmail(ctx, u.ID, "new@example.com")
	mustOK(t, err)
	if again.ID != e.ID || !again.UpdatedAt.Equal(e.UpdatedAt) {
		t.Fatalf("second add %+v; want the pending row %+v", again, e)
	}
	// So does an address left pending by someone's unfinished sign-up.
	signup, err := svc.SignUp(ctx, "pending@example.com")
	mustOK(t, err)
	claimed, err := svc.AddOwnEmail(ctx, u.ID, "pending@example.com")
	mustOK(t, err)
	if claimed.ID != signup.EmailID || claimed.UserID != nil {
		t.Fatalf("add of a pending sign-up address %+v; want row %s, unassigned", claimed, signup.EmailID)
	}

	// Verifying assigns it; the primary stays.
	assigned, err := svc.VerifyEmail(ctx, u.ID, e.ID)
	mustOK(t, err)
	got, err := svc.Email(ctx, u.ID, e.ID)
	mustOK(t, err)
	if !assigned || !got.Verified || got.Primary || primaryAddress(mustGet(t, svc, u.ID)) != "ada@example.com" {
		t.Fatalf("after verification %+v (assigned %v)", got, assigned)
	}
}

func TestAddOwnEmailWithoutVerification(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	clk := newClock()
	svc := newService(t, db, func(c *users.Config) { c.Now = clk.Now; c.RequireVerification = false })
	ctx := t.Context()

	named, err := svc.Create(ctx, users.NewUser{Username: "no_email"})
	mustOK(t, err)
	first, err := svc.AddOwnEmail(ctx, named.ID, "First@Example.com")
	mustOK(t, err)
	if first.UserID == nil || *first.UserID != named.ID || first.Verified || !first.Primary {
		t.Fatalf("first address %+v; want assigned, unverified, primary", first)
	}
	second, err := svc.AddOwnEmail(ctx, named.ID, "second@example.com")
	mustOK(t, err)
	if second.UserID == nil || second.Primary {
		t.Fatalf("second address %+v; want assigned, not primary", second)
	}
	if primaryAddress(mustGet(t, svc, named.ID)) != "first@example.com" {
		t.Fatal("the primary moved")
	}

	// A pending row (sign-up under verification, since switched off) is
	// claimed and updated.
	signup, err := newService(t, db, nil).SignUp(ctx, "pending@example.com")
	mustOK(t, err)
	clk.Advance(time.Minute)
	claimed, err := svc.AddOwnEmail(ctx, named.ID, "pending@example.com")
	mustOK(t, err)
	if claimed.ID != signup.EmailID || claimed.UserID == nil || *claimed.UserID != named.ID || !claimed.UpdatedAt.Equal(stored(clk.Now())) {
		t.Fatalf("claimed %+v; want row %s assigned now", claimed, signup.EmailID)
	}
}

func TestAddOwnEmailRefused(t *testing.T) {
	t.Parallel()
	for _, verify := range []bool{true, false} {
		t.Run(fmt.Sprintf("verification=%v", verify), func(t *testing.T) {
			t.Parallel()
			db := newSQLite(t)
			svc := newService(t, db, func(c *users.Config) { c.RequireVerification = verify; c.EmailLimit = 2; c.EmailMaxLength = 30 })
			ctx := t.Context()
			u := mustCreate(t, svc, "ada@example.com")
			full := mustCreate(t, svc, "full1@example.com", "full2@example.com")
			mustCreate(t, svc, "bob@example.com")
			for _, tt := range []struct {
				name     string
				user     uuid.UUID
				address  string
				sentinel error
				kind     autherr.Kind
			}{
				{"another user's address", u.ID, "BOB@example.com", users.ErrEmailInUse, autherr.Invalid},
				{"own address", u.ID, "ada@example.com", users.ErrEmailInUse, autherr.Invalid},
				{"invalid", u.ID, "ada@", users.ErrInvalidEmail, autherr.Invalid},
				{"empty", u.ID, "", users.ErrInvalidEmail, autherr.Invalid},
				{"too long", u.ID, strings.Repeat("a", 30) + "@example.com", users.ErrEmailTooLong, autherr.Invalid},
				{"at the limit", full.ID, "third@example.com", users.ErrEmailLimit, autherr.Conflict},
				{"unknown user", uuid.New(), "x@example.com", users.ErrUserNotFound, autherr.NotFound},
			} {
				before := countEmails(t, db)
				_, err := svc.AddOwnEmail(ctx, tt.user, tt.address)
				if !errors.Is(err, tt.sentinel) || !errors.Is(err, tt.kind) {
					t.Errorf("%s: error %v, want %v (kind %v)", tt.name, err, tt.sentinel, tt.kind)
				}
				if n := countEmails(t, db); n != before {
					t.Errorf("%s: %d emails stored, want %d", tt.name, n, before)
				}
			}
		})
	}
}

// TestAddOwnEmailLimitConcurrent races many adds for one user: the user row
// lock keeps the count at the limit.
func TestAddOwnEmailLimitConcurrent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		open func(testing.TB) *store.DB
	}{
		{"sqlite", newSQLite},
		{"postgres", newPostgres},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := tc.open(t)
			svc := newService(t, db, func(c *users.Config) { c.RequireVerification = false; c.EmailLimit = 5 })
			u := mustCreate(t, svc, "ada@example.com")
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := range 20 {
				wg.Go(func() {
					_, err := svc.AddOwnEmail(t.Context(), u.ID, fmt.Sprintf("a%d@example.com", i))
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			ok := 0
			for err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, users.ErrEmailLimit):
					t.Errorf("unexpected error %v", err)
				}
			}
			n, err := db.CountEmails(t.Context(), u.ID)
			mustOK(t, err)
			if ok != 4 || n != 5 {
				t.Fatalf("%d adds succeeded and the user has %d addresses; want 4 and 5", ok, n)
			}
		})
	}
}

func mustGet(tb testing.TB, svc *users.Service, id uuid.UUID) users.User {
	tb.Helper()
	u, err := svc.Get(tb.Context(), id)
	mustOK(tb, err)
	return u
}
