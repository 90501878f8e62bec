package users_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

// These tests cover the Go API of the users service. The HTTP tests in
// httpapi already check the status codes and messages of the same calls;
// here we check what only Go callers see: both the sentinel and the autherr
// kind of each error, what a failed call leaves in the database, and state
// that the HTTP answers do not show.

// clock is a fake clock that moves only when told to.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock {
	return &clock{now: time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// stored is how the store keeps a time: UTC, microseconds.
func stored(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// wantErr fails unless err matches both the feature's sentinel and its kind.
func wantErr(tb testing.TB, err, sentinel error, kind autherr.Kind) {
	tb.Helper()
	if !errors.Is(err, sentinel) || !errors.Is(err, kind) {
		tb.Fatalf("error %v: want %v (kind %v)", err, sentinel, kind)
	}
}

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// countUsers and countEmails count rows directly, so that a check of "nothing
// written" does not depend on the service under test.
func countUsers(tb testing.TB, db *store.DB) int {
	tb.Helper()
	n, err := db.Bun().NewSelect().Model((*store.User)(nil)).Count(context.WithoutCancel(tb.Context()))
	mustOK(tb, err)
	return int(n)
}

func countEmails(tb testing.TB, db *store.DB) int {
	tb.Helper()
	n, err := db.Bun().NewSelect().Model((*store.Email)(nil)).Count(context.WithoutCancel(tb.Context()))
	mustOK(tb, err)
	return int(n)
}

func primaryAddress(u users.User) string {
	if p := u.PrimaryEmail(); p != nil {
		return p.Address
	}
	return ""
}

// emailID returns the ID of u's address a. Addresses created together share
// a timestamp, so their order in User.Emails is by ID, not by creation.
func emailID(tb testing.TB, u users.User, a string) uuid.UUID {
	tb.Helper()
	for _, e := range u.Emails {
		if e.Address == a {
			return e.ID
		}
	}
	tb.Fatalf("user %s has no address %s", u.ID, a)
	return uuid.Nil
}

func mustCreate(tb testing.TB, svc *users.Service, addresses ...string) users.User {
	tb.Helper()
	nu := users.NewUser{}
	for i, a := range addresses {
		nu.Emails = append(nu.Emails, users.NewEmail{Address: a, Primary: i == 0, Verified: true})
	}
	u, err := svc.Create(tb.Context(), nu)
	mustOK(tb, err)
	return u
}

func TestNewRequiresStore(t *testing.T) {
	t.Parallel()
	if _, err := users.New(users.Config{}); err == nil {
		t.Fatal("New without a Store must fail")
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	clk := newClock()
	svc := newService(t, db, func(c *users.Config) { c.Now = clk.Now })

	id := uuid.New()
	created := time.Date(2020, 1, 2, 3, 4, 5, 678901234, time.FixedZone("CEST", 2*3600))
	emails := []users.NewEmail{
		{Address: " Ada@Example.com ", Verified: true},
		{Address: "ada2@example.com", Primary: true},
	}
	u, err := svc.Create(t.Context(), users.NewUser{ID: id, CreatedAt: created, Emails: emails, Username: "ada_l"})
	mustOK(t, err)
	if u.ID != id || !u.CreatedAt.Equal(stored(created)) || !u.UpdatedAt.Equal(stored(clk.Now())) {
		t.Errorf("id %s created %v updated %v; want %s %v %v", u.ID, u.CreatedAt, u.UpdatedAt, id, stored(created), stored(clk.Now()))
	}
	if len(u.Emails) != 2 || primaryAddress(u) != "ada2@example.com" || u.Username == nil || u.Username.Username != "ada_l" {
		t.Fatalf("user %+v", u)
	}
	for _, e := range u.Emails {
		if e.UserID == nil || *e.UserID != id || !e.CreatedAt.Equal(stored(clk.Now())) {
			t.Errorf("email %+v: want it owned by %s and stamped now", e, id)
		}
		if e.Address == "ada@example.com" && !e.Verified {
			t.Error("verified flag lost")
		}
	}
	if emails[0].Address != " Ada@Example.com " {
		t.Errorf("Create rewrote the caller's slice: %q", emails[0].Address)
	}
	got, err := svc.Get(t.Context(), id)
	mustOK(t, err)
	if got.ID != u.ID || len(got.Emails) != 2 || primaryAddress(got) != "ada2@example.com" {
		t.Fatalf("Get after Create: %+v", got)
	}
}

func TestCreateRefused(t *testing.T) {
	t.Parallel()
	primary := func(a string) []users.NewEmail { return []users.NewEmail{{Address: a, Primary: true}} }
	tests := []struct {
		name     string
		nu       users.NewUser
		sentinel error
		kind     autherr.Kind
	}{
		{"nothing", users.NewUser{}, users.ErrNoIdentifier, autherr.Invalid},
		{"no primary", users.NewUser{Emails: []users.NewEmail{{Address: "a@example.com"}}}, users.ErrPrimaryCount, autherr.Invalid},
		{"two primaries", users.NewUser{Emails: append(primary("a@example.com"), primary("b@example.com")...)}, users.ErrPrimaryCount, autherr.Invalid},
		{"same address twice", users.NewUser{Emails: append(primary("a@example.com"), users.NewEmail{Address: "A@EXAMPLE.com"})}, users.ErrDuplicateEmails, autherr.Invalid},
		{"invalid address", users.NewUser{Emails: primary("a@b")}, users.ErrInvalidEmail, autherr.Invalid},
		{"address too long", users.NewUser{Emails: primary(strings.Repeat("a", 64) + "@" + strings.Repeat("b", 60) + ".com")}, users.ErrEmailTooLong, autherr.Invalid},
		{"invalid username", users.NewUser{Username: "ada lovelace"}, users.ErrInvalidUsername, autherr.Invalid},
		{"username too short", users.NewUser{Username: "ab"}, users.ErrUsernameLength, autherr.Invalid},
		{"username too long", users.NewUser{Username: strings.Repeat("a", 33)}, users.ErrUsernameLength, autherr.Invalid},
		{"taken ID", users.NewUser{ID: uuid.MustParse("6d9f4c9e-2f4b-4c55-9a39-1f0c2b8e1a01"), Emails: primary("new@example.com")}, users.ErrUserExists, autherr.Conflict},
		{"first address taken", users.NewUser{Emails: primary("TAKEN@example.com")}, users.ErrEmailTaken, autherr.Conflict},
		// The user row and the first address are written before the
		// second address fails: the transaction must take them back.
		{"second address taken", users.NewUser{Emails: append(primary("fresh@example.com"), users.NewEmail{Address: "taken@example.com"})}, users.ErrEmailTaken, autherr.Conflict},
		{"address pending verification is taken too", users.NewUser{Emails: primary("pending@example.com")}, users.ErrEmailTaken, autherr.Conflict},
		// Emails and primary are written before the username fails.
		{"username taken", users.NewUser{Emails: primary("fresh@example.com"), Username: "taken_name"}, users.ErrUsernameTaken, autherr.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newSQLite(t)
			svc := newService(t, db, func(c *users.Config) { c.EmailMaxLength = 100 })
			_, err := svc.Create(t.Context(), users.NewUser{
				ID:       uuid.MustParse("6d9f4c9e-2f4b-4c55-9a39-1f0c2b8e1a01"),
				Emails:   primary("taken@example.com"),
				Username: "taken_name",
			})
			mustOK(t, err)
			_, err = svc.SignUp(t.Context(), "pending@example.com") // unassigned address
			mustOK(t, err)
			wantUsers, wantEmails := countUsers(t, db), countEmails(t, db)

			_, err = svc.Create(t.Context(), tt.nu)
			wantErr(t, err, tt.sentinel, tt.kind)
			if u, e := countUsers(t, db), countEmails(t, db); u != wantUsers || e != wantEmails {
				t.Fatalf("a refused Create left %d users and %d emails, want %d and %d", u, e, wantUsers, wantEmails)
			}
			if tt.nu.ID != uuid.Nil && tt.kind != autherr.Conflict {
				if _, err := svc.Get(t.Context(), tt.nu.ID); !errors.Is(err, users.ErrUserNotFound) {
					t.Fatalf("Get of the refused user: %v", err)
				}
			}
		})
	}
}

func TestGetAndDeleteUnknown(t *testing.T) {
	t.Parallel()
	svc := newService(t, newSQLite(t), nil)
	_, err := svc.Get(t.Context(), uuid.New())
	wantErr(t, err, users.ErrUserNotFound, autherr.NotFound)
	wantErr(t, svc.Delete(t.Context(), uuid.New()), users.ErrUserNotFound, autherr.NotFound)
	_, err = svc.Emails(t.Context(), uuid.New())
	wantErr(t, err, users.ErrUserNotFound, autherr.NotFound)
	_, err = svc.Email(t.Context(), uuid.New(), uuid.New())
	wantErr(t, err, users.ErrUserNotFound, autherr.NotFound)
}

func TestList(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	clk := newClock()
	svc := newService(t, db, func(c *users.Config) { c.Now = clk.Now })
	var ids []uuid.UUID
	for i := range 25 {
		domain := "odd.example"
		if i%2 == 0 {
			domain = "even.example"
		}
		ids = append(ids, mustCreate(t, svc, "user"+string(rune('a'+i))+"@"+domain).ID)
		clk.Advance(time.Second)
	}
	tests := []struct {
		name      string
		q         users.Query
		wantIDs   []uuid.UUID // the page, in order
		wantTotal int
	}{
		{"zero query: page 1 of 20, newest first", users.Query{}, reversed(ids)[:20], 25},
		{"page below 1 is page 1", users.Query{Page: -3, PerPage: 5}, reversed(ids)[:5], 25},
		{"ascending, page 3 of 10", users.Query{Page: 3, PerPage: 10, Ascending: true}, ids[20:], 25},
		{"past the end", users.Query{Page: 9, PerPage: 10}, nil, 25},
		{"email filter is trimmed and case-insensitive", users.Query{Email: "  EVEN.Example ", PerPage: 100, Ascending: true}, everyOther(ids), 13},
		{"email filter is a substring, wildcards literal", users.Query{Email: "%", PerPage: 100}, nil, 0},
		{"IDs", users.Query{IDs: []uuid.UUID{ids[3], ids[7], uuid.New()}, Ascending: true}, []uuid.UUID{ids[3], ids[7]}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, total, err := svc.List(t.Context(), tt.q)
			mustOK(t, err)
			if total != tt.wantTotal || len(got) != len(tt.wantIDs) {
				t.Fatalf("got %d users (total %d), want %d (total %d)", len(got), total, len(tt.wantIDs), tt.wantTotal)
			}
			for i, u := range got {
				if u.ID != tt.wantIDs[i] {
					t.Fatalf("user %d is %s, want %s", i, u.ID, tt.wantIDs[i])
				}
				if len(u.Emails) != 1 || !u.Emails[0].Primary {
					t.Fatalf("user %s listed without its primary email: %+v", u.ID, u.Emails)
				}
			}
		})
	}
}

func reversed(ids []uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = id
	}
	return out
}

