package passcode_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/mail"
	"github.com/hanko-go/hanko/passcode"
	"github.com/hanko-go/hanko/store"
)

// clock is a fake clock that moves only when told to.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// mailer records messages and fails with err when it is set.
type mailer struct {
	mu   sync.Mutex
	sent []mail.Message
	err  error
}

func (m *mailer) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.sent = append(m.sent, msg)
	return nil
}

func (m *mailer) last(tb testing.TB) mail.Message {
	tb.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.sent) == 0 {
		tb.Fatal("no mail sent")
	}
	return m.sent[len(m.sent)-1]
}

var secret = bytes.Repeat([]byte("k"), 32)

type fixture struct {
	db     *store.DB
	svc    *passcode.Service
	clock  *clock
	mailer *mailer
	user   store.User
	email  store.Email
}

// setup opens a migrated SQLite store in a temp dir with one user and email
// and a Service on it; edit adjusts the Config.
func setup(tb testing.TB, edit func(*passcode.Config)) *fixture {
	tb.Helper()
	ctx := tb.Context()
	db, err := store.Open(ctx, store.Options{Dialect: "sqlite", DSN: filepath.Join(tb.TempDir(), "hanko.db")})
	mustOK(tb, err)
	tb.Cleanup(func() { _ = db.Close() })
	mustOK(tb, db.Migrate(ctx))
	f := &fixture{db: db, clock: &clock{now: time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)}, mailer: &mailer{}}
	f.user = store.User{ID: uuid.New(), CreatedAt: f.clock.now, UpdatedAt: f.clock.now}
	mustOK(tb, db.CreateUser(ctx, f.user))
	f.email = store.Email{ID: uuid.New(), UserID: &f.user.ID, Address: "ada@example.com", CreatedAt: f.clock.now, UpdatedAt: f.clock.now}
	mustOK(tb, db.CreateEmail(ctx, f.email))
	cfg := passcode.Config{
		Store: db, Mailer: f.mailer, Secret: secret, ServiceName: "Example",
		FromAddress: "passcode@example.com", FromName: "Example", Now: f.clock.Now,
	}
	if edit != nil {
		edit(&cfg)
	}
	f.svc, err = passcode.New(cfg)
	mustOK(tb, err)
	return f
}

func (f *fixture) request() passcode.Request {
	return passcode.Request{UserID: f.user.ID, EmailID: f.email.ID, Address: f.email.Address, Language: "en", Kind: mail.KindLogin}
}

// create makes a passcode and returns it with its code, read from the mail
// or from Created.Code.
func (f *fixture) create(tb testing.TB) (store.Passcode, string) {
	tb.Helper()
	c, err := f.svc.Create(tb.Context(), f.request())
	mustOK(tb, err)
	if c.Code != "" {
		return c.Passcode, c.Code
	}
	return c.Passcode, codeOf(tb, f.mailer.last(tb))
}

// codeOf returns the code line of a passcode mail's text body.
func codeOf(tb testing.TB, m mail.Message) string {
	tb.Helper()
	lines := strings.Split(m.Text, "\n")
	if len(lines) < 3 {
		tb.Fatalf("mail text %q has no code line", m.Text)
	}
	return lines[2]
}

func (f *fixture) count(tb testing.TB) int {
	tb.Helper()
	n, err := f.db.Bun().NewSelect().Model((*store.Passcode)(nil)).Count(context.WithoutCancel(tb.Context()))
	mustOK(tb, err)
	return int(n)
}

