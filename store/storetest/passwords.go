package storetest

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// testPasswords covers the password.Store contract: one credential per
// user, enforced by the database, and NotFound for every missing row.
func testPasswords(t *testing.T, s Store) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Store)
	}{
		{"CreateGet", testPasswordCreateGet},
		{"OnePerUser", testPasswordOnePerUser},
		{"UnknownUser", testPasswordUnknownUser},
		{"Update", testPasswordUpdate},
		{"Delete", testPasswordDelete},
		{"GoneWithUser", testPasswordGoneWithUser},
		{"ConcurrentCreates", testPasswordConcurrentCreates},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, s) })
	}
}

// newPasswordCredential is a credential of userID created at created. The
// hash is a bcrypt-shaped string; the store never interprets it.
func newPasswordCredential(userID uuid.UUID, created int) store.PasswordCredential {
	return store.PasswordCredential{
		ID: uuid.New(), UserID: userID,
		Password:  "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
		CreatedAt: at(created), UpdatedAt: at(created),
	}
}

func mustCreatePasswordCredential(tb testing.TB, s Store, c store.PasswordCredential) {
	tb.Helper()
	mustOK(tb, s.CreatePasswordCredential(tb.Context(), c), "CreatePasswordCredential")
}

// checkPasswordCredential compares every column of a credential.
func checkPasswordCredential(tb testing.TB, got, want store.PasswordCredential) {
	tb.Helper()
	if got.ID != want.ID || got.UserID != want.UserID || got.Password != want.Password ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		tb.Fatalf("password credential:\n got  %+v\n want %+v", got, want)
	}
}

func testPasswordCreateGet(t *testing.T, s Store) {
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	c := newPasswordCredential(u.ID, 1)
	// An argon2id PHC string is longer than any bcrypt hash; TEXT must hold it.
	c.Password = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	mustCreatePasswordCredential(t, s, c)
	got, err := s.GetPasswordCredential(t.Context(), u.ID)
	mustOK(t, err, "GetPasswordCredential")
	checkPasswordCredential(t, got, c)

	other := newUser(at(0))
	mustCreateUser(t, s, other)
	_, err = s.GetPasswordCredential(t.Context(), other.ID)
	wantKind(t, err, autherr.NotFound, "GetPasswordCredential of a user without one")
	_, err = s.GetPasswordCredential(t.Context(), uuid.New())
	wantKind(t, err, autherr.NotFound, "GetPasswordCredential of an unknown user")
}

func testPasswordOnePerUser(t *testing.T, s Store) {
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	first := newPasswordCredential(u.ID, 1)
	mustCreatePasswordCredential(t, s, first)
	second := newPasswordCredential(u.ID, 2)
	wantKind(t, s.CreatePasswordCredential(t.Context(), second), autherr.Conflict, "second credential of a user")
	got, err := s.GetPasswordCredential(t.Context(), u.ID)
	mustOK(t, err, "GetPasswordCredential")
	checkPasswordCredential(t, got, first)

	// A taken ID is a conflict too.
	v := newUser(at(0))
	mustCreateUser(t, s, v)
	dup := newPasswordCredential(v.ID, 1)
	dup.ID = first.ID
	wantKind(t, s.CreatePasswordCredential(t.Context(), dup), autherr.Conflict, "taken credential ID")
}

func testPasswordUnknownUser(t *testing.T, s Store) {
	err := s.CreatePasswordCredential(t.Context(), newPasswordCredential(uuid.New(), 1))
	wantKind(t, err, autherr.NotFound, "CreatePasswordCredential of an unknown user")
	wantKind(t, s.UpdatePasswordCredential(t.Context(), uuid.New(), "x", at(2)), autherr.NotFound,
		"UpdatePasswordCredential of an unknown user")
	wantKind(t, s.DeletePasswordCredential(t.Context(), uuid.New()), autherr.NotFound,
		"DeletePasswordCredential of an unknown user")
}

func testPasswordUpdate(t *testing.T, s Store) {
	u, v := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreateUser(t, s, v)
	c, d := newPasswordCredential(u.ID, 1), newPasswordCredential(v.ID, 1)
	mustCreatePasswordCredential(t, s, c)
	mustCreatePasswordCredential(t, s, d)

	const enc = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$bmV3a2V5bmV3a2V5bmV3a2V5bmV3a2V5bmV3a2V5bmU"
	mustOK(t, s.UpdatePasswordCredential(t.Context(), u.ID, enc, at(5)), "UpdatePasswordCredential")
	got, err := s.GetPasswordCredential(t.Context(), u.ID)
	mustOK(t, err, "GetPasswordCredential")
	want := c
	want.Password, want.UpdatedAt = enc, at(5)
	checkPasswordCredential(t, got, want)
	// Writing the same values again still finds the row (MySQL counts
	// matched, not changed, rows).
	mustOK(t, s.UpdatePasswordCredential(t.Context(), u.ID, enc, at(5)), "UpdatePasswordCredential unchanged")

	got, err = s.GetPasswordCredential(t.Context(), v.ID)
	mustOK(t, err, "GetPasswordCredential of the other user")
	checkPasswordCredential(t, got, d)

	w := newUser(at(0))
	mustCreateUser(t, s, w)
	wantKind(t, s.UpdatePasswordCredential(t.Context(), w.ID, enc, at(5)), autherr.NotFound,
		"UpdatePasswordCredential of a user without one")
}

func testPasswordDelete(t *testing.T, s Store) {
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreatePasswordCredential(t, s, newPasswordCredential(u.ID, 1))
	mustOK(t, s.DeletePasswordCredential(t.Context(), u.ID), "DeletePasswordCredential")
	_, err := s.GetPasswordCredential(t.Context(), u.ID)
	wantKind(t, err, autherr.NotFound, "GetPasswordCredential after delete")
	wantKind(t, s.DeletePasswordCredential(t.Context(), u.ID), autherr.NotFound, "second DeletePasswordCredential")
	mustGetUser(t, s, u.ID) // the user stays
	// The user may set a new one afterwards.
	mustCreatePasswordCredential(t, s, newPasswordCredential(u.ID, 3))
}

func testPasswordGoneWithUser(t *testing.T, s Store) {
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreatePasswordCredential(t, s, newPasswordCredential(u.ID, 1))
	mustOK(t, s.DeleteUser(t.Context(), u.ID), "DeleteUser")
	_, err := s.GetPasswordCredential(t.Context(), u.ID)
	wantKind(t, err, autherr.NotFound, "GetPasswordCredential after the user was deleted")
}

// testPasswordConcurrentCreates races creators for one user: the unique
// index lets exactly one win; the others see Conflict.
func testPasswordConcurrentCreates(t *testing.T, s Store) {
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.CreatePasswordCredential(t.Context(), newPasswordCredential(u.ID, i)) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, autherr.Conflict):
			t.Fatalf("concurrent create: %v, want nil or Conflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d concurrent creates succeeded, want 1", won)
	}
}
