package jwks_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// publicKeys decodes a Set's JWK set document.
func publicKeys(tb testing.TB, s *jwks.Set) []map[string]any {
	tb.Helper()
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(s.JSON()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		tb.Fatalf("JSON() = %s: %v", s.JSON(), err)
	}
	return doc.Keys
}

func TestNewGeneratesOneRowPerSecret(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		alg     string
		bits    int
		kty     string
		members []string // public members besides kty, kid, alg, use
	}{
		{"", 0, "EC", []string{"crv", "x", "y"}}, // the default is ES256
		{jwks.ES256, 0, "EC", []string{"crv", "x", "y"}},
		{jwks.RS256, 2048, "RSA", []string{"n", "e"}},
		{jwks.EdDSA, 0, "OKP", []string{"crv", "x"}},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			t.Parallel()
			st, clk := newMemStore(), newClock()
			s := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1, secret2}, Algorithm: tc.alg, RSABits: tc.bits, Now: clk.Now})
			wantAlg := tc.alg
			if wantAlg == "" {
				wantAlg = jwks.ES256
			}
			if st.len() != 2 {
				t.Fatalf("%d rows, want 2", st.len())
			}
			var rowKIDs []string
			for id := 1; id <= 2; id++ {
				row, _ := st.row(id)
				if !row.CreatedAt.Equal(clk.Now()) {
					t.Errorf("row %d created_at = %v, want the clock's %v", id, row.CreatedAt, clk.Now())
				}
				// Hanko's format: padded base64url of nonce||ciphertext under keys[0].
				var jwk map[string]any
				pt := hankoOpen(t, secret1, row.KeyData)
				if err := json.Unmarshal(pt, &jwk); err != nil {
					t.Fatalf("row %d: %v", id, err)
				}
				if jwk["alg"] != wantAlg || jwk["use"] != "sig" || jwk["kty"] != tc.kty || jwk["d"] == nil {
					t.Errorf("row %d JWK: alg %v use %v kty %v has d %v", id, jwk["alg"], jwk["use"], jwk["kty"], jwk["d"] != nil)
				}
				rowKIDs = append(rowKIDs, jwk["kid"].(string))
			}
			if got := kids(t, s); !slices.Equal(got, rowKIDs) {
				t.Errorf("published kids %v, want rows' %v", got, rowKIDs)
			}
			signer := s.Signer()
			if signer.ID != rowKIDs[1] || signer.Algorithm != wantAlg {
				t.Errorf("Signer = %s %s, want row 2's %s %s", signer.ID, signer.Algorithm, rowKIDs[1], wantAlg)
			}
			for _, kid := range rowKIDs {
				k, ok := s.Key(kid)
				if !ok {
					t.Fatalf("Key(%s) missing", kid)
				}
				mustSignVerify(t, k, k)
			}
			for _, pk := range publicKeys(t, s) {
				want := append([]string{"kty", "kid", "alg", "use"}, tc.members...)
				var got []string
				for m := range pk {
					got = append(got, m)
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("published members %v, want exactly %v", got, want)
				}
				if pk["use"] != "sig" || pk["alg"] != wantAlg || pk["kty"] != tc.kty {
					t.Errorf("published key %v", pk)
				}
			}
		})
	}
}

func TestNewIsIdempotent(t *testing.T) {
	t.Parallel()
	st := newMemStore()
	a := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1, secret2}})
	before, _ := st.row(1)
	b := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1, secret2}})
	after, _ := st.row(1)
	if st.len() != 2 || before.KeyData != after.KeyData {
		t.Fatalf("second New changed the table")
	}
	if !bytes.Equal(a.JSON(), b.JSON()) || a.ETag() != b.ETag() || a.Signer().ID != b.Signer().ID {
		t.Fatalf("two Sets over one table differ:\n%s\n%s", a.JSON(), b.JSON())
	}
}

