package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// testUserCreateGetDelete: a user comes back with its relations, and
// deleting it cascades to its emails, primary email and username.
func testUserCreateGetDelete(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	e1 := newEmail(&u.ID, "one@example.com", at(1))
	e2 := newEmail(&u.ID, "two@example.com", at(2))
	mustCreateEmail(t, s, e1)
	mustCreateEmail(t, s, e2)
	mustOK(t, s.SetPrimaryEmail(ctx, uuid.New(), u.ID, e1.ID, at(3)), "SetPrimaryEmail")
	mustOK(t, s.CreateUsername(ctx, newUsername(u.ID, "someone", at(4))), "CreateUsername")

	got := mustGetUser(t, s, u.ID)
	if got.ID != u.ID || !got.CreatedAt.Equal(u.CreatedAt) || !got.UpdatedAt.Equal(u.UpdatedAt) {
		t.Fatalf("GetUser = %v %v %v, want %v %v %v", got.ID, got.CreatedAt, got.UpdatedAt, u.ID, u.CreatedAt, u.UpdatedAt)
	}
	if len(got.Emails) != 2 {
		t.Fatalf("GetUser: %d emails, want 2", len(got.Emails))
	}
	checkEmail(t, got.Emails[0], e1)
	checkEmail(t, got.Emails[1], e2)
	if got.PrimaryEmailID() != e1.ID {
		t.Fatalf("primary email = %v, want %v", got.PrimaryEmailID(), e1.ID)
	}
	if got.Username == nil || got.Username.Username != "someone" {
		t.Fatalf("username = %+v, want someone", got.Username)
	}

	mustOK(t, s.DeleteUser(ctx, u.ID), "DeleteUser")
	_, err := s.GetUser(ctx, u.ID)
	wantKind(t, err, autherr.NotFound, "GetUser after delete")
	for _, e := range []store.Email{e1, e2} {
		_, err := s.GetEmail(ctx, e.ID)
		wantKind(t, err, autherr.NotFound, "GetEmail after user delete")
	}
	// The username is free again, and a user re-created with the same ID
	// finds no primary-email or username row left behind.
	other := newUser(at(5))
	mustCreateUser(t, s, other)
	mustOK(t, s.CreateUsername(ctx, newUsername(other.ID, "someone", at(5))), "CreateUsername after delete")
	mustCreateUser(t, s, u)
	again := mustGetUser(t, s, u.ID)
	if len(again.Emails) != 0 || again.PrimaryEmail != nil || again.Username != nil {
		t.Fatalf("re-created user has leftovers: %d emails, primary %+v, username %+v",
			len(again.Emails), again.PrimaryEmail, again.Username)
	}
}

func testDuplicateUserID(t *testing.T, s Store) {
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	dup := u
	dup.CreatedAt, dup.UpdatedAt = at(1), at(1)
	wantKind(t, s.CreateUser(t.Context(), dup), autherr.Conflict, "CreateUser with a taken ID")
	if got := mustGetUser(t, s, u.ID); !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("the failed insert changed the user: created %v, want %v", got.CreatedAt, u.CreatedAt)
	}
}

func testNotFound(t *testing.T, s Store) {
	ctx := t.Context()
	missing := uuid.New()
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"GetUser", func() error { _, err := s.GetUser(ctx, missing); return err }},
		{"DeleteUser", func() error { return s.DeleteUser(ctx, missing) }},
		{"GetEmail", func() error { _, err := s.GetEmail(ctx, missing); return err }},
		{"GetEmailByAddress", func() error { _, err := s.GetEmailByAddress(ctx, "nobody@example.com"); return err }},
		{"UpdateEmail", func() error {
			return s.UpdateEmail(ctx, store.Email{ID: missing, Address: "nobody@example.com", Verified: true, CreatedAt: at(0), UpdatedAt: at(0)})
		}},
		{"DeleteEmail", func() error { return s.DeleteEmail(ctx, missing) }},
		{"CreateEmailUnknownUser", func() error { return s.CreateEmail(ctx, newEmail(&missing, "orphan@example.com", at(0))) }},
		{"LockUser", func() error { return s.InTx(ctx, func(ctx context.Context) error { return s.LockUser(ctx, missing) }) }},
		{"TouchUser", func() error { return s.TouchUser(ctx, missing, at(0)) }},
		{"GetPrimaryEmail", func() error { _, err := s.GetPrimaryEmail(ctx, missing); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, tc.call(), autherr.NotFound, tc.name)
		})
	}
}

