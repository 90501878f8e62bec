package password

import (
	"strconv"

	"github.com/hanko-go/hanko/autherr"
)

// Errors of the password package. Each matches its autherr kind with
// errors.Is. CheckPolicy returns errors that match ErrTooShort or ErrTooLong
// and carry a message naming the configured limit.
var (
	// ErrTooShort: the password has fewer than Config.MinLength characters.
	ErrTooShort = autherr.New(autherr.Invalid, "password is too short")
	// ErrTooLong: the password has more than Config.MaxBytes bytes. The
	// reference answers 400 above 72 bytes, bcrypt's input limit.
	ErrTooLong = autherr.New(autherr.Invalid, "password is too long")
	// ErrInvalid: the password is not valid UTF-8.
	ErrInvalid = autherr.New(autherr.Invalid, "password must be valid UTF-8")
	// ErrMalformedHash: a stored hash is neither a well-formed argon2id PHC
	// string within the accepted limits nor a bcrypt hash. It is an
	// Internal kind: stored data, not the user, is at fault.
	ErrMalformedHash = autherr.New(autherr.Internal, "malformed password hash")
)

// limitError is a policy failure whose user-facing message names the
// configured limit. It matches both its message (for autherr.Message) and
// the sentinel (for errors.Is) without copying or mutating the sentinel.
type limitError struct {
	msg      *autherr.Error
	sentinel *autherr.Error
}

func (e *limitError) Error() string   { return e.msg.Msg }
func (e *limitError) Unwrap() []error { return []error{e.msg, e.sentinel} }

func tooShort(n int) error {
	return &limitError{
		msg:      autherr.New(autherr.Invalid, "password must be at least "+strconv.Itoa(n)+" characters"),
		sentinel: ErrTooShort,
	}
}

func tooLong(n int) error {
	return &limitError{
		msg:      autherr.New(autherr.Invalid, "password must not be longer than "+strconv.Itoa(n)+" bytes"),
		sentinel: ErrTooLong,
	}
}