// TestConcurrentStart: eight instances starting at once on one empty SQLite
// database end with one key per secret, and all publish the same kids.
func TestConcurrentStart(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "hanko.db")
	openSQLite(t, file) // migrate once
	const n = 8
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		sets  = make([]*jwks.Set, n)
		errs  = make([]error, n)
	)
	for i := range n {
		db := openSQLite(t, file) // a pool per instance
		wg.Go(func() {
			<-start
			sets[i], errs[i] = jwks.New(t.Context(), jwks.Config{Store: db, Secrets: []string{secret1, secret2, secret3}})
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("New: %v", err)
	}
	rows, err := openSQLite(t, file).ListJWKs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0].ID != 1 || rows[2].ID != 3 {
		t.Fatalf("%d rows, want ids 1..3", len(rows))
	}
	want := kids(t, sets[0])
	if len(want) != 3 {
		t.Fatalf("published %d keys, want 3", len(want))
	}
	for i, s := range sets {
		if got := kids(t, s); !slices.Equal(got, want) {
			t.Errorf("instance %d publishes %v, instance 0 %v", i, got, want)
		}
		if s.Signer().ID != sets[0].Signer().ID || s.ETag() != sets[0].ETag() {
			t.Errorf("instance %d signs with %s, instance 0 with %s", i, s.Signer().ID, sets[0].Signer().ID)
		}
	}
}

// TestRotationNewSecretFirst follows Hanko's documented rotation: the new
// secret goes in front. The new key signs; the old one still verifies.
func TestRotationNewSecretFirst(t *testing.T) {
	t.Parallel()
	st, clk := newMemStore(), newClock()
	old := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1}, Now: clk.Now})
	oldKID := old.Signer().ID

	clk.Advance(time.Hour)
	rotated := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret2, secret1}, Now: clk.Now})
	newKID := rotated.Signer().ID
	if newKID == oldKID {
		t.Fatal("the new key does not sign")
	}
	if got := kids(t, rotated); !slices.Equal(got, []string{oldKID, newKID}) {
		t.Fatalf("published %v, want [%s %s]", got, oldKID, newKID)
	}
	row2, _ := st.row(2)
	hankoOpen(t, secret2, row2.KeyData) // encrypted with keys[0], the new secret
	oldKey, ok := rotated.Key(oldKID)
	if !ok {
		t.Fatal("the old key is gone")
	}
	mustSignVerify(t, old.Signer(), oldKey) // tokens signed before rotation still verify

	// An instance still configured with only the old secret cannot decrypt
	// the new row: Lookup reports it and the instance keeps working.
	clk.Advance(time.Minute)
	_, found, err := old.Lookup(t.Context(), newKID)
	if found || !errors.Is(err, jwks.ErrUndecryptable) || !strings.Contains(err.Error(), "row 2") {
		t.Fatalf("Lookup of the new kid on an old instance = %v, %v; want not found, ErrUndecryptable naming row 2", found, err)
	}
	if old.Signer().ID != oldKID {
		t.Fatal("the old instance lost its signer")
	}
	if err := old.Reload(t.Context()); !errors.Is(err, jwks.ErrUndecryptable) {
		t.Fatalf("Reload on an old instance = %v, want ErrUndecryptable", err)
	}
	mustSignVerify(t, old.Signer(), oldKey)

	// Restarted with the new configuration, it has both.
	restarted := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret2, secret1}, Now: clk.Now})
	if restarted.Signer().ID != newKID || !bytes.Equal(restarted.JSON(), rotated.JSON()) {
		t.Fatal("a restarted instance does not see the rotated set")
	}
}

