package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// testSessions covers the session.FullStore contract: server-side session
// rows, the revocation feed and the primary-email lookup for the token's
// email claim. Each part is a subtest on the one store, with its own users.
func testSessions(t *testing.T, s Store) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Store)
	}{
		{"CreateGet", testSessionCreateGet},
		{"List", testSessionList},
		{"ListAll", testSessionListAll},
		{"Touch", testSessionTouch},
		{"Delete", testSessionDelete},
		{"DeleteRollsBack", testSessionDeleteRollsBack},
		{"GoneWithUser", testSessionGoneWithUser},
		{"PrimaryEmailOf", testPrimaryEmailOf},
		{"Revocations", testSessionRevocations},
		{"Excess", testSessionExcess},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, s) })
	}
}

// newSession is a session of userID created at created that expires ttl
// later; ttl 0 means no expiry (a NULL expires_at).
func newSession(userID uuid.UUID, created time.Time, ttl time.Duration) store.Session {
	se := store.Session{
		ID: uuid.New(), UserID: userID, UserAgent: "Mozilla/5.0 (storetest)", IPAddress: "2001:db8::1",
		LastUsed: created, CreatedAt: created, UpdatedAt: created,
	}
	if ttl != 0 {
		exp := created.Add(ttl)
		se.ExpiresAt = &exp
	}
	return se
}

func mustCreateSession(tb testing.TB, s Store, se store.Session) {
	tb.Helper()
	mustOK(tb, s.CreateSession(tb.Context(), se), "CreateSession")
}

// checkSession compares every column of a session.
func checkSession(tb testing.TB, got, want store.Session) {
	tb.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.UserAgent != want.UserAgent ||
		got.IPAddress != want.IPAddress || !sameTime(got.ExpiresAt, want.ExpiresAt) ||
		!got.LastUsed.Equal(want.LastUsed) || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		tb.Fatalf("session:\n got  %s\n want %s", fmtSession(got), fmtSession(want))
	}
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "<nil>"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func fmtSession(se store.Session) string {
	return fmt.Sprintf("%s user=%s ua=%q ip=%q expires=%s last_used=%s created=%s updated=%s",
		se.ID, se.UserID, se.UserAgent, se.IPAddress, fmtTime(se.ExpiresAt), fmtTime(&se.LastUsed),
		fmtTime(&se.CreatedAt), fmtTime(&se.UpdatedAt))
}

// sessionIDs returns the IDs of ss in order.
func sessionIDs(ss []store.Session) []uuid.UUID {
	out := make([]uuid.UUID, len(ss))
	for i, se := range ss {
		out[i] = se.ID
	}
	return out
}

// testSessionCreateGet: every column round-trips, with and without an
// expiry; a taken ID is Conflict, an unknown user and an unknown ID
// NotFound.
func testSessionCreateGet(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	withExp := newSession(u.ID, at(1), 12*time.Hour)
	noExp := newSession(u.ID, at(2), 0)
	noExp.UserAgent, noExp.IPAddress = "", "" // both columns are NOT NULL: empty, not absent
	for _, se := range []store.Session{withExp, noExp} {
		mustCreateSession(t, s, se)
		got, err := s.GetSession(ctx, se.ID)
		mustOK(t, err, "GetSession")
		checkSession(t, got, se)
	}

	dup := newSession(u.ID, at(3), time.Hour)
	dup.ID = withExp.ID
	wantKind(t, s.CreateSession(ctx, dup), autherr.Conflict, "CreateSession with a taken id")
	got, err := s.GetSession(ctx, withExp.ID)
	mustOK(t, err, "GetSession after the conflict")
	checkSession(t, got, withExp) // the first row stays as it was

	orphan := newSession(uuid.New(), at(3), time.Hour)
	wantKind(t, s.CreateSession(ctx, orphan), autherr.NotFound, "CreateSession for an unknown user")
	_, err = s.GetSession(ctx, orphan.ID)
	wantKind(t, err, autherr.NotFound, "GetSession of the refused session")
	_, err = s.GetSession(ctx, uuid.New())
	wantKind(t, err, autherr.NotFound, "GetSession of an unknown id")
}

