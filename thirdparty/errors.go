package thirdparty

import (
	"errors"

	"github.com/hanko-go/hanko/autherr"
)

// errIDToken marks an ID token that failed verification.
var errIDToken = errors.New("invalid ID token")

// Error codes of failed third-party logins, sent to the error redirect URL
// as the "error" query parameter (reference 4.13).
const (
	CodeInvalidRequest   = "invalid_request"
	CodeServerError      = "server_error"
	CodeUserConflict     = "user_conflict"
	CodeMultipleAccounts = "multiple_accounts"
	CodeUnverifiedEmail  = "unverified_email"
	CodeEmailMaxNum      = "email_maxnum"
	CodeSignupDisabled   = "signup_disabled"
)

// Error is a failed third-party login: Code goes to the browser as the
// "error" parameter and Description as "error_description". Both are safe
// to show; the cause (for logs) is in Err.
type Error struct {
	Code        string
	Description string
	Err         error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Description + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Err }

func fail(code, desc string, cause error) *Error {
	return &Error{Code: code, Description: desc, Err: cause}
}

// Errors of the token exchange (POST /token).
var (
	ErrTokenNotFound = autherr.New(autherr.NotFound, "token not found")
	ErrTokenExpired  = autherr.New(autherr.Unprocessable, "token has expired")
)
