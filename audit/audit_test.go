package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
	"github.com/hanko-go/hanko/audit"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
)

func TestMaskEmail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"empty local part", "@example.com", "******@example.com"},
		{"one rune padded to six", "a@example.com", "a*****@example.com"},
		{"short padded to six", "bob@example.com", "b*****@example.com"},
		{"six keeps one", "abcdef@example.com", "a*****@example.com"},
		{"seven keeps three", "abcdefg@example.com", "abc****@example.com"},
		{"long keeps three", "really_long_name@example.com", "rea*************@example.com"},
		{"runes not bytes", "ümläut@example.com", "ü*****@example.com"},
		{"long runes", "żółwiątko@example.com", "żół******@example.com"},
		{"no domain", "nodomain", "nod*****"},
		{"last at splits", "a@b@example.com", "a*****@example.com"},
		{"domain kept as is", "Ada@Example.COM", "A*****@Example.COM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := audit.MaskEmail(tc.in); got != tc.want {
				t.Fatalf("MaskEmail(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMaskUsername(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"one rune", "x", "*"},
		{"two padded", "xy", "x****y"},
		{"three padded", "abc", "a****c"},
		{"four keeps ends", "abcd", "a**d"},
		{"long keeps ends", "test_username", "t***********e"},
		{"runes not bytes", "äöü", "ä****ü"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := audit.MaskUsername(tc.in); got != tc.want {
				t.Fatalf("MaskUsername(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// fixture is an audit log over a fresh SQLite database with one user whose
// primary address is ada.lovelace@example.com.
type fixture struct {
	db      *store.DB
	log     *audit.Log
	console *lockedBuffer
	user    uuid.UUID
	now     time.Time
}

func newFixture(t *testing.T, cfg audit.Config) *fixture {
	t.Helper()
	db := storetest.OpenSQLite(t)
	now := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	f := &fixture{db: db, console: &lockedBuffer{}, user: uuid.New(), now: now}
	ctx := t.Context()
	must(t, db.CreateUser(ctx, store.User{ID: f.user, CreatedAt: now, UpdatedAt: now}))
	email := store.Email{ID: uuid.New(), UserID: &f.user, Address: "ada.lovelace@example.com", Verified: true, CreatedAt: now, UpdatedAt: now}
	must(t, db.CreateEmail(ctx, email))
	must(t, db.SetPrimaryEmail(ctx, uuid.New(), f.user, email.ID, now))
	cfg.Store = db
	cfg.Console = f.console
	cfg.Now = func() time.Time { return now }
	log, err := audit.New(cfg)
	must(t, err)
	f.log = log
	return f
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// lockedBuffer is a console that tests read while emitters write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns every console line, decoded.
func (b *lockedBuffer) lines(tb testing.TB) []map[string]any {
	tb.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			tb.Fatalf("console line is not JSON (%v): %s", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

var meta = events.Meta{RequestID: "req-42", SourceIP: "203.0.113.9", UserAgent: "Mozilla/5.0 (audit test)"}

func list(t *testing.T, l *audit.Log, f audit.Filter) []audit.Record {
	t.Helper()
	recs, total, err := l.List(t.Context(), f)
	must(t, err)
	if total != len(recs) && f.PerPage == 0 {
		t.Fatalf("total %d, %d records on the page", total, len(recs))
	}
	return recs
}

func TestEmitRecordsInDatabaseAndConsole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: true, Mask: true})
	details := map[string]any{"login_method": "password", "email": "ada.lovelace@example.com", "username": "ada"}
	ctx := events.WithMeta(t.Context(), meta)
	err := f.db.InTx(ctx, func(ctx context.Context) error {
		return f.log.Emit(ctx, events.Event{
			Audit: events.PasswordLoginFailed, Webhook: "", UserID: f.user, Details: details,
			Err: errors.New("wrong password"),
		})
	})
	must(t, err)
	if details["email"] != "ada.lovelace@example.com" {
		t.Fatalf("Emit changed the caller's details: %v", details)
	}

	recs := list(t, f.log, audit.Filter{})
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	want := audit.Record{
		ID: r.ID, Type: "password_login_failed", Error: "wrong password", RequestID: "req-42", SourceIP: "203.0.113.9",
		UserAgent: "Mozilla/5.0 (audit test)", UserID: f.user, Email: "ada*********@example.com",
		CreatedAt: f.now.Truncate(time.Microsecond), UpdatedAt: f.now.Truncate(time.Microsecond),
	}
	if r.ID == uuid.Nil || r.Type != want.Type || r.Error != want.Error || r.RequestID != want.RequestID ||
		r.SourceIP != want.SourceIP || r.UserAgent != want.UserAgent || r.UserID != want.UserID || r.Email != want.Email ||
		!r.CreatedAt.Equal(want.CreatedAt) || !r.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("record:\n got  %+v\n want %+v", r, want)
	}
	wantDetails := map[string]any{"login_method": "password", "email": "ada*********@example.com", "username": "a****a"}
	if fmt.Sprint(r.Details) != fmt.Sprint(wantDetails) {
		t.Fatalf("details = %v, want %v", r.Details, wantDetails)
	}

	lines := f.console.lines(t)
	if len(lines) != 1 {
		t.Fatalf("%d console lines, want 1", len(lines))
	}
	wantLine := map[string]any{
		"audience": "audit", "type": "password_login_failed", "error": "wrong password",
		"http_request_id": "req-42", "source_ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (audit test)",
		"details": wantDetails, "time": f.now.Format(time.RFC3339Nano), "time_unix": fmt.Sprint(f.now.Unix()),
		"user_id": f.user.String(), "user_email": "ada*********@example.com",
	}
	if fmt.Sprint(lines[0]) != fmt.Sprint(wantLine) {
		t.Fatalf("console line:\n got  %v\n want %v", lines[0], wantLine)
	}
}

func TestEmitUnmasked(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: true, Mask: false})
	must(t, f.log.Emit(t.Context(), events.Event{Audit: events.UserCreated, UserID: f.user,
		Details: map[string]any{"email": "ada.lovelace@example.com"}}))
	r := list(t, f.log, audit.Filter{})[0]
	if r.Email != "ada.lovelace@example.com" || r.Details["email"] != "ada.lovelace@example.com" {
		t.Fatalf("unmasked record has email %q, details %v", r.Email, r.Details)
	}
}

func TestEmitActorEmail(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: true, Mask: true})
	stranger := uuid.New() // a user without any address
	for _, e := range []events.Event{
		{Audit: events.UserLoggedOut, UserID: f.user},                                       // primary address looked up
		{Audit: events.PasswordLoginFailed, UserID: f.user, Email: "typed@example.com"},     // the event's own address wins
		{Audit: events.PasswordLoginFailed, Email: "unknown.person@example.com"},            // no user, an address
		{Audit: events.PasscodeLoginInitFailed, UserID: stranger},                           // no address anywhere
		{Audit: events.TokenExchangeFailed, Err: errors.New("token expired"), Details: nil}, // no actor at all
	} {
		must(t, f.log.Emit(t.Context(), e))
	}
	recs := list(t, f.log, audit.Filter{})
	got := map[string]bool{}
	for _, r := range recs {
		got[fmt.Sprintf("%s|%v|%s", r.Type, r.UserID == uuid.Nil, r.Email)] = true
		if r.Details == nil {
			t.Fatalf("record %s has nil details", r.Type)
		}
	}
	for _, want := range []string{
		"user_logged_out|false|ada*********@example.com",
		"password_login_failed|false|t*****@example.com",
		"password_login_failed|true|unk***********@example.com",
		"passcode_login_init_failed|false|",
		"token_exchange_failed|true|",
	} {
		if !got[want] {
			t.Errorf("no record %s among %v", want, got)
		}
	}
}

func TestEmitRollbackLeavesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: true, Mask: true})
	boom := errors.New("the change failed")
	err := f.db.InTx(t.Context(), func(ctx context.Context) error {
		if err := f.log.Emit(ctx, events.Event{Audit: events.UserDeleted, UserID: f.user}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if recs := list(t, f.log, audit.Filter{}); len(recs) != 0 {
		t.Fatalf("a rolled-back change left %d records", len(recs))
	}
	if lines := f.console.lines(t); len(lines) != 0 {
		t.Fatalf("a rolled-back change wrote %d console lines: %v", len(lines), lines)
	}
}

func TestEmitConsoleWaitsForCommit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: true, Mask: true})
	must(t, f.db.InTx(t.Context(), func(ctx context.Context) error {
		if err := f.log.Emit(ctx, events.Event{Audit: events.UserCreated, UserID: f.user}); err != nil {
			return err
		}
		if n := len(f.console.lines(t)); n != 0 {
			return fmt.Errorf("console line written before commit (%d lines)", n)
		}
		return nil
	}))
	if n := len(f.console.lines(t)); n != 1 {
		t.Fatalf("%d console lines after commit, want 1", n)
	}
}

func TestEmitIgnoresEventsWithoutAuditType(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: true, Mask: true})
	must(t, f.log.Emit(t.Context(), events.Event{Webhook: events.UserUpdate, UserID: f.user}))
	if recs := list(t, f.log, audit.Filter{}); len(recs) != 0 {
		t.Fatalf("%d records for a webhook-only event", len(recs))
	}
	if lines := f.console.lines(t); len(lines) != 0 {
		t.Fatalf("%d console lines for a webhook-only event", len(lines))
	}
}

func TestStorageOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: false, Mask: true})
	must(t, f.log.Emit(t.Context(), events.Event{Audit: events.UserCreated, UserID: f.user}))
	if recs := list(t, f.log, audit.Filter{}); len(recs) != 0 {
		t.Fatalf("storage off, yet %d records", len(recs))
	}
	if lines := f.console.lines(t); len(lines) != 1 || lines[0]["user_email"] != "ada*********@example.com" {
		t.Fatalf("console lines = %v, want one with the masked primary address", lines)
	}
}

func TestConsoleOff(t *testing.T) {
	t.Parallel()
	db := storetest.OpenSQLite(t)
	l, err := audit.New(audit.Config{Store: db, Storage: true})
	must(t, err)
	must(t, l.Emit(t.Context(), events.Event{Audit: events.UserCreated}))
	if recs := list(t, l, audit.Filter{}); len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
}

func TestNewNeedsStoreForStorage(t *testing.T) {
	t.Parallel()
	if _, err := audit.New(audit.Config{Storage: true}); err == nil {
		t.Fatal("New accepted Storage without a Store")
	}
}

// failingStore fails every insert, as a broken database would.
type failingStore struct{ audit.Store }

func (failingStore) CreateAuditLog(context.Context, store.AuditLog) error {
	return errors.New("disk full")
}

func TestEmitErrorRollsBack(t *testing.T) {
	t.Parallel()
	db := storetest.OpenSQLite(t)
	console := &lockedBuffer{}
	l, err := audit.New(audit.Config{Store: failingStore{db}, Storage: true, Console: console})
	must(t, err)
	u := store.User{ID: uuid.New(), CreatedAt: time.Now(), UpdatedAt: time.Now()}
	err = db.InTx(t.Context(), func(ctx context.Context) error {
		if err := db.CreateUser(ctx, u); err != nil {
			return err
		}
		return l.Emit(ctx, events.Event{Audit: events.UserCreated, UserID: u.ID})
	})
	if err == nil {
		t.Fatal("Emit hid a failed insert")
	}
	if _, err := db.GetUser(t.Context(), u.ID); !errors.Is(err, autherr.NotFound) {
		t.Fatalf("the change survived a failed audit insert: %v", err)
	}
	if n := len(console.lines(t)); n != 0 {
		t.Fatalf("%d console lines for a failed change", n)
	}
}

func TestListRejectsBadFilters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: true})
	for _, bad := range []audit.Filter{
		{Types: []string{"user_created", "no_such_type"}},
		{Page: -1},
		{PerPage: -5},
		{Page: 1 << 62, PerPage: 1000},
	} {
		if _, _, err := f.log.List(t.Context(), bad); !errors.Is(err, audit.ErrInvalidFilter) || !errors.Is(err, autherr.Invalid) {
			t.Errorf("List(%+v) = %v, want ErrInvalidFilter", bad, err)
		}
	}
}

func TestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: true})
	base := f.now
	clock := base
	l, err := audit.New(audit.Config{Store: f.db, Storage: true, Now: func() time.Time { return clock }})
	must(t, err)
	for i := range 25 {
		clock = base.Add(time.Duration(i) * time.Second)
		typ := events.UserCreated
		if i%5 == 0 {
			typ = events.PasswordLoginFailed
		}
		must(t, l.Emit(events.WithMeta(t.Context(), events.Meta{SourceIP: fmt.Sprintf("192.0.2.%d", i)}),
			events.Event{Audit: typ, UserID: f.user}))
	}
	recs, total, err := l.List(t.Context(), audit.Filter{})
	must(t, err)
	if total != 25 || len(recs) != audit.DefaultPerPage || recs[0].SourceIP != "192.0.2.24" {
		t.Fatalf("default page: %d records of %d, first from %s", len(recs), total, recs[0].SourceIP)
	}
	recs, total, err = l.List(t.Context(), audit.Filter{Page: 2, PerPage: 10, Types: []string{events.UserCreated}})
	must(t, err)
	if total != 20 || len(recs) != 10 || recs[0].SourceIP != "192.0.2.12" {
		t.Fatalf("page 2 of user_created: %d records of %d, first from %s", len(recs), total, recs[0].SourceIP)
	}
	recs, _, err = l.List(t.Context(), audit.Filter{Start: base.Add(3 * time.Second), End: base.Add(6 * time.Second)})
	must(t, err)
	if len(recs) != 2 || recs[0].SourceIP != "192.0.2.5" || recs[1].SourceIP != "192.0.2.4" {
		t.Fatalf("between 3s and 6s (exclusive): %+v", recs)
	}
	recs, _, err = l.List(t.Context(), audit.Filter{SourceIP: "192.0.2.2", Q: "192.0.2.2"})
	must(t, err)
	if len(recs) != 6 { // .2 and .20–.24
		t.Fatalf("source ip 192.0.2.2*: %d records, want 6", len(recs))
	}
}