// testSessionList: ListSessions returns one user's sessions that have not
// expired at now (expires_at > now, or no expiry), newest first.
func testSessionList(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreateUser(t, s, other)
	now := at(1000)
	var (
		old      = newSession(u.ID, at(10), 0)                                // no expiry: always listed
		expired  = newSession(u.ID, at(20), 900*time.Second)                  // expired at 920
		boundary = newSession(u.ID, at(30), 970*time.Second)                  // expires exactly at now: left out
		live     = newSession(u.ID, at(40), 12*time.Hour)                     //
		tieA     = newSession(u.ID, at(50), 12*time.Hour)                     // created with tieB
		tieB     = newSession(u.ID, at(50), 12*time.Hour)                     //
		short    = newSession(u.ID, at(60), time.Microsecond)                 // expired at 60
		fresh    = newSession(u.ID, at(70), 930*time.Second+time.Microsecond) // expires a microsecond after now
		foreign  = newSession(other.ID, at(80), 12*time.Hour)                 // another user's
	)
	// Inserted out of order so that insertion order cannot pass for sorting.
	for _, se := range []store.Session{live, fresh, tieB, old, foreign, expired, tieA, short, boundary} {
		mustCreateSession(t, s, se)
	}

	got, err := s.ListSessions(ctx, u.ID, now)
	mustOK(t, err, "ListSessions")
	// The two sessions created together may come in either order.
	want := []store.Session{fresh, tieA, tieB, live, old}
	if len(got) == len(want) && got[1].ID == tieB.ID {
		want[1], want[2] = tieB, tieA
	}
	if !slices.Equal(sessionIDs(got), sessionIDs(want)) {
		t.Fatalf("ListSessions = %v, want %v", sessionIDs(got), sessionIDs(want))
	}
	for i := range want {
		checkSession(t, got[i], want[i])
	}

	// Earlier, more is alive; a user without sessions gets none.
	got, err = s.ListSessions(ctx, u.ID, at(55))
	mustOK(t, err, "ListSessions at 55")
	if n := len(got); n != 8 {
		t.Fatalf("ListSessions at 55 = %d sessions, want all 8 of the user's", n)
	}
	got, err = s.ListSessions(ctx, uuid.New(), now)
	mustOK(t, err, "ListSessions of an unknown user")
	if len(got) != 0 {
		t.Fatalf("ListSessions of an unknown user = %d sessions", len(got))
	}
}

// testSessionListAll: ListAllSessions returns every session of one user,
// expired ones included (in no particular order).
func testSessionListAll(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreateUser(t, s, other)
	mine := []store.Session{
		newSession(u.ID, at(1), time.Second), // long expired
		newSession(u.ID, at(2), 0),
		newSession(u.ID, at(3), 12*time.Hour),
	}
	for _, se := range mine {
		mustCreateSession(t, s, se)
	}
	mustCreateSession(t, s, newSession(other.ID, at(4), 12*time.Hour))

	got, err := s.ListAllSessions(ctx, u.ID)
	mustOK(t, err, "ListAllSessions")
	if !slices.Equal(sortedIDs(sessionIDs(got)), sortedIDs(sessionIDs(mine))) {
		t.Fatalf("ListAllSessions = %v, want %v", sessionIDs(got), sessionIDs(mine))
	}
	for _, g := range got {
		i := slices.IndexFunc(mine, func(se store.Session) bool { return se.ID == g.ID })
		checkSession(t, g, mine[i])
	}
	got, err = s.ListAllSessions(ctx, uuid.New())
	mustOK(t, err, "ListAllSessions of an unknown user")
	if len(got) != 0 {
		t.Fatalf("ListAllSessions of an unknown user = %d sessions", len(got))
	}
}

