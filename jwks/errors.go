package jwks

import "github.com/hanko-go/hanko/autherr"

// Errors returned by jwks. All are server-side failures (autherr.Internal),
// except ErrInvalidConfig (autherr.Invalid). Match them with errors.Is; the
// wrapping error names the row or field concerned, never a secret.
var (
	// ErrInvalidConfig reports a Config that New cannot use.
	ErrInvalidConfig = autherr.New(autherr.Invalid, "jwks: invalid configuration")
	// ErrUndecryptable reports a row whose key_data no configured secret
	// decrypts: a secret was removed or changed while its row remains.
	ErrUndecryptable = autherr.New(autherr.Internal, "no secret in secrets.keys decrypts this key (was a secret removed or changed?)")
	// ErrInvalidKey reports a row that decrypts but does not hold a usable
	// private signing key (malformed JWK, unsupported key type or algorithm,
	// duplicate kid).
	ErrInvalidKey = autherr.New(autherr.Internal, "not a usable private signing key")
	// ErrNoKeys reports that the store holds no usable signing key.
	ErrNoKeys = autherr.New(autherr.Internal, "jwks: no usable signing key")
	// ErrNoPrivateKey is returned by Key.Sign for a key known only publicly.
	ErrNoPrivateKey = autherr.New(autherr.Internal, "jwks: key has no private part")
)
