package session

import "github.com/hanko-go/hanko/autherr"

// Errors of the session feature.
var (
	// ErrInvalidToken is any token that does not verify: malformed, badly
	// signed, expired, for another audience or issuer, or revoked. It says
	// nothing more, on purpose.
	ErrInvalidToken = autherr.New(autherr.Unauthenticated, "Unauthorized")
	// ErrNoSession is a request without a session token.
	ErrNoSession = autherr.New(autherr.Unauthenticated, "Unauthorized")
	// ErrSessionNotFound is a session ID that is not (or no longer) stored.
	ErrSessionNotFound = autherr.New(autherr.NotFound, "session not found")
)
