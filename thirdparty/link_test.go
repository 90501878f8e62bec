package thirdparty_test

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
	"github.com/hanko-go/hanko/thirdparty"
	"github.com/hanko-go/hanko/thirdparty/thirdpartytest"
)

// snatchingStore gives an unassigned address to another user right after
// linking has read it as unassigned, inside the same transaction: what a
// concurrent claimer (a passcode verification, another provider login)
// committing between the read and the claim looks like.
type snatchingStore struct {
	*store.DB
	address string
	thief   uuid.UUID
}

func (s *snatchingStore) GetEmailByAddress(ctx context.Context, address string) (store.Email, error) {
	e, err := s.DB.GetEmailByAddress(ctx, address)
	if err != nil || address != s.address || e.UserID != nil {
		return e, err
	}
	stolen := e
	stolen.UserID = &s.thief
	if err := s.DB.UpdateEmail(ctx, stolen); err != nil {
		return store.Email{}, err
	}
	return e, nil // the caller's stale view
}

// login runs Begin and Callback for the fake's current user.
func login(t *testing.T, svc *thirdparty.Service, fake *thirdpartytest.Provider) (thirdparty.Result, error) {
	t.Helper()
	begun, err := svc.Begin(t.Context(), "acme", "https://app.example.com/home")
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := url.Parse(fake.Approve(t, begun.URL))
	return svc.Callback(t.Context(), thirdparty.CallbackRequest{
		State: cb.Query().Get("state"), Code: cb.Query().Get("code"), CookieNonce: begun.Nonce})
}

// TestLinkClaimLosesRace: when a concurrent claimer takes an unassigned
// address between linking's read and its claim, the login fails with the
// linking error (user_conflict on sign-up, multiple_accounts on sign-in)
// and the winner keeps the address.
func TestLinkClaimLosesRace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		signedUp bool // an identity exists, linked to another address
		wantCode string
	}{
		{"SignUp", false, thirdparty.CodeUserConflict},
		{"SignInNewAddress", true, thirdparty.CodeMultipleAccounts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := storetest.OpenSQLite(t)
			now := time.Now().UTC().Truncate(time.Microsecond)
			thief := store.User{ID: uuid.New(), CreatedAt: now, UpdatedAt: now}
			if err := db.CreateUser(ctx, thief); err != nil {
				t.Fatal(err)
			}
			pending := store.Email{ID: uuid.New(), Address: "pending@example.com", CreatedAt: now, UpdatedAt: now}
			if err := db.CreateEmail(ctx, pending); err != nil {
				t.Fatal(err)
			}
			fake := thirdpartytest.New(t)
			st := &snatchingStore{DB: db, address: pending.Address, thief: thief.ID}
			svc, err := serviceOn(st, fake)
			if err != nil {
				t.Fatal(err)
			}
			if tc.signedUp {
				fake.SetUser(thirdpartytest.User{Subject: "s1", Email: "first@example.com", EmailVerified: true})
				if _, err := login(t, svc, fake); err != nil {
					t.Fatal(err)
				}
			}
			fake.SetUser(thirdpartytest.User{Subject: "s1", Email: pending.Address, EmailVerified: true})
			_, err = login(t, svc, fake)
			var e *thirdparty.Error
			if !errors.As(err, &e) || e.Code != tc.wantCode {
				t.Fatalf("login = %v, want %s", err, tc.wantCode)
			}
			// The transaction rolled back: the address is unassigned again,
			// and in no case was it moved to the login's user.
			got, err := db.GetEmail(ctx, pending.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.UserID != nil {
				t.Fatalf("address assigned to %v after the failed login", got.UserID)
			}
		})
	}
}
