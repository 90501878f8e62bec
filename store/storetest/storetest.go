package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/audit"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/passcode"
	"github.com/hanko-go/hanko/passkey"
	"github.com/hanko-go/hanko/password"
	"github.com/hanko-go/hanko/ratelimit"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/thirdparty"
	"github.com/hanko-go/hanko/users"
	"github.com/hanko-go/hanko/webhook"
)

// Store is what the suite exercises: every feature's store contract plus the
// migrator. Later features add their interfaces here.
type Store interface {
	users.FullStore
	jwks.Store
	session.FullStore
	passcode.Store
	password.Store
	webhook.Store
	thirdparty.Store
	ratelimit.Store
	passkey.Store
	audit.Store

	Ping(ctx context.Context) error
	DeleteExpired(ctx context.Context, now time.Time, limit int) (int, error)
	Migrate(ctx context.Context) error
	MigrateDown(ctx context.Context, steps int) error
	MigrationStatus(ctx context.Context) (applied, pending []int, err error)
}

var _ Store = (*store.DB)(nil)

// Run runs every conformance case as a parallel subtest of t. open must
// return a fresh, migrated store that no other case sees, and release it in
// t.Cleanup; it is called once per case, from parallel goroutines.
func Run(t *testing.T, open func(t *testing.T) Store) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Store)
	}{
		{"UserCreateGetDelete", testUserCreateGetDelete},
		{"DuplicateUserID", testDuplicateUserID},
		{"NotFound", testNotFound},
		{"EmailAddressUnique", testEmailAddressUnique},
		{"EmailAddressExact", testEmailAddressExact},
		{"UnassignedEmail", testUnassignedEmail},
		{"UpdateEmailAssigns", testUpdateEmailAssigns},
		{"ClaimEmail", testClaimEmail},
		{"SetPrimaryEmail", testSetPrimaryEmail},
		{"ListUsers", testListUsers},
		{"RelationsLoaded", testRelationsLoaded},
		{"ScanUsersKeyset", testScanUsersKeyset},
		{"BulkInsert", testBulkInsert},
		{"BulkConflictRollsBack", testBulkConflictRollsBack},
		{"ExistingEmailAddresses", testExistingEmailAddresses},
		{"ExistingUserIDs", testExistingUserIDs},
		{"TxRollbackLeavesNothing", testTxRollbackLeavesNothing},
		{"NestedTxJoinsOuter", testNestedTxJoinsOuter},
		{"ConflictInTxRollsBack", testConflictInTxRollsBack},
		{"AfterCommit", testAfterCommit},
		{"TimesRoundTrip", testTimesRoundTrip},
		{"ConcurrentSameAddress", testConcurrentSameAddress},
		{"MigrateTwiceIsNoop", testMigrateTwiceIsNoop},
		{"MigrateDownAndUp", testMigrateDownAndUp},
		{"JWKs", testJWKs},
		{"Sessions", testSessions},
		{"DeleteExpired", testDeleteExpired},
		{"Passcodes", testPasscodes},
		{"Passwords", testPasswords},
		{"Webhooks", testWebhooks},
		{"WebhookFailures", testWebhookFailures},
		{"OutboxClaim", testOutboxClaim},
		{"OutboxClaimConcurrent", testOutboxClaimConcurrent},
		{"Identities", testIdentities},
		{"Tokens", testTokens},
		{"RateLimits", testRateLimits},
		{"RateLimitsConcurrent", testRateLimitsConcurrent},
		{"AuditLogRoundTrip", testAuditLogRoundTrip},
		{"AuditLogDuplicateID", testAuditLogDuplicateID},
		{"AuditLogRollback", testAuditLogRollback},
		{"AuditLogFilters", testAuditLogFilters},
		{"AuditLogPages", testAuditLogPages},
		{"WebauthnCredentials", testWebauthnCredentials},
		{"WebauthnSessionData", testWebauthnSessionData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}

// RunMigrations runs the cases that need an unmigrated database. open must
// return two separately opened stores (two pools, as two instances of a
// service would have) on one fresh database that has never been migrated.
func RunMigrations(t *testing.T, open func(t *testing.T) (a, b Store)) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, a, b Store)
	}{
		{"FreshStatus", testFreshStatus},
		{"ConcurrentMigrate", testConcurrentMigrate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			tc.run(t, a, b)
		})
	}
}

// base is the fixtures' reference time: not now, so that no case depends on
// the clock, and with microseconds, so that precision loss shows.
var base = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

// at returns base plus n seconds.
func at(n int) time.Time { return base.Add(time.Duration(n) * time.Second) }

func newUser(created time.Time) store.User {
	return store.User{ID: uuid.New(), CreatedAt: created, UpdatedAt: created}
}

func newEmail(userID *uuid.UUID, address string, created time.Time) store.Email {
	return store.Email{ID: uuid.New(), UserID: userID, Address: address, CreatedAt: created, UpdatedAt: created}
}

func newUsername(userID uuid.UUID, name string, created time.Time) store.Username {
	return store.Username{ID: uuid.New(), UserID: userID, Username: name, CreatedAt: created, UpdatedAt: created}
}

func mustOK(tb testing.TB, err error, what string) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

func mustCreateUser(tb testing.TB, s Store, u store.User) {
	tb.Helper()
	mustOK(tb, s.CreateUser(tb.Context(), u), "CreateUser")
}

func mustCreateEmail(tb testing.TB, s Store, e store.Email) {
	tb.Helper()
	mustOK(tb, s.CreateEmail(tb.Context(), e), "CreateEmail "+e.Address)
}

func mustGetUser(tb testing.TB, s Store, id uuid.UUID) store.User {
	tb.Helper()
	u, err := s.GetUser(tb.Context(), id)
	mustOK(tb, err, "GetUser")
	return u
}

// wantKind fails unless err matches kind (an autherr kind or sentinel).
func wantKind(tb testing.TB, err, kind error, what string) {
	tb.Helper()
	if !errors.Is(err, kind) {
		tb.Fatalf("%s: got error %v, want %v", what, err, kind)
	}
}

// checkEmail compares every column of an email.
func checkEmail(tb testing.TB, got, want store.Email) {
	tb.Helper()
	if got.ID != want.ID || got.Address != want.Address || got.Verified != want.Verified ||
		!sameUserID(got.UserID, want.UserID) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		tb.Fatalf("email:\n got  %s\n want %s", fmtEmail(got), fmtEmail(want))
	}
}

func sameUserID(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func fmtEmail(e store.Email) string {
	uid := "<nil>"
	if e.UserID != nil {
		uid = e.UserID.String()
	}
	return fmt.Sprintf("%s user=%s %q verified=%t created=%s updated=%s", e.ID, uid, e.Address, e.Verified,
		e.CreatedAt.UTC().Format(time.RFC3339Nano), e.UpdatedAt.UTC().Format(time.RFC3339Nano))
}

// userIDs returns the IDs of us in order.
func userIDs(us []store.User) []uuid.UUID {
	out := make([]uuid.UUID, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

// sortedIDs returns ids sorted by their bytes, which is also their text order.
func sortedIDs(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return out
}
