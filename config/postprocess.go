package config

import "strings"

// PostProcess derives values, as Hanko does after loading and before validating. Call it once,
// after Parse and ApplyEnv; calling it again changes nothing.
//
// With convert_legacy_config: true it copies deprecated keys onto their replacements:
//
//	emails.require_verification         -> email.require_verification
//	emails.max_num_of_addresses         -> email.limit
//	passcode.ttl                        -> email.passcode_ttl
//	passcode.email.from_address         -> email_delivery.from_address
//	passcode.email.from_name            -> email_delivery.from_name
//	passcode.smtp.{host,port,user,password} -> email_delivery.smtp.*
//	smtp.{host,port,user,password}      -> email_delivery.smtp.* (after passcode.smtp, so the
//	                                       newer top-level block wins)
//	password.min_password_length        -> password.min_length
//	webauthn.user_verification          -> passkey.user_verification
//	webauthn.timeout                    -> webauthn.timeouts.registration and .login
//
// Unlike Hanko, which copies unconditionally, a deprecated value is copied only when it differs
// from its default (see Default), so a legacy key left unset never overwrites the new key, and
// Hanko's default min_password_length of 0 does not wipe password.min_length.
//
// Always:
//   - session.audience, when empty, becomes [webauthn.relying_party.id];
//   - trailing slashes are stripped from third_party.error_redirect_url,
//     default_redirect_url and every allowed_redirect_urls entry, as Hanko does;
//   - empty attribute_map entries of SAML identity providers get Hanko's defaults (the xmlsoap
//     name, surname, givenname and emailaddress claim URIs).
func (c *Config) PostProcess() {
	if c.ConvertLegacyConfig {
		c.convertLegacy()
	}
	if len(c.Session.Audience) == 0 {
		c.Session.Audience = []string{c.WebAuthn.RelyingParty.ID}
	}

	tp := &c.ThirdParty
	tp.ErrorRedirectURL = strings.TrimRight(tp.ErrorRedirectURL, "/")
	tp.DefaultRedirectURL = strings.TrimRight(tp.DefaultRedirectURL, "/")
	if len(tp.AllowedRedirectURLs) > 0 {
		urls := make([]string, len(tp.AllowedRedirectURLs)) // the old slice may be shared
		for i, u := range tp.AllowedRedirectURLs {
			urls[i] = strings.TrimRight(u, "/")
		}
		tp.AllowedRedirectURLs = urls
	}

	if len(c.SAML.IdentityProviders) > 0 {
		idps := make([]IdentityProvider, len(c.SAML.IdentityProviders))
		for i, idp := range c.SAML.IdentityProviders {
			m := &idp.AttributeMap
			setIfEmpty(&m.Name, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name")
			setIfEmpty(&m.FamilyName, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname")
			setIfEmpty(&m.GivenName, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname")
			setIfEmpty(&m.Email, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
			idps[i] = idp
		}
		c.SAML.IdentityProviders = idps
	}
}

func (c *Config) convertLegacy() {
	def := Default()
	copyIfChanged(&c.Email.RequireVerification, c.Emails.RequireVerification, def.Emails.RequireVerification)
	copyIfChanged(&c.Email.Limit, c.Emails.MaxNumOfAddresses, def.Emails.MaxNumOfAddresses)
	copyIfChanged(&c.Email.PasscodeTTL, c.Passcode.TTL, def.Passcode.TTL)
	copyIfChanged(&c.EmailDelivery.FromAddress, c.Passcode.Email.FromAddress, def.Passcode.Email.FromAddress)
	copyIfChanged(&c.EmailDelivery.FromName, c.Passcode.Email.FromName, def.Passcode.Email.FromName)
	copySMTP(&c.EmailDelivery.SMTP, c.Passcode.SMTP, def.Passcode.SMTP)
	copySMTP(&c.EmailDelivery.SMTP, c.SMTP, def.SMTP)
	copyIfChanged(&c.Password.MinLength, c.Password.MinPasswordLength, def.Password.MinPasswordLength)
	copyIfChanged(&c.Passkey.UserVerification, c.WebAuthn.UserVerification, def.WebAuthn.UserVerification)
	copyIfChanged(&c.WebAuthn.Timeouts.Registration, c.WebAuthn.Timeout, def.WebAuthn.Timeout)
	copyIfChanged(&c.WebAuthn.Timeouts.Login, c.WebAuthn.Timeout, def.WebAuthn.Timeout)
}

// copySMTP copies each field of a legacy SMTP block that differs from its default.
func copySMTP(dst *SMTP, legacy, def SMTP) {
	copyIfChanged(&dst.Host, legacy.Host, def.Host)
	copyIfChanged(&dst.Port, legacy.Port, def.Port)
	copyIfChanged(&dst.User, legacy.User, def.User)
	copyIfChanged(&dst.Password, legacy.Password, def.Password)
}

// copyIfChanged sets *dst to legacy when legacy is not the legacy key's default.
func copyIfChanged[T comparable](dst *T, legacy, def T) {
	if legacy != def {
		*dst = legacy
	}
}

func setIfEmpty(s *string, def string) {
	if *s == "" {
		*s = def
	}
}
