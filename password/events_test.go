package password_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/hanko-go/hanko/events/eventstest"
	"github.com/hanko-go/hanko/password"
	"github.com/hanko-go/hanko/store/storetest"
)

func TestPasswordEvents(t *testing.T) {
	db, rec := storetest.OpenSQLite(t), &eventstest.Recorder{}
	h, err := password.New(password.Config{Params: cheapParams})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := password.NewService(password.ServiceConfig{Store: db, Hasher: h, Events: rec})
	if err != nil {
		t.Fatal(err)
	}
	e := &serviceEnv{db: db}
	uid := e.mustUser(t)
	ctx := t.Context()
	want := func(names ...string) {
		t.Helper()
		if got := rec.Names(); !slices.Equal(got, names) {
			t.Fatalf("events %q, want %q", got, names)
		}
		for _, ev := range rec.Events() {
			if ev.UserID != uid {
				t.Fatalf("event for %s, want %s", ev.UserID, uid)
			}
			if ev.Err != nil && errors.Is(ev.Err, password.ErrInvalidCredentials) && ev.Err.Error() != "Unauthorized" {
				t.Fatalf("failure message %q", ev.Err)
			}
		}
		rec.Reset()
	}

	if _, err := svc.Set(ctx, uid, "short"); err == nil {
		t.Fatal("short password accepted")
	}
	want("password_set_failed|")
	if _, err := svc.Set(ctx, uid, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	want("password_set_succeeded|")
	if err := svc.Login(ctx, uid, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	want("password_login_succeeded|")
	if err := svc.Login(ctx, uid, "wrong horse battery"); !errors.Is(err, password.ErrInvalidCredentials) {
		t.Fatal(err)
	}
	want("password_login_failed|")

	// An emitter failure rolls the new password back.
	rec.FailWith(errors.New("sink down"))
	if err := svc.Replace(ctx, uid, "another horse battery"); err == nil {
		t.Fatal("Replace succeeded with a failing emitter")
	}
	rec.FailWith(nil)
	if err := svc.Login(ctx, uid, "correct horse battery"); err != nil {
		t.Fatalf("old password no longer works after a rolled-back replace: %v", err)
	}
}
