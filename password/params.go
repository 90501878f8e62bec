package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Params are the argon2id cost parameters (RFC 9106 §3.1) used for new
// hashes. A hash records its own parameters, so changing Params never
// invalidates stored hashes; Verify reports them as needing a rehash.
type Params struct {
	// Memory is the memory cost m in KiB. Each hash in flight holds this
	// much memory for its whole duration.
	Memory uint32
	// Iterations is the time cost t: passes over the memory.
	Iterations uint32
	// Parallelism is the lane count p; argon2 runs p goroutines per hash.
	Parallelism uint8
	// SaltLength is the random salt length in bytes [16, 64].
	SaltLength uint32
	// KeyLength is the derived key (tag) length in bytes [16, 64].
	KeyLength uint32
}

// owaspFloor lists the argon2id configurations the OWASP Password Storage
// Cheat Sheet ("Argon2id", retrieved 2025) gives as equally strong minimums,
// all with p=1: Params are acceptable when they are at least as costly as one
// of them in both memory and iterations.
var owaspFloor = [...]struct{ memory, iterations uint32 }{
	{47104, 1}, // 46 MiB
	{19456, 2}, // 19 MiB
	{12288, 3}, // 12 MiB
	{9216, 4},  // 9 MiB
	{7168, 5},  // 7 MiB
}

// Limits on the salt and key lengths of new hashes. RFC 9106 §3.1
// recommends a 16-byte salt and a 32-byte tag.
const (
	minSaltLength = 16
	maxSaltLength = 64
	minKeyLength  = 16
	maxKeyLength  = 64
)

// DefaultParams returns the parameters used when Config.Params is zero:
// m=19456 KiB (19 MiB), t=2, p=1, a 16-byte salt and a 32-byte key. This is
// the second OWASP argon2id minimum (Password Storage Cheat Sheet). It trades
// memory for a second pass because memory is what bounds how many logins a
// host can verify at once; raise Memory first when the host can afford it.
// It is a function, not a variable, so that no caller can change another's
// defaults.
func DefaultParams() Params {
	return Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Validate reports every way p falls short of the OWASP argon2id floor
// (see DefaultParams) or the supported salt and key lengths, joined into one
// error; nil when p is acceptable for new hashes.
func (p Params) Validate() error {
	var errs []error
	floor := false
	for _, f := range owaspFloor {
		if p.Memory >= f.memory && p.Iterations >= f.iterations {
			floor = true
			break
		}
	}
	if !floor {
		errs = append(errs, fmt.Errorf("memory %d KiB with %d iterations is below the OWASP argon2id minimum (e.g. 19456 KiB with 2 iterations)", p.Memory, p.Iterations))
	}
	if p.Parallelism < 1 {
		errs = append(errs, errors.New("parallelism must be at least 1"))
	}
	if p.SaltLength < minSaltLength || p.SaltLength > maxSaltLength {
		errs = append(errs, fmt.Errorf("salt length %d is outside [%d, %d]", p.SaltLength, minSaltLength, maxSaltLength))
	}
	if p.KeyLength < minKeyLength || p.KeyLength > maxKeyLength {
		errs = append(errs, fmt.Errorf("key length %d is outside [%d, %d]", p.KeyLength, minKeyLength, maxKeyLength))
	}
	return errors.Join(errs...)
}

// phc is a decoded argon2id PHC string.
type phc struct {
	params    Params
	salt, key []byte
}

// argon2idPrefix starts every argon2id PHC string; only version 19 (0x13,
// the RFC 9106 version) exists.
const argon2idPrefix = "$argon2id$v=19$"

// encode renders h as $argon2id$v=19$m=M,t=T,p=P$salt$key with unpadded
// standard base64, the form of the PHC string format spec and the reference
// argon2 CLI.
func (h phc) encode() string {
	b := make([]byte, 0, 96)
	b = append(b, argon2idPrefix...)
	b = append(b, "m="...)
	b = strconv.AppendUint(b, uint64(h.params.Memory), 10)
	b = append(b, ",t="...)
	b = strconv.AppendUint(b, uint64(h.params.Iterations), 10)
	b = append(b, ",p="...)
	b = strconv.AppendUint(b, uint64(h.params.Parallelism), 10)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, h.salt)
	b = append(b, '$')
	b = base64.RawStdEncoding.AppendEncode(b, h.key)
	return string(b)
}

