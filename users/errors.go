package users

import "github.com/hanko-go/hanko/autherr"

// Errors of the users feature. Each matches its autherr kind with errors.Is.
var (
	ErrUserNotFound    = autherr.New(autherr.NotFound, "user not found")
	ErrEmailNotFound   = autherr.New(autherr.NotFound, "email not found")
	ErrUserExists      = autherr.New(autherr.Conflict, "user already exists")
	ErrEmailTaken      = autherr.New(autherr.Conflict, "email address already exists")
	ErrUsernameTaken   = autherr.New(autherr.Conflict, "username already exists")
	ErrEmailLimit      = autherr.New(autherr.Conflict, "max number of email addresses reached")
	ErrPrimaryEmail    = autherr.New(autherr.Conflict, "primary email address can not be deleted")
	ErrSignupDisabled  = autherr.New(autherr.Forbidden, "account signup is disabled")
	ErrInvalidEmail    = autherr.New(autherr.Invalid, "email must be a valid email address")
	ErrEmailTooLong    = autherr.New(autherr.Invalid, "email address is too long")
	ErrInvalidUsername = autherr.New(autherr.Invalid, "username must contain only letters, digits and underscores")
	ErrNoIdentifier    = autherr.New(autherr.Invalid, "at least one of emails or username must be set")
	ErrPrimaryCount    = autherr.New(autherr.Invalid, "exactly one email must be primary")
	ErrDuplicateEmails = autherr.New(autherr.Invalid, "emails entries are not unique")
	ErrUserIDInvalid   = autherr.New(autherr.Invalid, "user_id must be a valid uuid")
	ErrUsernameLength  = autherr.New(autherr.Invalid, "username has an invalid length")
)

// ErrEmailInUse is returned when adding an address that belongs to a user;
// the reference answers 400 here, not 409.
var ErrEmailInUse = autherr.New(autherr.Invalid, "email address already in use")

// Errors of passcode targets.
var (
	ErrNoEmailGiven      = autherr.New(autherr.Invalid, "an emailId needs to be specified")
	ErrEmailOwnedByOther = autherr.New(autherr.Forbidden, "email belongs to another user")
)