func testEmailAddressUnique(t *testing.T, s Store) {
	ctx := t.Context()
	u1, u2 := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, u1)
	mustCreateUser(t, s, u2)
	first := newEmail(&u1.ID, "taken@example.com", at(1))
	mustCreateEmail(t, s, first)
	for _, tc := range []struct {
		name string
		e    store.Email
	}{
		{"same user", newEmail(&u1.ID, "taken@example.com", at(2))},
		{"other user", newEmail(&u2.ID, "taken@example.com", at(2))},
		{"unassigned", newEmail(nil, "taken@example.com", at(2))},
		{"same id", store.Email{ID: first.ID, UserID: &u2.ID, Address: "fresh@example.com", CreatedAt: at(2), UpdatedAt: at(2)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, s.CreateEmail(ctx, tc.e), autherr.Conflict, "CreateEmail")
		})
	}
	got, err := s.GetEmailByAddress(ctx, "taken@example.com")
	mustOK(t, err, "GetEmailByAddress")
	checkEmail(t, got, first)
}

// testEmailAddressExact: addresses compare byte for byte (callers
// normalise), so a collation must not fold case.
func testEmailAddressExact(t *testing.T, s Store) {
	ctx := t.Context()
	lower := newEmail(nil, "mixed@example.com", at(0))
	upper := newEmail(nil, "MIXED@example.com", at(0))
	mustCreateEmail(t, s, lower)
	mustCreateEmail(t, s, upper)
	got, err := s.GetEmailByAddress(ctx, "MIXED@example.com")
	mustOK(t, err, "GetEmailByAddress")
	checkEmail(t, got, upper)
	_, err = s.GetEmailByAddress(ctx, "Mixed@Example.com")
	wantKind(t, err, autherr.NotFound, "GetEmailByAddress with other case")
	have, err := s.ExistingEmailAddresses(ctx, []string{"mixed@EXAMPLE.com", "mixed@example.com"})
	mustOK(t, err, "ExistingEmailAddresses")
	if !slices.Equal(have, []string{"mixed@example.com"}) {
		t.Fatalf("ExistingEmailAddresses = %q, want only the exact match", have)
	}
}

func testUnassignedEmail(t *testing.T, s Store) {
	ctx := t.Context()
	e := newEmail(nil, "pending@example.com", at(0))
	mustCreateEmail(t, s, e)
	got, err := s.GetEmail(ctx, e.ID)
	mustOK(t, err, "GetEmail")
	checkEmail(t, got, e)
	got, err = s.GetEmailByAddress(ctx, e.Address)
	mustOK(t, err, "GetEmailByAddress")
	checkEmail(t, got, e)
	mustOK(t, s.DeleteEmail(ctx, e.ID), "DeleteEmail")
	_, err = s.GetEmail(ctx, e.ID)
	wantKind(t, err, autherr.NotFound, "GetEmail after delete")
}

func testUpdateEmailAssigns(t *testing.T, s Store) {
	ctx := t.Context()
	e := newEmail(nil, "claim@example.com", at(0))
	mustCreateEmail(t, s, e)
	u := newUser(at(1))
	mustCreateUser(t, s, u)

	e.UserID, e.Verified, e.UpdatedAt = &u.ID, true, at(2)
	mustOK(t, s.UpdateEmail(ctx, e), "UpdateEmail")
	got, err := s.GetEmail(ctx, e.ID)
	mustOK(t, err, "GetEmail")
	checkEmail(t, got, e)
	if es := mustGetUser(t, s, u.ID).Emails; len(es) != 1 || es[0].ID != e.ID {
		t.Fatalf("user's emails after UpdateEmail = %v, want [%v]", es, e.ID)
	}
	// Writing the same values again still finds the row (MySQL reports
	// changed rather than matched rows unless told otherwise).
	mustOK(t, s.UpdateEmail(ctx, e), "UpdateEmail unchanged")

	// Only user_id, verified and updated_at change.
	changed := e
	changed.Address, changed.CreatedAt, changed.UserID, changed.UpdatedAt = "other@example.com", at(9), nil, at(3)
	mustOK(t, s.UpdateEmail(ctx, changed), "UpdateEmail unassign")
	got, err = s.GetEmail(ctx, e.ID)
	mustOK(t, err, "GetEmail")
	want := e
	want.UserID, want.UpdatedAt = nil, at(3)
	checkEmail(t, got, want)
}

