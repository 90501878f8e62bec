package users_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/events/eventstest"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
	"github.com/hanko-go/hanko/users"
)

// newEmitting returns a users service on a fresh SQLite database whose
// events go to a Recorder.
func newEmitting(t *testing.T, verify bool) (*users.Service, *store.DB, *eventstest.Recorder) {
	t.Helper()
	db, rec := storetest.OpenSQLite(t), &eventstest.Recorder{}
	s, err := users.New(users.Config{Store: db, AllowSignup: true, RequireVerification: verify, Events: rec, Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	return s, db, rec
}

func wantNames(t *testing.T, rec *eventstest.Recorder, want ...string) {
	t.Helper()
	if got := rec.Names(); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	rec.Reset()
}

func wantUser(t *testing.T, rec *eventstest.Recorder, uid uuid.UUID) {
	t.Helper()
	for _, e := range rec.Events() {
		if e.UserID != uid {
			t.Fatalf("event %s|%s for user %s, want %s", e.Audit, e.Webhook, e.UserID, uid)
		}
	}
}

func TestEventsOfAdminChanges(t *testing.T) {
	s, _, rec := newEmitting(t, true)
	ctx := t.Context()
	u, err := s.Create(ctx, users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true, Verified: true}}})
	mustOK(t, err)
	wantUser(t, rec, u.ID)
	wantNames(t, rec, "user_created|user.create")

	e, err := s.AddEmail(ctx, u.ID, "second@example.com", true)
	mustOK(t, err)
	wantUser(t, rec, u.ID)
	wantNames(t, rec, "email_created|user.update.email.create")

	mustOK(t, s.SetPrimaryEmail(ctx, u.ID, e.ID))
	wantNames(t, rec, "primary_email_changed|user.update.email.primary")

	first := u.Emails[0].ID
	mustOK(t, s.DeleteEmail(ctx, u.ID, first))
	wantNames(t, rec, "email_deleted|user.update.email.delete")

	// A failed change emits nothing.
	if err := s.DeleteEmail(ctx, u.ID, e.ID); !errors.Is(err, users.ErrPrimaryEmail) {
		t.Fatalf("deleting the primary: %v", err)
	}
	wantNames(t, rec)

	mustOK(t, s.Delete(ctx, u.ID))
	wantUser(t, rec, u.ID)
	wantNames(t, rec, "user_deleted|user.delete")
	if err := s.Delete(ctx, u.ID); !errors.Is(err, users.ErrUserNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	wantNames(t, rec)
}

func TestFirstAdminEmailIsPrimary(t *testing.T) {
	s, _, rec := newEmitting(t, true)
	u, err := s.Create(t.Context(), users.NewUser{Username: "ada"})
	mustOK(t, err)
	rec.Reset()
	_, err = s.AddEmail(t.Context(), u.ID, "ada@example.com", false)
	mustOK(t, err)
	wantNames(t, rec, "primary_email_changed|", "email_created|user.update.email.create")
}

// TestUserDeleteEmittedBeforeDeletion checks that the emitter still finds
// the user (a webhook payload is loaded in the transaction).
func TestUserDeleteEmittedBeforeDeletion(t *testing.T) {
	db := storetest.OpenSQLite(t)
	var seen []string
	em := events.EmitterFunc(func(ctx context.Context, e events.Event) error {
		if e.Webhook != events.UserDelete {
			return nil
		}
		u, err := db.GetUser(ctx, e.UserID)
		if err != nil {
			return err
		}
		seen = append(seen, u.Emails[0].Address)
		return nil
	})
	s, err := users.New(users.Config{Store: db, Events: em})
	mustOK(t, err)
	u, err := s.Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true}}})
	mustOK(t, err)
	mustOK(t, s.Delete(t.Context(), u.ID))
	if !slices.Equal(seen, []string{"ada@example.com"}) {
		t.Fatalf("emitter saw %v", seen)
	}
}

func TestEventsOfSignUp(t *testing.T) {
	t.Run("without verification", func(t *testing.T) {
		s, _, rec := newEmitting(t, false)
		res, err := s.SignUp(t.Context(), "ada@example.com")
		mustOK(t, err)
		wantUser(t, rec, res.UserID)
		wantNames(t, rec, "user_created|user.create")
	})
	t.Run("with verification", func(t *testing.T) {
		s, _, rec := newEmitting(t, true)
		res, err := s.SignUp(t.Context(), "ada@example.com")
		mustOK(t, err)
		// The user row exists (audited); no webhook until the address is
		// verified.
		wantNames(t, rec, "user_created|")
		_, err = s.VerifyEmail(t.Context(), res.UserID, res.EmailID)
		mustOK(t, err)
		wantUser(t, rec, res.UserID)
		wantNames(t, rec, "primary_email_changed|", "email_verified|", "|user.create")
		// Verifying again (a later login) announces nothing new.
		_, err = s.VerifyEmail(t.Context(), res.UserID, res.EmailID)
		mustOK(t, err)
		wantNames(t, rec)
	})
}

func TestEventsOfOwnEmail(t *testing.T) {
	t.Run("with verification", func(t *testing.T) {
		s, _, rec := newEmitting(t, true)
		u, err := s.Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true, Verified: true}}})
		mustOK(t, err)
		rec.Reset()
		e, err := s.AddOwnEmail(t.Context(), u.ID, "new@example.com")
		mustOK(t, err)
		wantNames(t, rec, "email_created|")
		_, err = s.VerifyEmail(t.Context(), u.ID, e.ID)
		mustOK(t, err)
		wantNames(t, rec, "email_verified|", "|user.update.email.create")
	})
	t.Run("without verification", func(t *testing.T) {
		s, _, rec := newEmitting(t, false)
		u, err := s.Create(t.Context(), users.NewUser{Username: "ada"})
		mustOK(t, err)
		rec.Reset()
		_, err = s.AddOwnEmail(t.Context(), u.ID, "ada@example.com")
		mustOK(t, err)
		wantNames(t, rec, "primary_email_changed|", "email_created|user.update.email.create")
		_, err = s.AddOwnEmail(t.Context(), u.ID, "second@example.com")
		mustOK(t, err)
		wantNames(t, rec, "email_created|user.update.email.create")
	})
}

// TestRolledBackChangesEmitNothing: an emitter error rolls the change
// back, and a change rolled back after emitting (the session insert after
// sign-up failed) leaves neither rows nor events.
func TestRolledBackChangesEmitNothing(t *testing.T) {
	s, db, rec := newEmitting(t, false)
	ctx := t.Context()
	boom := errors.New("sink down")

	rec.FailWith(boom)
	_, err := s.Create(ctx, users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true}}})
	if !errors.Is(err, boom) {
		t.Fatalf("Create with a failing emitter: %v", err)
	}
	if _, total, _ := s.List(ctx, users.Query{}); total != 0 {
		t.Fatalf("%d users after a rolled-back create", total)
	}
	rec.FailWith(nil)

	sessionFailed := errors.New("session insert failed")
	_, err = s.SignUpThen(ctx, "ada@example.com", func(ctx context.Context, res users.SignUpResult) error {
		return sessionFailed
	})
	if !errors.Is(err, sessionFailed) {
		t.Fatalf("SignUpThen: %v", err)
	}
	if _, total, _ := s.List(ctx, users.Query{}); total != 0 {
		t.Fatalf("%d users after a rolled-back sign-up", total)
	}
	if _, err := db.GetEmailByAddress(ctx, "ada@example.com"); err == nil {
		t.Fatal("email row left by a rolled-back sign-up")
	}
	wantNames(t, rec)
}
