package thirdparty

import (
	"net/url"
	"testing"

	"github.com/hanko-go/hanko/thirdparty/thirdpartytest"
	"golang.org/x/oauth2"
)

// signedIDToken returns a token response with a real ID token from the fake,
// and the provider that accepts it.
func signedIDToken(tb testing.TB) (*oauthProvider, *oauth2.Token) {
	tb.Helper()
	fake := thirdpartytest.New(tb)
	fake.SetUser(thirdpartytest.User{Subject: "b1", Email: "b@example.com", EmailVerified: true})
	p := OIDC(OIDCConfig{ProviderConfig: fakeConfig(fake), Name: "acme", Issuer: fake.Issuer}).(*oauthProvider)
	authURL, err := p.AuthURL(tb.Context(), AuthRequest{State: "s", Nonce: "n-123", Verifier: "v-0123456789-0123456789-0123456789-0123"})
	if err != nil {
		tb.Fatal(err)
	}
	cb, _ := url.Parse(fake.Approve(tb, authURL))
	tok, err := p.Exchange(tb.Context(), cb.Query().Get("code"), "v-0123456789-0123456789-0123456789-0123")
	if err != nil {
		tb.Fatal(err)
	}
	return p, tok
}

func BenchmarkIDTokenVerify(b *testing.B) {
	p, tok := signedIDToken(b)
	raw := tok.Extra("id_token").(string)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.idTokens.verify(ctx, raw, "n-123"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRedirectAllowed(b *testing.B) {
	m, err := newRedirectMatcher([]string{"https://app.example.com/**", "https://*.trusted.example.org"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := m.allowed("https://x.trusted.example.org"); !ok {
			b.Fatal("refused")
		}
	}
}

// FuzzIDToken feeds arbitrary ID tokens to the verifier: no panic, and
// nothing but the real token verifies.
func FuzzIDToken(f *testing.F) {
	p, tok := signedIDToken(f)
	good := tok.Extra("id_token").(string)
	f.Add(good)
	f.Add(good[:len(good)-4] + "AAAA")
	f.Add("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.")
	f.Add("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		if raw == good {
			return
		}
		if _, err := p.idTokens.verify(t.Context(), raw, "n-123"); err == nil {
			t.Fatalf("verified a forged token %q", raw)
		}
	})
}
