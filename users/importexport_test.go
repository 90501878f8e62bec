package users_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/users"
)

// idOf is the user ID of generated entry i.
func idOf(i int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i) }

// entryWith is an import entry with one verified primary address.
func entryWith(id, address string) string {
	e := fmt.Sprintf(`{"emails":[{"address":%q,"is_primary":true,"is_verified":true}]`, address)
	if id != "" {
		e += fmt.Sprintf(`,"user_id":%q`, id)
	}
	return e + "}"
}

// entry is valid entry i: ID idOf(i), address user<i>@example.com.
func entry(i int) string { return entryWith(idOf(i), fmt.Sprintf("user%d@example.com", i)) }

// fileOf is a file of n valid entries, except that override[i], when set,
// replaces entry i with raw JSON.
func fileOf(n int, override map[int]string) string {
	var b strings.Builder
	b.WriteString("[")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		if o, ok := override[i]; ok {
			b.WriteString(o)
		} else {
			b.WriteString(entry(i))
		}
	}
	b.WriteString("]\n")
	return b.String()
}

// importError returns err as an *ImportError, failing unless it is one and
// matches autherr.Invalid.
func importError(tb testing.TB, err error) *users.ImportError {
	tb.Helper()
	var ie *users.ImportError
	if !errors.As(err, &ie) {
		tb.Fatalf("error %v (%T), want an *ImportError", err, err)
	}
	if !errors.Is(err, autherr.Invalid) {
		tb.Fatalf("ImportError %v does not match autherr.Invalid", err)
	}
	return ie
}

// problemIndexes lists the distinct entry indexes an ImportError names.
func problemIndexes(ie *users.ImportError) []int {
	var out []int
	for _, p := range ie.Problems {
		if !slices.Contains(out, p.Index) {
			out = append(out, p.Index)
		}
	}
	slices.Sort(out)
	return out
}

// wantNothingWritten fails unless the database holds exactly the given
// number of users and emails (those that were there before the import).
func wantNothingWritten(tb testing.TB, db *store.DB, users, emails int) {
	tb.Helper()
	if u, e := countUsers(tb, db), countEmails(tb, db); u != users || e != emails {
		tb.Fatalf("database holds %d users and %d emails, want %d and %d: a refused import wrote rows", u, e, users, emails)
	}
}

