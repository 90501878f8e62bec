package jwks_test

import (
	"crypto/rand"
	"testing"

	"github.com/hanko-go/hanko/jwks"
)

// benchKey returns the signing key of a fresh Set for alg (and RSA size).
func benchKey(b *testing.B, alg string, bits int) jwks.Key {
	b.Helper()
	return mustNew(b, jwks.Config{Store: newMemStore(), Secrets: []string{secret1}, Algorithm: alg, RSABits: bits}).Signer()
}

// benchInput is the size of a typical session JWT signing input.
var benchInput = []byte("eyJhbGciOiJFUzI1NiIsImtpZCI6IjAxNzNhZjY3LTZmZjktNGMxNS1iMmNhLWJlOGE4MDZjNDM0NCIsInR5cCI6IkpXVCJ9." +
	"eyJhdWQiOlsibG9jYWxob3N0Il0sImVtYWlsIjp7ImFkZHJlc3MiOiJqYW5lQGV4YW1wbGUuY29tIiwiaXNfcHJpbWFyeSI6dHJ1ZSwiaXNfdmVyaWZpZWQiOnRydWV9" +
	"LCJleHAiOjE3MzU3ODk0NDUsImlhdCI6MTczNTc0NjI0NSwic2Vzc2lvbl9pZCI6IjFmMmUzZDRjLTViNmEtNDc4OS05MGFiLWNkZWYwMTIzNDU2NyIsInN1YiI6ImE5YjhjN2Q2LWU1ZjQtNDMyMS1hYmNkLWVmMDEyMzQ1Njc4OSJ9")

var benchCases = []struct {
	name string
	alg  string
	bits int
}{
	{"ES256", jwks.ES256, 0},
	{"RS256-2048", jwks.RS256, 2048},
	{"RS256-4096", jwks.RS256, 4096},
	{"EdDSA", jwks.EdDSA, 0},
}

func BenchmarkSign(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			k := benchKey(b, bc.alg, bc.bits)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := k.Sign(rand.Reader, benchInput); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			k := benchKey(b, bc.alg, bc.bits)
			sig, err := k.Sign(rand.Reader, benchInput)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if !k.Verify(benchInput, sig) {
					b.Fatal("Verify = false")
				}
			}
		})
	}
}

// BenchmarkJSON is what the JWKS handler pays per request for the body.
func BenchmarkJSON(b *testing.B) {
	s := mustNew(b, jwks.Config{Store: newMemStore(), Secrets: []string{secret1, secret2}})
	b.ReportAllocs()
	for b.Loop() {
		if len(s.JSON()) == 0 || s.ETag() == "" {
			b.Fatal("empty")
		}
	}
}

// BenchmarkLookupHit is the per-request cost of finding a token's key.
func BenchmarkLookupHit(b *testing.B) {
	s := mustNew(b, jwks.Config{Store: newMemStore(), Secrets: []string{secret1, secret2}})
	kid := s.Signer().ID
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, err := s.Lookup(b.Context(), kid); !ok || err != nil {
			b.Fatal("miss")
		}
	}
}

// BenchmarkLookupMiss is the cost of a token with an unknown kid inside the
// reload interval (the rate limit answers without I/O).
func BenchmarkLookupMiss(b *testing.B) {
	s := mustNew(b, jwks.Config{Store: newMemStore(), Secrets: []string{secret1}, Now: newClock().Now})
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, _ := s.Lookup(b.Context(), "unknown"); ok {
			b.Fatal("hit")
		}
	}
}
