// Package passkeytest is a software passkey provider for tests: it plays the
// part of a browser and a platform authenticator, answering the JSON a
// WebAuthn relying party sends to navigator.credentials.create() and .get()
// with the JSON a browser's PublicKeyCredential.toJSON() would post back.
//
// Package passkey uses it for its end-to-end tests, and hosts can use it to
// drive their own registration and login flows without a browser:
//
//	a := passkeytest.New()                                  // ES256, "none" attestation, UP+UV+BE+BS
//	reg, err := a.Register("https://example.com", creation) // creation: the server's options JSON
//	// POST reg to the server's registration finalize endpoint ...
//	login, err := a.Login("https://example.com", request)   // request: the server's options JSON
//	// POST login to the server's login finalize endpoint ...
//
// Like a browser, Register and Login check the origin against the RP ID
// (SecurityError → ErrSecurity), honour excludeCredentials (ErrExcluded) and
// allowCredentials (ErrNoCredential), and refuse when the server accepts none
// of the authenticator's algorithms (ErrNotSupported). Unlike a browser they
// never refuse for user verification: the UP/UV/BE/BS flags are reported as
// configured (WithFlags, SetFlags), so a test can check that the relying party
// rejects what it should.
//
// Credentials are discoverable and bound to one RP ID; registering again for
// the same RP ID and user handle replaces the old credential, as CTAP2
// authenticatorMakeCredential does. Keys are ECDSA P-256 (COSE -7) or Ed25519
// (COSE -8); ECDSA signatures are deterministic (RFC 6979), so with WithRand
// over a seeded reader every output is reproducible.
//
// For negative tests, ModifyClientData, ModifyAuthenticatorData and
// TamperSignature change a response without re-signing it, and
// Authenticator.Resign signs a modified response again so that only the
// modified field, not the signature, is wrong.
//
// The package depends only on the standard library and
// github.com/fxamacker/cbor/v2; it imports neither package passkey nor
// go-webauthn. An Authenticator is safe for concurrent use.
package passkeytest