// canonical decodes an import file and re-encodes it in a fixed shape:
// entries by user_id, emails by address, times in UTC.
func canonical(tb testing.TB, data []byte) string {
	tb.Helper()
	var es []users.ImportEntry
	if err := json.Unmarshal(data, &es); err != nil {
		tb.Fatalf("not an import file: %v\n%s", err, data)
	}
	for i := range es {
		e := &es[i]
		slices.SortFunc(e.Emails, func(a, b users.ImportEmail) int { return strings.Compare(a.Address, b.Address) })
		for _, t := range []**time.Time{&e.CreatedAt, &e.UpdatedAt} {
			if *t != nil {
				u := (*t).UTC()
				*t = &u
			}
		}
	}
	slices.SortFunc(es, func(a, b users.ImportEntry) int { return strings.Compare(a.UserID, b.UserID) })
	out, err := json.MarshalIndent(es, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

func TestImportExportRoundTrip(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile("testdata/roundtrip.json")
	mustOK(t, err)
	db := newSQLite(t)
	svc := newService(t, db, nil)
	res, err := svc.Import(t.Context(), bytes.NewReader(in))
	mustOK(t, err)
	if res != (users.ImportResult{Users: 4, Emails: 7}) {
		t.Fatalf("import result %+v", res)
	}
	var out bytes.Buffer
	exp, err := svc.Export(t.Context(), &out)
	mustOK(t, err)
	if exp != (users.ExportResult{Users: 4}) {
		t.Fatalf("export result %+v", exp)
	}
	if got, want := canonical(t, out.Bytes()), canonical(t, in); got != want {
		t.Fatalf("export differs from the imported file:\n got %s\nwant %s", got, want)
	}
	// The export is an import file: it loads into a fresh database as is.
	res, err = newService(t, newSQLite(t), nil).Import(t.Context(), &out)
	if err != nil || res.Users != 4 {
		t.Fatalf("re-import of the export: %+v %v", res, err)
	}
}

func TestImportDefaults(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	clk := newClock()
	svc := newService(t, db, func(c *users.Config) { c.Now = clk.Now })
	created := "2020-05-06T07:08:09.123456Z"
	file := `[
		{"emails":[{"address":" Ada@Example.COM ","is_primary":true,"is_verified":true},
		           {"address":"ADA@work.example","is_primary":false,"is_verified":false}]},
		{"user_id":"","emails":[{"address":"bob@example.com","is_primary":true,"is_verified":false}],"created_at":"` + created + `"}
	]`
	res, err := svc.Import(t.Context(), strings.NewReader(file))
	mustOK(t, err)
	if res != (users.ImportResult{Users: 2, Emails: 3}) {
		t.Fatalf("result %+v", res)
	}
	list, _, err := svc.List(t.Context(), users.Query{Ascending: true})
	mustOK(t, err)
	if len(list) != 2 {
		t.Fatalf("%d users", len(list))
	}
	bob, ada := list[0], list[1] // bob was created in 2020
	now := stored(clk.Now())
	for _, u := range list {
		if u.ID == uuid.Nil || u.ID.Version() != 4 {
			t.Errorf("generated user ID %s is not a random UUID", u.ID)
		}
		if !u.UpdatedAt.Equal(now) {
			t.Errorf("updated_at %v, want the import time %v", u.UpdatedAt, now)
		}
	}
	if !ada.CreatedAt.Equal(now) || !bob.CreatedAt.Equal(time.Date(2020, 5, 6, 7, 8, 9, 123456000, time.UTC)) {
		t.Errorf("created_at: ada %v (want %v), bob %v (want %s)", ada.CreatedAt, now, bob.CreatedAt, created)
	}
	if primaryAddress(ada) != "ada@example.com" || len(ada.Emails) != 2 {
		t.Fatalf("ada's emails %+v", ada.Emails)
	}
	for _, e := range ada.Emails {
		wantVerified := e.Address == "ada@example.com"
		if e.Verified != wantVerified || e.Address != strings.ToLower(e.Address) || !e.CreatedAt.Equal(now) {
			t.Errorf("email %+v", e)
		}
	}
	if len(bob.Emails) != 1 || !bob.Emails[0].Primary || bob.Emails[0].Verified {
		t.Errorf("bob's emails %+v", bob.Emails)
	}
}

func TestImportInvalidEntryDeepInTheFile(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	svc := newService(t, db, nil)
	file := fileOf(6000, map[int]string{5000: entryWith(idOf(5000), "user5000@")})
	_, err := svc.Import(t.Context(), strings.NewReader(file))
	ie := importError(t, err)
	if got := problemIndexes(ie); !slices.Equal(got, []int{5000}) {
		t.Fatalf("problems at %v, want [5000]: %v", got, err)
	}
	if !strings.Contains(err.Error(), "entry 5000: ") {
		t.Errorf("message does not name the entry: %v", err)
	}
	wantNothingWritten(t, db, 0, 0)
}

func TestImportDuplicates(t *testing.T) {
	t.Parallel()
	const n = 2000 // two batches of 1,000
	taken := uuid.MustParse("5e1f0a3c-8d7b-4e2a-9c6f-1a2b3c4d5e6f")
	tests := []struct {
		name     string
		override map[int]string
		want     []int
	}{
		{"address twice in one entry", map[int]string{
			3: `{"emails":[{"address":"dup@example.com","is_primary":true,"is_verified":true},{"address":"DUP@example.com","is_primary":false,"is_verified":true}]}`,
		}, []int{3}},
		{"address in two entries of one batch", map[int]string{
			2: entryWith(idOf(2), "dup@example.com"), 7: entryWith(idOf(7), "Dup@Example.com"),
		}, []int{7}},
		{"address in two batches", map[int]string{
			10: entryWith(idOf(10), "dup@example.com"), 1500: entryWith(idOf(1500), "dup@example.com"),
		}, []int{1500}},
		{"address in the database", map[int]string{4: entryWith(idOf(4), "TAKEN@example.com")}, []int{4}},
		{"address pending verification in the database", map[int]string{4: entryWith(idOf(4), "pending@example.com")}, []int{4}},
		{"secondary address in the database", map[int]string{
			1999: `{"emails":[{"address":"new@example.com","is_primary":true,"is_verified":true},{"address":"taken@example.com","is_primary":false,"is_verified":true}]}`,
		}, []int{1999}},
		{"user_id in two entries of one batch", map[int]string{7: entryWith(idOf(2), "other@example.com")}, []int{7}},
		{"user_id in two batches", map[int]string{1500: entryWith(strings.ToUpper(idOf(10)), "other@example.com")}, []int{1500}},
		{"user_id in the database", map[int]string{4: entryWith(taken.String(), "other@example.com")}, []int{4}},
		{"three times", map[int]string{
			0: entryWith(idOf(0), "dup@example.com"), 999: entryWith(idOf(999), "dup@example.com"), 1000: entryWith(idOf(1000), "dup@example.com"),
		}, []int{999, 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newSQLite(t)
			svc := newService(t, db, nil)
			_, err := svc.Create(t.Context(), users.NewUser{ID: taken, Emails: []users.NewEmail{{Address: "taken@example.com", Primary: true}}})
			mustOK(t, err)
			_, err = svc.SignUp(t.Context(), "pending@example.com")
			mustOK(t, err)
			beforeUsers, beforeEmails := countUsers(t, db), countEmails(t, db)

			_, err = svc.Import(t.Context(), strings.NewReader(fileOf(n, tt.override)))
			ie := importError(t, err)
			if got := problemIndexes(ie); !slices.Equal(got, tt.want) {
				t.Fatalf("problems at %v, want %v:\n%v", got, tt.want, err)
			}
			for _, p := range ie.Problems {
				if !strings.Contains(p.Message, "already exists") && !strings.Contains(p.Message, "appears twice") {
					t.Errorf("entry %d: message %q does not say it is a duplicate", p.Index, p.Message)
				}
			}
			wantNothingWritten(t, db, beforeUsers, beforeEmails)
		})
	}
}

func TestImportReportsEveryProblem(t *testing.T) {
	t.Parallel()
	ok := func(i int) string { return entry(i) }
	em := func(fields string) string { return `{"emails":[` + fields + `]}` }
	long := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 60) + ".com" // 129 > email.max_length
	entries := []struct {
		raw, want string // want: a part of the message; "" for a valid entry
	}{
		{ok(0), ""},
		{`{"emails":[{"address":"a1@example.com","is_primary":true,"is_verified":true}],"username":"ada"}`, `unknown field "username"`},
		{em(`{"address":"a2@example.com","is_primary":true,"is_verified":true,"primary":true}`), `unknown field "primary"`},
		{`{"emails":"x"}`, "emails must be of type array, not string"},
		{em(`{"address":"a4@example.com","is_primary":"yes","is_verified":true}`), "is_primary must be of type boolean, not string"},
		{em(`{"address":"a5@example.com","is_verified":true}`), "is_primary and is_verified are required"},
		{em(`{"address":"a6@example.com","is_primary":true}`), "is_primary and is_verified are required"},
		{em(`{"address":"a7@example.com","is_primary":false,"is_verified":true}`), "exactly one email must be primary, found 0"},
		{em(`{"address":"a8@example.com","is_primary":true,"is_verified":true},{"address":"b8@example.com","is_primary":true,"is_verified":true}`), "exactly one email must be primary, found 2"},
		{`{"emails":[{"address":"a9@example.com","is_primary":true,"is_verified":true}],"created_at":"yesterday"}`, "RFC 3339"},
		{`{"emails":[{"address":"a10@example.com","is_primary":true,"is_verified":true}],"updated_at":"2024-13-01T00:00:00Z"}`, "RFC 3339"},
		{entryWith("123", "a11@example.com"), "not a valid uuid"},
		{entryWith(uuid.Nil.String(), "a12@example.com"), "not a valid uuid"},
		{`{"emails":[{"address":"a13@example.com","is_primary":true,"is_verified":true}],"user_id":5}`, "user_id must be of type string, not number"},
		{entryWith("", "not-an-address"), "valid email"},
		{entryWith("", long), "too long"},
		{`{"emails":[]}`, "at least one address"},
		{`{}`, "at least one address"},
		{`null`, "at least one address"},
		{`42`, "an entry must be an object, not number"},
		{ok(20), ""},
		{entryWith("", "user0@example.com"), "already exists"},
		{entryWith(idOf(20), "a22@example.com"), "already exists"},
		{ok(23), ""},
	}
	raws := map[int]string{}
	for i, e := range entries {
		raws[i] = e.raw
	}
	db := newSQLite(t)
	_, err := newService(t, db, nil).Import(t.Context(), strings.NewReader(fileOf(len(entries), raws)))
	ie := importError(t, err)
	for i, e := range entries {
		var msgs []string
		for _, p := range ie.Problems {
			if p.Index == i {
				msgs = append(msgs, p.Message)
			}
		}
		switch {
		case e.want == "" && len(msgs) > 0:
			t.Errorf("valid entry %d reported: %q", i, msgs)
		case e.want != "" && !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, e.want) }):
			t.Errorf("entry %d: problems %q, want one saying %q", i, msgs, e.want)
		}
	}
	if ie.Omitted != 0 {
		t.Errorf("Omitted %d", ie.Omitted)
	}
	wantNothingWritten(t, db, 0, 0)
}

