package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// The audit cases cover the audit.Store contract: insert in the caller's
// transaction, list newest first with every filter, count, page. Each needs
// a store of its own, as listing sees every record.

// newAuditLog is a record of type typ created at created, with the given
// actor (uuid.Nil for none), address ("" for none) and source IP.
func newAuditLog(typ string, created time.Time, actor uuid.UUID, email, ip string) store.AuditLog {
	l := store.AuditLog{
		ID: uuid.New(), Type: typ, MetaHTTPRequestID: "req-" + typ, MetaSourceIP: ip,
		MetaUserAgent: "storetest/1.0", CreatedAt: created, UpdatedAt: created,
	}
	if actor != uuid.Nil {
		l.ActorUserID = &actor
	}
	if email != "" {
		l.ActorEmail = &email
	}
	return l
}

func mustCreateAuditLog(tb testing.TB, s Store, l store.AuditLog) {
	tb.Helper()
	mustOK(tb, s.CreateAuditLog(tb.Context(), l), "CreateAuditLog "+l.Type)
}

func mustListAuditLogs(tb testing.TB, s Store, q store.AuditLogQuery) ([]uuid.UUID, int) {
	tb.Helper()
	logs, total, err := s.ListAuditLogs(tb.Context(), q)
	mustOK(tb, err, fmt.Sprintf("ListAuditLogs %+v", q))
	ids := make([]uuid.UUID, len(logs))
	for i, l := range logs {
		ids[i] = l.ID
	}
	return ids, total
}

func strPtr(s string) *string { return &s }

func testAuditLogRoundTrip(t *testing.T, s Store) {
	actor := uuid.New()
	full := newAuditLog("password_login_failed", at(10), actor, "ada@example.com", "2001:db8::7")
	full.Error = strPtr("wrong password")
	full.Details = strPtr(`{"login_method":"password","email":"a*****@example.com"}`)
	bare := newAuditLog("user_logged_out", at(5), uuid.Nil, "", "192.0.2.1")
	mustCreateAuditLog(t, s, bare)
	mustCreateAuditLog(t, s, full)

	logs, total, err := s.ListAuditLogs(t.Context(), store.AuditLogQuery{})
	mustOK(t, err, "ListAuditLogs")
	if total != 2 || len(logs) != 2 {
		t.Fatalf("ListAuditLogs: %d rows, total %d; want 2, 2", len(logs), total)
	}
	checkAuditLog(t, logs[0], full) // newest first
	checkAuditLog(t, logs[1], bare)
}

// checkAuditLog compares every column of an audit record.
func checkAuditLog(tb testing.TB, got, want store.AuditLog) {
	tb.Helper()
	same := got.ID == want.ID && got.Type == want.Type && sameStr(got.Error, want.Error) &&
		got.MetaHTTPRequestID == want.MetaHTTPRequestID && got.MetaSourceIP == want.MetaSourceIP &&
		got.MetaUserAgent == want.MetaUserAgent && sameUserID(got.ActorUserID, want.ActorUserID) &&
		sameStr(got.ActorEmail, want.ActorEmail) && sameStr(got.Details, want.Details) &&
		got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt)
	if !same {
		tb.Fatalf("audit log:\n got  %s\n want %s", fmtAuditLog(got), fmtAuditLog(want))
	}
}