func everyOther(ids []uuid.UUID) []uuid.UUID {
	var out []uuid.UUID
	for i := 0; i < len(ids); i += 2 {
		out = append(out, ids[i])
	}
	return out
}

func TestSignUp(t *testing.T) {
	t.Parallel()
	t.Run("with verification the address waits unassigned", func(t *testing.T) {
		t.Parallel()
		db := newSQLite(t)
		svc := newService(t, db, nil)
		res, err := svc.SignUp(t.Context(), " Ada@Example.com ")
		mustOK(t, err)
		if res.Assigned {
			t.Error("Assigned with RequireVerification")
		}
		e, err := db.GetEmail(t.Context(), res.EmailID)
		mustOK(t, err)
		if e.UserID != nil || e.Address != "ada@example.com" || e.Verified {
			t.Fatalf("pending email %+v", e)
		}
		u, err := svc.Get(t.Context(), res.UserID)
		mustOK(t, err)
		if len(u.Emails) != 0 {
			t.Fatalf("the new user owns %+v before verification", u.Emails)
		}
	})
	t.Run("without verification an unassigned address is claimed", func(t *testing.T) {
		t.Parallel()
		db := newSQLite(t)
		pending, err := newService(t, db, nil).SignUp(t.Context(), "ada@example.com")
		mustOK(t, err)
		svc := newService(t, db, func(c *users.Config) { c.RequireVerification = false })
		res, err := svc.SignUp(t.Context(), "ADA@example.com")
		mustOK(t, err)
		if !res.Assigned || res.EmailID != pending.EmailID || res.UserID == pending.UserID {
			t.Fatalf("result %+v; want the pending email %s assigned to a new user", res, pending.EmailID)
		}
		u, err := svc.Get(t.Context(), res.UserID)
		mustOK(t, err)
		if len(u.Emails) != 1 || u.Emails[0].ID != pending.EmailID || !u.Emails[0].Primary || u.Emails[0].Verified {
			t.Fatalf("emails %+v; want the claimed address as the unverified primary", u.Emails)
		}
		if countEmails(t, db) != 1 {
			t.Fatal("claiming must not create a second row for the address")
		}
		// Now it belongs to someone.
		_, err = svc.SignUp(t.Context(), "ada@example.com")
		wantErr(t, err, users.ErrEmailTaken, autherr.Conflict)
		_, err = newService(t, db, nil).SignUp(t.Context(), "ada@example.com")
		wantErr(t, err, users.ErrEmailTaken, autherr.Conflict)
	})
	t.Run("refusals write nothing", func(t *testing.T) {
		t.Parallel()
		db := newSQLite(t)
		svc := newService(t, db, func(c *users.Config) { c.EmailMaxLength = 20 })
		closed := newService(t, db, func(c *users.Config) { c.AllowSignup = false })
		for _, tt := range []struct {
			svc      *users.Service
			address  string
			sentinel error
			kind     autherr.Kind
		}{
			{closed, "ada@example.com", users.ErrSignupDisabled, autherr.Forbidden},
			{svc, "not an address", users.ErrInvalidEmail, autherr.Invalid},
			{svc, "a-very-long-address@example.com", users.ErrEmailTooLong, autherr.Invalid},
		} {
			_, err := tt.svc.SignUp(t.Context(), tt.address)
			wantErr(t, err, tt.sentinel, tt.kind)
		}
		if countUsers(t, db) != 0 || countEmails(t, db) != 0 {
			t.Fatal("a refused sign-up wrote rows")
		}
	})
}

