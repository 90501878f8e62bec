package passcode_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events/eventstest"
	"github.com/hanko-go/hanko/passcode"
	"github.com/hanko-go/hanko/store"
)

func TestEmailSendEvent(t *testing.T) {
	for _, withMailer := range []bool{false, true} {
		name := "without mailer"
		if withMailer {
			name = "with mailer"
		}
		t.Run(name, func(t *testing.T) {
			rec := &eventstest.Recorder{}
			f := setup(t, func(c *passcode.Config) {
				c.Events = rec
				if !withMailer {
					c.Mailer = nil
				}
			})
			p, code := f.create(t)
			evs := rec.Events()
			if len(evs) != 1 {
				t.Fatalf("events %q, want one", rec.Names())
			}
			e := evs[0]
			if e.Audit != "passcode_login_init_succeeded" || e.Webhook != "email.send" || e.UserID != f.user.ID {
				t.Fatalf("event %+v", e)
			}
			d, ok := e.Data.(passcode.EmailSend)
			if !ok {
				t.Fatalf("Data is %T", e.Data)
			}
			if d.Type != "passcode" || d.ToEmailAddress != "ada@example.com" || d.DeliveredByHanko != withMailer ||
				d.AcceptLanguage != "en" || d.Subject == "" || d.BodyPlain == "" ||
				d.Data.OTPCode != code || d.Data.ServiceName != "Example" || d.Data.TTL != 300 ||
				d.Data.ValidUntil != p.ExpiresAt.Unix() {
				t.Fatalf("email.send data %+v (code %s)", d, code)
			}
		})
	}
}

func TestFailedMailEmitsInitFailed(t *testing.T) {
	rec := &eventstest.Recorder{}
	f := setup(t, func(c *passcode.Config) { c.Events = rec })
	f.mailer.err = errors.New("smtp down")
	if _, err := f.svc.Create(t.Context(), f.request()); !errors.Is(err, passcode.ErrDelivery) {
		t.Fatalf("Create: %v", err)
	}
	evs := rec.Events()
	if len(evs) != 1 || evs[0].Audit != "passcode_login_init_failed" || evs[0].Webhook != "" || evs[0].Err == nil {
		t.Fatalf("events %q, want only passcode_login_init_failed", rec.Names())
	}
}

func TestFinalizeEvents(t *testing.T) {
	rec := &eventstest.Recorder{}
	f := setup(t, func(c *passcode.Config) { c.Events = rec })
	p, code := f.create(t)
	rec.Reset()

	_, err := f.svc.Finalize(t.Context(), p.ID, wrong(code), nil)
	wantErr(t, err, passcode.ErrInvalidCode, autherr.Unauthenticated)
	evs := rec.Events()
	if len(evs) != 1 || evs[0].Audit != "passcode_login_final_failed" || !errors.Is(evs[0].Err, passcode.ErrInvalidCode) || evs[0].UserID != f.user.ID {
		t.Fatalf("after a wrong code: %q", rec.Names())
	}
	rec.Reset()

	// A follow-up that fails rolls everything back: no success recorded.
	boom := errors.New("session insert failed")
	_, err = f.svc.Finalize(t.Context(), p.ID, code, func(context.Context, store.Passcode) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if len(rec.Events()) != 0 {
		t.Fatalf("rolled-back finalize emitted %q", rec.Names())
	}

	_, err = f.svc.Finalize(t.Context(), p.ID, code, nil)
	mustOK(t, err)
	if got := rec.Names(); !slices.Equal(got, []string{"passcode_login_final_succeeded|"}) || rec.Events()[0].UserID != f.user.ID {
		t.Fatalf("after the right code: %q", got)
	}
}