// limits bound the parameters Verify accepts from a stored hash, so that a
// corrupt or hostile row cannot make one verification allocate gigabytes or
// run for minutes.
type limits struct {
	maxMemory, maxIterations uint32
}

// parseArgon2id decodes s strictly: exactly the canonical form encode
// writes (no leading zeros, no padding or line breaks in base64), so a
// parsed hash always re-encodes to s. The returned error explains the
// problem without echoing s.
func parseArgon2id(s string, lim limits) (phc, error) {
	rest, ok := strings.CutPrefix(s, argon2idPrefix)
	if !ok {
		return phc{}, errors.New("not an argon2id v=19 hash")
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return phc{}, errors.New("want parameters, salt and key")
	}
	kv := strings.Split(fields[0], ",")
	if len(kv) != 3 {
		return phc{}, errors.New("want parameters m, t and p")
	}
	m, err := parseParam(kv[0], "m=", 32)
	if err != nil {
		return phc{}, err
	}
	t, err := parseParam(kv[1], "t=", 32)
	if err != nil {
		return phc{}, err
	}
	p, err := parseParam(kv[2], "p=", 8)
	if err != nil {
		return phc{}, err
	}
	salt, err := decodeB64(fields[1])
	if err != nil {
		return phc{}, fmt.Errorf("salt: %w", err)
	}
	key, err := decodeB64(fields[2])
	if err != nil {
		return phc{}, fmt.Errorf("key: %w", err)
	}
	switch {
	case p < 1:
		return phc{}, errors.New("parallelism below 1")
	case m < 8*p: // RFC 9106 §3.1: m >= 8*p
		return phc{}, errors.New("memory below 8 KiB per lane")
	case m > uint64(lim.maxMemory):
		return phc{}, fmt.Errorf("memory above the %d KiB limit", lim.maxMemory)
	case t < 1 || t > uint64(lim.maxIterations):
		return phc{}, fmt.Errorf("iterations outside [1, %d]", lim.maxIterations)
	case len(salt) < 8 || len(salt) > maxSaltLength: // PHC spec: salts of at least 8 bytes
		return phc{}, fmt.Errorf("salt length outside [8, %d]", maxSaltLength)
	case len(key) < minKeyLength || len(key) > maxKeyLength:
		return phc{}, fmt.Errorf("key length outside [%d, %d]", minKeyLength, maxKeyLength)
	}
	return phc{
		params: Params{
			Memory: uint32(m), Iterations: uint32(t), Parallelism: uint8(p),
			SaltLength: uint32(len(salt)), KeyLength: uint32(len(key)),
		},
		salt: salt,
		key:  key,
	}, nil
}

// parseParam reads "name=<decimal>" in canonical form.
func parseParam(s, name string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, name)
	if !ok || v == "" || (len(v) > 1 && v[0] == '0') {
		return 0, fmt.Errorf("bad parameter, want %sN", name)
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, fmt.Errorf("bad parameter, want %sN", name)
		}
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("parameter %s out of range", name)
	}
	return n, nil
}

// decodeB64 decodes unpadded standard base64 and rejects every
// non-canonical spelling (the decoder alone skips CR and LF).
func decodeB64(s string) ([]byte, error) {
	b, err := base64.RawStdEncoding.Strict().DecodeString(s)
	if err != nil || base64.RawStdEncoding.EncodeToString(b) != s {
		return nil, errors.New("not canonical unpadded base64")
	}
	return b, nil
}