func TestImportFileProblems(t *testing.T) {
	t.Parallel()
	valid := entry(0)
	tests := []struct {
		name, file string
		wantIndex  int
		want       string
	}{
		{"empty", "", -1, "the file is empty"},
		{"only spaces", " \n\t", -1, "the file is empty"},
		{"object", `{"emails":[]}`, -1, "must be a JSON array"},
		{"string", `"users"`, -1, "must be a JSON array"},
		{"null", `null`, -1, "must be a JSON array"},
		{"not JSON", `users.csv`, -1, "invalid character"},
		{"unclosed array", `[` + valid, -1, "malformed JSON at the end of the array"},
		{"truncated entry", `[` + valid + `,{"emails":[{"address":"a@`, 1, "malformed JSON"},
		{"missing comma", `[` + valid + ` ` + entry(1) + `]`, 1, "malformed JSON"},
		{"leading comma", `[,` + valid + `]`, 0, "malformed JSON"},
		{"trailing comma", `[` + valid + `,]`, 1, "malformed JSON"},
		{"trailing garbage", `[` + valid + `] xyz`, -1, "unexpected data after the array"},
		{"two arrays", `[` + valid + `][]`, -1, "unexpected data after the array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newSQLite(t)
			_, err := newService(t, db, nil).Import(t.Context(), strings.NewReader(tt.file))
			ie := importError(t, err)
			if len(ie.Problems) != 1 || ie.Problems[0].Index != tt.wantIndex || !strings.Contains(ie.Problems[0].Message, tt.want) {
				t.Fatalf("problems %+v, want one at %d saying %q", ie.Problems, tt.wantIndex, tt.want)
			}
			wantNothingWritten(t, db, 0, 0)
		})
	}
}