func sameStr(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func fmtAuditLog(l store.AuditLog) string {
	s := func(p *string) string {
		if p == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%q", *p)
	}
	actor := "<nil>"
	if l.ActorUserID != nil {
		actor = l.ActorUserID.String()
	}
	return fmt.Sprintf("%s %s err=%s req=%q ip=%q ua=%q actor=%s email=%s details=%s created=%s updated=%s",
		l.ID, l.Type, s(l.Error), l.MetaHTTPRequestID, l.MetaSourceIP, l.MetaUserAgent, actor, s(l.ActorEmail),
		s(l.Details), l.CreatedAt.UTC().Format(time.RFC3339Nano), l.UpdatedAt.UTC().Format(time.RFC3339Nano))
}

func testAuditLogDuplicateID(t *testing.T, s Store) {
	l := newAuditLog("user_created", at(0), uuid.New(), "", "192.0.2.1")
	mustCreateAuditLog(t, s, l)
	wantKind(t, s.CreateAuditLog(t.Context(), l), autherr.Conflict, "CreateAuditLog with a taken ID")
}

func testAuditLogRollback(t *testing.T, s Store) {
	l := newAuditLog("user_created", at(0), uuid.New(), "rolled@example.com", "192.0.2.1")
	err := s.InTx(t.Context(), func(ctx context.Context) error {
		if err := s.CreateAuditLog(ctx, l); err != nil {
			return err
		}
		// The transaction sees its own record, and counts it.
		if logs, total, err := s.ListAuditLogs(ctx, store.AuditLogQuery{}); err != nil || total != 1 || len(logs) != 1 {
			return fmt.Errorf("inside the transaction: %d rows, total %d, err %v", len(logs), total, err)
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	if ids, total := mustListAuditLogs(t, s, store.AuditLogQuery{}); len(ids) != 0 || total != 0 {
		t.Fatalf("after rollback: %d rows, total %d; want none", len(ids), total)
	}
}

func testAuditLogFilters(t *testing.T, s Store) {
	ada, bob := uuid.MustParse("0a0a0a0a-1111-4111-8111-111111111111"), uuid.MustParse("0b0b0b0b-2222-4222-8222-222222222222")
	l1 := newAuditLog("password_login_succeeded", at(1), ada, "ada@example.com", "192.0.2.10")
	l2 := newAuditLog("password_login_failed", at(2), ada, "ada@example.com", "192.0.2.11")
	l3 := newAuditLog("passcode_login_final_succeeded", at(3), bob, "Bob@Example.org", "2001:db8::1")
	l4 := newAuditLog("user_logged_out", at(4), uuid.Nil, "", "198.51.100.7")
	l5 := newAuditLog("user_created", at(5), bob, "100%_sure@example.org", "2001:db8::2")
	for _, l := range []store.AuditLog{l3, l1, l5, l2, l4} {
		mustCreateAuditLog(t, s, l)
	}
	after, before := at(1), at(4)
	for _, tc := range []struct {
		name string
		q    store.AuditLogQuery
		want []store.AuditLog
	}{
		{"none", store.AuditLogQuery{}, []store.AuditLog{l5, l4, l3, l2, l1}},
		{"one type", store.AuditLogQuery{Types: []string{"user_created"}}, []store.AuditLog{l5}},
		{"two types", store.AuditLogQuery{Types: []string{"password_login_failed", "user_logged_out"}}, []store.AuditLog{l4, l2}},
		{"unknown type", store.AuditLogQuery{Types: []string{"nothing"}}, nil},
		{"after is exclusive", store.AuditLogQuery{After: &after}, []store.AuditLog{l5, l4, l3, l2}},
		{"before is exclusive", store.AuditLogQuery{Before: &before}, []store.AuditLog{l3, l2, l1}},
		{"between", store.AuditLogQuery{After: &after, Before: &before}, []store.AuditLog{l3, l2}},
		{"user id whole", store.AuditLogQuery{ActorUserID: ada.String()}, []store.AuditLog{l2, l1}},
		{"user id part", store.AuditLogQuery{ActorUserID: "0B0B-2222"}, []store.AuditLog{l5, l3}},
		{"email part", store.AuditLogQuery{ActorEmail: "ada@"}, []store.AuditLog{l2, l1}},
		{"email ignores case", store.AuditLogQuery{ActorEmail: "bob@example.ORG"}, []store.AuditLog{l3}},
		{"email wildcards are literal", store.AuditLogQuery{ActorEmail: "0%_s"}, []store.AuditLog{l5}},
		{"percent alone is literal", store.AuditLogQuery{ActorEmail: "%"}, []store.AuditLog{l5}},
		{"underscore alone is literal", store.AuditLogQuery{ActorEmail: "_"}, []store.AuditLog{l5}},
		{"ip part", store.AuditLogQuery{SourceIP: "192.0.2.1"}, []store.AuditLog{l2, l1}},
		{"ip v6", store.AuditLogQuery{SourceIP: "2001:DB8::"}, []store.AuditLog{l5, l3}},
		{"q email", store.AuditLogQuery{Q: "example.org"}, []store.AuditLog{l5, l3}},
		{"q ip", store.AuditLogQuery{Q: "198.51"}, []store.AuditLog{l4}},
		{"q user id", store.AuditLogQuery{Q: "0a0a0a0a"}, []store.AuditLog{l2, l1}},
		{"q no match", store.AuditLogQuery{Q: "nobody"}, nil},
		{"q and type", store.AuditLogQuery{Q: "example", Types: []string{"password_login_failed", "user_created"}}, []store.AuditLog{l5, l2}},
		{"all at once", store.AuditLogQuery{Types: []string{"password_login_failed"}, After: &after, ActorUserID: "0a0a",
			ActorEmail: "ada", SourceIP: ".11", Q: "example.com"}, []store.AuditLog{l2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ids, total := mustListAuditLogs(t, s, tc.q)
			want := make([]uuid.UUID, len(tc.want))
			for i, l := range tc.want {
				want[i] = l.ID
			}
			if !slices.Equal(ids, want) || total != len(want) {
				t.Fatalf("got %v (total %d), want %v", ids, total, want)
			}
		})
	}
}

func testAuditLogPages(t *testing.T, s Store) {
	var all []uuid.UUID
	for i := range 7 {
		// Two records per second: the ID breaks the tie, so the order
		// is total and pages never overlap.
		l := newAuditLog("user_created", at(i/2), uuid.New(), "", "192.0.2.1")
		mustCreateAuditLog(t, s, l)
		all = append(all, l.ID)
	}
	full, total := mustListAuditLogs(t, s, store.AuditLogQuery{})
	if total != 7 || len(full) != 7 {
		t.Fatalf("unpaged: %d rows, total %d", len(full), total)
	}
	if !slices.Equal(sortedIDs(full), sortedIDs(all)) {
		t.Fatalf("unpaged rows %v are not the created ones %v", full, all)
	}
	var paged []uuid.UUID
	for offset := 0; offset < 9; offset += 3 {
		ids, total := mustListAuditLogs(t, s, store.AuditLogQuery{Offset: offset, Limit: 3})
		if total != 7 {
			t.Fatalf("offset %d: total %d, want 7", offset, total)
		}
		paged = append(paged, ids...)
	}
	if !slices.Equal(paged, full) {
		t.Fatalf("pages %v differ from the unpaged order %v", paged, full)
	}
	if ids, total := mustListAuditLogs(t, s, store.AuditLogQuery{Offset: 100, Limit: 3}); len(ids) != 0 || total != 7 {
		t.Fatalf("past the end: %d rows, total %d", len(ids), total)
	}
}
