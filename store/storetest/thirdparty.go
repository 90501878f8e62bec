package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// testIdentities covers the identity part of thirdparty.Store: the round
// trip, the unique provider account, the update and the per-user listing.
func testIdentities(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreateUser(t, s, other)
	e1, e2, e3 := newEmail(&u.ID, "a@example.com", at(1)), newEmail(&u.ID, "b@example.com", at(2)), newEmail(&other.ID, "c@example.com", at(3))
	for _, e := range []store.Email{e1, e2, e3} {
		mustCreateEmail(t, s, e)
	}
	data := `{"sub":"123"}`
	i1 := store.Identity{ID: uuid.New(), ProviderID: "123", ProviderName: "google", Data: &data, EmailID: e1.ID, CreatedAt: at(4), UpdatedAt: at(4)}
	mustOK(t, s.CreateIdentity(ctx, i1), "CreateIdentity")
	got, err := s.GetIdentity(ctx, "google", "123")
	mustOK(t, err, "GetIdentity")
	if got.ID != i1.ID || got.EmailID != e1.ID || got.Data == nil || *got.Data != data || !got.CreatedAt.Equal(i1.CreatedAt) {
		t.Fatalf("GetIdentity = %+v, want %+v", got, i1)
	}
	if _, err := s.GetIdentity(ctx, "github", "123"); !errors.Is(err, autherr.NotFound) {
		t.Fatalf("GetIdentity(other provider) = %v, want NotFound", err)
	}
	dup := i1
	dup.ID, dup.EmailID = uuid.New(), e3.ID
	if err := s.CreateIdentity(ctx, dup); !errors.Is(err, autherr.Conflict) {
		t.Fatalf("CreateIdentity(same provider account) = %v, want Conflict", err)
	}
	same := dup
	same.ProviderName = "github"
	mustOK(t, s.CreateIdentity(ctx, same), "CreateIdentity(same subject, other provider)")
	bad := store.Identity{ID: uuid.New(), ProviderID: "x", ProviderName: "google", EmailID: uuid.New(), CreatedAt: at(5), UpdatedAt: at(5)}
	if err := s.CreateIdentity(ctx, bad); !errors.Is(err, autherr.NotFound) {
		t.Fatalf("CreateIdentity(unknown email) = %v, want NotFound", err)
	}

	i1.EmailID, i1.UpdatedAt = e2.ID, at(6)
	mustOK(t, s.UpdateIdentity(ctx, i1), "UpdateIdentity")
	if got, _ := s.GetIdentity(ctx, "google", "123"); got.EmailID != e2.ID || !got.UpdatedAt.Equal(at(6)) {
		t.Fatalf("after UpdateIdentity: %+v", got)
	}
	if err := s.UpdateIdentity(ctx, store.Identity{ID: uuid.New(), EmailID: e1.ID, UpdatedAt: at(7)}); !errors.Is(err, autherr.NotFound) {
		t.Fatalf("UpdateIdentity(missing) = %v, want NotFound", err)
	}

	list, err := s.ListIdentities(ctx, u.ID)
	mustOK(t, err, "ListIdentities")
	if len(list) != 1 || list[0].ID != i1.ID {
		t.Fatalf("ListIdentities(u) = %+v, want only %v", list, i1.ID)
	}
	if list, _ := s.ListIdentities(ctx, other.ID); len(list) != 1 || list[0].ID != same.ID {
		t.Fatalf("ListIdentities(other) = %+v", list)
	}
	// GetUser loads the identities with the addresses.
	loaded := mustGetUser(t, s, u.ID)
	var linked []uuid.UUID
	for _, e := range loaded.Emails {
		for _, i := range e.Identities {
			if i.EmailID != e.ID {
				t.Fatalf("identity %v on email %v says email %v", i.ID, e.ID, i.EmailID)
			}
			linked = append(linked, i.ID)
		}
	}
	if len(linked) != 1 || linked[0] != i1.ID {
		t.Fatalf("GetUser identities = %v, want [%v]", linked, i1.ID)
	}
	// Deleting the user takes its addresses and their identities along.
	mustOK(t, s.DeleteUser(ctx, u.ID), "DeleteUser")
	if _, err := s.GetIdentity(ctx, "google", "123"); !errors.Is(err, autherr.NotFound) {
		t.Fatalf("identity after DeleteUser: %v, want NotFound", err)
	}
}

// testTokens covers the token part of thirdparty.Store: values are unique,
// consuming returns the row once, racing consumers have exactly one
// winner, and expired tokens are swept.
func testTokens(t *testing.T, s Store) {
	ctx := t.Context()
	u := newUser(at(0))
	mustCreateUser(t, s, u)
	e := newEmail(&u.ID, "t@example.com", at(0))
	mustCreateEmail(t, s, e)
	ident := store.Identity{ID: uuid.New(), ProviderID: "1", ProviderName: "google", EmailID: e.ID, CreatedAt: at(0), UpdatedAt: at(0)}
	mustOK(t, s.CreateIdentity(ctx, ident), "CreateIdentity")
	tok := store.Token{ID: uuid.New(), UserID: u.ID, Value: "hash-1", ExpiresAt: at(60), IdentityID: &ident.ID,
		UserCreated: true, CreatedAt: at(0), UpdatedAt: at(0)}
	mustOK(t, s.CreateToken(ctx, tok), "CreateToken")
	dup := tok
	dup.ID = uuid.New()
	if err := s.CreateToken(ctx, dup); !errors.Is(err, autherr.Conflict) {
		t.Fatalf("CreateToken(same value) = %v, want Conflict", err)
	}
	got, err := s.ConsumeToken(ctx, "hash-1")
	mustOK(t, err, "ConsumeToken")
	if got.ID != tok.ID || got.UserID != u.ID || got.IdentityID == nil || *got.IdentityID != ident.ID ||
		!got.UserCreated || got.IsFlow || !got.ExpiresAt.Equal(tok.ExpiresAt) {
		t.Fatalf("ConsumeToken = %+v, want %+v", got, tok)
	}
	if _, err := s.ConsumeToken(ctx, "hash-1"); !errors.Is(err, autherr.NotFound) {
		t.Fatalf("second ConsumeToken = %v, want NotFound", err)
	}

	race := store.Token{ID: uuid.New(), UserID: u.ID, Value: "hash-race", ExpiresAt: at(60), CreatedAt: at(0), UpdatedAt: at(0)}
	mustOK(t, s.CreateToken(ctx, race), "CreateToken")
	var wins, losses atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, err := s.ConsumeToken(ctx, "hash-race")
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, autherr.NotFound):
				losses.Add(1)
			default:
				t.Errorf("ConsumeToken: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d of 10 concurrent ConsumeToken calls won (%d lost), want exactly 1", wins.Load(), losses.Load())
	}

	old := store.Token{ID: uuid.New(), UserID: u.ID, Value: "hash-old", ExpiresAt: at(60), CreatedAt: at(0), UpdatedAt: at(0)}
	mustOK(t, s.CreateToken(ctx, old), "CreateToken")
	if _, err := s.DeleteExpired(ctx, at(61).Add(time.Second), 100); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumeToken(ctx, "hash-old"); !errors.Is(err, autherr.NotFound) {
		t.Fatalf("expired token after DeleteExpired: %v, want NotFound", err)
	}
}