func TestImportEmptyArray(t *testing.T) {
	t.Parallel()
	for _, file := range []string{`[]`, " [ ]\n\n"} {
		db := newSQLite(t)
		res, err := newService(t, db, nil).Import(t.Context(), strings.NewReader(file))
		if err != nil || res != (users.ImportResult{}) {
			t.Fatalf("Import(%q) = %+v, %v; want nothing and no error", file, res, err)
		}
		wantNothingWritten(t, db, 0, 0)
	}
}

func TestImportErrorLimit(t *testing.T) {
	t.Parallel()
	bad := map[int]string{}
	for i := range 1200 {
		bad[i] = entryWith(idOf(i), "broken@")
	}
	_, err := newService(t, newSQLite(t), nil).Import(t.Context(), strings.NewReader(fileOf(1300, bad)))
	ie := importError(t, err)
	if len(ie.Problems) != 1000 || ie.Omitted != 200 || ie.Problems[999].Index != 999 {
		t.Fatalf("%d problems listed (last at %d), %d omitted; want 1000 and 200", len(ie.Problems), ie.Problems[len(ie.Problems)-1].Index, ie.Omitted)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "import refused, nothing written: 1200 problems\n  entry 0: ") || !strings.HasSuffix(msg, "\n  ... and 200 more") {
		t.Fatalf("message starts %q and ends %q", msg[:80], msg[len(msg)-40:])
	}
}

var errDiskOnFire = errors.New("disk on fire")

