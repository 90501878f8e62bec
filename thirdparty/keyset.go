package thirdparty

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Key set caching. A provider's JWKS is fetched on first use, kept for
// keySetMaxAge, and refetched early when a token names an unknown kid (the
// provider rotated its keys), but at most once per keySetMinRefresh, so a
// stream of tokens with made-up kids cannot turn us into a request
// amplifier against the provider. Until a first fetch succeeds there is
// nothing to protect the provider from amplifying: every use tries again
// (concurrent uses share one fetch), so one failure, a blip at the
// provider, does not fail every login for keySetMinRefresh.
const (
	keySetMaxAge     = time.Hour
	keySetMinRefresh = 30 * time.Second
	maxDocumentSize  = 1 << 20 // JWKS, discovery and user-info documents
	// fetchTimeout bounds a shared fetch (discovery, JWKS), which runs
	// detached from the callers' contexts, in case ProviderConfig.HTTPClient
	// has no timeout.
	fetchTimeout = 30 * time.Second
)

// fetchCall is one fetch that concurrent callers share, in the manner of
// x/sync/singleflight: the first caller starts it, everyone waits for it,
// and nobody holds a lock across the network call.
type fetchCall struct {
	done chan struct{}
	err  error // set before done closes
}

// startFetch runs fn in its own goroutine, detached from ctx's cancellation
// (one caller giving up must not fail the others) but bounded by
// fetchTimeout.
func startFetch(ctx context.Context, fn func(ctx context.Context) error) *fetchCall {
	c := &fetchCall{done: make(chan struct{})}
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		c.err = fn(ctx)
		close(c.done)
	}()
	return c
}

// wait returns the fetch's error once it is done, or ctx's when ctx ends
// first.
func (c *fetchCall) wait(ctx context.Context) error {
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// keySet is a provider's JSON Web Key Set with caching. Safe for
// concurrent use; concurrent callers share one fetch, and mu is never held
// across it.
type keySet struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex
	keys    []jose.JSONWebKey
	fetched time.Time  // last successful fetch; zero before the first
	tried   time.Time  // last refetch attempt, for keySetMinRefresh
	call    *fetchCall // the fetch in flight, if any
}

func newKeySet(url string, client *http.Client, now func() time.Time) *keySet {
	return &keySet{url: url, client: client, now: now}
}

// candidates returns the keys that may have signed a token with kid: the key
// with that kid, or every signing key when the token names none.
func (k *keySet) candidates(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	now := k.now()
	found := pick(k.keys, kid)
	first := k.fetched.IsZero()
	stale := !first && now.Sub(k.fetched) >= keySetMaxAge
	c := k.call
	switch {
	case !first && len(found) > 0 && !stale:
		k.mu.Unlock()
		return found, nil
	case c != nil: // join the fetch in flight
	case !first && now.Sub(k.tried) < keySetMinRefresh:
		// A refetch ran recently: answer from the set we have.
		k.mu.Unlock()
		return noKey(found, kid)
	default:
		k.tried = now
		c = startFetch(ctx, k.refresh)
		k.call = c
	}
	k.mu.Unlock()

	err := c.wait(ctx)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	k.mu.Lock()
	found, first = pick(k.keys, kid), k.fetched.IsZero()
	k.mu.Unlock()
	if err != nil && first {
		return nil, err // never had a key set: the provider's failure, not the token's
	}
	return noKey(found, kid)
}

// noKey returns found, or errIDToken when it is empty.
func noKey(found []jose.JSONWebKey, kid string) ([]jose.JSONWebKey, error) {
	if len(found) == 0 {
		return nil, fmt.Errorf("%w: no key with kid %q", errIDToken, kid)
	}
	return found, nil
}

// refresh fetches the key set and, on success, replaces the cached one; a
// failure keeps the old set.
func (k *keySet) refresh(ctx context.Context) error {
	keys, err := k.fetch(ctx)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.call = nil
	if err != nil {
		return err
	}
	k.keys, k.fetched = keys, k.now()
	return nil
}