// testSessionTouch: TouchSession sets last_used and updated_at and nothing
// else; an unknown ID is NotFound.
func testSessionTouch(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	se := newSession(u.ID, at(1), 12*time.Hour)
	other := newSession(u.ID, at(1), 12*time.Hour)
	mustCreateSession(t, s, se)
	mustCreateSession(t, s, other)

	mustOK(t, s.TouchSession(ctx, se.ID, at(500)), "TouchSession")
	want := se
	want.LastUsed, want.UpdatedAt = at(500), at(500)
	got, err := s.GetSession(ctx, se.ID)
	mustOK(t, err, "GetSession")
	checkSession(t, got, want)
	got, err = s.GetSession(ctx, other.ID)
	mustOK(t, err, "GetSession of the untouched session")
	checkSession(t, got, other)

	wantKind(t, s.TouchSession(ctx, uuid.New(), at(500)), autherr.NotFound, "TouchSession of an unknown id")
}

// testSessionDelete: DeleteSessions removes the given sessions and returns
// exactly those that existed (with their columns), so the caller revokes
// those and no others; unknown IDs and an empty list are no-ops.
func testSessionDelete(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	a := newSession(u.ID, at(1), 12*time.Hour)
	b := newSession(u.ID, at(2), 0)
	keep := newSession(u.ID, at(3), 12*time.Hour)
	for _, se := range []store.Session{a, b, keep} {
		mustCreateSession(t, s, se)
	}

	gone, err := s.DeleteSessions(ctx, nil)
	mustOK(t, err, "DeleteSessions of nothing")
	if len(gone) != 0 {
		t.Fatalf("DeleteSessions of nothing = %d sessions", len(gone))
	}

	unknown := uuid.New()
	gone, err = s.DeleteSessions(ctx, []uuid.UUID{a.ID, unknown, b.ID})
	mustOK(t, err, "DeleteSessions")
	if !slices.Equal(sortedIDs(sessionIDs(gone)), sortedIDs([]uuid.UUID{a.ID, b.ID})) {
		t.Fatalf("DeleteSessions returned %v, want %v and %v", sessionIDs(gone), a.ID, b.ID)
	}
	for _, g := range gone {
		if g.ID == a.ID {
			checkSession(t, g, a)
		} else {
			checkSession(t, g, b)
		}
	}
	for _, id := range []uuid.UUID{a.ID, b.ID} {
		_, err := s.GetSession(ctx, id)
		wantKind(t, err, autherr.NotFound, "GetSession of a deleted session")
	}
	got, err := s.GetSession(ctx, keep.ID)
	mustOK(t, err, "GetSession of the kept session")
	checkSession(t, got, keep)

	// A second delete finds nothing left to return.
	gone, err = s.DeleteSessions(ctx, []uuid.UUID{a.ID, b.ID, unknown})
	mustOK(t, err, "DeleteSessions again")
	if len(gone) != 0 {
		t.Fatalf("DeleteSessions again returned %v", sessionIDs(gone))
	}
}

