package password

import "testing"

// The benchmarks use DefaultParams (m=19456 KiB, t=2, p=1) and the
// reference's bcrypt cost 12 for comparison.

func BenchmarkHash(b *testing.B) {
	h := newHasher(b, Config{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Hash(b.Context(), "correct horse"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h := newHasher(b, Config{})
	enc := mustHash(b, h, "correct horse")
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(b.Context(), "correct horse", enc); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkVerifyUnknown(b *testing.B) {
	h := newHasher(b, Config{})
	b.ReportAllocs()
	for b.Loop() {
		if err := h.VerifyUnknown(b.Context(), "correct horse"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyBcrypt12(b *testing.B) {
	h := newHasher(b, Config{})
	enc := mustBcrypt(b, "correct horse", 12)
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify(b.Context(), "correct horse", enc); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
