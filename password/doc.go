// Package password hashes and verifies user passwords.
//
// New passwords are hashed with argon2id (RFC 9106) and encoded in the PHC
// string format, for example
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt, base64>$<key, base64>
//
// Verify also accepts the bcrypt hashes written by the reference Hanko
// backend (cost 12) and by imports, and asks the caller to rehash them on the
// next successful login, so a migrated database moves to argon2id one login
// at a time. The same happens to argon2id hashes made with other parameters
// after the operator raises them.
//
// Who calls it: the password routes (login, set, recovery) through a
// *Hasher that hanko.New builds from the password.* configuration keys.
// Persistence is the caller's job; this package only turns plaintext into
// an encoded hash and back into a yes or no.
//
// Memory and timing: every argon2id and bcrypt computation runs under a
// semaphore of Config.MaxConcurrent slots, so a burst of logins uses at most
// MaxConcurrent × Params.Memory KiB of hashing memory and excess callers
// wait (honouring their context) instead of allocating. For a login whose
// user does not exist, VerifyUnknown does the work of a real verification
// so that response times do not tell whether an account exists.
//
// A sketch of a login:
//
//	h, err := password.New(password.Config{MinLength: cfg.Password.MinLength})
//	...
//	cred, err := store.GetPasswordCredential(ctx, userID)
//	if errors.Is(err, autherr.NotFound) {
//		_ = h.VerifyUnknown(ctx, plain)
//		return ErrInvalidCredentials
//	}
//	ok, rehash, err := h.Verify(ctx, plain, cred.Hash)
//	if err != nil || !ok { ... }
//	if rehash {
//		if enc, err := h.Hash(ctx, plain); err == nil { /* store enc */ }
//	}
package password