func testSetPrimaryEmail(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	e1, e2 := newEmail(&u.ID, "first@example.com", at(1)), newEmail(&u.ID, "second@example.com", at(2))
	mustCreateEmail(t, s, e1)
	mustCreateEmail(t, s, e2)

	p1 := uuid.New()
	mustOK(t, s.SetPrimaryEmail(ctx, p1, u.ID, e1.ID, at(3)), "SetPrimaryEmail insert")
	checkPrimary(t, mustGetUser(t, s, u.ID).PrimaryEmail, store.PrimaryEmail{ID: p1, EmailID: e1.ID, UserID: u.ID, CreatedAt: at(3), UpdatedAt: at(3)})

	mustOK(t, s.SetPrimaryEmail(ctx, uuid.New(), u.ID, e2.ID, at(4)), "SetPrimaryEmail replace")
	want := store.PrimaryEmail{ID: p1, EmailID: e2.ID, UserID: u.ID, CreatedAt: at(3), UpdatedAt: at(4)}
	checkPrimary(t, mustGetUser(t, s, u.ID).PrimaryEmail, want)
	mustOK(t, s.SetPrimaryEmail(ctx, uuid.New(), u.ID, e2.ID, at(4)), "SetPrimaryEmail unchanged")
	checkPrimary(t, mustGetUser(t, s, u.ID).PrimaryEmail, want)

	// One row per user: the user has a row (a second insert conflicts) and
	// e1 is primary nowhere any more (it may become another user's).
	err := s.InsertPrimaryEmails(ctx, []store.PrimaryEmail{{ID: uuid.New(), EmailID: e1.ID, UserID: u.ID, CreatedAt: at(5), UpdatedAt: at(5)}})
	wantKind(t, err, autherr.Conflict, "second primary row for the user")
	other := newUser(at(5))
	mustCreateUser(t, s, other)
	mustOK(t, s.InsertPrimaryEmails(ctx, []store.PrimaryEmail{{ID: uuid.New(), EmailID: e1.ID, UserID: other.ID, CreatedAt: at(5), UpdatedAt: at(5)}}),
		"old primary email is free")
	us, total, err := s.ListUsers(ctx, store.UserQuery{IDs: []uuid.UUID{u.ID}})
	mustOK(t, err, "ListUsers")
	if total != 1 || len(us) != 1 {
		t.Fatalf("ListUsers(one id) = %d users, total %d; want 1, 1", len(us), total)
	}
}

func checkPrimary(tb testing.TB, got *store.PrimaryEmail, want store.PrimaryEmail) {
	tb.Helper()
	if got == nil {
		tb.Fatalf("primary email missing, want %+v", want)
	}
	if got.ID != want.ID || got.EmailID != want.EmailID || got.UserID != want.UserID ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		tb.Fatalf("primary email:\n got  %+v\n want %+v", *got, want)
	}
}

