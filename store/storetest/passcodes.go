package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// testPasscodes covers the passcode.Store contract: the row round trip, the
// try counter that never passes its limit, and the delete that exactly one
// of many concurrent callers wins.
func testPasscodes(t *testing.T, s Store) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Store)
	}{
		{"CreateGet", testPasscodeCreateGet},
		{"Increment", testPasscodeIncrement},
		{"Delete", testPasscodeDelete},
		{"ConcurrentIncrements", testPasscodeConcurrentIncrements},
		{"ConcurrentDeletes", testPasscodeConcurrentDeletes},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, s) })
	}
}

// newPasscode is a passcode of userID and emailID (nil for NULL) created at
// created and valid for 300 s.
func newPasscode(userID, emailID *uuid.UUID, created time.Time) store.Passcode {
	return store.Passcode{
		ID: uuid.New(), UserID: userID, EmailID: emailID, TTL: 300,
		Code:      "8c1f0e0ad5b1c6b5f4e3d2c1b0a99887766554433221100ffeeddccbbaa99887",
		ExpiresAt: created.Add(300 * time.Second), CreatedAt: created, UpdatedAt: created,
	}
}

func mustCreatePasscode(tb testing.TB, s Store, p store.Passcode) {
	tb.Helper()
	mustOK(tb, s.CreatePasscode(tb.Context(), p), "CreatePasscode")
}

// checkPasscode compares every column of a passcode.
func checkPasscode(tb testing.TB, got, want store.Passcode) {
	tb.Helper()
	if got.ID != want.ID || !sameUserID(got.UserID, want.UserID) || !sameUserID(got.EmailID, want.EmailID) ||
		got.TTL != want.TTL || got.Code != want.Code || got.TryCount != want.TryCount ||
		!got.ExpiresAt.Equal(want.ExpiresAt) || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		tb.Fatalf("passcode:\n got  %+v\n want %+v", got, want)
	}
}

func testPasscodeCreateGet(t *testing.T, s Store) {
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	e := newEmail(&u.ID, "passcode-"+u.ID.String()+"@example.com", at(0))
	mustCreateEmail(t, s, e)

	bound := newPasscode(&u.ID, &e.ID, at(1))
	mustCreatePasscode(t, s, bound)
	got, err := s.GetPasscode(t.Context(), bound.ID)
	mustOK(t, err, "GetPasscode")
	checkPasscode(t, got, bound)

	// Flow passcodes have neither user nor email.
	free := newPasscode(nil, nil, at(2))
	mustCreatePasscode(t, s, free)
	got, err = s.GetPasscode(t.Context(), free.ID)
	mustOK(t, err, "GetPasscode unbound")
	checkPasscode(t, got, free)

	wantKind(t, s.CreatePasscode(t.Context(), bound), autherr.Conflict, "CreatePasscode with a taken ID")
	missing := uuid.New()
	wantKind(t, s.CreatePasscode(t.Context(), newPasscode(&missing, nil, at(3))), autherr.NotFound,
		"CreatePasscode for an unknown user")
	_, err = s.GetPasscode(t.Context(), uuid.New())
	wantKind(t, err, autherr.NotFound, "GetPasscode of an unknown ID")

	// Deleting the user cascades to its passcodes.
	mustOK(t, s.DeleteUser(t.Context(), u.ID), "DeleteUser")
	_, err = s.GetPasscode(t.Context(), bound.ID)
	wantKind(t, err, autherr.NotFound, "GetPasscode after its user was deleted")
}

func testPasscodeIncrement(t *testing.T, s Store) {
	p := newPasscode(nil, nil, at(0))
	mustCreatePasscode(t, s, p)
	for want := 1; want <= 3; want++ {
		tries, err := s.IncrementPasscodeTries(t.Context(), p.ID, 3)
		mustOK(t, err, fmt.Sprintf("IncrementPasscodeTries #%d", want))
		if tries != want {
			t.Fatalf("IncrementPasscodeTries #%d = %d", want, tries)
		}
	}
	tries, err := s.IncrementPasscodeTries(t.Context(), p.ID, 3)
	wantKind(t, err, autherr.Gone, "IncrementPasscodeTries over the limit")
	wantKind(t, err, store.ErrPasscodeTryLimit, "IncrementPasscodeTries over the limit")
	if tries != 3 {
		t.Fatalf("IncrementPasscodeTries over the limit = %d, want the count 3", tries)
	}
	got, err := s.GetPasscode(t.Context(), p.ID)
	mustOK(t, err, "GetPasscode")
	p.TryCount = 3
	checkPasscode(t, got, p) // nothing else changed

	_, err = s.IncrementPasscodeTries(t.Context(), uuid.New(), 3)
	wantKind(t, err, autherr.NotFound, "IncrementPasscodeTries of an unknown ID")
}

func testPasscodeDelete(t *testing.T, s Store) {
	p := newPasscode(nil, nil, at(0))
	mustCreatePasscode(t, s, p)
	mustOK(t, s.DeletePasscode(t.Context(), p.ID), "DeletePasscode")
	_, err := s.GetPasscode(t.Context(), p.ID)
	wantKind(t, err, autherr.NotFound, "GetPasscode after delete")
	wantKind(t, s.DeletePasscode(t.Context(), p.ID), autherr.NotFound, "DeletePasscode twice")
	_, err = s.IncrementPasscodeTries(t.Context(), p.ID, 3)
	wantKind(t, err, autherr.NotFound, "IncrementPasscodeTries after delete")
}

// testPasscodeConcurrentIncrements races many tries against a limit of 3:
// exactly three are counted, every other one reports the limit.
func testPasscodeConcurrentIncrements(t *testing.T, s Store) {
	const n, limit = 50, 3
	p := newPasscode(nil, nil, at(0))
	mustCreatePasscode(t, s, p)
	counted, refused := race(t, n, func() error {
		_, err := s.IncrementPasscodeTries(t.Context(), p.ID, limit)
		return err
	}, autherr.Gone)
	if counted != limit || refused != n-limit {
		t.Fatalf("%d racing increments: %d counted, %d refused; want %d and %d", n, counted, refused, limit, n-limit)
	}
	got, err := s.GetPasscode(t.Context(), p.ID)
	mustOK(t, err, "GetPasscode")
	if got.TryCount != limit {
		t.Fatalf("try_count = %d, want %d", got.TryCount, limit)
	}
}

// testPasscodeConcurrentDeletes races many deletes: exactly one succeeds.
func testPasscodeConcurrentDeletes(t *testing.T, s Store) {
	const n = 50
	p := newPasscode(nil, nil, at(0))
	mustCreatePasscode(t, s, p)
	won, lost := race(t, n, func() error { return s.DeletePasscode(t.Context(), p.ID) }, autherr.NotFound)
	if won != 1 || lost != n-1 {
		t.Fatalf("%d racing deletes: %d succeeded, %d NotFound; want 1 and %d", n, won, lost, n-1)
	}
}

// race runs f in n goroutines released together and counts the calls that
// succeeded and those that failed with expected; any other error fails tb.
func race(tb testing.TB, n int, f func() error, expected error) (ok, failed int) {
	tb.Helper()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		start = make(chan struct{})
		other []error
	)
	for range n {
		wg.Go(func() {
			<-start
			err := f()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, expected):
				failed++
			default:
				other = append(other, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		tb.Fatalf("unexpected errors: %v", errors.Join(other...))
	}
	return ok, failed
}
