package passkey_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/events/eventstest"
	"github.com/hanko-go/hanko/passkey"
	"github.com/hanko-go/hanko/passkey/passkeytest"
	"github.com/hanko-go/hanko/store"
)

const origin = "https://login.example.com"

// audits returns the audit types r recorded, in order.
func audits(r *eventstest.Recorder) []string {
	var out []string
	for _, e := range r.Events() {
		out = append(out, e.Audit)
	}
	return out
}

// last returns the newest event r recorded.
func last(r *eventstest.Recorder) events.Event {
	evs := r.Events()
	return evs[len(evs)-1]
}

type fixture struct {
	db   *store.DB
	svc  *passkey.Service
	evs  *eventstest.Recorder
	user uuid.UUID
	now  time.Time
}

func newFixture(t testing.TB, mod ...func(*passkey.Config)) *fixture {
	t.Helper()
	db, err := store.Open(t.Context(), store.Options{Dialect: "sqlite", DSN: filepath.Join(t.TempDir(), "p.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, evs: &eventstest.Recorder{}, user: uuid.New(), now: time.Now()}
	now := f.now.UTC()
	if err := db.CreateUser(t.Context(), store.User{ID: f.user, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	cfg := passkey.Config{Store: db, RPID: "example.com", Origins: []string{origin}, Events: f.evs, Now: func() time.Time { return f.now }}
	for _, m := range mod {
		m(&cfg)
	}
	if f.svc, err = passkey.New(cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) register(t testing.TB, auth *passkeytest.Authenticator) passkey.Registered {
	t.Helper()
	opts, err := f.svc.BeginRegistration(t.Context(), f.user)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := auth.Register(origin, mustJSON(t, opts))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := f.svc.FinishRegistration(t.Context(), f.user, cred, "")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func (f *fixture) login(t testing.TB, auth *passkeytest.Authenticator) (passkey.Login, error) {
	t.Helper()
	opts, err := f.svc.BeginLogin(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.Login(origin, mustJSON(t, opts))
	if err != nil {
		t.Fatal(err)
	}
	return f.svc.FinishLogin(t.Context(), a, nil)
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEventsOfACredentialsLife(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	auth := passkeytest.New()
	reg := f.register(t, auth)
	if _, err := f.login(t, auth); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Rename(t.Context(), f.user, reg.CredentialID, "Phone"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Delete(t.Context(), f.user, reg.CredentialID); err != nil {
		t.Fatal(err)
	}
	want := []string{
		events.WebauthnRegistrationInitSucceeded, events.WebauthnRegistrationFinalSucceeded,
		events.WebauthnAuthenticationInitSucceeded, events.WebauthnAuthenticationFinalSucceeded,
		events.WebauthnCredentialUpdated, events.WebauthnCredentialDeleted,
	}
	if got := audits(f.evs); !slices.Equal(got, want) {
		t.Fatalf("audit types\n got  %v\n want %v", got, want)
	}
	if e := last(f.evs); e.UserID != f.user || e.Details["credential_id"] != reg.CredentialID {
		t.Fatalf("last event %+v", e)
	}
}

// TestCounterRegressionIsRefusedAndAudited: a counter below the stored one
// means two copies of the key exist; the login fails and says why.
func TestCounterRegressionIsRefusedAndAudited(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	auth := passkeytest.New()
	reg := f.register(t, auth)
	id, _ := base64.RawURLEncoding.DecodeString(reg.CredentialID)
	auth.SetCounter(id, 10)
	if _, err := f.login(t, auth); err != nil {
		t.Fatal(err)
	}
	auth.SetCounter(id, 3)
	_, err := f.login(t, auth)
	if !errors.Is(err, passkey.ErrClone) || autherr.KindOf(err) != autherr.Unauthenticated {
		t.Fatalf("err = %v, want ErrClone (Unauthenticated)", err)
	}
	e := last(f.evs)
	if e.Audit != events.WebauthnAuthenticationFinalFailed || e.UserID != f.user || e.Err == nil {
		t.Fatalf("last event %+v", e)
	}
	c, _ := f.db.GetWebauthnCredential(t.Context(), reg.CredentialID)
	if c.SignCount != 11 {
		t.Fatalf("stored counter %d, want 11 (unchanged by the refused login)", c.SignCount)
	}
}

func TestExpiredRegistrationChallenge(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(c *passkey.Config) { c.RegistrationTimeout = time.Minute })
	opts, err := f.svc.BeginRegistration(t.Context(), f.user)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := passkeytest.New().Register(origin, mustJSON(t, opts))
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Minute)
	_, err = f.svc.FinishRegistration(t.Context(), f.user, cred, "")
	if autherr.KindOf(err) != autherr.Invalid {
		t.Fatalf("err = %v, want Invalid", err)
	}
	if e := last(f.evs); e.Audit != events.WebauthnRegistrationFinalFailed {
		t.Fatalf("last event %+v", e)
	}
}

func TestConfigIsChecked(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]passkey.Config{
		"no store":        {RPID: "example.com", Origins: []string{origin}},
		"no web origin":   {Store: &store.DB{}, RPID: "example.com", Origins: []string{"android:apk-key-hash:x"}},
		"bad uv":          {Store: &store.DB{}, RPID: "example.com", Origins: []string{origin}, UserVerification: "always"},
		"bad attestation": {Store: &store.DB{}, RPID: "example.com", Origins: []string{origin}, Attestation: "enterprise!"},
		"bad rp id":       {Store: &store.DB{}, RPID: "https://example.com/", Origins: []string{origin}},
	} {
		if _, err := passkey.New(cfg); err == nil {
			t.Errorf("%s: New accepted it", name)
		}
	}
}