func mustOK(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// wantErr fails unless err matches both the sentinel and its kind.
func wantErr(tb testing.TB, err, sentinel error, kind autherr.Kind) {
	tb.Helper()
	if !errors.Is(err, sentinel) || !errors.Is(err, kind) {
		tb.Fatalf("error %v: want %v (kind %v)", err, sentinel, kind)
	}
}

// wrong returns a well-formed code other than code.
func wrong(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}

func TestNewValidates(t *testing.T) {
	db := &store.DB{}
	for name, cfg := range map[string]passcode.Config{
		"no store":       {Secret: secret},
		"short secret":   {Store: db, Secret: secret[:31]},
		"negative ttl":   {Store: db, Secret: secret, TTL: -time.Second},
		"fractional ttl": {Store: db, Secret: secret, TTL: 1500 * time.Millisecond},
		"negative tries": {Store: db, Secret: secret, MaxAttempts: -1},
		"mailer no from": {Store: db, Secret: secret, Mailer: &mailer{}},
	} {
		if _, err := passcode.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := passcode.New(passcode.Config{Store: db, Secret: passcode.DeriveSecret([]byte("short master key"))}); err != nil {
		t.Fatalf("New with a derived secret: %v", err)
	}
}

// TestCodeSampler feeds crafted samples: those at or above the rejection
// limit are skipped, not folded onto low codes, and leading zeros stay.
func TestCodeSampler(t *testing.T) {
	sample := func(vs ...uint32) *bytes.Reader {
		var b []byte
		for _, v := range vs {
			b = binary.BigEndian.AppendUint32(b, v)
		}
		return bytes.NewReader(b)
	}
	for _, tc := range []struct {
		in   []uint32
		want string
		left int // unread samples
	}{
		{[]uint32{7}, "000007", 0},
		{[]uint32{0}, "000000", 0},
		{[]uint32{passcode.SampleLimit - 1}, "999999", 0},
		{[]uint32{1_234_567}, "234567", 0},
		// Rejected: 0xffffffff % 1e6 = 967295 and SampleLimit % 1e6 = 0
		// would be biased picks; the sampler moves on instead.
		{[]uint32{0xffffffff, passcode.SampleLimit, 42, 99}, "000042", 1},
	} {
		r := sample(tc.in...)
		got, err := passcode.NewCode(r)
		mustOK(t, err)
		if got != tc.want || r.Len() != 4*tc.left {
			t.Errorf("NewCode(%x) = %q with %d bytes left; want %q and %d", tc.in, got, r.Len(), tc.want, 4*tc.left)
		}
	}
	// Only rejected samples, then EOF: an error, not a biased code.
	if _, err := passcode.NewCode(sample(0xffffffff, passcode.SampleLimit)); err == nil {
		t.Fatal("NewCode with only rejected samples succeeded")
	}
	if passcode.SampleLimit%1_000_000 != 0 || passcode.SampleLimit > 1<<32-1 || 1<<32-passcode.SampleLimit >= 1_000_000 {
		t.Fatalf("SampleLimit %d is not the largest multiple of 1e6 below 2^32", passcode.SampleLimit)
	}
}

// TestCodeDistribution is a sanity check on real randomness: six ASCII
// digits every time, and each digit position roughly uniform.
func TestCodeDistribution(t *testing.T) {
	const n = 50_000
	var counts [6][10]int
	for range n {
		code, err := passcode.NewCode(rand.Reader)
		mustOK(t, err)
		if len(code) != 6 {
			t.Fatalf("code %q", code)
		}
		for i := range 6 {
			c := code[i]
			if c < '0' || c > '9' {
				t.Fatalf("code %q", code)
			}
			counts[i][c-'0']++
		}
	}
	// Expected 5000 per digit, sigma about 67: 4700-5300 is beyond 4 sigma.
	for i, pos := range counts {
		for d, c := range pos {
			if c < 4700 || c > 5300 {
				t.Errorf("position %d digit %d: %d of %d", i, d, c, n)
			}
		}
	}
}

func TestCreate(t *testing.T) {
	f := setup(t, nil)
	c, err := f.svc.Create(t.Context(), f.request())
	mustOK(t, err)
	if c.Code != "" {
		t.Fatalf("Created.Code = %q with a mailer; want empty", c.Code)
	}
	m := f.mailer.last(t)
	code := codeOf(t, m)
	subject, text, html, err := mail.Render(mail.KindLogin, "en", mail.Data{ServiceName: "Example", Code: code, TTL: 300 * time.Second})
	mustOK(t, err)
	if m.Subject != subject || m.Text != text || m.HTML != html || !strings.Contains(m.Subject, code) {
		t.Fatalf("mail %+v; want subject %q and the rendered bodies", m, subject)
	}
	if m.To != "ada@example.com" || m.FromAddress != "passcode@example.com" || m.FromName != "Example" ||
		m.Header["X-Hanko-Passcode-Id"] != c.Passcode.ID.String() {
		t.Fatalf("mail envelope %+v", m)
	}

	p, err := f.db.GetPasscode(t.Context(), c.Passcode.ID)
	mustOK(t, err)
	mac := hmac.New(sha256.New, secret)
	mac.Write(p.ID[:])
	mac.Write([]byte(code))
	if want := hex.EncodeToString(mac.Sum(nil)); p.Code != want {
		t.Fatalf("stored code %q; want the MAC %q", p.Code, want)
	}
	created := f.clock.now.UTC().Truncate(time.Microsecond)
	if p.TTL != 300 || p.TryCount != 0 || *p.UserID != f.user.ID || *p.EmailID != f.email.ID ||
		!p.CreatedAt.Equal(created) || !p.ExpiresAt.Equal(created.Add(300*time.Second)) || !p.ExpiresAt.Equal(c.Passcode.ExpiresAt) {
		t.Fatalf("stored %+v", p)
	}
}

func TestCreateWithoutMailer(t *testing.T) {
	f := setup(t, func(c *passcode.Config) { c.Mailer = nil })
	req := f.request()
	req.Address = ""
	req.UserID, req.EmailID = uuid.Nil, uuid.Nil // a flow passcode
	c, err := f.svc.Create(t.Context(), req)
	mustOK(t, err)
	if len(c.Code) != 6 || len(f.mailer.sent) != 0 || c.Passcode.UserID != nil || c.Passcode.EmailID != nil {
		t.Fatalf("Created %+v, %d mails", c, len(f.mailer.sent))
	}
	if _, err := f.svc.Verify(t.Context(), c.Passcode.ID, c.Code); err != nil {
		t.Fatalf("Verify with the returned code: %v", err)
	}
}

func TestCreateRejects(t *testing.T) {
	f := setup(t, nil)
	for _, edit := range []func(*passcode.Request){
		func(r *passcode.Request) { r.Kind = mail.KindEmailLoginAttempted },
		func(r *passcode.Request) { r.Kind = "nope" },
		func(r *passcode.Request) { r.Address = "" },
	} {
		req := f.request()
		edit(&req)
		_, err := f.svc.Create(t.Context(), req)
		wantErr(t, err, passcode.ErrInvalidRequest, autherr.Invalid)
	}
	if n := f.count(t); n != 0 {
		t.Fatalf("%d passcodes after rejected requests", n)
	}
}

// TestCreateMailFails: no row survives, and the error names the cause but
// never shows the code, even when the mailer quotes it.
func TestCreateMailFails(t *testing.T) {
	f := setup(t, func(c *passcode.Config) { c.Rand = bytes.NewReader(make([]byte, 64)) }) // code 000000
	cause := errors.New("smtp: 554 rejected")
	f.mailer.err = cause
	_, err := f.svc.Create(t.Context(), f.request())
	wantErr(t, err, passcode.ErrDelivery, autherr.Unavailable)
	if !errors.Is(err, cause) {
		t.Fatalf("error %v does not wrap the cause", err)
	}
	if n := f.count(t); n != 0 {
		t.Fatalf("%d passcodes after a failed send", n)
	}

	f = setup(t, func(c *passcode.Config) { c.Rand = bytes.NewReader(make([]byte, 64)) })
	f.mailer.err = errors.New("smtp: 550 cannot deliver message with code 000000 to ada@example.com")
	_, err = f.svc.Create(t.Context(), f.request())
	wantErr(t, err, passcode.ErrDelivery, autherr.Unavailable)
	for e := error(err); e != nil; e = errors.Unwrap(e) {
		if strings.Contains(e.Error(), "000000") {
			t.Fatalf("error chain shows the code: %v", e)
		}
	}
	if !strings.Contains(err.Error(), "550") {
		t.Fatalf("error %q lost the cause", err)
	}
	if n := f.count(t); n != 0 {
		t.Fatalf("%d passcodes after a failed send", n)
	}
}

func TestVerify(t *testing.T) {
	f := setup(t, nil)
	p, code := f.create(t)
	got, err := f.svc.Verify(t.Context(), p.ID, code)
	mustOK(t, err)
	if got.ID != p.ID || *got.EmailID != f.email.ID {
		t.Fatalf("Verify = %+v", got)
	}
	if n := f.count(t); n != 0 {
		t.Fatal("passcode not deleted")
	}
	_, err = f.svc.Verify(t.Context(), p.ID, code)
	wantErr(t, err, passcode.ErrNotFound, autherr.Unauthenticated)
	_, err = f.svc.Verify(t.Context(), uuid.New(), code)
	wantErr(t, err, passcode.ErrNotFound, autherr.Unauthenticated)
}

func TestVerifyExpired(t *testing.T) {
	f := setup(t, nil)
	f.clock.now = f.clock.now.Truncate(time.Microsecond) // stored exactly
	p, code := f.create(t)
	q, code2 := f.create(t)
	f.clock.Advance(300*time.Second - time.Nanosecond)
	if _, err := f.svc.Verify(t.Context(), q.ID, code2); err != nil {
		t.Fatalf("Verify 1 ns before expiry: %v", err)
	}
	f.clock.Advance(time.Nanosecond) // now == expires_at
	_, err := f.svc.Verify(t.Context(), p.ID, code)
	wantErr(t, err, passcode.ErrExpired, autherr.Expired)
	if _, err := f.db.GetPasscode(t.Context(), p.ID); err != nil {
		t.Fatalf("expired passcode gone: %v", err)
	}
	f.clock.Advance(time.Hour)
	_, err = f.svc.Verify(t.Context(), p.ID, wrong(code))
	wantErr(t, err, passcode.ErrExpired, autherr.Expired)
}

func TestWrongCodes(t *testing.T) {
	f := setup(t, nil)
	p, code := f.create(t)
	for try := 1; try <= 2; try++ {
		_, err := f.svc.Verify(t.Context(), p.ID, wrong(code))
		wantErr(t, err, passcode.ErrInvalidCode, autherr.Unauthenticated)
		got, err := f.db.GetPasscode(t.Context(), p.ID)
		mustOK(t, err)
		if got.TryCount != try {
			t.Fatalf("try_count = %d after %d wrong codes", got.TryCount, try)
		}
	}
	_, err := f.svc.Verify(t.Context(), p.ID, wrong(code))
	wantErr(t, err, passcode.ErrMaxAttempts, autherr.Gone)
	if n := f.count(t); n != 0 {
		t.Fatal("passcode kept after max attempts")
	}
	_, err = f.svc.Verify(t.Context(), p.ID, code)
	wantErr(t, err, passcode.ErrNotFound, autherr.Unauthenticated)
}

func TestMalformedCodes(t *testing.T) {
	malformed := []string{"12345", "1234567", "abcdef", "１２３４５６", "", " 12345", "12345\n", "-12345", "+12345", "١٢٣٤٥٦"}
	f := setup(t, func(c *passcode.Config) { c.MaxAttempts = 100 })
	p, code := f.create(t)
	for _, bad := range malformed {
		_, err := f.svc.Verify(t.Context(), p.ID, bad)
		wantErr(t, err, passcode.ErrInvalidCode, autherr.Unauthenticated)
		if f.svc.Matches(p, bad) {
			t.Fatalf("%q matches", bad)
		}
	}
	got, err := f.db.GetPasscode(t.Context(), p.ID)
	mustOK(t, err)
	if got.TryCount != len(malformed) {
		t.Fatalf("try_count = %d after %d malformed codes", got.TryCount, len(malformed))
	}
	if _, err := f.svc.Verify(t.Context(), p.ID, code); err != nil {
		t.Fatalf("right code after malformed ones: %v", err)
	}
}

// TestFinalize: fn runs in the consuming transaction; its failure restores
// the passcode, and a wrong code commits its count although Finalize fails.
func TestFinalize(t *testing.T) {
	f := setup(t, nil)
	p, code := f.create(t)
	boom := errors.New("session store down")
	_, err := f.svc.Finalize(t.Context(), p.ID, code, func(ctx context.Context, got store.Passcode) error {
		if _, err := f.db.GetPasscode(ctx, got.ID); !errors.Is(err, autherr.NotFound) {
			t.Errorf("inside the tx the passcode is %v, want deleted", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Finalize = %v, want fn's error", err)
	}
	if _, err := f.db.GetPasscode(t.Context(), p.ID); err != nil {
		t.Fatalf("passcode gone after a rolled-back finalize: %v", err)
	}
	called := false
	_, err = f.svc.Finalize(t.Context(), p.ID, wrong(code), func(context.Context, store.Passcode) error { called = true; return nil })
	wantErr(t, err, passcode.ErrInvalidCode, autherr.Unauthenticated)
	got, err := f.db.GetPasscode(t.Context(), p.ID)
	mustOK(t, err)
	if called || got.TryCount != 1 {
		t.Fatalf("wrong code: fn called %t, try_count %d", called, got.TryCount)
	}
	_, err = f.svc.Finalize(t.Context(), p.ID, code, func(context.Context, store.Passcode) error { called = true; return nil })
	mustOK(t, err)
	if !called || f.count(t) != 0 {
		t.Fatalf("right code: fn called %t, %d rows", called, f.count(t))
	}
}

// race runs f in n goroutines released together and returns the errors.
func race(n int, f func() error) []error {
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f()
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestRaceRightCode(t *testing.T) {
	f := setup(t, nil)
	p, code := f.create(t)
	var mu sync.Mutex
	fns := 0
	errs := race(50, func() error {
		_, err := f.svc.Finalize(t.Context(), p.ID, code, func(context.Context, store.Passcode) error {
			mu.Lock()
			fns++
			mu.Unlock()
			return nil
		})
		return err
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, passcode.ErrNotFound):
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 || fns != 1 {
		t.Fatalf("50 racing finalizers: %d won, fn ran %d times; want 1 and 1", won, fns)
	}
}

func TestRaceWrongCodes(t *testing.T) {
	f := setup(t, nil)
	p, code := f.create(t)
	errs := race(50, func() error {
		_, err := f.svc.Verify(t.Context(), p.ID, wrong(code))
		return err
	})
	invalid, maxed, gone := 0, 0, 0
	for _, err := range errs {
		switch {
		case errors.Is(err, passcode.ErrInvalidCode):
			invalid++
		case errors.Is(err, passcode.ErrMaxAttempts):
			maxed++
		case errors.Is(err, passcode.ErrNotFound):
			gone++
		default:
			t.Fatalf("unexpected result: %v", err)
		}
	}
	// Three tries counted in total: two answered 401, the third 410.
	if invalid != 2 || maxed < 1 || invalid+maxed+gone != 50 {
		t.Fatalf("50 racing wrong codes: %d invalid, %d max attempts, %d not found", invalid, maxed, gone)
	}
	if n := f.count(t); n != 0 {
		t.Fatal("passcode survives max attempts")
	}
	_, err := f.svc.Verify(t.Context(), p.ID, code)
	wantErr(t, err, passcode.ErrNotFound, autherr.Unauthenticated)
}