// TestRotationPickedUpWithoutRestart: with the new secret appended, the new
// row is encrypted with the first secret, which running instances have;
// they find the new key on Lookup (rate-limited) or Reload.
func TestRotationPickedUpWithoutRestart(t *testing.T) {
	t.Parallel()
	st, clk := newMemStore(), newClock()
	running := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1}, Now: clk.Now})
	other := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1}, Now: clk.Now})
	oldKID := running.Signer().ID
	lists := st.lists.Load()
	if _, found, err := running.Lookup(t.Context(), "made-up"); found || err != nil || st.lists.Load() != lists {
		t.Fatalf("Lookup right after New = %v, %v, reloaded %v; want a miss without reload", found, err, st.lists.Load() != lists)
	}

	clk.Advance(time.Hour)
	rotated := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1, secret2}, Now: clk.Now})
	newKID := rotated.Signer().ID
	if newKID == oldKID {
		t.Fatal("the new key does not sign")
	}
	if _, ok := running.Key(newKID); ok {
		t.Fatal("Key found a key created after the last reload")
	}

	lists = st.lists.Load()
	k, found, err := running.Lookup(t.Context(), newKID)
	if !found || err != nil {
		t.Fatalf("Lookup(new kid) = %v, %v; want found", found, err)
	}
	mustSignVerify(t, rotated.Signer(), k)
	if running.Signer().ID != newKID {
		t.Fatalf("after the reload the signer is %s, want %s", running.Signer().ID, newKID)
	}
	// Within MinReloadInterval of that reload, misses do not reload.
	for range 100 {
		if _, found, err := running.Lookup(t.Context(), "made-up"); found || err != nil {
			t.Fatalf("Lookup(made-up) = %v, %v", found, err)
		}
	}
	if got := st.lists.Load() - lists; got != 1 {
		t.Fatalf("%d reloads, want 1", got)
	}
	clk.Advance(jwks.DefaultMinReloadInterval)
	if _, found, err := running.Lookup(t.Context(), "made-up"); found || err != nil {
		t.Fatalf("Lookup(made-up) = %v, %v", found, err)
	}
	if got := st.lists.Load() - lists; got != 2 {
		t.Fatalf("%d reloads after the interval, want 2", got)
	}

	// Reload is explicit and not rate-limited.
	if err := other.Reload(t.Context()); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if other.Signer().ID != newKID || !bytes.Equal(other.JSON(), rotated.JSON()) || other.ETag() != rotated.ETag() {
		t.Fatal("Reload did not pick up the rotated set")
	}
}

func TestConcurrentLookupsShareOneReload(t *testing.T) {
	t.Parallel()
	st, clk := newMemStore(), newClock()
	s := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1}, Now: clk.Now})
	mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1, secret2}, Now: clk.Now})
	row2, _ := st.row(2)
	var jwk struct{ Kid string }
	_ = json.Unmarshal(hankoOpen(t, secret1, row2.KeyData), &jwk)
	clk.Advance(time.Minute)
	lists := st.lists.Load()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, found, err := s.Lookup(t.Context(), jwk.Kid); !found || err != nil {
				t.Errorf("Lookup = %v, %v", found, err)
			}
		})
	}
	wg.Wait()
	if got := st.lists.Load() - lists; got != 1 {
		t.Fatalf("%d reloads for 20 concurrent lookups, want 1", got)
	}
}

func TestReloadFailureKeepsKeys(t *testing.T) {
	t.Parallel()
	st, clk := newMemStore(), newClock()
	s := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1}, Now: clk.Now})
	signer, doc := s.Signer(), s.JSON()
	st.failList.Store(true)
	if err := s.Reload(t.Context()); !errors.Is(err, errStoreDown) {
		t.Fatalf("Reload = %v, want the store's error", err)
	}
	clk.Advance(time.Minute)
	if _, found, err := s.Lookup(t.Context(), "unknown"); found || !errors.Is(err, errStoreDown) {
		t.Fatalf("Lookup = %v, %v; want the store's error", found, err)
	}
	// A failed reload also counts against the rate limit.
	if _, _, err := s.Lookup(t.Context(), "unknown"); err != nil {
		t.Fatalf("second Lookup within the interval = %v, want no reload", err)
	}
	if s.Signer().ID != signer.ID || !bytes.Equal(s.JSON(), doc) {
		t.Fatal("a failed reload changed the keys")
	}
	mustSignVerify(t, s.Signer(), signer)
}

