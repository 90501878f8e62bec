// Package events is how features say what happened. A feature calls Emit
// with the context of the transaction that made the change, so that what
// the sinks write (webhook outbox rows, audit records) commits or rolls back
// with the change itself: a rolled-back change emits nothing.
//
// One Event carries both names a change has in Hanko: its audit type
// (password_login_succeeded, user_created, …) and, when it is one, its
// webhook event (user.create, email.send, …). Sinks pick what they need: the
// audit log records events with an Audit type, the webhook outbox events
// with a Webhook name, the metrics count logins.
package events

import (
	"context"

	"github.com/google/uuid"
)

// Webhook event names (reference section 4.10). Subscriptions match by
// prefix: "user" receives every "user.…" event.
const (
	UserCreate        = "user.create"
	UserUpdate        = "user.update"
	UserDelete        = "user.delete"
	EmailCreate       = "user.update.email.create"
	EmailPrimary      = "user.update.email.primary"
	EmailDelete       = "user.update.email.delete"
	EmailSend         = "email.send"
	webhookUser       = "user"
	webhookUserUpdate = "user.update.email"
)

// WebhookEvents are every name a webhook may subscribe to, in the
// reference's order.
var WebhookEvents = []string{
	webhookUser, UserCreate, UserUpdate, UserDelete, webhookUserUpdate, EmailCreate, EmailPrimary, EmailDelete, EmailSend,
}

// Audit types (reference section 4.9) the features emit.
const (
	UserCreated                          = "user_created"
	UserDeleted                          = "user_deleted"
	UserLoggedOut                        = "user_logged_out"
	EmailCreated                         = "email_created"
	EmailVerified                        = "email_verified"
	EmailDeleted                         = "email_deleted"
	PrimaryEmailChanged                  = "primary_email_changed"
	PasswordSetSucceeded                 = "password_set_succeeded"
	PasswordSetFailed                    = "password_set_failed"
	PasswordLoginSucceeded               = "password_login_succeeded"
	PasswordLoginFailed                  = "password_login_failed"
	PasscodeLoginInitSucceeded           = "passcode_login_init_succeeded"
	PasscodeLoginInitFailed              = "passcode_login_init_failed"
	PasscodeLoginFinalSucceeded          = "passcode_login_final_succeeded"
	PasscodeLoginFinalFailed             = "passcode_login_final_failed"
	WebauthnRegistrationInitSucceeded    = "webauthn_registration_init_succeeded"
	WebauthnRegistrationInitFailed       = "webauthn_registration_init_failed"
	WebauthnRegistrationFinalSucceeded   = "webauthn_registration_final_succeeded"
	WebauthnRegistrationFinalFailed      = "webauthn_registration_final_failed"
	WebauthnAuthenticationInitSucceeded  = "webauthn_authentication_init_succeeded"
	WebauthnAuthenticationInitFailed     = "webauthn_authentication_init_failed"
	WebauthnAuthenticationFinalSucceeded = "webauthn_authentication_final_succeeded"
	WebauthnAuthenticationFinalFailed    = "webauthn_authentication_final_failed"
	WebauthnCredentialUpdated            = "webauthn_credential_updated"
	WebauthnCredentialDeleted            = "webauthn_credential_deleted"
	ThirdPartySignupSucceeded            = "thirdparty_signup_succeeded"
	ThirdPartySigninSucceeded            = "thirdparty_signin_succeeded"
	ThirdPartyLinkingSucceeded           = "thirdparty_linking_succeeded"
	ThirdPartySigninSignupFailed         = "thirdparty_signin_signup_failed"
	TokenExchangeSucceeded               = "token_exchange_succeeded"
	TokenExchangeFailed                  = "token_exchange_failed"
)

// Event is one thing that happened.
type Event struct {
	// Audit is the audit type, or "" when the event is not audited.
	Audit string
	// Webhook is the webhook event name, or "" when no webhook hears of it.
	Webhook string
	// UserID is the user the event is about (the audit actor, the webhook
	// subject); uuid.Nil when unknown (a failed login of an unknown user).
	UserID uuid.UUID
	// Email is the actor's address for the audit record, when the emitter
	// knows it; sinks mask it as configured.
	Email string
	// Details are the audit record's details (login_method, credential_id,
	// email, …). Never put a secret here.
	Details map[string]any
	// Err is why a *_failed event failed; its message is recorded, so it
	// must not carry secrets.
	Err error
	// Data is the webhook payload. When nil, a user.* event's payload is the
	// user as the admin API shows it, loaded by the sink within the same
	// transaction (so emit user.delete before deleting).
	Data any
}

// Emitter records events. Emit is called with the context of the
// transaction that made the change; an error rolls the change back.
// Implementations are safe for concurrent use.
type Emitter interface {
	Emit(ctx context.Context, e Event) error
}

// EmitterFunc adapts a function to Emitter.
type EmitterFunc func(ctx context.Context, e Event) error

// Emit calls f.
func (f EmitterFunc) Emit(ctx context.Context, e Event) error { return f(ctx, e) }

// Emit sends e to em; a nil em drops it.
func Emit(ctx context.Context, em Emitter, e Event) error {
	if em == nil {
		return nil
	}
	return em.Emit(ctx, e)
}

// Multi fans an event out to every non-nil emitter in order, stopping at
// the first error.
func Multi(ems ...Emitter) Emitter {
	var list []Emitter
	for _, em := range ems {
		if em != nil {
			list = append(list, em)
		}
	}
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	return EmitterFunc(func(ctx context.Context, e Event) error {
		for _, em := range list {
			if err := em.Emit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// Meta describes the request that caused an event (the audit record's
// meta_* fields). The HTTP layer puts it in every request's context.
type Meta struct {
	RequestID string
	SourceIP  string
	UserAgent string
}

type metaKey struct{}

// WithMeta returns ctx carrying m.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// MetaFrom returns the request meta in ctx, or the zero Meta outside a
// request.
func MetaFrom(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}
