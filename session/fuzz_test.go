package session_test

import (
	"context"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/hanko-go/hanko/session"
)

// FuzzVerify feeds arbitrary strings to Manager.Verify and
// RemoteVerifier.Verify. Neither may panic; a refusal is exactly
// ErrInvalidToken with zero claims; and whatever is accepted must be, byte
// for byte, a token that was issued (so no re-encoding, padding, stray
// character or altered part of a real token passes).
//
// Run it for longer with: go test ./session/ -run '^$' -fuzz FuzzVerify -fuzztime 60s
func FuzzVerify(f *testing.F) {
	e := newEnv(f, "")
	m := e.manager(f)
	srv := newJWKSServer(f, e.keys)
	v := e.remote(f, srv)
	issued := map[string]bool{}
	for range 3 {
		tok := issue(f, e, m)
		issued[tok.Value] = true
		f.Add(tok.Value)
	}
	uid := e.user(f, "")
	tok, err := m.Issue(f.Context(), uid, session.Meta{})
	if err != nil {
		f.Fatal(err)
	}
	issued[tok.Value] = true

	// Tampered variants of a real token.
	parts := strings.Split(tok.Value, ".")
	enc := base64.RawURLEncoding.EncodeToString
	kid := e.keys.Signer().ID
	sig := parts[2]
	for _, s := range []string{
		tok.Value,
		"", ".", "..", "...", "a.b.c", "e30.e30.", "e30.e30.e30",
		parts[0] + "." + parts[1],
		parts[0] + "." + parts[1] + ".",
		tok.Value + ".",
		tok.Value + "=",
		tok.Value + "==",
		" " + tok.Value,
		tok.Value + "\n",
		"Bearer " + tok.Value,
		parts[0] + "." + parts[1] + "." + sig[:len(sig)-1] + "h", // differs only in the unused low bits
		parts[0] + "." + parts[1] + "." + sig[:20] + "\n" + sig[20:],
		parts[0] + "." + parts[1] + "." + sig[:20] + "\r\n" + sig[20:],
		parts[0] + "." + parts[1] + "." + strings.ReplaceAll(sig, "_", "/"),
		parts[0] + "=." + parts[1] + "." + sig,
		strings.ToUpper(tok.Value),
		enc([]byte(`{"alg":"none","kid":"`+kid+`"}`)) + "." + parts[1] + ".",
		enc([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		enc([]byte(`{"alg":"ES256","kid":"`+kid+`","alg":"none"}`)) + "." + parts[1] + "." + sig,
		enc([]byte(`{"alg":"HS256","kid":"`+kid+`"}`)) + "." + parts[1] + "." + enc(e.keys.JSON()),
		enc([]byte(`{"alg":"ES256","kid":"nope"}`)) + "." + parts[1] + "." + sig,
		enc([]byte(`{"alg":"ES256","kid":`)) + "." + parts[1] + "." + sig,
		enc([]byte(`[]`)) + "." + enc([]byte(`[]`)) + "." + sig,
		parts[0] + "." + enc([]byte(`{"sub":"x","exp":1e400}`)) + "." + sig,
		forgeES256(f, parts[1]),
		strings.Repeat("A", 9000),
	} {
		f.Add(s)
	}

	verifiers := []struct {
		name   string
		verify func(context.Context, string) (session.Claims, error)
	}{{"Manager", m.Verify}, {"RemoteVerifier", v.Verify}}
	f.Fuzz(func(t *testing.T, token string) {
		for _, vf := range verifiers {
			c, err := vf.verify(t.Context(), token)
			if err == nil {
				if !issued[token] {
					t.Fatalf("%s accepted a token that was never issued: %q", vf.name, token)
				}
				continue
			}
			if err != session.ErrInvalidToken {
				t.Fatalf("%s: %v, want ErrInvalidToken", vf.name, err)
			}
			if !reflect.DeepEqual(c, session.Claims{}) {
				t.Fatalf("%s refused the token but returned claims %+v", vf.name, c)
			}
		}
	})
}
