package session_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/events/eventstest"
	"github.com/hanko-go/hanko/session"
)

func TestLogoutEmitsAndRevokes(t *testing.T) {
	t.Parallel()
	e, rec := newEnv(t, ""), &eventstest.Recorder{}
	m := e.manager(t, func(c *session.Config) { c.Events = rec })
	uid := e.user(t, "ada@example.com")
	tok, err := m.Issue(t.Context(), uid, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Logout(t.Context(), uid, tok.Claims.SessionID); err != nil {
		t.Fatal(err)
	}
	if got := rec.Names(); !slices.Equal(got, []string{"user_logged_out|"}) || rec.Events()[0].UserID != uid {
		t.Fatalf("events %q", got)
	}
	if _, err := m.Verify(t.Context(), tok.Value); !errors.Is(err, session.ErrInvalidToken) {
		t.Fatalf("token still valid after logout: %v", err)
	}
	if _, err := e.db.GetSession(t.Context(), tok.Claims.SessionID); err == nil {
		t.Fatal("session row left after logout")
	}
	// Logging out of a session that is already gone still counts; another
	// user's session is not touched.
	rec.Reset()
	other := e.user(t, "bob@example.com")
	otherTok, err := m.Issue(t.Context(), other, session.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Logout(t.Context(), uid, otherTok.Claims.SessionID); err != nil {
		t.Fatal(err)
	}
	if err := m.Logout(t.Context(), uid, uuid.New()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Verify(t.Context(), otherTok.Value); err != nil {
		t.Fatalf("another user's session revoked: %v", err)
	}
	if n := len(rec.Events()); n != 2 {
		t.Fatalf("%d events", n)
	}
	// An emitter failure rolls the logout back.
	rec.FailWith(errors.New("sink down"))
	if err := m.Logout(t.Context(), other, otherTok.Claims.SessionID); err == nil {
		t.Fatal("Logout succeeded with a failing emitter")
	}
	if _, err := m.Verify(t.Context(), otherTok.Value); err != nil {
		t.Fatalf("rolled-back logout revoked the session: %v", err)
	}
}
