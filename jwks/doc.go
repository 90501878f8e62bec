// Package jwks manages the keys that sign session JWTs (and webhook JWTs):
// it generates them, keeps them encrypted in the jwks table, picks the
// signing key, and renders the public JWK set served at
// /.well-known/jwks.json.
//
// hanko.New builds one Set at startup; the session package signs with
// Set.Signer and verifies with Set.Lookup, and httpapi serves Set.JSON with
// Set.ETag:
//
//	keys, err := jwks.New(ctx, jwks.Config{Store: db, Secrets: cfg.Secrets.Keys})
//	if err != nil {
//		return err // e.g. "jwks: key row 2: no secret in secrets.keys decrypts this key ..."
//	}
//	signer := keys.Signer()
//	sig, err := signer.Sign(rand.Reader, []byte(signingInput)) // header "kid": signer.ID, "alg": signer.Algorithm
//	...
//	k, ok, err := keys.Lookup(ctx, header.Kid)
//	valid := ok && k.Algorithm == header.Alg && k.Verify([]byte(signingInput), sig)
//
// # Compatibility with Hanko v1.2.1
//
// Row i+1 of the jwks table belongs to entry i of secrets.keys; New generates
// the rows that are missing. key_data is the private JWK as JSON, encrypted
// with AES-256-GCM under SHA-256 of the secret, a random 12-byte nonce
// prepended, the whole base64url-encoded with padding (the variant Hanko
// writes; unpadded and standard base64 are read too). Secrets[0] encrypts;
// every secret is tried to decrypt. The signing key is the most recently
// created row and every row is published. A database written by Hanko loads
// as it is: its RSA 4096 RS256 keys keep signing with RS256.
//
// Where we differ (on purpose): new keys are ES256 (P-256) unless Algorithm
// says RS256 (RSABits 2048 by default, 3072 or 4096) or EdDSA (Ed25519).
// Every stored key keeps the algorithm of its own key type, so a set may mix
// algorithms. A row that no secret decrypts stops New with an error naming
// the row instead of being replaced or skipped.
//
// # Rotation
//
// Adding a secret adds a key; the new key signs from then on and the old
// ones still verify. Two ways:
//
//   - New secret first (Hanko's documented way): secrets.keys: [new, old].
//     The new row is encrypted with the new secret, so only instances that
//     have it can use the new key; restart every instance with the new
//     configuration. Instances still on [old] report the new row as
//     ErrUndecryptable from Reload and Lookup and keep their keys.
//   - New secret last: secrets.keys: [old, new]. The new row is encrypted
//     with the old first secret, which every instance already has, so
//     instances not yet restarted pick the key up without a restart: on the
//     first token with its kid (Lookup) or on Reload.
//
// Removing a secret while its row remains makes startup fail, as in Hanko;
// delete the row as well (its tokens then stop verifying).
//
// # Concurrency
//
// Any number of instances may call New on one database at once: rows are
// created by id, a lost race (autherr.Conflict) defers to the winner's row,
// and all instances end up with the same keys. A Set is safe for concurrent
// use; Lookup reloads at most once per MinReloadInterval, so tokens with
// unknown kids cannot flood the database.
//
// Secrets and private key material never appear in errors or logs.
package jwks