// testListUsers checks filters, order, paging and the total. The fixture
// holds the LIKE wildcards and the escape character literally, so a filter
// that passes them through unescaped matches too much.
func testListUsers(t *testing.T, s Store) {
	ctx := t.Context()
	fixture := []struct {
		emails   []string
		username string
	}{
		{[]string{"alice@example.com"}, "alice_1"},
		{[]string{"bob_smith@example.com"}, "bob"},
		{[]string{"bobxsmith@example.com", "bang!@example.net"}, "bobby"},
		{[]string{"percent%sign@example.org"}, "alicex1"},
		{nil, ""},
	}
	u := make([]uuid.UUID, len(fixture))
	// Insert newest first so that insertion order is not creation order.
	for j := len(fixture) - 1; j >= 0; j-- {
		f := fixture[j]
		user := newUser(at(10 * j))
		u[j] = user.ID
		mustCreateUser(t, s, user)
		for k, a := range f.emails {
			mustCreateEmail(t, s, newEmail(&user.ID, a, at(10*j+k)))
		}
		if f.username != "" {
			mustOK(t, s.CreateUsername(ctx, newUsername(user.ID, f.username, at(10*j))), "CreateUsername")
		}
	}
	for _, tc := range []struct {
		name  string
		q     store.UserQuery
		want  []uuid.UUID
		total int
	}{
		{"all ascending", store.UserQuery{}, u, 5},
		{"all descending", store.UserQuery{Desc: true}, []uuid.UUID{u[4], u[3], u[2], u[1], u[0]}, 5},
		{"ids", store.UserQuery{IDs: []uuid.UUID{u[3], u[1], uuid.New()}}, []uuid.UUID{u[1], u[3]}, 2},
		{"email substring", store.UserQuery{Email: "smith"}, []uuid.UUID{u[1], u[2]}, 2},
		{"email matching two addresses of one user", store.UserQuery{Email: "example"}, u[:4], 4},
		{"email underscore is literal", store.UserQuery{Email: "b_s"}, []uuid.UUID{u[1]}, 1},
		{"email percent is literal", store.UserQuery{Email: "%"}, []uuid.UUID{u[3]}, 1},
		{"email escape char is literal", store.UserQuery{Email: "!@"}, []uuid.UUID{u[2]}, 1},
		{"email no match", store.UserQuery{Email: "nobody"}, nil, 0},
		{"username substring", store.UserQuery{Username: "bob"}, []uuid.UUID{u[1], u[2]}, 2},
		{"username underscore is literal", store.UserQuery{Username: "ice_"}, []uuid.UUID{u[0]}, 1},
		{"email and username", store.UserQuery{Email: "example.com", Username: "bob"}, []uuid.UUID{u[1], u[2]}, 2},
		{"offset and limit", store.UserQuery{Offset: 1, Limit: 2}, []uuid.UUID{u[1], u[2]}, 5},
		{"offset and limit descending", store.UserQuery{Offset: 1, Limit: 2, Desc: true}, []uuid.UUID{u[3], u[2]}, 5},
		{"last page short", store.UserQuery{Offset: 4, Limit: 10}, []uuid.UUID{u[4]}, 5},
		{"offset past the end", store.UserQuery{Offset: 10, Limit: 2}, nil, 5},
		{"filter with limit", store.UserQuery{IDs: []uuid.UUID{u[0], u[2], u[3]}, Limit: 1, Desc: true}, []uuid.UUID{u[3]}, 3},
		{"filter with offset", store.UserQuery{Email: "example", Offset: 3, Limit: 2}, []uuid.UUID{u[3]}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := s.ListUsers(ctx, tc.q)
			mustOK(t, err, "ListUsers")
			if !slices.Equal(userIDs(got), tc.want) || total != tc.total {
				t.Fatalf("ListUsers(%+v) = %v total %d, want %v total %d", tc.q, userIDs(got), total, tc.want, tc.total)
			}
		})
	}
}

