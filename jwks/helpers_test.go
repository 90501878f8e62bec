package jwks_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
)

// Secrets used throughout; at least 16 characters each.
const (
	secret1 = "first-secret-0123456789"
	secret2 = "second-secret-0123456789"
	secret3 = "third-secret-0123456789"
)

// memStore is an in-memory jwks.Store with the same contract as *store.DB:
// rows ordered by id, Conflict on a taken id. It counts ListJWKs calls and
// fails them while failList is set.
type memStore struct {
	mu       sync.Mutex
	rows     map[int]store.JWK
	lists    atomic.Int64
	failList atomic.Bool
}

func newMemStore() *memStore { return &memStore{rows: map[int]store.JWK{}} }

var errStoreDown = errors.New("memstore: down")

func (m *memStore) ListJWKs(ctx context.Context) ([]store.JWK, error) {
	m.lists.Add(1)
	if m.failList.Load() {
		return nil, errStoreDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]store.JWK, 0, len(m.rows))
	for _, r := range m.rows {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b store.JWK) int { return a.ID - b.ID })
	return out, nil
}

func (m *memStore) CreateJWK(ctx context.Context, k store.JWK) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.rows[k.ID]; ok {
		return fmt.Errorf("memstore: row %d: %w", k.ID, autherr.Conflict)
	}
	m.rows[k.ID] = k
	return nil
}

func (m *memStore) row(id int) (store.JWK, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.rows[id]
	return r, ok
}

// put stores a row unconditionally, as an operator or Hanko would.
func (m *memStore) put(r store.JWK) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[r.ID] = r
}

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.rows)
}

// clock is a fake clock that tests advance.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openSQLite opens (and migrates) the SQLite database in file.
func openSQLite(tb testing.TB, file string) *store.DB {
	tb.Helper()
	db, err := store.Open(tb.Context(), store.Options{Dialect: "sqlite", DSN: file})
	if err != nil {
		tb.Fatalf("store.Open: %v", err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return db
}

// mustNew calls jwks.New and fails the test on an error.
func mustNew(tb testing.TB, cfg jwks.Config) *jwks.Set {
	tb.Helper()
	s, err := jwks.New(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("jwks.New: %v", err)
	}
	return s
}

// hankoSeal encrypts plaintext as Hanko v1.2.1 stores key_data, written
// independently of the package: AES-256-GCM under SHA-256(secret), the
// 12-byte nonce in front, encoded with enc (Hanko: base64.URLEncoding).
func hankoSeal(tb testing.TB, secret string, plaintext []byte, enc *base64.Encoding) string {
	tb.Helper()
	key := sha256.Sum256([]byte(secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		tb.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		tb.Fatal(err)
	}
	nonce := make([]byte, 12)
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		tb.Fatal(err)
	}
	return enc.EncodeToString(gcm.Seal(nonce, nonce, plaintext, nil))
}

// hankoOpen is the inverse of hankoSeal with base64.URLEncoding.
func hankoOpen(tb testing.TB, secret, data string) []byte {
	tb.Helper()
	raw, err := base64.URLEncoding.DecodeString(data)
	if err != nil {
		tb.Fatalf("key_data is not padded base64url: %v", err)
	}
	key := sha256.Sum256([]byte(secret))
	block, _ := aes.NewCipher(key[:])
	gcm, _ := cipher.NewGCM(block)
	pt, err := gcm.Open(nil, raw[:12], raw[12:], nil)
	if err != nil {
		tb.Fatalf("key_data does not open with the secret: %v", err)
	}
	return pt
}

// mustSignVerify signs a message with k and checks that v verifies it.
func mustSignVerify(tb testing.TB, k, v jwks.Key) {
	tb.Helper()
	msg := []byte("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0")
	sig, err := k.Sign(rand.Reader, msg)
	if err != nil {
		tb.Fatalf("Sign with %s: %v", k.ID, err)
	}
	if !v.Verify(msg, sig) {
		tb.Fatalf("key %s does not verify a signature of key %s", v.ID, k.ID)
	}
}

// rsaKeys caches RSA keys by size: generating 4096-bit keys takes seconds.
var rsaKeys sync.Map // int -> func() *rsa.PrivateKey

// rsaKey returns a (shared) RSA key of the given size.
func rsaKey(tb testing.TB, bits int) *rsa.PrivateKey {
	tb.Helper()
	f, _ := rsaKeys.LoadOrStore(bits, sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			panic(err)
		}
		return k
	}))
	return f.(func() *rsa.PrivateKey)()
}

// kids returns the kids published in a Set's JWK set, in order.
func kids(tb testing.TB, s *jwks.Set) []string {
	tb.Helper()
	var out []string
	for _, k := range publicKeys(tb, s) {
		out = append(out, k["kid"].(string))
	}
	return out
}