// testSessionDeleteRollsBack: a revocation (delete plus feed row) that
// fails part-way leaves the session and the feed as they were.
func testSessionDeleteRollsBack(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	se := newSession(u.ID, at(1), 12*time.Hour)
	mustCreateSession(t, s, se)
	err := s.InTx(ctx, func(ctx context.Context) error {
		gone, err := s.DeleteSessions(ctx, []uuid.UUID{se.ID})
		if err != nil {
			return err
		}
		if len(gone) != 1 {
			return fmt.Errorf("DeleteSessions in a transaction returned %d sessions", len(gone))
		}
		if err := s.CreateSessionRevocations(ctx, []store.SessionRevocation{newRevocation(se, at(2))}); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want %v", err, errAbort)
	}
	got, err := s.GetSession(ctx, se.ID)
	mustOK(t, err, "GetSession after the rollback")
	checkSession(t, got, se)
	rs, err := s.SessionRevocationsSince(ctx, at(0), at(0))
	mustOK(t, err, "SessionRevocationsSince")
	if len(rs) != 0 {
		t.Fatalf("the rolled-back revocation is in the feed: %d rows", len(rs))
	}
}

// testSessionGoneWithUser: deleting a user deletes their sessions.
func testSessionGoneWithUser(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	se := newSession(u.ID, at(1), 12*time.Hour)
	mustCreateSession(t, s, se)
	mustOK(t, s.DeleteUser(ctx, u.ID), "DeleteUser")
	_, err := s.GetSession(ctx, se.ID)
	wantKind(t, err, autherr.NotFound, "GetSession after the user was deleted")
	all, err := s.ListAllSessions(ctx, u.ID)
	mustOK(t, err, "ListAllSessions after the user was deleted")
	if len(all) != 0 {
		t.Fatalf("ListAllSessions after the user was deleted = %d sessions", len(all))
	}
}

// testPrimaryEmailOf: GetPrimaryEmailOf returns the user's current primary
// email with every column, follows a change of primary, and is NotFound for
// a user without one (even if they have other addresses).
func testPrimaryEmailOf(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreateUser(t, s, other)
	_, err := s.GetPrimaryEmailOf(ctx, u.ID)
	wantKind(t, err, autherr.NotFound, "GetPrimaryEmailOf a user without emails")

	e1 := newEmail(&u.ID, "first-"+u.ID.String()+"@example.com", at(1))
	e1.Verified = true
	e2 := newEmail(&u.ID, "second-"+u.ID.String()+"@example.com", at(2))
	mustCreateEmail(t, s, e1)
	mustCreateEmail(t, s, e2)
	mustCreateEmail(t, s, newEmail(&other.ID, "other-"+other.ID.String()+"@example.com", at(3)))
	_, err = s.GetPrimaryEmailOf(ctx, u.ID)
	wantKind(t, err, autherr.NotFound, "GetPrimaryEmailOf a user with emails but no primary")

	mustOK(t, s.SetPrimaryEmail(ctx, uuid.New(), u.ID, e1.ID, at(4)), "SetPrimaryEmail")
	got, err := s.GetPrimaryEmailOf(ctx, u.ID)
	mustOK(t, err, "GetPrimaryEmailOf")
	checkEmail(t, got, e1)

	mustOK(t, s.SetPrimaryEmail(ctx, uuid.New(), u.ID, e2.ID, at(5)), "SetPrimaryEmail to the second")
	got, err = s.GetPrimaryEmailOf(ctx, u.ID)
	mustOK(t, err, "GetPrimaryEmailOf after the change")
	checkEmail(t, got, e2)

	_, err = s.GetPrimaryEmailOf(ctx, other.ID)
	wantKind(t, err, autherr.NotFound, "GetPrimaryEmailOf the other user")
	_, err = s.GetPrimaryEmailOf(ctx, uuid.New())
	wantKind(t, err, autherr.NotFound, "GetPrimaryEmailOf an unknown user")
}

// newRevocation is the feed row for revoking se at created.
func newRevocation(se store.Session, created time.Time) store.SessionRevocation {
	return store.SessionRevocation{ID: uuid.New(), SessionID: se.ID, ExpiresAt: se.ExpiresAt, CreatedAt: created}
}

// checkRevocations compares the feed's rows, in order, with want.
func checkRevocations(tb testing.TB, got, want []store.SessionRevocation, what string) {
	tb.Helper()
	ids := func(rs []store.SessionRevocation) []uuid.UUID {
		out := make([]uuid.UUID, len(rs))
		for i, r := range rs {
			out[i] = r.ID
		}
		return out
	}
	if !slices.Equal(ids(got), ids(want)) {
		tb.Fatalf("%s = %v, want %v", what, ids(got), ids(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.SessionID != w.SessionID || !sameTime(g.ExpiresAt, w.ExpiresAt) || !g.CreatedAt.Equal(w.CreatedAt) {
			tb.Fatalf("%s[%d]: got session %s expires %s created %s, want session %s expires %s created %s", what, i,
				g.SessionID, fmtTime(g.ExpiresAt), fmtTime(&g.CreatedAt), w.SessionID, fmtTime(w.ExpiresAt), fmtTime(&w.CreatedAt))
		}
	}
}

// testSessionRevocations: the feed stores a batch in one call and
// SessionRevocationsSince returns the rows created at or after since whose
// session has not expired at now (or never expires), oldest first. A batch
// with a taken ID is Conflict and stores nothing. Feed rows do not depend
// on the session row (it is deleted in the same transaction).
func testSessionRevocations(t *testing.T, s Store) {
	ctx := t.Context()
	mustOK(t, s.CreateSessionRevocations(ctx, nil), "CreateSessionRevocations of nothing")
	rs, err := s.SessionRevocationsSince(ctx, at(-1000), at(-1000))
	mustOK(t, err, "SessionRevocationsSince on an empty feed")
	if len(rs) != 0 {
		t.Fatalf("SessionRevocationsSince on an empty feed = %d rows", len(rs))
	}

	// The sessions need not exist: only their IDs and expiries are kept.
	uid := uuid.New()
	var (
		r1 = newRevocation(newSession(uid, at(0), 100*time.Second), at(10)) // session expires at 100
		r2 = newRevocation(newSession(uid, at(0), 0), at(20))               // never expires
		r3 = newRevocation(newSession(uid, at(0), 12*time.Hour), at(30))
		r4 = newRevocation(newSession(uid, at(0), 12*time.Hour), at(30).Add(time.Microsecond))
		r5 = newRevocation(newSession(uid, at(0), 12*time.Hour), at(40))
	)
	// Out of created_at order, in two batches.
	mustOK(t, s.CreateSessionRevocations(ctx, []store.SessionRevocation{r5, r2}), "CreateSessionRevocations")
	mustOK(t, s.CreateSessionRevocations(ctx, []store.SessionRevocation{r3, r1, r4}), "CreateSessionRevocations")

	for _, tc := range []struct {
		name       string
		since, now time.Time
		want       []store.SessionRevocation
	}{
		{"everything", at(0), at(50), []store.SessionRevocation{r1, r2, r3, r4, r5}},
		{"since is inclusive", at(20), at(50), []store.SessionRevocation{r2, r3, r4, r5}},
		{"to the microsecond", at(30).Add(time.Microsecond), at(50), []store.SessionRevocation{r4, r5}},
		{"none yet", at(41), at(50), nil},
		{"expired sessions left out", at(0), at(100), []store.SessionRevocation{r2, r3, r4, r5}},
		{"only the never-expiring", at(0), at(100).Add(12 * time.Hour), []store.SessionRevocation{r2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.SessionRevocationsSince(ctx, tc.since, tc.now)
			mustOK(t, err, "SessionRevocationsSince")
			checkRevocations(t, got, tc.want, "SessionRevocationsSince")
		})
	}

	t.Run("ConflictStoresNothing", func(t *testing.T) {
		fresh := newRevocation(newSession(uid, at(0), 12*time.Hour), at(45))
		dup := newRevocation(newSession(uid, at(0), 12*time.Hour), at(46))
		dup.ID = r1.ID
		err := s.CreateSessionRevocations(ctx, []store.SessionRevocation{fresh, dup})
		wantKind(t, err, autherr.Conflict, "CreateSessionRevocations with a taken id")
		got, err := s.SessionRevocationsSince(ctx, at(41), at(50))
		mustOK(t, err, "SessionRevocationsSince")
		checkRevocations(t, got, nil, "SessionRevocationsSince after the refused batch")
	})
}

// testSessionExcess checks the per-user limit query: the active sessions
// beyond the newest keep, oldest last; expired and foreign ones never count.
func testSessionExcess(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreateUser(t, s, other)
	now := at(1000)
	s1 := newSession(u.ID, at(10), 12*time.Hour)
	s2 := newSession(u.ID, at(20), 12*time.Hour)
	s3 := newSession(u.ID, at(30), 12*time.Hour)
	expired := newSession(u.ID, at(5), time.Second)
	foreign := newSession(other.ID, at(1), 12*time.Hour)
	for _, se := range []store.Session{s2, foreign, s3, expired, s1} {
		mustCreateSession(t, s, se)
	}
	for _, tc := range []struct {
		keep int
		want []uuid.UUID
	}{
		{3, nil},
		{5, nil},
		{2, []uuid.UUID{s1.ID}},
		{1, []uuid.UUID{s2.ID, s1.ID}},
		{0, []uuid.UUID{s3.ID, s2.ID, s1.ID}},
	} {
		got, err := s.ExcessSessions(ctx, u.ID, now, tc.keep)
		mustOK(t, err, "ExcessSessions")
		if len(got) != len(tc.want) {
			t.Fatalf("keep %d: got %v, want %v", tc.keep, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("keep %d: got %v, want %v", tc.keep, got, tc.want)
			}
		}
	}
}