func TestLookup(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	svc := newService(t, db, nil)
	u, err := svc.Create(t.Context(), users.NewUser{Emails: []users.NewEmail{
		{Address: "ada@example.com", Primary: true, Verified: true},
		{Address: "ada2@example.com"},
	}})
	mustOK(t, err)
	_, err = svc.SignUp(t.Context(), "pending@example.com")
	mustOK(t, err)

	res, err := svc.Lookup(t.Context(), " ADA2@example.com")
	mustOK(t, err)
	if res.UserID != u.ID || res.EmailID != emailID(t, u, "ada2@example.com") || res.Verified || res.HasWebauthnCredential {
		t.Fatalf("lookup of a secondary address: %+v", res)
	}
	_, err = svc.Lookup(t.Context(), "pending@example.com")
	wantErr(t, err, users.ErrUserNotFound, autherr.NotFound)
	_, err = svc.Lookup(t.Context(), "nobody@example.com")
	wantErr(t, err, users.ErrUserNotFound, autherr.NotFound)
	// The HTTP layer turns this one into a 404; Go callers can tell.
	_, err = svc.Lookup(t.Context(), "no-at-sign")
	wantErr(t, err, users.ErrInvalidEmail, autherr.Invalid)
}

func TestAddEmail(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	clk := newClock()
	svc := newService(t, db, func(c *users.Config) { c.Now = clk.Now; c.EmailLimit = 3 })
	ctx := t.Context()

	named, err := svc.Create(ctx, users.NewUser{Username: "no_email"})
	mustOK(t, err)
	first, err := svc.AddEmail(ctx, named.ID, "First@Example.com", false)
	mustOK(t, err)
	if u, _ := svc.Get(ctx, named.ID); primaryAddress(u) != "first@example.com" {
		t.Fatalf("the first address of a user must become primary: %+v", u.Emails)
	}
	if first.Address != "first@example.com" || first.Verified || first.UserID == nil || *first.UserID != named.ID {
		t.Fatalf("added %+v", first)
	}

	pending, err := svc.SignUp(ctx, "pending@example.com")
	mustOK(t, err)
	clk.Advance(time.Minute)
	claimed, err := svc.AddEmail(ctx, named.ID, "pending@example.com", true)
	mustOK(t, err)
	if claimed.ID != pending.EmailID || !claimed.Verified || claimed.Primary || !claimed.UpdatedAt.Equal(stored(clk.Now())) {
		t.Fatalf("claimed %+v; want the pending row %s, verified, not primary, updated now", claimed, pending.EmailID)
	}

	other := mustCreate(t, svc, "other@example.com")
	for _, tt := range []struct {
		name     string
		user     uuid.UUID
		address  string
		sentinel error
		kind     autherr.Kind
	}{
		{"another user's address", named.ID, "OTHER@example.com", users.ErrEmailInUse, autherr.Invalid},
		{"own address again", named.ID, "first@example.com", users.ErrEmailInUse, autherr.Invalid},
		{"invalid", named.ID, "first@", users.ErrInvalidEmail, autherr.Invalid},
		{"unknown user", uuid.New(), "x@example.com", users.ErrUserNotFound, autherr.NotFound},
	} {
		_, err := svc.AddEmail(ctx, tt.user, tt.address, false)
		if !errors.Is(err, tt.sentinel) || !errors.Is(err, tt.kind) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.sentinel)
		}
	}
	_, err = svc.AddEmail(ctx, named.ID, "third@example.com", false)
	mustOK(t, err)
	_, err = svc.AddEmail(ctx, named.ID, "fourth@example.com", false)
	wantErr(t, err, users.ErrEmailLimit, autherr.Conflict)
	if _, err := db.GetEmailByAddress(ctx, "fourth@example.com"); !errors.Is(err, autherr.NotFound) {
		t.Fatalf("an address over the limit was stored: %v", err)
	}
	if es, _ := svc.Emails(ctx, other.ID); len(es) != 1 {
		t.Fatalf("the other user's emails changed: %+v", es)
	}
}