// testRelationsLoaded: GetUser and ListUsers load emails (oldest first,
// whatever the insertion order), the primary email and the username.
func testRelationsLoaded(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	newest := newEmail(&u.ID, "c@example.com", at(30))
	oldest := newEmail(&u.ID, "b@example.com", at(10))
	middle := newEmail(&u.ID, "a@example.com", at(20))
	for _, e := range []store.Email{newest, oldest, middle} {
		mustCreateEmail(t, s, e)
	}
	mustOK(t, s.SetPrimaryEmail(ctx, uuid.New(), u.ID, middle.ID, at(40)), "SetPrimaryEmail")
	mustOK(t, s.CreateUsername(ctx, newUsername(u.ID, "loaded", at(50))), "CreateUsername")
	bare := newUser(at(60))
	mustCreateUser(t, s, bare)

	listed, _, err := s.ListUsers(ctx, store.UserQuery{})
	mustOK(t, err, "ListUsers")
	if len(listed) != 2 {
		t.Fatalf("ListUsers: %d users, want 2", len(listed))
	}
	for _, tc := range []struct {
		name string
		got  store.User
	}{
		{"GetUser", mustGetUser(t, s, u.ID)},
		{"ListUsers", listed[0]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.got.Emails) != 3 {
				t.Fatalf("%d emails, want 3", len(tc.got.Emails))
			}
			for i, want := range []store.Email{oldest, middle, newest} {
				checkEmail(t, tc.got.Emails[i], want)
			}
			if tc.got.PrimaryEmailID() != middle.ID {
				t.Fatalf("primary = %v, want %v", tc.got.PrimaryEmailID(), middle.ID)
			}
			if n := tc.got.Username; n == nil || n.Username != "loaded" || n.UserID != u.ID || !n.CreatedAt.Equal(at(50)) {
				t.Fatalf("username = %+v, want loaded", n)
			}
		})
	}
	if b := listed[1]; b.ID != bare.ID || len(b.Emails) != 0 || b.PrimaryEmail != nil || b.Username != nil {
		t.Fatalf("user without relations = %+v", b)
	}
}

// testScanUsersKeyset pages through 250 users 100 at a time.
func testScanUsersKeyset(t *testing.T, s Store) {
	ctx := t.Context()
	us := make([]store.User, 250)
	ids := make([]uuid.UUID, len(us))
	for i := range us {
		us[i] = newUser(at(i % 7)) // creation order unrelated to ID order
		ids[i] = us[i].ID
	}
	mustOK(t, s.InsertUsers(ctx, us), "InsertUsers")
	e := newEmail(&us[0].ID, "scanned@example.com", at(0))
	mustCreateEmail(t, s, e)
	mustOK(t, s.SetPrimaryEmail(ctx, uuid.New(), us[0].ID, e.ID, at(0)), "SetPrimaryEmail")

	var got []uuid.UUID
	var sizes []int
	after := uuid.Nil
	for range 10 {
		page, err := s.ScanUsers(ctx, after, 100)
		mustOK(t, err, "ScanUsers")
		sizes = append(sizes, len(page))
		if len(page) == 0 {
			break
		}
		for _, p := range page {
			got = append(got, p.ID)
			if p.ID == us[0].ID && (len(p.Emails) != 1 || p.PrimaryEmailID() != e.ID) {
				t.Fatalf("ScanUsers did not load relations: %+v", p)
			}
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(sizes, []int{100, 100, 50, 0}) {
		t.Fatalf("page sizes = %v, want [100 100 50 0]", sizes)
	}
	if !slices.Equal(got, sortedIDs(ids)) {
		t.Fatalf("ScanUsers did not return every user exactly once in ID order")
	}
}

// testBulkInsert writes 2,000 users, emails and primary emails.
func testBulkInsert(t *testing.T, s Store) {
	ctx := t.Context()
	const n = 2000
	us := make([]store.User, n)
	es := make([]store.Email, n)
	ps := make([]store.PrimaryEmail, n)
	ids := make([]uuid.UUID, n)
	addrs := make([]string, n)
	for i := range n {
		us[i] = newUser(at(i))
		es[i] = newEmail(&us[i].ID, fmt.Sprintf("bulk%04d@example.com", i), at(i))
		es[i].Verified = i%2 == 0
		ps[i] = store.PrimaryEmail{ID: uuid.New(), EmailID: es[i].ID, UserID: us[i].ID, CreatedAt: at(i), UpdatedAt: at(i)}
		ids[i], addrs[i] = us[i].ID, es[i].Address
	}
	mustOK(t, s.InsertUsers(ctx, us), "InsertUsers")
	mustOK(t, s.InsertEmails(ctx, es), "InsertEmails")
	mustOK(t, s.InsertPrimaryEmails(ctx, ps), "InsertPrimaryEmails")
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"InsertUsers empty", func() error { return s.InsertUsers(ctx, nil) }},
		{"InsertEmails empty", func() error { return s.InsertEmails(ctx, nil) }},
		{"InsertPrimaryEmails empty", func() error { return s.InsertPrimaryEmails(ctx, nil) }},
	} {
		mustOK(t, tc.call(), tc.name)
	}

	_, total, err := s.ListUsers(ctx, store.UserQuery{Limit: 1})
	mustOK(t, err, "ListUsers")
	if total != n {
		t.Fatalf("total after bulk insert = %d, want %d", total, n)
	}
	haveIDs, err := s.ExistingUserIDs(ctx, ids)
	mustOK(t, err, "ExistingUserIDs")
	haveAddrs, err := s.ExistingEmailAddresses(ctx, addrs)
	mustOK(t, err, "ExistingEmailAddresses")
	if len(haveIDs) != n || len(haveAddrs) != n {
		t.Fatalf("found %d ids and %d addresses, want %d each", len(haveIDs), len(haveAddrs), n)
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		got := mustGetUser(t, s, us[i].ID)
		if len(got.Emails) != 1 || got.PrimaryEmailID() != es[i].ID {
			t.Fatalf("user %d after bulk insert: %+v", i, got)
		}
		checkEmail(t, got.Emails[0], es[i])
	}
}