func pick(keys []jose.JSONWebKey, kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, key := range keys {
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		if kid == "" || key.KeyID == kid {
			out = append(out, key)
		}
	}
	return out
}

func (k *keySet) fetch(ctx context.Context) ([]jose.JSONWebKey, error) {
	var set jose.JSONWebKeySet
	if err := getJSON(ctx, k.client, k.url, "", &set); err != nil {
		return nil, fmt.Errorf("thirdparty: fetching the JWKS: %w", err)
	}
	return set.Keys, nil
}

// getJSON GETs url (with a bearer token when given) and decodes a JSON body
// of at most maxDocumentSize bytes into out.
func getJSON(ctx context.Context, client *http.Client, url, bearer string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxDocumentSize+1))
	if err != nil {
		return err
	}
	if len(body) > maxDocumentSize {
		return errors.New("response too large")
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", req.URL.Redacted(), res.StatusCode)
	}
	return json.Unmarshal(body, out)
}

// signatureAlgorithms are the ID token algorithms we accept; "none" and
// HMAC (which would make the public client secret a signing key) are not.
var signatureAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// idTokenVerifier checks ID tokens as OpenID Connect Core 1.0 §3.1.3.7
// requires: signature by a key of the provider's JWKS (step 6), iss (step
// 2), aud containing our client ID and azp when there are several audiences
// (steps 3-5), exp (step 9) and nonce (step 11).
type idTokenVerifier struct {
	// issuer is the exact iss expected; when issuerOf is set it computes
	// the expected issuer from the claims instead (Microsoft's
	// multi-tenant endpoint issues per tenant).
	issuer   string
	issuerOf func(claims map[string]any) string
	clientID string
	keys     *keySet
	now      func() time.Time
}

// clockSkew is how far exp and iat may be off.
const clockSkew = time.Minute

// verify returns the claims of a valid ID token.
func (v *idTokenVerifier) verify(ctx context.Context, raw, nonce string) (map[string]any, error) {
	tok, err := jwt.ParseSigned(raw, signatureAlgorithms)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errIDToken, err)
	}
	if len(tok.Headers) != 1 {
		return nil, fmt.Errorf("%w: want one signature", errIDToken)
	}
	keys, err := v.keys.candidates(ctx, tok.Headers[0].KeyID)
	if err != nil {
		return nil, err
	}
	var std jwt.Claims
	var claims map[string]any
	verified := false
	for _, key := range keys {
		if tok.Claims(key.Key, &std, &claims) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, fmt.Errorf("%w: bad signature", errIDToken)
	}
	want := v.issuer
	if v.issuerOf != nil {
		want = v.issuerOf(claims)
	}
	if want == "" || std.Issuer != want {
		return nil, fmt.Errorf("%w: issuer %q is not %q", errIDToken, std.Issuer, want)
	}
	if !std.Audience.Contains(v.clientID) {
		return nil, fmt.Errorf("%w: audience does not contain the client ID", errIDToken)
	}
	if azp, ok := claims["azp"].(string); len(std.Audience) > 1 && (!ok || azp != v.clientID) {
		return nil, fmt.Errorf("%w: azp is not the client ID", errIDToken)
	}
	now := v.now()
	if std.Expiry == nil || now.After(std.Expiry.Time().Add(clockSkew)) {
		return nil, fmt.Errorf("%w: expired", errIDToken)
	}
	if std.IssuedAt != nil && std.IssuedAt.Time().After(now.Add(clockSkew)) {
		return nil, fmt.Errorf("%w: issued in the future", errIDToken)
	}
	got, _ := claims["nonce"].(string)
	if nonce != "" && subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce mismatch", errIDToken)
	}
	if std.Subject == "" {
		return nil, fmt.Errorf("%w: no subject", errIDToken)
	}
	return claims, nil
}

// claimString returns a string claim ("" if absent or not a string).
func claimString(c map[string]any, name string) string {
	s, _ := c[name].(string)
	return s
}

// claimBool returns a boolean claim; Apple sends "true"/"false" strings.
func claimBool(c map[string]any, name string) bool {
	switch v := c[name].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}