func TestLookupHonoursContext(t *testing.T) {
	t.Parallel()
	s := mustNew(t, jwks.Config{Store: newMemStore(), Secrets: []string{secret1}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	// A known kid needs no reload and ignores ctx.
	if _, found, err := s.Lookup(ctx, s.Signer().ID); !found || err != nil {
		t.Fatalf("Lookup(known) = %v, %v", found, err)
	}
}

// hankoRSAJWK builds the private JWK JSON Hanko stores: RSA, kid uuid, alg
// RS256, use sig. Written by hand, not with go-jose.
func hankoRSAJWK(tb testing.TB, priv *rsa.PrivateKey, kid string, withCRT bool) []byte {
	tb.Helper()
	b64 := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }
	m := map[string]string{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
		"n": b64(priv.N), "e": b64(big.NewInt(int64(priv.E))), "d": b64(priv.D),
		"p": b64(priv.Primes[0]), "q": b64(priv.Primes[1]),
	}
	if withCRT {
		m["dp"], m["dq"], m["qi"] = b64(priv.Precomputed.Dp), b64(priv.Precomputed.Dq), b64(priv.Precomputed.Qinv)
	}
	out, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// TestReadsHankoRows: a row as Hanko writes it (RSA RS256 JWK, padded
// base64url) loads, keeps RS256 although new keys default to ES256, and
// verifies signatures made with the original key, in both directions.
// Unpadded and standard base64 and JWKs without CRT values load too.
func TestReadsHankoRows(t *testing.T) {
	t.Parallel()
	priv := rsaKey(t, 4096) // what Hanko generates
	for _, tc := range []struct {
		name    string
		enc     *base64.Encoding
		withCRT bool
	}{
		{"padded base64url", base64.URLEncoding, true},
		{"unpadded base64url", base64.RawURLEncoding, true},
		{"standard base64", base64.StdEncoding, true},
		{"no CRT values", base64.URLEncoding, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newMemStore()
			kid := uuid.NewString()
			st.put(store.JWK{ID: 1, KeyData: hankoSeal(t, secret1, hankoRSAJWK(t, priv, kid, tc.withCRT), tc.enc), CreatedAt: newClock().Now()})
			s := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1}})
			if st.len() != 1 {
				t.Fatalf("New wrote rows: %d, want the 1 Hanko row", st.len())
			}
			k, ok := s.Key(kid)
			if !ok || k.Algorithm != jwks.RS256 || s.Signer().ID != kid {
				t.Fatalf("Key(%s) = %v %s; signer %s", kid, ok, k.Algorithm, s.Signer().ID)
			}
			msg := []byte("header.payload")
			digest := sha256.Sum256(msg)
			sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			if !k.Verify(msg, sig) {
				t.Fatal("a signature of the Hanko key does not verify")
			}
			ours, err := s.Signer().Sign(rand.Reader, msg)
			if err != nil {
				t.Fatal(err)
			}
			if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, digest[:], ours); err != nil {
				t.Fatalf("the original public key rejects our signature: %v", err)
			}
			pk := publicKeys(t, s)
			if len(pk) != 1 || pk[0]["kid"] != kid || pk[0]["alg"] != "RS256" || pk[0]["kty"] != "RSA" ||
				pk[0]["n"] != base64.RawURLEncoding.EncodeToString(priv.N.Bytes()) || pk[0]["e"] != "AQAB" {
				t.Fatalf("published %v", pk)
			}
		})
	}
}