func TestDeleteEmail(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	svc := newService(t, db, nil)
	ctx := t.Context()
	u := mustCreate(t, svc, "a@example.com", "b@example.com")
	other := mustCreate(t, svc, "other@example.com")
	pending, err := svc.SignUp(ctx, "pending@example.com")
	mustOK(t, err)
	primary, second := emailID(t, u, "a@example.com"), emailID(t, u, "b@example.com")

	wantErr(t, svc.DeleteEmail(ctx, u.ID, primary), users.ErrPrimaryEmail, autherr.Conflict)
	wantErr(t, svc.DeleteEmail(ctx, u.ID, other.Emails[0].ID), users.ErrEmailNotFound, autherr.NotFound)
	wantErr(t, svc.DeleteEmail(ctx, u.ID, pending.EmailID), users.ErrEmailNotFound, autherr.NotFound)
	wantErr(t, svc.DeleteEmail(ctx, u.ID, uuid.New()), users.ErrEmailNotFound, autherr.NotFound)
	wantErr(t, svc.DeleteEmail(ctx, uuid.New(), second), users.ErrUserNotFound, autherr.NotFound)
	mustOK(t, svc.DeleteEmail(ctx, u.ID, second))
	wantErr(t, svc.DeleteEmail(ctx, u.ID, second), users.ErrEmailNotFound, autherr.NotFound)

	es, err := svc.Emails(ctx, u.ID)
	mustOK(t, err)
	if len(es) != 1 || es[0].ID != primary || !es[0].Primary {
		t.Fatalf("emails after the deletes: %+v", es)
	}
	if countEmails(t, db) != 3 {
		t.Fatalf("%d emails stored, want 3 (primary, other's, pending)", countEmails(t, db))
	}
}

