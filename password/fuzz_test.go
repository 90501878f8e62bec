package password

import (
	"errors"
	"testing"
)

// FuzzVerify feeds arbitrary stored hashes to Verify: it must never panic,
// must fail only with ErrMalformedHash, and every argon2id string it parses
// must re-encode to itself (the encoding is canonical). Expensive but valid
// parameters are parsed, not run, to keep iterations fast.
func FuzzVerify(f *testing.F) {
	h := newHasher(f, Config{})
	f.Add(mustHash(f, h, "correct horse"))
	f.Add(h.dummy)
	f.Add(mustBcrypt(f, "correct horse", 4))
	f.Add("$2y$04$abcdefghijklmnopqrstuuZ8G1Ue8zE0zM6J6kHbVo1UAY6v0fpwC")
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5aw")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$2a$")
	f.Add("")
	f.Fuzz(func(t *testing.T, encoded string) {
		d, perr := parseArgon2id(encoded, h.lim)
		if perr == nil {
			if got := d.encode(); got != encoded {
				t.Fatalf("parsed %q re-encodes to %q", encoded, got)
			}
			if uint64(d.params.Memory)*uint64(d.params.Iterations) > 4*19456*2 {
				return // valid but slow; parsing was the point
			}
		}
		if len(encoded) > 6 && encoded[0] == '$' && encoded[1] == '2' && encoded[4] >= '1' && encoded[4] <= '9' {
			return // bcrypt cost 10 or more: valid ones take too long to run here
		}
		ok, rehash, err := h.Verify(t.Context(), "correct horse", encoded)
		if err != nil && !errors.Is(err, ErrMalformedHash) {
			t.Fatalf("Verify(%q) err = %v, want nil or ErrMalformedHash", encoded, err)
		}
		if err != nil && (ok || rehash) {
			t.Fatalf("Verify(%q) = %v, %v with error %v", encoded, ok, rehash, err)
		}
		if rehash && !ok {
			t.Fatalf("Verify(%q): rehash without a match", encoded)
		}
	})
}
