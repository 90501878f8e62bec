package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// testClaimEmail: ClaimEmail assigns an unassigned address once. A claim
// made on a stale read (the address was free when read, then someone else
// claimed it) is Conflict and leaves the winner's row alone; of concurrent
// claimers, each reading first and then setting its primary email in one
// transaction, exactly one wins and no loser's primary row survives.
func testClaimEmail(t *testing.T, s Store) {
	ctx := t.Context()
	a, b := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, a)
	mustCreateUser(t, s, b)
	e := newEmail(nil, "claim-once@example.com", at(1))
	mustCreateEmail(t, s, e)

	// Both read the address while it is free; a claims first.
	stale, err := s.GetEmail(ctx, e.ID)
	mustOK(t, err, "GetEmail")
	if stale.UserID != nil {
		t.Fatalf("fixture email assigned to %v", stale.UserID)
	}
	mustOK(t, s.ClaimEmail(ctx, e.ID, a.ID, true, at(2)), "ClaimEmail a")
	wantKind(t, s.ClaimEmail(ctx, stale.ID, b.ID, false, at(3)), autherr.Conflict, "ClaimEmail b on a stale read")
	got, err := s.GetEmail(ctx, e.ID)
	mustOK(t, err, "GetEmail")
	want := e
	want.UserID, want.Verified, want.UpdatedAt = &a.ID, true, at(2)
	checkEmail(t, got, want)
	// Claiming one's own address again is a conflict too: it is not free.
	wantKind(t, s.ClaimEmail(ctx, e.ID, a.ID, true, at(4)), autherr.Conflict, "ClaimEmail of an assigned email")
	wantKind(t, s.ClaimEmail(ctx, uuid.New(), a.ID, true, at(4)), autherr.Conflict, "ClaimEmail of a missing email")

	// Unverified stays unverified when told so.
	u := newEmail(nil, "claim-unverified@example.com", at(5))
	mustCreateEmail(t, s, u)
	mustOK(t, s.ClaimEmail(ctx, u.ID, b.ID, false, at(6)), "ClaimEmail unverified")
	got, err = s.GetEmail(ctx, u.ID)
	mustOK(t, err, "GetEmail")
	want = u
	want.UserID, want.UpdatedAt = &b.ID, at(6)
	checkEmail(t, got, want)

	t.Run("Concurrent", func(t *testing.T) { testClaimEmailConcurrent(t, s) })
}

// testClaimEmailConcurrent races claimers of one unassigned address, each
// in a transaction that reads the row, claims it and makes it the user's
// primary email, as sign-up and verification do.
func testClaimEmailConcurrent(t *testing.T, s Store) {
	const n = 8
	e := newEmail(nil, "claim-race@example.com", at(10))
	mustCreateEmail(t, s, e)
	us := make([]store.User, n)
	for i := range us {
		us[i] = newUser(at(10))
		mustCreateUser(t, s, us[i])
	}
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.InTx(t.Context(), func(ctx context.Context) error {
				got, err := s.GetEmail(ctx, e.ID)
				if err != nil {
					return err
				}
				if got.UserID != nil {
					return fmt.Errorf("%w: already claimed", autherr.Conflict)
				}
				if err := s.ClaimEmail(ctx, e.ID, us[i].ID, true, at(11)); err != nil {
					return err
				}
				return s.SetPrimaryEmail(ctx, uuid.New(), us[i].ID, e.ID, at(11))
			})
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("claimers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, autherr.Conflict):
			t.Errorf("claimer %d: %v, want nil or Conflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no claimer won")
	}
	got, err := s.GetEmail(t.Context(), e.ID)
	mustOK(t, err, "GetEmail")
	if got.UserID == nil || *got.UserID != us[winner].ID {
		t.Fatalf("email belongs to %v, want the winner %v", got.UserID, us[winner].ID)
	}
	for i, u := range us {
		p := mustGetUser(t, s, u.ID).PrimaryEmail
		switch {
		case i == winner && (p == nil || p.EmailID != e.ID):
			t.Fatalf("winner's primary email = %v, want %v", p, e.ID)
		case i != winner && p != nil:
			t.Fatalf("loser %d kept primary email %v", i, p.EmailID)
		}
	}
}
