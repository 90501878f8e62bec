package jwks

import (
	"errors"
	"testing"
)

// TestSealerKeySeparation: the OAuth-state sealer and the key store's
// encryption at rest use different keys from the same secrets, so neither
// opens what the other sealed; the state sealer still rotates like the key
// store (first secret seals, every secret opens).
func TestSealerKeySeparation(t *testing.T) {
	t.Parallel()
	secrets := []string{"a-test-secret-of-32-characters!!", "an-older-secret-of-32-characters"}
	state, err := NewSealer(secrets, nil)
	if err != nil {
		t.Fatal(err)
	}
	atRest, err := newSealer(secrets)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte(`{"provider":"google"}`)

	sealedState, err := state.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := state.Open(sealedState); err != nil || string(got) != string(plain) {
		t.Fatalf("state round trip: %q %v", got, err)
	}
	if _, err := atRest.open(sealedState); !errors.Is(err, ErrUndecryptable) {
		t.Fatalf("the key store opened a sealed state: %v", err)
	}
	sealedKey, err := atRest.seal(zeroReader{}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.Open(sealedKey); err == nil {
		t.Fatal("the state sealer opened a key sealed at rest")
	}

	// Rotation: a state sealed under the older secret (then first) opens.
	old, err := NewSealer(secrets[1:], nil)
	if err != nil {
		t.Fatal(err)
	}
	sealedOld, err := old.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.Open(sealedOld); err != nil {
		t.Fatalf("state sealed with a rotated-out secret: %v", err)
	}
	if _, err := NewSealer(nil, nil); err == nil {
		t.Fatal("NewSealer without secrets succeeded")
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }
