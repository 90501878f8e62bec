package storetest

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

func newCredential(userID uuid.UUID, id string, created time.Time, transports ...string) store.WebauthnCredential {
	c := store.WebauthnCredential{
		ID: id, UserID: userID, PublicKey: "pk-" + id, AttestationType: "none", AAGUID: uuid.New(),
		SignCount: 1, BackupEligible: true, CreatedAt: created, UpdatedAt: created,
	}
	for _, t := range transports {
		c.Transports = append(c.Transports, store.WebauthnCredentialTransport{ID: uuid.New(), Name: t, WebauthnCredentialID: id})
	}
	return c
}

func testWebauthnCredentials(t *testing.T, s Store) {
	ctx := t.Context()
	u, other := newUser(at(0)), newUser(at(0))
	mustCreateUser(t, s, u)
	mustCreateUser(t, s, other)

	c1 := newCredential(u.ID, "Y3JlZC0x", at(1), "internal", "hybrid")
	c2 := newCredential(u.ID, "Y3JlZC0y", at(2))
	c2.SignCount = 0
	mustOK(t, s.CreateWebauthnCredential(ctx, c1), "create c1")
	mustOK(t, s.CreateWebauthnCredential(ctx, c2), "create c2")
	wantKind(t, s.CreateWebauthnCredential(ctx, newCredential(other.ID, c1.ID, at(3))), autherr.Conflict, "taken id")
	wantKind(t, s.CreateWebauthnCredential(ctx, newCredential(uuid.New(), "bm8tdXNlcg", at(3))), autherr.NotFound, "unknown user")

	got, err := s.GetWebauthnCredential(ctx, c1.ID)
	mustOK(t, err, "get c1")
	if got.UserID != u.ID || got.AAGUID != c1.AAGUID || got.SignCount != 1 || !got.BackupEligible || len(got.Transports) != 2 ||
		!got.CreatedAt.Equal(c1.CreatedAt) || got.LastUsedAt != nil {
		t.Fatalf("got %+v, want %+v", got, c1)
	}
	key, err := s.GetWebauthnCredentialKey(ctx, c1.ID)
	mustOK(t, err, "get key c1")
	if key.PublicKey != c1.PublicKey || key.UserID != u.ID || len(key.Transports) != 0 {
		t.Fatalf("key = %+v", key)
	}
	list, err := s.WebauthnCredentials(ctx, u.ID)
	mustOK(t, err, "list")
	if len(list) != 2 || list[0].ID != c1.ID || list[1].ID != c2.ID || len(list[0].Transports) != 2 {
		t.Fatalf("list = %+v", list)
	}
	if list, _ := s.WebauthnCredentials(ctx, other.ID); len(list) != 0 {
		t.Fatalf("other user's list = %+v", list)
	}

	mustOK(t, s.RecordWebauthnLogin(ctx, c1.ID, 7, true, true, at(10)), "record login")
	got, _ = s.GetWebauthnCredential(ctx, c1.ID)
	if got.SignCount != 7 || !got.BackupState || got.LastUsedAt == nil || !got.LastUsedAt.Equal(at(10)) {
		t.Fatalf("after login: %+v", got)
	}
	wantKind(t, s.RecordWebauthnLogin(ctx, "bm9uZQ", 1, false, false, at(10)), autherr.NotFound, "record unknown")
	// The counter only moves forward: a login that lost a race to a higher
	// counter is refused, and so is a 0 once a counter was seen.
	wantKind(t, s.RecordWebauthnLogin(ctx, c1.ID, 7, true, true, at(11)), autherr.NotFound, "same counter")
	wantKind(t, s.RecordWebauthnLogin(ctx, c1.ID, 5, true, true, at(11)), autherr.NotFound, "lower counter")
	wantKind(t, s.RecordWebauthnLogin(ctx, c1.ID, 0, true, true, at(11)), autherr.NotFound, "zero after a counter")
	mustOK(t, s.RecordWebauthnLogin(ctx, c2.ID, 0, true, false, at(12)), "zero-counter authenticator")
	mustOK(t, s.RecordWebauthnLogin(ctx, c2.ID, 0, true, false, at(13)), "zero-counter authenticator again")

	mustOK(t, s.RenameWebauthnCredential(ctx, u.ID, c1.ID, "Laptop", at(11)), "rename")
	got, _ = s.GetWebauthnCredential(ctx, c1.ID)
	if got.Name == nil || *got.Name != "Laptop" {
		t.Fatalf("name = %v", got.Name)
	}
	wantKind(t, s.RenameWebauthnCredential(ctx, other.ID, c1.ID, "x", at(11)), autherr.NotFound, "rename not owned")
	wantKind(t, s.DeleteWebauthnCredential(ctx, other.ID, c1.ID), autherr.NotFound, "delete not owned")
	mustOK(t, s.DeleteWebauthnCredential(ctx, u.ID, c1.ID), "delete")
	wantKind(t, func() error { _, err := s.GetWebauthnCredential(ctx, c1.ID); return err }(), autherr.NotFound, "get deleted")
	wantKind(t, s.DeleteWebauthnCredential(ctx, u.ID, c1.ID), autherr.NotFound, "delete twice")

	// Deleting the user deletes its credentials.
	mustOK(t, s.DeleteUser(ctx, u.ID), "delete user")
	wantKind(t, func() error { _, err := s.GetWebauthnCredential(ctx, c2.ID); return err }(), autherr.NotFound, "credential of deleted user")
}

func testWebauthnSessionData(t *testing.T, s Store) {
	ctx := t.Context()
	exp := at(300)
	uid := uuid.New()
	d := store.WebauthnSessionData{
		ID: uuid.New(), Challenge: "Y2hhbGxlbmdl", UserID: &uid, UserVerification: "preferred",
		Operation: "authentication", ExpiresAt: &exp, CreatedAt: at(0), UpdatedAt: at(0),
	}
	mustOK(t, s.CreateWebauthnSessionData(ctx, d), "create")
	dup := d
	dup.ID = uuid.New()
	wantKind(t, s.CreateWebauthnSessionData(ctx, dup), autherr.Conflict, "same challenge twice")

	_, err := s.ConsumeWebauthnSessionData(ctx, d.Challenge, "registration")
	wantKind(t, err, autherr.NotFound, "other operation")
	got, err := s.ConsumeWebauthnSessionData(ctx, d.Challenge, "authentication")
	mustOK(t, err, "consume")
	if got.ID != d.ID || got.UserID == nil || *got.UserID != uid || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) ||
		got.UserVerification != "preferred" {
		t.Fatalf("consumed %+v, want %+v", got, d)
	}
	_, err = s.ConsumeWebauthnSessionData(ctx, d.Challenge, "authentication")
	wantKind(t, err, autherr.NotFound, "consume twice")

	// Concurrent consumers: exactly one wins.
	d.ID, d.Challenge, d.UserID = uuid.New(), "cmFjZQ", nil
	mustOK(t, s.CreateWebauthnSessionData(ctx, d), "create race")
	var wins, losses atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			_, err := s.ConsumeWebauthnSessionData(ctx, d.Challenge, "authentication")
			switch {
			case err == nil:
				wins.Add(1)
			case autherr.KindOf(err) == autherr.NotFound:
				losses.Add(1)
			default:
				t.Errorf("consume: %v", err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != 9 {
		t.Fatalf("wins %d, losses %d; want 1 and 9", wins.Load(), losses.Load())
	}
}