func TestImportReadError(t *testing.T) {
	t.Parallel()
	file := fileOf(3000, nil)
	tests := []struct {
		name string
		r    io.Reader
	}{
		{"at once", iotest.ErrReader(errDiskOnFire)},
		{"after the bracket", io.MultiReader(strings.NewReader("[ "), iotest.ErrReader(errDiskOnFire))},
		// After two batches have been written inside the transaction.
		{"in the middle", io.MultiReader(strings.NewReader(file[:len(file)*5/6]), iotest.ErrReader(errDiskOnFire))},
		{"after the whole array", io.MultiReader(strings.NewReader(strings.TrimSpace(file)), iotest.ErrReader(errDiskOnFire))},
		{"with a timeout error", iotest.TimeoutReader(strings.NewReader(file))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := newSQLite(t)
			_, err := newService(t, db, nil).Import(t.Context(), tt.r)
			var ie *users.ImportError
			if err == nil || errors.As(err, &ie) {
				t.Fatalf("error %v: want the read error, not a refusal of the file", err)
			}
			if !errors.Is(err, errDiskOnFire) && !errors.Is(err, iotest.ErrTimeout) {
				t.Fatalf("error %v does not wrap the reader's error", err)
			}
			wantNothingWritten(t, db, 0, 0)
		})
	}
}

// cancelAfter cancels a context once n bytes have been read through it.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= n; c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func TestImportCancelled(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	file := fileOf(5000, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := newService(t, db, nil).Import(ctx, &cancelAfter{r: strings.NewReader(file), n: len(file) / 2, cancel: cancel})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	wantNothingWritten(t, db, 0, 0)
}

func TestExportSkipsUsersWithoutEmails(t *testing.T) {
	t.Parallel()
	db := newSQLite(t)
	svc := newService(t, db, nil)
	a := mustCreate(t, svc, "a@example.com")
	b := mustCreate(t, svc, "b@example.com", "b2@example.com")
	_, err := svc.Create(t.Context(), users.NewUser{Username: "no_email"})
	mustOK(t, err)
	_, err = svc.SignUp(t.Context(), "pending@example.com") // the address is not the user's yet
	mustOK(t, err)

	var out bytes.Buffer
	res, err := svc.Export(t.Context(), &out)
	mustOK(t, err)
	if res != (users.ExportResult{Users: 2, Skipped: 2}) {
		t.Fatalf("result %+v, want 2 users and 2 skipped", res)
	}
	var got []users.ImportEntry
	mustOK(t, json.Unmarshal(out.Bytes(), &got))
	ids := []string{got[0].UserID, got[1].UserID}
	slices.Sort(ids)
	want := []string{a.ID.String(), b.ID.String()}
	slices.Sort(want)
	if !slices.Equal(ids, want) || strings.Contains(out.String(), "pending@") {
		t.Fatalf("exported %s", out.String())
	}
}

func TestExportEmpty(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	res, err := newService(t, newSQLite(t), nil).Export(t.Context(), &out)
	if err != nil || res != (users.ExportResult{}) || out.String() != "[]\n" {
		t.Fatalf("Export of an empty database: %+v %v %q", res, err, out.String())
	}
}

func TestExportPagesThroughEveryUser(t *testing.T) {
	t.Parallel()
	const n = 2500 // three pages of 1,000
	svc := newService(t, newSQLite(t), nil)
	res, err := svc.Import(t.Context(), userStream(t, n))
	mustOK(t, err)
	if res != (users.ImportResult{Users: n, Emails: n + n/10}) {
		t.Fatalf("import result %+v", res)
	}
	var out bytes.Buffer
	exp, err := svc.Export(t.Context(), &out)
	mustOK(t, err)
	var got []users.ImportEntry
	mustOK(t, json.Unmarshal(out.Bytes(), &got))
	if exp.Users != n || len(got) != n {
		t.Fatalf("exported %d users (%d in the file), want %d", exp.Users, len(got), n)
	}
	emails := 0
	for i, e := range got {
		if i > 0 && got[i-1].UserID >= e.UserID {
			t.Fatalf("entries %d and %d out of order: %s, %s", i-1, i, got[i-1].UserID, e.UserID)
		}
		emails += len(e.Emails)
	}
	if emails != n+n/10 {
		t.Fatalf("%d emails exported, want %d", emails, n+n/10)
	}
	// And a database filled from the export holds the same.
	res, err = newService(t, newSQLite(t), nil).Import(t.Context(), &out)
	if err != nil || res != (users.ImportResult{Users: n, Emails: n + n/10}) {
		t.Fatalf("re-import: %+v %v", res, err)
	}
}

