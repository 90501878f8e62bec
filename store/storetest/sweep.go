package storetest

import (
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/store"
)

// testDeleteExpired checks the sweeper's query: expired rows go, live ones
// and rows without an expiry stay, in batches of at most limit per table.
func testDeleteExpired(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	now := at(1000)
	var live, dead []uuid.UUID
	for i := range 5 {
		exp := at(900 + i) // expired
		if i >= 3 {
			exp = at(2000) // alive
		}
		se := store.Session{ID: uuid.New(), UserID: u.ID, UserAgent: "ua", IPAddress: "127.0.0.1", ExpiresAt: &exp, LastUsed: at(1), CreatedAt: at(1), UpdatedAt: at(1)}
		mustOK(t, s.CreateSession(ctx, se), "CreateSession")
		if i >= 3 {
			live = append(live, se.ID)
		} else {
			dead = append(dead, se.ID)
		}
	}
	forever := store.Session{ID: uuid.New(), UserID: u.ID, UserAgent: "ua", IPAddress: "127.0.0.1", LastUsed: at(1), CreatedAt: at(1), UpdatedAt: at(1)}
	mustOK(t, s.CreateSession(ctx, forever), "CreateSession")
	live = append(live, forever.ID)

	n, err := s.DeleteExpired(ctx, now, 2)
	mustOK(t, err, "DeleteExpired")
	if n != 2 {
		t.Fatalf("first batch deleted %d rows, want 2 (the limit)", n)
	}
	n, err = s.DeleteExpired(ctx, now, 2)
	mustOK(t, err, "DeleteExpired")
	if n != 1 {
		t.Fatalf("second batch deleted %d rows, want the last expired one", n)
	}
	for _, id := range dead {
		if _, err := s.GetSession(ctx, id); err == nil {
			t.Errorf("expired session %s survived", id)
		}
	}
	for _, id := range live {
		if _, err := s.GetSession(ctx, id); err != nil {
			t.Errorf("live session %s was swept: %v", id, err)
		}
	}
	if n, err := s.DeleteExpired(ctx, now, 100); err != nil || n != 0 {
		t.Fatalf("nothing left to sweep, yet %d rows (%v)", n, err)
	}
}