func TestSetPrimaryEmail(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	clk := newClock()
	svc := newService(t, db, func(c *users.Config) { c.Now = clk.Now })
	ctx := t.Context()
	u := mustCreate(t, svc, "a@example.com", "b@example.com")
	other := mustCreate(t, svc, "other@example.com")
	first, second := emailID(t, u, "a@example.com"), emailID(t, u, "b@example.com")

	clk.Advance(time.Hour)
	mustOK(t, svc.SetPrimaryEmail(ctx, u.ID, second))
	got, err := svc.Get(ctx, u.ID)
	mustOK(t, err)
	if primaryAddress(got) != "b@example.com" || got.Emails[0].Primary == got.Emails[1].Primary {
		t.Fatalf("emails after SetPrimaryEmail: %+v", got.Emails)
	}
	if !got.UpdatedAt.Equal(stored(clk.Now())) {
		t.Errorf("updated_at %v, want %v", got.UpdatedAt, stored(clk.Now()))
	}
	mustOK(t, svc.SetPrimaryEmail(ctx, u.ID, second)) // already primary: no-op

	wantErr(t, svc.SetPrimaryEmail(ctx, u.ID, other.Emails[0].ID), users.ErrEmailNotFound, autherr.NotFound)
	wantErr(t, svc.SetPrimaryEmail(ctx, u.ID, uuid.New()), users.ErrEmailNotFound, autherr.NotFound)
	wantErr(t, svc.SetPrimaryEmail(ctx, uuid.New(), second), users.ErrUserNotFound, autherr.NotFound)
	if o, _ := svc.Get(ctx, other.ID); primaryAddress(o) != "other@example.com" {
		t.Fatalf("the other user's primary changed: %+v", o.Emails)
	}
	// The former primary can go now.
	mustOK(t, svc.DeleteEmail(ctx, u.ID, first))
	_, err = svc.Email(ctx, u.ID, first)
	wantErr(t, err, users.ErrEmailNotFound, autherr.NotFound)
}

func TestDeleteUserFreesAddresses(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	svc := newService(t, db, nil)
	u := mustCreate(t, svc, "a@example.com", "b@example.com")
	mustOK(t, svc.Delete(t.Context(), u.ID))
	if countEmails(t, db) != 0 {
		t.Fatal("deleting a user must delete its addresses")
	}
	mustCreate(t, svc, "b@example.com") // the address is free again
}