// TestConcurrentEmit emits from many goroutines at once: every event gets
// its record and its console line, each a whole JSON line.
func TestConcurrentEmit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, audit.Config{Storage: true, Mask: true})
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ctx := events.WithMeta(t.Context(), events.Meta{RequestID: fmt.Sprint("req-", i)})
			errs <- f.db.InTx(ctx, func(ctx context.Context) error {
				return f.log.Emit(ctx, events.Event{Audit: events.PasswordLoginSucceeded, UserID: f.user})
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	_, total, err := f.log.List(t.Context(), audit.Filter{})
	must(t, err)
	if total != n {
		t.Fatalf("%d records, want %d", total, n)
	}
	if lines := f.console.lines(t); len(lines) != n {
		t.Fatalf("%d console lines, want %d", len(lines), n)
	}
}

func BenchmarkEmit(b *testing.B) {
	db := storetest.OpenSQLite(b)
	l, err := audit.New(audit.Config{Store: db, Storage: true, Mask: true, Console: &lockedBuffer{}})
	must(b, err)
	ctx := events.WithMeta(b.Context(), meta)
	e := events.Event{Audit: events.PasswordLoginSucceeded, Email: "ada.lovelace@example.com",
		Details: map[string]any{"login_method": "password"}}
	b.ReportAllocs()
	for b.Loop() {
		if err := l.Emit(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEmitCleansClientText: a User-Agent with invalid UTF-8 and NUL bytes,
// or an over-long typed address, must not fail the audited change on any
// engine (PostgreSQL refuses both in text columns; MySQL refuses an
// address longer than the column).
func TestEmitCleansClientText(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(testing.TB) *store.DB{
		"sqlite": func(tb testing.TB) *store.DB { return storetest.OpenSQLite(tb) },
		"postgres": func(tb testing.TB) *store.DB {
			if os.Getenv("HANKO_TEST_POSTGRES_DSN") == "" {
				tb.Skip("HANKO_TEST_POSTGRES_DSN is not set")
			}
			return storetest.OpenPostgres(tb)
		},
		"mysql": openMySQL,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := open(t)
			l, err := audit.New(audit.Config{Store: db, Storage: true})
			must(t, err)
			ctx := events.WithMeta(t.Context(), events.Meta{RequestID: "r", SourceIP: "192.0.2.1", UserAgent: "bad\xff\x00agent"})
			long := strings.Repeat("é", 300) + "@example.com"
			must(t, db.InTx(ctx, func(ctx context.Context) error {
				return l.Emit(ctx, events.Event{Audit: events.PasswordLoginFailed, Email: long, Err: errors.New("no\x00pe")})
			}))
			recs, _, err := l.List(t.Context(), audit.Filter{})
			must(t, err)
			if len(recs) != 1 || recs[0].UserAgent != "bad\uFFFDagent" || recs[0].Error != "nope" ||
				recs[0].Email != strings.Repeat("é", 255) {
				t.Fatalf("records %+v", recs)
			}
			if _, _, err := l.List(t.Context(), audit.Filter{Q: "\xff"}); !errors.Is(err, audit.ErrInvalidFilter) {
				t.Fatalf("List with invalid UTF-8 = %v", err)
			}
		})
	}
}

// openMySQL creates a fresh database on the server HANKO_TEST_MYSQL_DSN
// names, migrates it and drops it when tb ends; it skips tb without it.
func openMySQL(tb testing.TB) *store.DB {
	tb.Helper()
	dsn := os.Getenv("HANKO_TEST_MYSQL_DSN")
	if dsn == "" {
		tb.Skip("HANKO_TEST_MYSQL_DSN is not set")
	}
	cfg, err := mysql.ParseDSN(dsn)
	must(tb, err)
	admin, err := store.Open(tb.Context(), store.Options{Dialect: "mysql", DSN: dsn, MaxOpenConns: 1})
	must(tb, err)
	name := "hanko_audit_" + strings.ToLower(rand.Text())
	if _, err := admin.Bun().ExecContext(tb.Context(), "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		admin.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Bun().ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
		admin.Close()
	})
	cfg.DBName = name
	return storetest.OpenMigrated(tb, store.Options{Dialect: "mysql", DSN: cfg.FormatDSN()})
}
