package audit

import "github.com/hanko-go/hanko/events"

// types are every audit type of the reference (section 4.9): the legacy
// REST API's, the shared ones and the Flow API's. GET /audit_logs accepts
// only these in its type filter.
var types = map[string]bool{
	events.UserCreated: true, events.UserDeleted: true, events.UserLoggedOut: true,
	events.EmailCreated: true, events.EmailVerified: true, events.EmailDeleted: true, events.PrimaryEmailChanged: true,
	events.PasswordSetSucceeded: true, events.PasswordSetFailed: true,
	events.PasswordLoginSucceeded: true, events.PasswordLoginFailed: true,
	events.PasscodeLoginInitSucceeded: true, events.PasscodeLoginInitFailed: true,
	events.PasscodeLoginFinalSucceeded: true, events.PasscodeLoginFinalFailed: true,
	events.WebauthnRegistrationInitSucceeded: true, events.WebauthnRegistrationInitFailed: true,
	events.WebauthnRegistrationFinalSucceeded: true, events.WebauthnRegistrationFinalFailed: true,
	events.WebauthnAuthenticationInitSucceeded: true, events.WebauthnAuthenticationInitFailed: true,
	events.WebauthnAuthenticationFinalSucceeded: true, events.WebauthnAuthenticationFinalFailed: true,
	events.WebauthnCredentialUpdated: true, events.WebauthnCredentialDeleted: true,
	events.ThirdPartySignupSucceeded: true, events.ThirdPartySigninSucceeded: true,
	events.ThirdPartyLinkingSucceeded: true, events.ThirdPartySigninSignupFailed: true,
	events.TokenExchangeSucceeded: true, events.TokenExchangeFailed: true,
	// The Flow API's types.
	"login_success": true, "login_failure": true, "otp_created": true,
	"passkey_created": true, "passkey_deleted": true, "security_key_created": true,
	"username_changed": true, "username_deleted": true, "password_changed": true, "password_deleted": true,
}

// IsType reports whether t is an audit type of the reference.
func IsType(t string) bool { return types[t] }
