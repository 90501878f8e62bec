// Package thirdparty is login with OAuth 2.0 and OpenID Connect providers:
// Apple, Discord, GitHub, Google, LinkedIn, Microsoft and any OpenID
// Connect provider configured by its issuer URL, wire-compatible with
// Hanko's legacy third-party endpoints (reference 4.13).
//
// A login has three legs, which the HTTP layer maps to routes:
//
//	GET  /thirdparty/auth     Service.Begin: seal a state (provider, redirect target, nonce,
//	                          PKCE verifier, 5 min expiry), set the nonce cookie, go to the provider
//	GET  /thirdparty/callback Service.Callback: check state and cookie, exchange the code, read
//	                          the user data (ID tokens checked against the provider's JWKS), link
//	                          the account and store a one-time token; go to redirect_to?hanko_token=
//	POST /token               Service.Exchange: consume the token once and issue a session
//
// Account linking (sign-in by identity, linking by a verified address where
// the provider allows it, sign-up) runs in one transaction with its audit
// and webhook events. One-time tokens are stored as SHA-256 hashes, live
// one minute and are consumed atomically.
//
// Features do not import each other: hanko.New gives the Service its store,
// the state Sealer (jwks.Sealer: AES-256-GCM under a subkey of
// secrets.keys), the address normaliser (users.NormalizeEmail) and an
// events.Emitter.
package thirdparty
