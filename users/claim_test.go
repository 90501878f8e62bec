package users_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

// snatchingStore gives the unassigned address target to thief right after
// the service has read it as unassigned, inside the same transaction: what
// a concurrent claimer committing between the read and the claim looks
// like.
type snatchingStore struct {
	*store.DB
	target uuid.UUID
	thief  uuid.UUID
}

func (s *snatchingStore) snatch(ctx context.Context, e store.Email, err error) (store.Email, error) {
	if err != nil || e.ID != s.target || e.UserID != nil {
		return e, err
	}
	stolen := e
	stolen.UserID = &s.thief
	if err := s.DB.UpdateEmail(ctx, stolen); err != nil {
		return store.Email{}, err
	}
	return e, nil // the caller's stale view
}

func (s *snatchingStore) GetEmail(ctx context.Context, id uuid.UUID) (store.Email, error) {
	e, err := s.DB.GetEmail(ctx, id)
	return s.snatch(ctx, e, err)
}

func (s *snatchingStore) GetEmailByAddress(ctx context.Context, address string) (store.Email, error) {
	e, err := s.DB.GetEmailByAddress(ctx, address)
	return s.snatch(ctx, e, err)
}

// TestClaimLosesRace: every way of claiming an unassigned address fails
// with the feature's "taken" error when a concurrent claimer won between
// the read and the claim, instead of moving the address to the caller.
func TestClaimLosesRace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		verify bool // email.require_verification
		claim  func(ctx context.Context, svc *users.Service, user uuid.UUID, e store.Email) error
		want   error
		kind   autherr.Kind
	}{
		{"AddEmail", false, func(ctx context.Context, svc *users.Service, user uuid.UUID, e store.Email) error {
			_, err := svc.AddEmail(ctx, user, e.Address, true)
			return err
		}, users.ErrEmailInUse, autherr.Invalid},
		{"AddOwnEmail", false, func(ctx context.Context, svc *users.Service, user uuid.UUID, e store.Email) error {
			_, err := svc.AddOwnEmail(ctx, user, e.Address)
			return err
		}, users.ErrEmailInUse, autherr.Invalid},
		{"SignUp", false, func(ctx context.Context, svc *users.Service, _ uuid.UUID, e store.Email) error {
			_, err := svc.SignUp(ctx, e.Address)
			return err
		}, users.ErrEmailTaken, autherr.Conflict},
		{"VerifyEmail", true, func(ctx context.Context, svc *users.Service, user uuid.UUID, e store.Email) error {
			_, err := svc.VerifyEmail(ctx, user, e.ID)
			return err
		}, users.ErrEmailOwnedByOther, autherr.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db := newSQLite(t)
			now := time.Now().UTC().Truncate(time.Microsecond)
			thief, user := store.User{ID: uuid.New(), CreatedAt: now, UpdatedAt: now}, store.User{ID: uuid.New(), CreatedAt: now, UpdatedAt: now}
			mustOK(t, db.CreateUser(ctx, thief))
			mustOK(t, db.CreateUser(ctx, user))
			pending := store.Email{ID: uuid.New(), Address: "pending@example.com", CreatedAt: now, UpdatedAt: now}
			mustOK(t, db.CreateEmail(ctx, pending))
			svc, err := users.New(users.Config{Store: &snatchingStore{DB: db, target: pending.ID, thief: thief.ID},
				AllowSignup: true, RequireVerification: tc.verify})
			mustOK(t, err)

			wantErr(t, tc.claim(ctx, svc, user.ID, pending), tc.want, tc.kind)
			// Rolled back: the address is unassigned again, and the caller
			// got no primary email out of it.
			got, err := db.GetEmail(ctx, pending.ID)
			mustOK(t, err)
			if got.UserID != nil {
				t.Fatalf("address assigned to %v after the failed claim", got.UserID)
			}
			if _, err := db.GetPrimaryEmail(ctx, user.ID); !errors.Is(err, autherr.NotFound) {
				t.Fatalf("caller's primary email: %v, want none", err)
			}
		})
	}
}

// TestVerifyEmailConcurrent: users who signed up with the same address
// (each waiting for its passcode) verify it at once; exactly one gets it,
// the others ErrEmailOwnedByOther, and only the winner's primary email
// points at it.
func TestVerifyEmailConcurrent(t *testing.T) {
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
			svc := newService(t, db, nil) // RequireVerification: sign-ups share the pending row
			const n = 8
			ids := make([]uuid.UUID, n)
			var emailID uuid.UUID
			for i := range ids {
				res, err := svc.SignUp(t.Context(), "contested@example.com")
				mustOK(t, err)
				ids[i], emailID = res.UserID, res.EmailID
			}
			var (
				wg    sync.WaitGroup
				start = make(chan struct{})
				errs  = make([]error, n)
			)
			for i := range n {
				wg.Go(func() {
					<-start
					_, errs[i] = svc.VerifyEmail(t.Context(), ids[i], emailID)
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch {
				case err == nil && winner >= 0:
					t.Fatalf("users %d and %d both verified the address", winner, i)
				case err == nil:
					winner = i
				default:
					wantErr(t, err, users.ErrEmailOwnedByOther, autherr.Forbidden)
				}
			}
			if winner < 0 {
				t.Fatal("nobody verified the address")
			}
			e, err := db.GetEmail(t.Context(), emailID)
			mustOK(t, err)
			if e.UserID == nil || *e.UserID != ids[winner] {
				t.Fatalf("address belongs to %v, want the winner %v", e.UserID, ids[winner])
			}
			for i, id := range ids {
				p, err := db.GetPrimaryEmail(t.Context(), id)
				switch {
				case i == winner && (err != nil || p.EmailID != emailID):
					t.Fatalf("winner's primary email: %+v %v", p, err)
				case i != winner && !errors.Is(err, autherr.NotFound):
					t.Fatalf("user %d has primary email %+v (%v), want none", i, p, err)
				}
			}
		})
	}
}