func TestExportWriteError(t *testing.T) {
	t.Parallel()
	svc := newService(t, newSQLite(t), nil)
	_, err := svc.Import(t.Context(), userStream(t, 3000))
	mustOK(t, err)
	_, err = svc.Export(t.Context(), failingWriter{})
	if !errors.Is(err, errDiskOnFire) {
		t.Fatalf("error %v, want the writer's", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskOnFire }

// heapSampler reads through r and, every `every` bytes, records the heap in
// use after a garbage collection: what the import holds at that point.
type heapSampler struct {
	r       io.Reader
	every   int
	read    int
	samples []uint64
}

func (h *heapSampler) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.read += n
	if h.read >= (len(h.samples)+1)*h.every {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		h.samples = append(h.samples, ms.HeapInuse)
	}
	return n, err
}

// TestImportMemoryIsFlat imports 50,000 users generated on the fly and checks
// that the heap does not grow with the number of users read: Import must hold
// one batch, never the file. It samples the live heap every 1 MiB of input
// (about 5,000 users) and compares the samples near 10,000 users with those
// near 50,000. Holding every user would add well over 10 MiB between them.
// Not parallel: the heap is the process's.
func TestImportMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 50,000 users")
	}
	if raceEnabled() {
		t.Skip("imports 50,000 users, which takes minutes under the race detector")
	}
	const n = 50_000
	h := &heapSampler{r: userStream(t, n), every: 1 << 20}
	res, err := newService(t, newSQLite(t), nil).Import(t.Context(), h)
	mustOK(t, err)
	if res.Users != n {
		t.Fatalf("imported %d users, want %d", res.Users, n)
	}
	if len(h.samples) < 8 {
		t.Fatalf("only %d samples", len(h.samples))
	}
	early := slices.Max(h.samples[1:3])              // about 10,000 to 15,000 users in
	late := slices.Min(h.samples[len(h.samples)-3:]) // the last 15,000 users
	const slack = 4 << 20
	t.Logf("heap in use after GC, per MiB of input: %v", h.samples)
	if late > early+slack {
		t.Fatalf("heap grew from %d KiB to %d KiB while importing: Import holds users it has written", early>>10, late>>10)
	}
}

// raceEnabled reports whether the test binary was built with -race.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// FuzzImport feeds arbitrary bytes to Import. It must never panic; when it
// fails it writes nothing, and when it succeeds it writes exactly the users
// and emails it reports. One database serves every input of a fuzz worker.
func FuzzImport(f *testing.F) {
	seeds := []string{
		`[]`, fileOf(3, nil), `[` + entry(0) + `,` + entry(0) + `]`,
		`[{"emails":[{"address":"A@b.co","is_primary":true,"is_verified":false},{"address":"c@d.io","is_primary":false,"is_verified":true}],"created_at":"2024-01-02T03:04:05Z"}]`,
		`[{"emails":"x"}]`, `[{"emails":[{"address":"a@b.co","is_primary":"yes","is_verified":true}]}]`,
		`[{"user_id":"nope","emails":[]}]`, `[1, null, {}, []]`, `{}`, `[`, `[{"emails":[`, `[] x`, "",
	}
	if b, err := os.ReadFile("testdata/roundtrip.json"); err == nil {
		seeds = append(seeds, string(b))
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	db := newSQLite(f)
	svc := newService(f, db, func(c *users.Config) { c.EmailMaxLength = 254 })
	var calls atomic.Int64
	f.Fuzz(func(t *testing.T, data []byte) {
		calls.Add(1)
		beforeUsers, beforeEmails := countUsers(t, db), countEmails(t, db)
		res, err := svc.Import(t.Context(), bytes.NewReader(data))
		afterUsers, afterEmails := countUsers(t, db), countEmails(t, db)
		if err != nil {
			importError(t, err) // bytes.Reader cannot fail: every error is about the file
			if res != (users.ImportResult{}) || afterUsers != beforeUsers || afterEmails != beforeEmails {
				t.Fatalf("failed import (%v) reported %+v and changed the database from %d/%d to %d/%d users/emails",
					err, res, beforeUsers, beforeEmails, afterUsers, afterEmails)
			}
			return
		}
		if afterUsers-beforeUsers != res.Users || afterEmails-beforeEmails != res.Emails {
			t.Fatalf("import reported %+v but wrote %d users and %d emails", res, afterUsers-beforeUsers, afterEmails-beforeEmails)
		}
	})
}
