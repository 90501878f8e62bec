package thirdparty

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/hanko-go/hanko/thirdparty/thirdpartytest"
)

func fakeConfig(fake *thirdpartytest.Provider) ProviderConfig {
	return ProviderConfig{ClientID: thirdpartytest.ClientID, Secret: thirdpartytest.Secret, RedirectURL: "http://api.test/thirdparty/callback"}
}

// roundTrip runs a provider's legs against the fake and returns the user data.
func roundTrip(t *testing.T, fake *thirdpartytest.Provider, p Provider) (UserData, error) {
	t.Helper()
	ctx := t.Context()
	authURL, err := p.AuthURL(ctx, AuthRequest{State: "st", Nonce: "n-123", Verifier: "verifier-0123456789-0123456789-0123456789"})
	if err != nil {
		return UserData{}, err
	}
	cb, _ := url.Parse(fake.Approve(t, authURL))
	tok, err := p.Exchange(ctx, cb.Query().Get("code"), "verifier-0123456789-0123456789-0123456789")
	if err != nil {
		return UserData{}, err
	}
	return p.UserData(ctx, tok, "n-123")
}

func TestOIDCDiscoveryIssuerMustMatch(t *testing.T) {
	fake := thirdpartytest.New(t)
	fake.SetDiscoveryIssuer("https://impostor.example")
	p := OIDC(OIDCConfig{ProviderConfig: fakeConfig(fake), Name: "acme", Issuer: fake.Issuer})
	if _, err := p.AuthURL(t.Context(), AuthRequest{State: "s"}); err == nil {
		t.Fatal("discovery accepted a document naming another issuer")
	}
	fake.SetDiscoveryIssuer("") // fixed at the provider: the next use retries
	if _, err := p.AuthURL(t.Context(), AuthRequest{State: "s"}); err != nil {
		t.Fatalf("discovery after the fix: %v", err)
	}
}

func TestOIDCUserData(t *testing.T) {
	fake := thirdpartytest.New(t)
	fake.SetUser(thirdpartytest.User{Subject: "s1", Email: "a@example.com", EmailVerified: true, Name: "A"})
	p := OIDC(OIDCConfig{ProviderConfig: fakeConfig(fake), Name: "acme", Issuer: fake.Issuer})
	d, err := roundTrip(t, fake, p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Subject != "s1" || d.Email != "a@example.com" || !d.EmailVerified || d.Name != "A" || d.Claims["iss"] != fake.Issuer {
		t.Fatalf("user data %+v", d)
	}
}

func TestBuiltInProvidersAgainstFake(t *testing.T) {
	fake := thirdpartytest.New(t)
	fake.SetUser(thirdpartytest.User{Subject: "77", Email: "b@example.com", EmailVerified: true, Name: "B"})
	fake.SetExtraClaims(map[string]any{"tid": microsoftConsumerTenant})
	ep := Endpoints{AuthURL: fake.URL("/authorize"), TokenURL: fake.URL("/token"), UserInfoURL: fake.URL("/userinfo"),
		JWKSURL: fake.URL("/jwks"), Issuer: fake.Issuer}
	with := func(e Endpoints) ProviderConfig { c := fakeConfig(fake); c.Endpoints = e; return c }
	gh := ep
	gh.UserInfoURL, gh.EmailsURL = fake.URL("/github/user"), fake.URL("/github/user/emails")
	ms := ep
	ms.Issuer = fake.Issuer // the fake issues as itself, whatever the tenant
	apple, err := Apple(with(ep), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Provider{Google(with(ep)), LinkedIn(with(ep)), GitHub(with(gh)), Microsoft(with(ms)), apple} {
		t.Run(p.Name(), func(t *testing.T) {
			d, err := roundTrip(t, fake, p)
			if err != nil {
				t.Fatal(err)
			}
			if d.Subject != "77" || d.Email != "b@example.com" || !d.EmailVerified {
				t.Fatalf("user data %+v", d)
			}
		})
	}
}

func TestAppleClientSecretJWT(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err := Apple(ProviderConfig{ClientID: "com.example.app", Now: func() time.Time { return now }},
		&AppleKey{TeamID: "TEAM123", KeyID: "KEY456", PrivateKeyPEM: pemKey})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := p.(*oauthProvider).secret()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(secret, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := tok.Claims(&key.PublicKey, &c); err != nil {
		t.Fatal(err)
	}
	if tok.Headers[0].KeyID != "KEY456" || c.Issuer != "TEAM123" || c.Subject != "com.example.app" ||
		!c.Audience.Contains("https://appleid.apple.com") || !c.Expiry.Time().Equal(now.Add(5*time.Minute)) {
		t.Fatalf("client secret claims %+v, kid %q", c, tok.Headers[0].KeyID)
	}
	if _, err := Apple(ProviderConfig{}, &AppleKey{TeamID: "T", KeyID: "K", PrivateKeyPEM: "not pem"}); err == nil {
		t.Fatal("Apple accepted a key that is not PEM")
	}
}

// TestKeySetRefetchIsRateLimited checks that unknown kids refetch the JWKS
// at most once per keySetMinRefresh.
func TestKeySetRefetchIsRateLimited(t *testing.T) {
	fake := thirdpartytest.New(t)
	var mu sync.Mutex
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ks := newKeySet(fake.URL("/jwks"), fake.Server.Client(), clock)
	ctx := context.Background()
	if _, err := ks.candidates(ctx, "fake-key"); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := ks.candidates(ctx, "unknown-kid"); !errors.Is(err, errIDToken) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if hits := fake.JWKSHits(); hits != 1 {
		t.Fatalf("%d JWKS fetches for one known and 20 unknown kids in one instant, want 1", hits)
	}
	mu.Lock()
	now = now.Add(keySetMinRefresh)
	mu.Unlock()
	_, _ = ks.candidates(ctx, "unknown-kid")
	if _, err := ks.candidates(ctx, "fake-key"); err != nil { // cached
		t.Fatal(err)
	}
	if hits := fake.JWKSHits(); hits != 2 {
		t.Fatalf("%d JWKS fetches after the refresh interval, want 2", hits)
	}
}
