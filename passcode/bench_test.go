package passcode_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/mail"
	"github.com/hanko-go/hanko/passcode"
	"github.com/hanko-go/hanko/store"
	"golang.org/x/crypto/bcrypt"
)

// nopMailer accepts every mail.
type nopMailer struct{}

func (nopMailer) Send(context.Context, mail.Message) error { return nil }

// BenchmarkCreate: new code, MAC, rendered mail, one INSERT (SQLite).
func BenchmarkCreate(b *testing.B) {
	f := setup(b, func(c *passcode.Config) { c.Mailer = nopMailer{} })
	req := f.request()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.svc.Create(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify: a successful finalize (SELECT, MAC check, DELETE in one
// SQLite transaction). Creating each passcode is not timed.
func BenchmarkVerify(b *testing.B) {
	f := setup(b, func(c *passcode.Config) { c.Mailer = nil })
	req := f.request()
	req.Address = ""
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c, err := f.svc.Create(b.Context(), req)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := f.svc.Verify(b.Context(), c.Passcode.ID, c.Code); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMAC is the code check alone: one HMAC-SHA256 and a
// constant-time compare.
func BenchmarkMAC(b *testing.B) {
	f := setup(b, nil)
	id := uuid.New()
	row := store.Passcode{ID: id, Code: f.svc.MAC(id, "123456")}
	b.ReportAllocs()
	for b.Loop() {
		if !f.svc.Matches(row, "123456") {
			b.Fatal("no match")
		}
	}
}

// BenchmarkBcrypt12 is the reference's check, for comparison.
func BenchmarkBcrypt12(b *testing.B) {
	hash, err := bcrypt.GenerateFromPassword([]byte("123456"), 12)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := bcrypt.CompareHashAndPassword(hash, []byte("123456")); err != nil {
			b.Fatal(err)
		}
	}
}
