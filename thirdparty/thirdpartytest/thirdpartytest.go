// Package thirdpartytest is an in-process OAuth 2.0 / OpenID Connect
// provider for tests: discovery, a JWKS with a real ES256 signing key, an
// authorization endpoint, a token endpoint that checks the client secret
// and the PKCE verifier, userinfo, and GitHub's /user and /user/emails. It
// is real HTTP (httptest.Server), so the code under test runs its real
// client.
//
//	fake := thirdpartytest.New(t)
//	fake.SetUser(thirdpartytest.User{Subject: "1", Email: "a@example.com", EmailVerified: true})
//	// start a login, then:
//	callback := fake.Approve(t, providerLocation) // the redirect_uri with code and state
package thirdpartytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Client credentials the fake accepts.
const (
	ClientID = "test-client"
	Secret   = "test-secret"
)

// User is the account the fake logs in as.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// NumericID is GitHub's numeric user ID (/github/user "id").
	NumericID int64
}

// Provider is a fake OAuth 2.0 / OpenID Connect provider. Its issuer is the
// server's URL. Safe for concurrent use.
type Provider struct {
	Server *httptest.Server
	Issuer string

	key, otherKey *ecdsa.PrivateKey

	mu     sync.Mutex
	user   User
	grants map[string]grant // code -> grant
	tokens map[string]User  // access token -> user
	// tamper changes ID token claims before signing.
	tamper func(map[string]any)
	// badSignature signs ID tokens with a key outside the JWKS.
	badSignature bool
	// discoveryIssuer, when set, is the issuer the discovery document names.
	discoveryIssuer string
	// ExtraClaims are added to every ID token (e.g. Microsoft's tid).
	extra map[string]any

	verifiers  []string
	jwksHits   int
	tokenCalls int
}

type grant struct {
	user                     User
	nonce, challenge, method string
	redirectURI, clientID    string
}

// New starts a fake provider, closed when the test ends.
func New(tb testing.TB) *Provider {
	tb.Helper()
	p, err := Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Close)
	return p
}

// Close stops the fake's server.
func (p *Provider) Close() { p.Server.Close() }

// Start starts a fake provider outside a test (examples); Close stops it.
func Start() (*Provider, error) {
	p := &Provider{grants: map[string]grant{}, tokens: map[string]User{}}
	var err error
	if p.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if p.otherKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	mux.HandleFunc("GET /github/user", p.githubUser)
	mux.HandleFunc("GET /github/user/emails", p.githubEmails)
	p.Server = httptest.NewServer(mux)
	p.Issuer = p.Server.URL
	return p, nil
}

// URL returns the fake's URL for path.
func (p *Provider) URL(path string) string { return p.Server.URL + path }

// SetUser sets the account the next approvals log in as.
func (p *Provider) SetUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// TamperIDToken changes the claims of every following ID token (nil: stop).
func (p *Provider) TamperIDToken(f func(claims map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tamper = f
}

// SignWithUnknownKey makes following ID tokens carry the JWKS key's kid
// but a signature by another key.
func (p *Provider) SignWithUnknownKey(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.badSignature = on
}

// SetDiscoveryIssuer makes the discovery document name another issuer.
func (p *Provider) SetDiscoveryIssuer(iss string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.discoveryIssuer = iss
}

// SetExtraClaims adds claims to every following ID token.
func (p *Provider) SetExtraClaims(c map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.extra = c
}

// Verifiers returns the PKCE code verifiers the token endpoint received.
func (p *Provider) Verifiers() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.verifiers...)
}

// JWKSHits is how often the key set was fetched.
func (p *Provider) JWKSHits() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksHits
}

// Approve plays the user consenting at the provider: authURL is where the
// service sent the browser; the result is the callback URL (redirect_uri
// with code and state) the provider sends the browser back to.
func (p *Provider) Approve(tb testing.TB, authURL string) string {
	tb.Helper()
	loc, err := p.ApproveURL(authURL)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// ApproveURL is Approve returning an error instead of failing a test.
func (p *Provider) ApproveURL(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", fmt.Errorf("bad auth URL %q: %w", authURL, err)
	}
	loc, status := p.approve(u.Query())
	if status != http.StatusFound {
		return "", fmt.Errorf("the fake provider refused the authorization request %s: %s", authURL, loc)
	}
	return loc, nil
}

