package passcode

import "github.com/hanko-go/hanko/autherr"

// Errors of the passcode feature. Match them with errors.Is; each also
// matches its autherr kind.
var (
	// ErrNotFound is a passcode ID that is unknown, already used or
	// deleted after too many wrong codes (401).
	ErrNotFound = autherr.New(autherr.Unauthenticated, "passcode not found")
	// ErrExpired is a passcode whose TTL has run out (408).
	ErrExpired = autherr.New(autherr.Expired, "passcode request timed out")
	// ErrInvalidCode is a wrong or malformed code; the try was counted (401).
	ErrInvalidCode = autherr.New(autherr.Unauthenticated, "passcode invalid")
	// ErrMaxAttempts is the wrong code that used up the last try, or any
	// code after that while the row still exists; the passcode is deleted
	// (410).
	ErrMaxAttempts = autherr.New(autherr.Gone, "max attempts reached")
	// ErrInvalidRequest is a Create request that cannot be served: an
	// unknown or code-less mail kind, or no recipient while mail is on (400).
	ErrInvalidRequest = autherr.New(autherr.Invalid, "invalid passcode request")
	// ErrDelivery wraps a failure to send the passcode mail; the passcode
	// was not kept (503). The wrapped cause never contains the code.
	ErrDelivery = autherr.New(autherr.Unavailable, "passcode mail could not be sent")
)
