// Package autherr holds the error kinds that every layer of hanko shares.
//
// Feature packages declare their failures as sentinels built with New and
// wrap them with %w; the HTTP layer maps each Kind to a status code in exactly
// one place. Both the sentinel and its Kind match with errors.Is:
//
//	var ErrMaxAttempts = autherr.New(autherr.Gone, "max attempts reached")
//	errors.Is(err, ErrMaxAttempts) // true
//	errors.Is(err, autherr.Gone)   // true
//
// autherr imports only the standard library so that store, the features and
// httpapi can all depend on it.
package autherr

import (
	"errors"
	"fmt"
)

// Kind is a class of failure. Kinds mirror the statuses the Hanko API
// answers with; httpapi owns the mapping.
type Kind uint8

// The kinds of failure.
const (
	Internal        Kind = iota // a bug or an unavailable dependency; 500
	Invalid                     // malformed or unacceptable input; 400
	Unauthenticated             // missing or wrong credentials; 401
	Forbidden                   // authenticated but not allowed; 403
	NotFound                    // no such thing; 404
	Expired                     // a short-lived secret ran out; 408
	Conflict                    // violates a uniqueness or state rule; 409
	Gone                        // used up for good; 410
	TooLarge                    // request body over the limit; 413
	Unprocessable               // well-formed but cannot be processed; 422
	TooManyRequests             // rate limited; 429
	Unavailable                 // a dependency is down; 503
)

var names = [...]string{
	Internal:        "internal error",
	Invalid:         "invalid",
	Unauthenticated: "unauthenticated",
	Forbidden:       "forbidden",
	NotFound:        "not found",
	Expired:         "expired",
	Conflict:        "conflict",
	Gone:            "gone",
	TooLarge:        "too large",
	Unprocessable:   "unprocessable",
	TooManyRequests: "too many requests",
	Unavailable:     "unavailable",
}

// Error returns the kind's name, so that a Kind is itself an error that
// errors.Is can match.
func (k Kind) Error() string {
	if int(k) < len(names) {
		return names[k]
	}
	return "unknown error"
}

// Error is a failure of a known kind whose Msg is safe to show to end users.
type Error struct {
	Kind Kind
	Msg  string
}

// New returns an error of kind k with a message for end users.
func New(k Kind, msg string) *Error { return &Error{Kind: k, Msg: msg} }

// Error returns the user-facing message.
func (e *Error) Error() string { return e.Msg }

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// KindOf returns the kind of the first *Error or Kind in err's chain, and
// Internal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var k Kind
	if errors.As(err, &k) {
		return k
	}
	return Internal
}

// Message returns the user-facing message of the first *Error in err's chain,
// and "" when there is none (the caller then shows a generic text).
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return ""
}

// Replace returns err with the error with in front when err is of kind k
// (errors.Is finds both, so callers can test for the specific error and
// the kind), and err unchanged otherwise. Features use it to turn a store's
// Conflict or NotFound into their own named errors.
func Replace(err error, k Kind, with error) error {
	if errors.Is(err, k) {
		return fmt.Errorf("%w: %w", with, err)
	}
	return err
}
