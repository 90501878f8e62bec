package password_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/password"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
	"golang.org/x/crypto/bcrypt"
)

// cheapParams is the least costly OWASP minimum, to keep the suite fast.
var cheapParams = password.Params{Memory: 7168, Iterations: 5, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// serviceEnv is a Service over a fresh SQLite store with a fixed clock.
type serviceEnv struct {
	svc  *password.Service
	db   *store.DB
	now  time.Time
	logs *bytes.Buffer
}

func newServiceEnv(t *testing.T, wrap func(password.Store) password.Store) *serviceEnv {
	t.Helper()
	db := storetest.OpenSQLite(t)
	h, err := password.New(password.Config{Params: cheapParams})
	if err != nil {
		t.Fatal(err)
	}
	var st password.Store = db
	if wrap != nil {
		st = wrap(db)
	}
	e := &serviceEnv{db: db, now: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), logs: &bytes.Buffer{}}
	e.svc, err = password.NewService(password.ServiceConfig{
		Store: st, Hasher: h, Now: func() time.Time { return e.now },
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *serviceEnv) mustUser(t *testing.T) uuid.UUID {
	t.Helper()
	u := store.User{ID: uuid.New(), CreatedAt: e.now, UpdatedAt: e.now}
	if err := e.db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func (e *serviceEnv) stored(t *testing.T, userID uuid.UUID) store.PasswordCredential {
	t.Helper()
	c, err := e.db.GetPasswordCredential(t.Context(), userID)
	if err != nil {
		t.Fatalf("GetPasswordCredential: %v", err)
	}
	return c
}

func wantErr(t *testing.T, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("error %v, want %v", err, target)
		}
	}
}

func TestNewServiceRequires(t *testing.T) {
	t.Parallel()
	_, err := password.NewService(password.ServiceConfig{})
	if err == nil || !strings.Contains(err.Error(), "Store") || !strings.Contains(err.Error(), "Hasher") {
		t.Fatalf("NewService({}) = %v, want an error naming Store and Hasher", err)
	}
}

func TestSetAndLogin(t *testing.T) {
	t.Parallel()
	e := newServiceEnv(t, nil)
	ctx := t.Context()
	uid := e.mustUser(t)

	created, err := e.svc.Set(ctx, uid, "correct horse")
	if err != nil || !created {
		t.Fatalf("first Set = %v, %v; want created", created, err)
	}
	first := e.stored(t, uid)
	if !strings.HasPrefix(first.Password, "$argon2id$") || strings.Contains(first.Password, "correct horse") {
		t.Fatalf("stored %q, want an argon2id hash", first.Password)
	}
	if err := e.svc.Login(ctx, uid, "correct horse"); err != nil {
		t.Fatalf("Login with the password: %v", err)
	}
	wantErr(t, e.svc.Login(ctx, uid, "wrong horse!"), password.ErrInvalidCredentials, autherr.Unauthenticated)

	e.now = e.now.Add(time.Hour)
	created, err = e.svc.Set(ctx, uid, "battery staple")
	if err != nil || created {
		t.Fatalf("second Set = %v, %v; want replaced", created, err)
	}
	second := e.stored(t, uid)
	if second.ID != first.ID || !second.CreatedAt.Equal(first.CreatedAt) || !second.UpdatedAt.Equal(e.now) || second.Password == first.Password {
		t.Fatalf("after replace: %+v (before %+v)", second, first)
	}
	wantErr(t, e.svc.Login(ctx, uid, "correct horse"), password.ErrInvalidCredentials)
	if err := e.svc.Login(ctx, uid, "battery staple"); err != nil {
		t.Fatalf("Login with the new password: %v", err)
	}
}

func TestSetRejects(t *testing.T) {
	t.Parallel()
	e := newServiceEnv(t, nil)
	ctx := t.Context()
	uid := e.mustUser(t)
	for _, tt := range []struct {
		name, plain string
		want        error
	}{
		{"too short", "seven77", password.ErrTooShort},
		{"too short in runes", "äöüäöüä", password.ErrTooShort}, // 14 bytes, 7 characters
		{"too long", strings.Repeat("x", 73), password.ErrTooLong},
	} {
		_, err := e.svc.Set(ctx, uid, tt.plain)
		wantErr(t, err, tt.want, autherr.Invalid)
	}
	if ok, err := e.svc.Exists(ctx, uid); err != nil || ok {
		t.Fatalf("Exists after rejected Sets = %v, %v", ok, err)
	}
	_, err := e.svc.Set(ctx, uuid.New(), "correct horse")
	wantErr(t, err, password.ErrUserNotFound, autherr.NotFound)
}

// TestLoginSameAnswer: an unknown user, a user without a password and a
// wrong password are one error; too long a password is ErrTooLong for all.
func TestLoginSameAnswer(t *testing.T) {
	t.Parallel()
	e := newServiceEnv(t, nil)
	ctx := t.Context()
	withPW, withoutPW := e.mustUser(t), e.mustUser(t)
	if _, err := e.svc.Set(ctx, withPW, "correct horse"); err != nil {
		t.Fatal(err)
	}
	for name, uid := range map[string]uuid.UUID{"unknown user": uuid.New(), "no password": withoutPW, "wrong password": withPW} {
		err := e.svc.Login(ctx, uid, "wrong horse")
		if err != password.ErrInvalidCredentials { // the very sentinel: nothing to tell the cases apart
			t.Fatalf("%s: Login = %v, want ErrInvalidCredentials", name, err)
		}
		wantErr(t, e.svc.Login(ctx, uid, strings.Repeat("x", 73)), password.ErrTooLong, autherr.Invalid)
	}
}

// TestLoginRehashesBcrypt: a reference (bcrypt) hash logs in and is
// replaced by an argon2id hash, after which the password still works.
func TestLoginRehashesBcrypt(t *testing.T) {
	t.Parallel()
	e := newServiceEnv(t, nil)
	ctx := t.Context()
	uid := e.mustUser(t)
	// Shorter than min_length: set under an older policy, still usable.
	const plain = "short"
	b, err := bcrypt.GenerateFromPassword([]byte(plain), 4)
	if err != nil {
		t.Fatal(err)
	}
	old := store.PasswordCredential{ID: uuid.New(), UserID: uid, Password: string(b), CreatedAt: e.now, UpdatedAt: e.now}
	if err := e.db.CreatePasswordCredential(ctx, old); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.svc.Login(ctx, uid, "shorts"), password.ErrInvalidCredentials)
	if got := e.stored(t, uid); got.Password != old.Password {
		t.Fatal("a failed login changed the hash")
	}

	e.now = e.now.Add(time.Minute)
	if err := e.svc.Login(ctx, uid, plain); err != nil {
		t.Fatalf("Login with a bcrypt hash: %v", err)
	}
	got := e.stored(t, uid)
	if !strings.HasPrefix(got.Password, "$argon2id$v=19$m=7168,t=5,p=1$") || !got.UpdatedAt.Equal(e.now) || got.ID != old.ID {
		t.Fatalf("after login: %+v, want the argon2id rehash", got)
	}
	e.now = e.now.Add(time.Minute)
	if err := e.svc.Login(ctx, uid, plain); err != nil {
		t.Fatalf("Login after the rehash: %v", err)
	}
	if again := e.stored(t, uid); again.Password != got.Password || !again.UpdatedAt.Equal(got.UpdatedAt) {
		t.Fatal("a current hash was rehashed again")
	}
}