// TestMixedAlgorithms: a Hanko RS256 row plus a new secret: the new key is
// ES256, signs, and both are published with their own algorithms.
func TestMixedAlgorithms(t *testing.T) {
	t.Parallel()
	st, clk := newMemStore(), newClock()
	kid := uuid.NewString()
	st.put(store.JWK{ID: 1, KeyData: hankoSeal(t, secret1, hankoRSAJWK(t, rsaKey(t, 2048), kid, true), base64.URLEncoding), CreatedAt: clk.Now()})
	clk.Advance(time.Hour)
	s := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret2, secret1}, Now: clk.Now})
	pk := publicKeys(t, s)
	if len(pk) != 2 || pk[0]["alg"] != "RS256" || pk[1]["alg"] != "ES256" || s.Signer().Algorithm != jwks.ES256 {
		t.Fatalf("published %v, signer %s", pk, s.Signer().Algorithm)
	}
}

func TestSignerIsNewestRow(t *testing.T) {
	t.Parallel()
	st, clk := newMemStore(), newClock()
	a := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1, secret2}, Now: clk.Now})
	row1, _ := st.row(1)
	row2, _ := st.row(2)
	// Make row 1 the most recently created one (rows may have been
	// regenerated in any order); it then signs. Row 2 keeps its kid.
	row1.CreatedAt = row2.CreatedAt.Add(time.Second)
	st.put(row1)
	b := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1, secret2}, Now: clk.Now})
	if b.Signer().ID != kids(t, a)[0] {
		t.Fatalf("signer is %s, want row 1's %s", b.Signer().ID, kids(t, a)[0])
	}
}