func (p *Provider) approve(q url.Values) (string, int) {
	if q.Get("client_id") != ClientID || q.Get("response_type") != "code" || q.Get("redirect_uri") == "" || q.Get("state") == "" {
		return "client_id, response_type=code, redirect_uri and state are required", http.StatusBadRequest
	}
	code := randomString()
	p.mu.Lock()
	p.grants[code] = grant{user: p.user, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
		method: q.Get("code_challenge_method"), redirectURI: q.Get("redirect_uri"), clientID: q.Get("client_id")}
	p.mu.Unlock()
	cb, _ := url.Parse(q.Get("redirect_uri"))
	v := cb.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	cb.RawQuery = v.Encode()
	return cb.String(), http.StatusFound
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	loc, status := p.approve(r.URL.Query())
	if status != http.StatusFound {
		http.Error(w, loc, status)
		return
	}
	http.Redirect(w, r, loc, http.StatusFound)
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	iss := p.Issuer
	if p.discoveryIssuer != "" {
		iss = p.discoveryIssuer
	}
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer": iss, "authorization_endpoint": p.URL("/authorize"), "token_endpoint": p.URL("/token"),
		"userinfo_endpoint": p.URL("/userinfo"), "jwks_uri": p.URL("/jwks"),
		"response_types_supported": []string{"code"}, "code_challenge_methods_supported": []string{"S256"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.jwksHits++
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &p.key.PublicKey, KeyID: "fake-key", Algorithm: "ES256", Use: "sig"},
	}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func oauthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", err.Error())
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ClientID || secret != Secret {
		oauthError(w, "invalid_client", "bad client credentials")
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, found := p.grants[code]
	delete(p.grants, code)
	p.tokenCalls++
	verifier := r.PostForm.Get("code_verifier")
	p.verifiers = append(p.verifiers, verifier)
	tamper, bad, extra := p.tamper, p.badSignature, p.extra
	p.mu.Unlock()
	if !found || r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("redirect_uri") != g.redirectURI {
		oauthError(w, "invalid_grant", "unknown code")
		return
	}
	if g.challenge != "" {
		sum := sha256.Sum256([]byte(verifier))
		if g.method != "S256" || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
			oauthError(w, "invalid_grant", "PKCE verification failed")
			return
		}
	}
	access := randomString()
	p.mu.Lock()
	p.tokens[access] = g.user
	p.mu.Unlock()
	now := time.Now()
	claims := map[string]any{
		"iss": p.Issuer, "sub": g.user.Subject, "aud": ClientID, "exp": now.Add(5 * time.Minute).Unix(),
		"iat": now.Unix(), "email": g.user.Email, "email_verified": g.user.EmailVerified, "name": g.user.Name,
	}
	if g.nonce != "" {
		claims["nonce"] = g.nonce
	}
	for k, v := range extra {
		claims[k] = v
	}
	if tamper != nil {
		tamper(claims)
	}
	key := p.key
	if bad {
		key = p.otherKey
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "fake-key"))
	if err != nil {
		oauthError(w, "server_error", err.Error())
		return
	}
	idToken, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		oauthError(w, "server_error", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": idToken})
}

func (p *Provider) bearerUser(r *http.Request) (User, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 8 || h[:7] != "Bearer " {
		return User{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u, ok := p.tokens[h[7:]]
	return u, ok
}

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	u, ok := p.bearerUser(r)
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": u.Subject, "email": u.Email, "email_verified": u.EmailVerified, "name": u.Name})
}

func (p *Provider) githubUser(w http.ResponseWriter, r *http.Request) {
	u, ok := p.bearerUser(r)
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := u.NumericID
	if id == 0 {
		id, _ = strconv.ParseInt(u.Subject, 10, 64)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "login": "octocat", "name": u.Name, "email": nil})
}

func (p *Provider) githubEmails(w http.ResponseWriter, r *http.Request) {
	u, ok := p.bearerUser(r)
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, []map[string]any{
		{"email": "secondary@example.org", "primary": false, "verified": true},
		{"email": u.Email, "primary": true, "verified": u.EmailVerified},
	})
}