// hookStore lets a test interfere with a Service's store calls.
type hookStore struct {
	password.Store
	gets     atomic.Int32
	onGet    func(ctx context.Context, n int32)
	updateFn func() error
}

func (s *hookStore) GetPasswordCredential(ctx context.Context, userID uuid.UUID) (store.PasswordCredential, error) {
	if n := s.gets.Add(1); s.onGet != nil {
		s.onGet(ctx, n)
	}
	return s.Store.GetPasswordCredential(ctx, userID)
}

func (s *hookStore) UpdatePasswordCredential(ctx context.Context, userID uuid.UUID, hash string, now time.Time) error {
	if s.updateFn != nil {
		if err := s.updateFn(); err != nil {
			return err
		}
	}
	return s.Store.UpdatePasswordCredential(ctx, userID, hash, now)
}

func mustBcryptCredential(t *testing.T, e *serviceEnv, uid uuid.UUID, plain string) store.PasswordCredential {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(plain), 4)
	if err != nil {
		t.Fatal(err)
	}
	c := store.PasswordCredential{ID: uuid.New(), UserID: uid, Password: string(b), CreatedAt: e.now, UpdatedAt: e.now}
	if err := e.db.CreatePasswordCredential(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRehashFailureIsLogged(t *testing.T) {
	t.Parallel()
	hs := &hookStore{updateFn: func() error { return errors.New("disk on fire") }}
	e := newServiceEnv(t, func(s password.Store) password.Store { hs.Store = s; return hs })
	uid := e.mustUser(t)
	old := mustBcryptCredential(t, e, uid, "correct horse")
	if err := e.svc.Login(t.Context(), uid, "correct horse"); err != nil {
		t.Fatalf("Login must succeed although the rehash is not stored: %v", err)
	}
	if got := e.stored(t, uid); got.Password != old.Password {
		t.Fatal("hash changed although the update failed")
	}
	if logs := e.logs.String(); !strings.Contains(logs, "rehash") || !strings.Contains(logs, "disk on fire") ||
		strings.Contains(logs, "correct horse") {
		t.Fatalf("log %q: want the rehash failure, never the password", logs)
	}
}

// TestRehashKeepsNewerPassword: a password changed while the login was
// verifying is not overwritten by the rehash of the old one.
func TestRehashKeepsNewerPassword(t *testing.T) {
	t.Parallel()
	hs := &hookStore{}
	e := newServiceEnv(t, func(s password.Store) password.Store { hs.Store = s; return hs })
	uid := e.mustUser(t)
	mustBcryptCredential(t, e, uid, "correct horse")
	const newer = "$argon2id$v=19$m=7168,t=5,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	hs.onGet = func(ctx context.Context, n int32) {
		if n == 2 { // the rehash re-reads the row: change it first (in its transaction, as SQLite has one writer)
			if err := e.db.UpdatePasswordCredential(ctx, uid, newer, e.now); err != nil {
				t.Error(err)
			}
		}
	}
	if err := e.svc.Login(t.Context(), uid, "correct horse"); err != nil {
		t.Fatal(err)
	}
	if got := e.stored(t, uid); got.Password != newer {
		t.Fatalf("stored %q, want the newer password kept", got.Password)
	}
}