// TestUnusableRowsFailStartup: startup fails loudly, naming the row, and
// writes nothing, when a stored row cannot be used.
func TestUnusableRowsFailStartup(t *testing.T) {
	t.Parallel()
	at := newClock().Now()
	good := func(tb testing.TB) string {
		tb.Helper()
		return hankoSeal(tb, secret1, hankoRSAJWK(tb, rsaKey(tb, 2048), uuid.NewString(), true), base64.URLEncoding)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwkJSON := func(tb testing.TB, k jose.JSONWebKey) []byte {
		b, err := k.MarshalJSON()
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name    string
		secrets []string
		rows    func(t *testing.T) []store.JWK
		want    error
		row     string
	}{
		{"no secret decrypts", []string{secret2}, func(t *testing.T) []store.JWK {
			return []store.JWK{{ID: 1, KeyData: good(t), CreatedAt: at}}
		}, jwks.ErrUndecryptable, "row 1"},
		{"secret removed", []string{secret2, secret3}, func(t *testing.T) []store.JWK {
			return []store.JWK{
				{ID: 1, KeyData: hankoSeal(t, secret2, jwkJSON(t, jose.JSONWebKey{Key: p256, KeyID: "a", Algorithm: "ES256", Use: "sig"}), base64.URLEncoding), CreatedAt: at},
				{ID: 2, KeyData: good(t), CreatedAt: at},
			}
		}, jwks.ErrUndecryptable, "row 2"},
		{"not base64", []string{secret1}, func(t *testing.T) []store.JWK {
			return []store.JWK{{ID: 1, KeyData: "not base64!", CreatedAt: at}}
		}, jwks.ErrInvalidKey, "row 1"},
		{"too short", []string{secret1}, func(t *testing.T) []store.JWK {
			return []store.JWK{{ID: 1, KeyData: "AAAA", CreatedAt: at}}
		}, jwks.ErrInvalidKey, "row 1"},
		{"not JSON", []string{secret1}, func(t *testing.T) []store.JWK {
			return []store.JWK{{ID: 1, KeyData: hankoSeal(t, secret1, []byte("{nope"), base64.URLEncoding), CreatedAt: at}}
		}, jwks.ErrInvalidKey, "row 1"},
		{"public key only", []string{secret1}, func(t *testing.T) []store.JWK {
			return []store.JWK{{ID: 1, KeyData: hankoSeal(t, secret1, jwkJSON(t, jose.JSONWebKey{Key: &p256.PublicKey, KeyID: "a"}), base64.URLEncoding), CreatedAt: at}}
		}, jwks.ErrInvalidKey, "row 1"},
		{"symmetric key", []string{secret1}, func(t *testing.T) []store.JWK {
			return []store.JWK{{ID: 1, KeyData: hankoSeal(t, secret1, []byte(`{"kty":"oct","k":"AAAA","kid":"a"}`), base64.URLEncoding), CreatedAt: at}}
		}, jwks.ErrInvalidKey, "row 1"},
		{"P-384", []string{secret1}, func(t *testing.T) []store.JWK {
			return []store.JWK{{ID: 1, KeyData: hankoSeal(t, secret1, jwkJSON(t, jose.JSONWebKey{Key: p384, KeyID: "a"}), base64.URLEncoding), CreatedAt: at}}
		}, jwks.ErrInvalidKey, "row 1"},
		{"alg does not fit", []string{secret1}, func(t *testing.T) []store.JWK {
			return []store.JWK{{ID: 1, KeyData: hankoSeal(t, secret1, jwkJSON(t, jose.JSONWebKey{Key: p256, KeyID: "a", Algorithm: "RS256"}), base64.URLEncoding), CreatedAt: at}}
		}, jwks.ErrInvalidKey, "row 1"},
		{"use enc", []string{secret1}, func(t *testing.T) []store.JWK {
			return []store.JWK{{ID: 1, KeyData: hankoSeal(t, secret1, jwkJSON(t, jose.JSONWebKey{Key: p256, KeyID: "a", Use: "enc"}), base64.URLEncoding), CreatedAt: at}}
		}, jwks.ErrInvalidKey, "row 1"},
		{"mismatched private part", []string{secret1}, func(t *testing.T) []store.JWK {
			var m map[string]any
			_ = json.Unmarshal(jwkJSON(t, jose.JSONWebKey{Key: p256, KeyID: "a"}), &m)
			other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			var o map[string]any
			_ = json.Unmarshal(jwkJSON(t, jose.JSONWebKey{Key: other}), &o)
			m["d"] = o["d"]
			b, _ := json.Marshal(m)
			return []store.JWK{{ID: 1, KeyData: hankoSeal(t, secret1, b, base64.URLEncoding), CreatedAt: at}}
		}, jwks.ErrInvalidKey, "row 1"},
		{"duplicate kid", []string{secret1, secret2}, func(t *testing.T) []store.JWK {
			data := jwkJSON(t, jose.JSONWebKey{Key: p256, KeyID: "same"})
			return []store.JWK{
				{ID: 1, KeyData: hankoSeal(t, secret1, data, base64.URLEncoding), CreatedAt: at},
				{ID: 2, KeyData: hankoSeal(t, secret1, data, base64.URLEncoding), CreatedAt: at},
			}
		}, jwks.ErrInvalidKey, "row 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newMemStore()
			rows := tc.rows(t)
			for _, r := range rows {
				st.put(r)
			}
			var logs bytes.Buffer
			_, err := jwks.New(t.Context(), jwks.Config{Store: st, Secrets: tc.secrets, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if !errors.Is(err, tc.want) || !errors.Is(err, autherr.Internal) {
				t.Fatalf("New = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.row) {
				t.Errorf("error %q does not name %s", err, tc.row)
			}
			for _, s := range []string{secret1, secret2, secret3} {
				if strings.Contains(err.Error(), s) || strings.Contains(logs.String(), s) {
					t.Errorf("a secret leaked: error %q, logs %q", err, logs.String())
				}
			}
			if st.len() != len(rows) {
				t.Errorf("New wrote rows after an unusable one: %d, want %d", st.len(), len(rows))
			}
		})
	}
}

func TestKIDFromThumbprint(t *testing.T) {
	t.Parallel()
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk := jose.JSONWebKey{Key: priv}
	data, _ := jwk.MarshalJSON()
	tp, _ := jwk.Thumbprint(crypto.SHA256)
	st := newMemStore()
	st.put(store.JWK{ID: 1, KeyData: hankoSeal(t, secret1, data, base64.URLEncoding), CreatedAt: newClock().Now()})
	s := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1}})
	if want := base64.RawURLEncoding.EncodeToString(tp); s.Signer().ID != want {
		t.Fatalf("kid = %q, want the RFC 7638 thumbprint %q", s.Signer().ID, want)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	short := "short-secret"
	for _, tc := range []struct {
		name string
		cfg  jwks.Config
		want []string
	}{
		{"no store", jwks.Config{Secrets: []string{secret1}}, []string{"Store is required"}},
		{"no secrets", jwks.Config{Store: newMemStore()}, []string{"at least one secret"}},
		{"short secret", jwks.Config{Store: newMemStore(), Secrets: []string{secret1, short}}, []string{"Secrets[1] must be at least 16 characters"}},
		{"algorithm", jwks.Config{Store: newMemStore(), Secrets: []string{secret1}, Algorithm: "HS256"}, []string{`Algorithm must be ES256, RS256 or EdDSA, got "HS256"`}},
		{"rsa bits", jwks.Config{Store: newMemStore(), Secrets: []string{secret1}, RSABits: 1024}, []string{"RSABits must be 2048, 3072 or 4096, got 1024"}},
		{"reload interval", jwks.Config{Store: newMemStore(), Secrets: []string{secret1}, MinReloadInterval: -time.Second}, []string{"MinReloadInterval must not be negative"}},
		{"all at once", jwks.Config{Secrets: []string{short}, Algorithm: "none", RSABits: 1}, []string{"Store", "Secrets[0]", "Algorithm", "RSABits"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := jwks.New(t.Context(), tc.cfg)
			if !errors.Is(err, jwks.ErrInvalidConfig) || !errors.Is(err, autherr.Invalid) {
				t.Fatalf("New = %v, want ErrInvalidConfig", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), short) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

// TestLogsCarryNoSecrets runs generation, a lost race and an undecryptable
// reload with a logger and checks that no secret and no key_data shows.
func TestLogsCarryNoSecrets(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, clk := newMemStore(), newClock()
	a := mustNew(t, jwks.Config{Store: st, Secrets: []string{secret1}, Now: clk.Now, Logger: log})
	mustNew(t, jwks.Config{Store: st, Secrets: []string{secret2, secret1}, Now: clk.Now, Logger: log})
	_ = a.Reload(t.Context())
	if !strings.Contains(logs.String(), "generated a signing key") || !strings.Contains(logs.String(), "row 2") {
		t.Fatalf("expected generation and skip events, got:\n%s", logs.String())
	}
	for _, s := range []string{secret1, secret2} {
		if strings.Contains(logs.String(), s) {
			t.Fatalf("logs contain a secret:\n%s", logs.String())
		}
	}
	for id := 1; id <= 2; id++ {
		row, _ := st.row(id)
		if strings.Contains(logs.String(), row.KeyData[:24]) {
			t.Fatalf("logs contain key_data of row %d", id)
		}
	}
}

// TestGoldenJWKS pins the JWK set document: EdDSA keys from a seeded
// reader, so kids and keys are reproducible. Refresh with -update.
func TestGoldenJWKS(t *testing.T) {
	t.Parallel()
	rnd := mrand.NewChaCha8([32]byte{'h', 'a', 'n', 'k', 'o'})
	s := mustNew(t, jwks.Config{Store: newMemStore(), Secrets: []string{secret1, secret2}, Algorithm: jwks.EdDSA, Rand: rnd, Now: newClock().Now})
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, s.JSON(), "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	golden := filepath.Join("testdata", "jwks.golden.json")
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Fatalf("JWK set changed; got\n%s\nwant\n%s", pretty.Bytes(), want)
	}
	if !strings.HasPrefix(s.ETag(), `"`) || !strings.HasSuffix(s.ETag(), `"`) || strings.HasPrefix(s.ETag(), `W/`) {
		t.Fatalf("ETag %s is not a strong quoted tag", s.ETag())
	}
}