// testBulkConflictRollsBack: one taken address fails the batch, and inside
// InTx the users written before it go too.
func testBulkConflictRollsBack(t *testing.T, s Store) {
	ctx := t.Context()
	mustCreateEmail(t, s, newEmail(nil, "taken@example.com", at(0)))
	us := []store.User{newUser(at(1)), newUser(at(1)), newUser(at(1))}
	es := []store.Email{
		newEmail(&us[0].ID, "new0@example.com", at(1)),
		newEmail(&us[1].ID, "taken@example.com", at(1)),
		newEmail(&us[2].ID, "new2@example.com", at(1)),
	}
	err := s.InTx(ctx, func(ctx context.Context) error {
		if err := s.InsertUsers(ctx, us); err != nil {
			return err
		}
		return s.InsertEmails(ctx, es)
	})
	wantKind(t, err, autherr.Conflict, "bulk import with a taken address")
	ids, err := s.ExistingUserIDs(ctx, userIDs(us))
	mustOK(t, err, "ExistingUserIDs")
	addrs, err := s.ExistingEmailAddresses(ctx, []string{"new0@example.com", "new2@example.com"})
	mustOK(t, err, "ExistingEmailAddresses")
	if len(ids) != 0 || len(addrs) != 0 {
		t.Fatalf("rolled-back import left users %v and addresses %v", ids, addrs)
	}
	wantKind(t, s.InsertUsers(ctx, []store.User{us[0], us[0]}), autherr.Conflict, "InsertUsers with a repeated ID")
}

func testExistingEmailAddresses(t *testing.T, s Store) {
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreateEmail(t, s, newEmail(&u.ID, "a@example.com", at(0)))
	mustCreateEmail(t, s, newEmail(nil, "b@example.com", at(0)))
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"nil", nil, nil},
		{"none stored", []string{"x@example.com", "y@example.com"}, nil},
		{"some stored", []string{"x@example.com", "b@example.com", "a@example.com"}, []string{"a@example.com", "b@example.com"}},
		{"repeated input", []string{"a@example.com", "a@example.com"}, []string{"a@example.com"}},
		{"wildcards are not patterns", []string{"%@example.com", "_@example.com"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ExistingEmailAddresses(t.Context(), tc.in)
			mustOK(t, err, "ExistingEmailAddresses")
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("ExistingEmailAddresses(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func testExistingUserIDs(t *testing.T, s Store) {
	u1, u2 := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, u1)
	mustCreateUser(t, s, u2)
	other := uuid.New()
	for _, tc := range []struct {
		name string
		in   []uuid.UUID
		want []uuid.UUID
	}{
		{"nil", nil, nil},
		{"none stored", []uuid.UUID{other}, nil},
		{"some stored", []uuid.UUID{other, u2.ID, u1.ID}, sortedIDs([]uuid.UUID{u1.ID, u2.ID})},
		{"repeated input", []uuid.UUID{u1.ID, u1.ID}, []uuid.UUID{u1.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ExistingUserIDs(t.Context(), tc.in)
			mustOK(t, err, "ExistingUserIDs")
			if got = sortedIDs(got); !slices.Equal(got, tc.want) {
				t.Fatalf("ExistingUserIDs(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