func TestCreateReplaceGetDelete(t *testing.T) {
	t.Parallel()
	e := newServiceEnv(t, nil)
	ctx := t.Context()
	uid := e.mustUser(t)

	_, err := e.svc.Get(ctx, uid)
	wantErr(t, err, password.ErrNoPassword, autherr.NotFound)
	wantErr(t, e.svc.Replace(ctx, uid, "correct horse"), password.ErrNoPassword, autherr.NotFound)
	wantErr(t, e.svc.Delete(ctx, uid), password.ErrNoPassword, autherr.NotFound)
	wantErr(t, e.svc.Create(ctx, uuid.New(), "correct horse"), password.ErrUserNotFound, autherr.NotFound)
	wantErr(t, e.svc.Create(ctx, uid, "short"), password.ErrTooShort)

	if err := e.svc.Create(ctx, uid, "correct horse"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.svc.Create(ctx, uid, "another horse"), password.ErrPasswordExists, autherr.Conflict)
	c, err := e.svc.Get(ctx, uid)
	st := e.stored(t, uid)
	if err != nil || c != (password.Credential{ID: st.ID, UserID: uid, CreatedAt: st.CreatedAt, UpdatedAt: st.UpdatedAt}) {
		t.Fatalf("Get = %+v, %v; stored %+v", c, err, st)
	}
	e.now = e.now.Add(time.Hour)
	if err := e.svc.Replace(ctx, uid, "another horse"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Login(ctx, uid, "another horse"); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.svc.Exists(ctx, uid); err != nil || !ok {
		t.Fatalf("Exists = %v, %v", ok, err)
	}
	if err := e.svc.Delete(ctx, uid); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.svc.Exists(ctx, uid); err != nil || ok {
		t.Fatalf("Exists after Delete = %v, %v", ok, err)
	}
	wantErr(t, e.svc.Login(ctx, uid, "another horse"), password.ErrInvalidCredentials)
}

// TestConcurrentSet: racing Sets for a user without a password all
// succeed and exactly one reports that it created the credential.
func TestConcurrentSet(t *testing.T) {
	t.Parallel()
	e := newServiceEnv(t, nil)
	uid := e.mustUser(t)
	const n = 4
	var wg sync.WaitGroup
	var created atomic.Int32
	for range n {
		wg.Go(func() {
			c, err := e.svc.Set(t.Context(), uid, "correct horse")
			if err != nil {
				t.Error(err)
			}
			if c {
				created.Add(1)
			}
		})
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Fatalf("%d Sets created the credential, want 1", created.Load())
	}
}
