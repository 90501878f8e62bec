package password

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hanko-go/hanko/autherr"
	"golang.org/x/crypto/bcrypt"
)

func newHasher(tb testing.TB, cfg Config) *Hasher {
	tb.Helper()
	h, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return h
}

func mustHash(tb testing.TB, h *Hasher, plain string) string {
	tb.Helper()
	enc, err := h.Hash(tb.Context(), plain)
	if err != nil {
		tb.Fatalf("Hash: %v", err)
	}
	return enc
}

func mustBcrypt(tb testing.TB, plain string, cost int) string {
	tb.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(plain), cost)
	if err != nil {
		tb.Fatalf("bcrypt: %v", err)
	}
	return string(b)
}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	h := newHasher(t, Config{})
	for _, tc := range []struct{ name, plain, wrong string }{
		{"ascii", "correct horse", "correct horsE"},
		{"multibyte", "pässwörd€😀", "passwörd€😀"},
		{"max bytes", strings.Repeat("x", 72), strings.Repeat("x", 71) + "y"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			enc := mustHash(t, h, tc.plain)
			if !phcRE.MatchString(enc) {
				t.Fatalf("Hash = %q, not the PHC form with default params", enc)
			}
			ok, rehash, err := h.Verify(t.Context(), tc.plain, enc)
			if err != nil || !ok || rehash {
				t.Fatalf("Verify(right) = %v, %v, %v; want true, false, nil", ok, rehash, err)
			}
			ok, rehash, err = h.Verify(t.Context(), tc.wrong, enc)
			if err != nil || ok || rehash {
				t.Fatalf("Verify(wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	t.Parallel()
	h := newHasher(t, Config{})
	if a, b := mustHash(t, h, "correct horse"), mustHash(t, h, "correct horse"); a == b {
		t.Fatalf("two hashes of one password are equal: %q", a)
	}
}

func TestHashUsesRand(t *testing.T) {
	t.Parallel()
	// New takes 16+32 bytes for the dummy hash, then Hash takes a 16-byte salt.
	r := bytes.NewReader(bytes.Repeat([]byte{0}, 48+16))
	h := newHasher(t, Config{Rand: r})
	enc := mustHash(t, h, "correct horse")
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$") {
		t.Fatalf("Hash = %q, want the all-zero salt from Rand", enc)
	}
	// Rand is now empty: Hash fails as an internal error, not a panic.
	if _, err := h.Hash(t.Context(), "correct horse"); !errors.Is(err, autherr.Internal) {
		t.Fatalf("Hash with exhausted Rand: err = %v, want autherr.Internal", err)
	}
	if _, err := New(Config{Rand: io.LimitReader(rand.Reader, 10)}); !errors.Is(err, autherr.Internal) {
		t.Fatalf("New with short Rand: err = %v, want autherr.Internal", err)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	const plain = "correct horse"
	h := newHasher(t, Config{})
	argonDefault := mustHash(t, h, plain)
	other := newHasher(t, Config{Params: Params{Memory: 47104, Iterations: 1, Parallelism: 2, SaltLength: 16, KeyLength: 32}})
	argonOther := mustHash(t, other, plain)
	longerKey := newHasher(t, Config{Params: Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 32, KeyLength: 64}})
	argonLongerKey := mustHash(t, longerKey, plain)
	b2a := mustBcrypt(t, plain, 4) // x/crypto writes $2a$
	b2b := "$2b$" + b2a[4:]        // same algorithm, other spellings
	b2y := "$2y$" + b2a[4:]

	for _, tc := range []struct {
		name, plain, encoded string
		wantOK, wantRehash   bool
		wantErr              error
	}{
		{"argon2id current params", plain, argonDefault, true, false, nil},
		{"argon2id wrong password", "correct horsE", argonDefault, false, false, nil},
		{"argon2id other params", plain, argonOther, true, true, nil},
		{"argon2id other params wrong password", "wrong", argonOther, false, false, nil},
		{"argon2id other salt and key length", plain, argonLongerKey, true, true, nil},
		{"bcrypt 2a", plain, b2a, true, true, nil},
		{"bcrypt 2b", plain, b2b, true, true, nil},
		{"bcrypt 2y", plain, b2y, true, true, nil},
		{"bcrypt wrong password", "correct horsE", b2a, false, false, nil},
		{"bcrypt empty password", "", b2a, false, false, nil},
		{"too long", strings.Repeat("x", 73), argonDefault, false, false, ErrTooLong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash, err := h.Verify(t.Context(), tc.plain, tc.encoded)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if ok != tc.wantOK || rehash != tc.wantRehash {
				t.Fatalf("Verify = %v, %v; want %v, %v", ok, rehash, tc.wantOK, tc.wantRehash)
			}
		})
	}
}

// With MaxBytes above bcrypt's 72-byte input limit, a longer password must
// not match a bcrypt hash of its first 72 bytes.
func TestVerifyBcryptTruncation(t *testing.T) {
	t.Parallel()
	h := newHasher(t, Config{MaxBytes: 128})
	prefix := strings.Repeat("x", 72)
	enc := mustBcrypt(t, prefix, 4)
	ok, rehash, err := h.Verify(t.Context(), prefix+"tail", enc)
	if err != nil || ok || rehash {
		t.Fatalf("Verify(72 bytes + tail) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	h := newHasher(t, Config{})
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U" // 16 and 32 bytes
	valid := "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key
	if _, err := parseArgon2id(valid, h.lim); err != nil {
		t.Fatalf("the template %q does not parse: %v", valid, err)
	}
	b := mustBcrypt(t, "x", 4)
	for _, tc := range []struct{ name, encoded string }{
		{"empty", ""},
		{"plaintext", "correct horse"},
		{"argon2i", strings.Replace(valid, "argon2id", "argon2i", 1)},
		{"argon2id prefix only", "$argon2id$"},
		{"version 16", strings.Replace(valid, "v=19", "v=16", 1)},
		{"no version", strings.Replace(valid, "v=19$", "", 1)},
		{"missing key", "$argon2id$v=19$m=19456,t=2,p=1$" + salt},
		{"trailing dollar", valid + "$"},
		{"params reordered", strings.Replace(valid, "m=19456,t=2", "t=2,m=19456", 1)},
		{"two params", strings.Replace(valid, ",p=1", "", 1)},
		{"four params", strings.Replace(valid, "p=1", "p=1,x=1", 1)},
		{"leading zero", strings.Replace(valid, "t=2", "t=02", 1)},
		{"sign", strings.Replace(valid, "t=2", "t=+2", 1)},
		{"empty number", strings.Replace(valid, "t=2", "t=", 1)},
		{"memory overflows uint32", strings.Replace(valid, "m=19456", "m=4294967296", 1)},
		{"memory above limit", strings.Replace(valid, "m=19456", "m=4194304", 1)},
		{"memory below 8 per lane", strings.Replace(valid, "m=19456,t=2,p=1", "m=15,t=2,p=2", 1)},
		{"iterations zero", strings.Replace(valid, "t=2", "t=0", 1)},
		{"iterations above limit", strings.Replace(valid, "t=2", "t=17", 1)},
		{"parallelism zero", strings.Replace(valid, "p=1", "p=0", 1)},
		{"parallelism overflows uint8", strings.Replace(valid, "p=1", "p=256", 1)},
		{"salt too short", strings.Replace(valid, salt, "c2FsdA", 1)},
		{"salt padded", strings.Replace(valid, salt, salt+"==", 1)},
		{"salt with newline", strings.Replace(valid, salt, salt[:10]+"\n"+salt[10:], 1)},
		{"salt url alphabet", strings.Replace(valid, salt, "c2FsdHNhbHRzYWx0c2F-_A", 1)},
		{"salt non-canonical bits", strings.Replace(valid, salt, salt[:21]+"B", 1)},
		{"key too short", strings.Replace(valid, key, "a2V5a2V5", 1)},
		{"bcrypt truncated", b[:59]},
		{"bcrypt trailing byte", b + "x"},
		{"bcrypt cost too high", b[:4] + "31" + b[6:]},
		{"bcrypt cost above limit", b[:4] + "17" + b[6:]},
		{"bcrypt cost below minimum", b[:4] + "03" + b[6:]},
		{"bcrypt cost not a number", b[:4] + "xx" + b[6:]},
		{"bcrypt bad salt", b[:7] + "!!!!!!!!!!!!!!!!!!!!!!" + b[29:]},
		{"bcrypt 2x", "$2x$" + b[4:]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash, err := h.Verify(t.Context(), "x", tc.encoded)
			if !errors.Is(err, ErrMalformedHash) || !errors.Is(err, autherr.Internal) {
				t.Fatalf("err = %v, want ErrMalformedHash", err)
			}
			if ok || rehash {
				t.Fatalf("Verify = %v, %v on a malformed hash", ok, rehash)
			}
			if tc.encoded != "" && len(tc.encoded) > 8 && strings.Contains(err.Error(), tc.encoded) {
				t.Fatalf("error %q echoes the stored hash", err)
			}
		})
	}
}

func TestCheckPolicy(t *testing.T) {
	t.Parallel()
	const (
		tooShort8 = "password must be at least 8 characters"
		tooLong72 = "password must not be longer than 72 bytes"
	)
	def := newHasher(t, Config{})
	twelve := newHasher(t, Config{MinLength: 12})
	for _, tc := range []struct {
		name    string
		h       *Hasher
		plain   string
		wantErr error
		wantMsg string
	}{
		{"empty", def, "", ErrTooShort, tooShort8},
		{"7 runes", def, "1234567", ErrTooShort, tooShort8},
		{"8 runes", def, "12345678", nil, ""},
		{"7 two-byte runes (14 bytes)", def, "äääääää", ErrTooShort, tooShort8},
		{"8 two-byte runes", def, "ääääääää", nil, ""},
		{"7 four-byte runes (28 bytes)", def, strings.Repeat("😀", 7), ErrTooShort, tooShort8},
		{"8 four-byte runes", def, strings.Repeat("😀", 8), nil, ""},
		{"72 bytes", def, strings.Repeat("x", 72), nil, ""},
		{"73 bytes", def, strings.Repeat("x", 73), ErrTooLong, tooLong72},
		{"18 four-byte runes (72 bytes)", def, strings.Repeat("😀", 18), nil, ""},
		{"71 bytes and a two-byte rune (73 bytes)", def, strings.Repeat("x", 71) + "ä", ErrTooLong, tooLong72},
		{"invalid UTF-8", def, "12345678\xff", ErrInvalid, "password must be valid UTF-8"},
		{"truncated rune", def, "12345678\xc3", ErrInvalid, "password must be valid UTF-8"},
		{"min 12: 11 runes", twelve, "12345678901", ErrTooShort, "password must be at least 12 characters"},
		{"min 12: 12 runes", twelve, "123456789012", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.h.CheckPolicy(tc.plain)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("CheckPolicy = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !errors.Is(err, autherr.Invalid) {
				t.Fatalf("CheckPolicy = %v, want %v (autherr.Invalid)", err, tc.wantErr)
			}
			if got := autherr.Message(err); got != tc.wantMsg {
				t.Fatalf("message = %q, want %q", got, tc.wantMsg)
			}
			if err.Error() != tc.wantMsg {
				t.Fatalf("Error() = %q, want %q", err.Error(), tc.wantMsg)
			}
		})
	}
}

// Hash enforces the policy before doing any work.
func TestHashChecksPolicy(t *testing.T) {
	t.Parallel()
	h := newHasher(t, Config{})
	for _, tc := range []struct {
		plain string
		want  error
	}{{"short", ErrTooShort}, {strings.Repeat("x", 73), ErrTooLong}, {"1234567\xff", ErrInvalid}} {
		if enc, err := h.Hash(t.Context(), tc.plain); !errors.Is(err, tc.want) || enc != "" {
			t.Errorf("Hash(%q) = %q, %v; want %v", tc.plain, enc, err, tc.want)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	p := func(m, t uint32) Params {
		return Params{Memory: m, Iterations: t, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	}
	for _, tc := range []struct {
		name   string
		params Params
		ok     bool
	}{
		{"default", DefaultParams(), true},
		{"OWASP 46 MiB t=1", p(47104, 1), true},
		{"OWASP 19 MiB t=2", p(19456, 2), true},
		{"OWASP 12 MiB t=3", p(12288, 3), true},
		{"OWASP 9 MiB t=4", p(9216, 4), true},
		{"OWASP 7 MiB t=5", p(7168, 5), true},
		{"64 MiB t=3 p=4 (RFC 9106 second choice)", Params{65536, 3, 4, 16, 32}, true},
		{"below 46 MiB t=1", p(47103, 1), false},
		{"below 19 MiB t=2", p(19455, 2), false},
		{"below 7 MiB t=9", p(7167, 9), false},
		{"zero", Params{}, false},
		{"parallelism 0", Params{19456, 2, 0, 16, 32}, false},
		{"salt 8", Params{19456, 2, 1, 8, 32}, false},
		{"salt 65", Params{19456, 2, 1, 65, 32}, false},
		{"key 8", Params{19456, 2, 1, 16, 8}, false},
		{"key 65", Params{19456, 2, 1, 16, 65}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if err := tc.params.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v", tc.params, err, tc.ok)
			}
		})
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	h := newHasher(t, Config{})
	if h.Params() != DefaultParams() || h.minLen != 8 || h.maxBytes != 72 || cap(h.sem) < 1 {
		t.Fatalf("defaults not applied: params %+v, min %d, max %d, slots %d", h.Params(), h.minLen, h.maxBytes, cap(h.sem))
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // substring naming the problem
	}{
		{"weak params", Config{Params: Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}}, "OWASP"},
		{"partial params", Config{Params: Params{Memory: 19456}}, "Params"},
		{"negative MaxConcurrent", Config{MaxConcurrent: -1}, "MaxConcurrent"},
		{"negative MinLength", Config{MinLength: -1}, "MinLength"},
		{"negative MaxBytes", Config{MaxBytes: -1}, "MaxBytes"},
		{"MinLength above MaxBytes", Config{MinLength: 73}, "exceeds MaxBytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// With every slot taken, hashing waits, honours ctx, and proceeds once a
// slot frees up.
func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	const plain = "correct horse"
	h := newHasher(t, Config{MaxConcurrent: 1})
	enc := mustHash(t, h, plain)

	for _, tc := range []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Verify", func(ctx context.Context) error { _, _, err := h.Verify(ctx, plain, enc); return err }},
		{"VerifyUnknown", func(ctx context.Context) error { return h.VerifyUnknown(ctx, plain) }},
		{"Hash", func(ctx context.Context) error { _, err := h.Hash(ctx, plain); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: the subtests share h's single slot.
			h.sem <- struct{}{} // a login in flight holds the only slot

			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- tc.call(ctx) }()
			select {
			case err := <-done:
				t.Fatalf("returned %v while the slot was taken", err)
			case <-time.After(50 * time.Millisecond):
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still waiting after cancel")
			}

			// A deadline ends the wait the same way.
			dctx, dcancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer dcancel()
			if err := tc.call(dctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want context.DeadlineExceeded", err)
			}

			// A waiter proceeds once the slot is released.
			go func() { done <- tc.call(t.Context()) }()
			select {
			case err := <-done:
				t.Fatalf("returned %v while the slot was taken", err)
			case <-time.After(50 * time.Millisecond):
			}
			<-h.sem
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("err = %v after the slot was released", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("still waiting after release")
			}
			if n := len(h.sem); n != 0 {
				t.Fatalf("%d slots still held", n)
			}
		})
	}
}

// An already-cancelled ctx returns at once, even with free slots.
func TestCancelledContext(t *testing.T) {
	t.Parallel()
	h := newHasher(t, Config{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := h.Verify(ctx, "x", h.dummy); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify err = %v, want context.Canceled", err)
	}
	if _, err := h.Hash(ctx, "correct horse"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash err = %v, want context.Canceled", err)
	}
}

func TestVerifyUnknown(t *testing.T) {
	t.Parallel()
	h := newHasher(t, Config{})
	if !phcRE.MatchString(h.dummy) {
		t.Fatalf("dummy hash %q does not use the current params", h.dummy)
	}
	if err := h.VerifyUnknown(t.Context(), "correct horse"); err != nil {
		t.Fatalf("VerifyUnknown = %v", err)
	}
	// Same early answer as Verify for an over-long password.
	if err := h.VerifyUnknown(t.Context(), strings.Repeat("x", 73)); !errors.Is(err, ErrTooLong) {
		t.Fatalf("VerifyUnknown(73 bytes) = %v, want ErrTooLong", err)
	}
	// Two Hashers never share a dummy.
	if other := newHasher(t, Config{}); other.dummy == h.dummy {
		t.Fatal("two Hashers have the same dummy hash")
	}
}

// TestVerifyUnknownTiming checks that an unknown user costs about as much
// as a known user with a wrong password. It compares the fastest of several
// interleaved runs of each, which load on the machine slows down but does
// not speed up, so the loose 2× bound holds on a busy CI host. It is not
// parallel so that the package's other tests do not compete with it.
func TestVerifyUnknownTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test skipped in -short mode")
	}
	h := newHasher(t, Config{MaxConcurrent: 1})
	enc := mustHash(t, h, "correct horse")
	const runs = 5
	known, unknown := time.Duration(1<<62), time.Duration(1<<62)
	for range runs {
		start := time.Now()
		if ok, _, err := h.Verify(t.Context(), "wrong horse", enc); err != nil || ok {
			t.Fatalf("Verify = %v, %v", ok, err)
		}
		known = min(known, time.Since(start))
		start = time.Now()
		if err := h.VerifyUnknown(t.Context(), "wrong horse"); err != nil {
			t.Fatal(err)
		}
		unknown = min(unknown, time.Since(start))
	}
	t.Logf("fastest of %d: known user %v, unknown user %v", runs, known, unknown)
	if unknown > 2*known || known > 2*unknown {
		t.Fatalf("VerifyUnknown took %v, Verify %v: not within 2× of each other", unknown, known)
	}
}
