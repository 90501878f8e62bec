package session

import (
	"cmp"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/jwks"
)

// ErrKeysUnavailable is returned by RemoteVerifier.Verify when it has never
// obtained a usable JWK set (the JWKS URL is unreachable, answers an error or
// serves a document without a usable key), and by Refresh when a fetch fails.
// It is a server-side failure (autherr.Internal), not the client's; the
// wrapping error names the cause. RequireSession still answers 401.
var ErrKeysUnavailable = autherr.New(autherr.Internal, "session: the JWK set is unavailable")

// Defaults of the RemoteVerifier options.
const (
	// DefaultRemoteTimeout is the timeout of the default HTTP client.
	DefaultRemoteTimeout = 10 * time.Second
	// DefaultMinRefreshInterval is the shortest time a fetched key set is
	// used before the scheduled refresh, whatever Cache-Control says.
	DefaultMinRefreshInterval = time.Minute
	// DefaultKidRefreshInterval is the shortest time between two fetches
	// triggered by tokens with an unknown kid (and between retries after a
	// failed fetch).
	DefaultKidRefreshInterval = 5 * time.Second
)

// maxRefreshInterval caps Cache-Control max-age: a key removed from the set
// (a compromised key) stops verifying here within this time at the latest.
const maxRefreshInterval = time.Hour

// maxJWKSSize bounds the JWK set document; Hanko's, with a few RSA 4096
// keys, is a few kB.
const maxJWKSSize = 1 << 20

// RemoteVerifier verifies Hanko session tokens for services that know only
// the JWKS URL (https://hanko.example.com/.well-known/jwks.json): it needs
// no database and no secret. It fetches the public JWK set on first use,
// caches it (refreshing it when Cache-Control max-age says so, at least
// MinRefreshInterval apart) and fetches it again when a token names a kid it
// does not know, which is how a key rotation reaches it.
//
// It checks what Manager.Verify checks, except revocation: signature by a key
// of the set with the algorithm the key is for (never "none"), exp, iat not
// in the future beyond a minute of clock skew, aud (only with WithAudience)
// and iss (only with WithIssuer). It has no revocation feed, so a session
// that was revoked (logout, admin delete, eviction) stays valid here until
// its exp. Hosts that must honour revocation promptly call Hanko's
// POST /sessions/validate or embed the library and use Manager.
//
// A RemoteVerifier is safe for concurrent use and starts no goroutines.
type RemoteVerifier struct {
	url        string
	client     *http.Client
	audience   []string
	issuer     string
	now        func() time.Time
	minRefresh time.Duration
	kidRefresh time.Duration
	cookieName string
	cacheSize  int
	log        *slog.Logger

	set   atomic.Pointer[remoteSet]
	cache atomic.Pointer[tokenCache]

	// refreshing is a one-slot semaphore that serialises fetches and guards
	// lastFetch and lastErr; a channel so that waiting honours ctx.
	refreshing chan struct{}
	lastFetch  time.Time
	lastErr    error
}

// remoteSet is one fetched JWK set; immutable once stored.
type remoteSet struct {
	keys    map[string]jwks.Key
	etag    string
	staleAt time.Time // when the scheduled refresh is due
}

// RemoteOption configures a RemoteVerifier.
type RemoteOption func(*RemoteVerifier)

// WithHTTPClient sets the client that fetches the JWK set. Default: a client
// with a DefaultRemoteTimeout (10 s) timeout; never http.DefaultClient.
func WithHTTPClient(c *http.Client) RemoteOption {
	return func(v *RemoteVerifier) { v.client = c }
}

// WithAudience makes Verify require a token whose aud names one of aud (the
// audience Hanko is configured with, session.audience, by default its
// relying party ID). Default: any audience is accepted, so a token Hanko
// issued for another application verifies too; set it whenever one Hanko
// serves more than one audience.
func WithAudience(aud ...string) RemoteOption {
	return func(v *RemoteVerifier) { v.audience = append([]string(nil), aud...) }
}

// WithIssuer makes Verify require the iss claim (session.issuer). Default:
// iss is not checked.
func WithIssuer(iss string) RemoteOption {
	return func(v *RemoteVerifier) { v.issuer = iss }
}

// WithClock replaces the clock for exp, iat and refresh scheduling. Default
// time.Now.
func WithClock(now func() time.Time) RemoteOption {
	return func(v *RemoteVerifier) { v.now = now }
}

// WithMinRefreshInterval sets the shortest time a fetched key set is used
// before it is fetched again on schedule. The schedule is the response's
// Cache-Control max-age (Hanko sends 600 s) but never less than this and
// never more than an hour. Default DefaultMinRefreshInterval (1 min).
func WithMinRefreshInterval(d time.Duration) RemoteOption {
	return func(v *RemoteVerifier) { v.minRefresh = d }
}

// WithKidRefreshInterval sets the shortest time between two fetches that
// tokens with an unknown kid trigger, and between retries after a failed
// fetch, so that made-up kids cannot hammer the JWKS URL. A token signed by
// a key that appeared within this time after the last fetch is refused
// until the next window. Default DefaultKidRefreshInterval (5 s).
func WithKidRefreshInterval(d time.Duration) RemoteOption {
	return func(v *RemoteVerifier) { v.kidRefresh = d }
}

// WithCookieName sets the session cookie RequireSession reads when there is
// no Authorization header (session.cookie.name). Default "hanko".
func WithCookieName(name string) RemoteOption {
	return func(v *RemoteVerifier) { v.cookieName = name }
}

// WithCacheSize bounds the verified-token cache. Default 10000 tokens.
func WithCacheSize(n int) RemoteOption {
	return func(v *RemoteVerifier) { v.cacheSize = n }
}

// WithLogger receives fetch failures and skipped keys. Default: discard.
func WithLogger(l *slog.Logger) RemoteOption {
	return func(v *RemoteVerifier) { v.log = l }
}

// NewRemoteVerifier returns a verifier of tokens signed by the keys published
// at jwksURL, an absolute http or https URL (use http only on a trusted
// network: whoever can change the response can mint sessions). It does no
// I/O: the key set is fetched by the first Verify, or by Refresh, which a
// host may call at startup to fail fast. It fails on a bad URL or option,
// reporting every problem.
func NewRemoteVerifier(jwksURL string, opts ...RemoteOption) (*RemoteVerifier, error) {
	v := &RemoteVerifier{
		url:        jwksURL,
		now:        time.Now,
		minRefresh: DefaultMinRefreshInterval,
		kidRefresh: DefaultKidRefreshInterval,
		cookieName: "hanko",
		cacheSize:  10000,
		refreshing: make(chan struct{}, 1),
		client:     &http.Client{Timeout: DefaultRemoteTimeout},
	}
	for _, opt := range opts {
		opt(v)
	}
	var errs []error
	if u, err := url.Parse(jwksURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("session: the JWKS URL %q must be an absolute http or https URL", jwksURL))
	}
	if v.client == nil {
		errs = append(errs, errors.New("session: WithHTTPClient: the client must not be nil"))
	}
	for _, a := range v.audience {
		if a == "" {
			errs = append(errs, errors.New("session: WithAudience: an audience must not be empty"))
			break
		}
	}
	if v.now == nil {
		errs = append(errs, errors.New("session: WithClock: the clock must not be nil"))
	}
	if v.minRefresh < 0 || v.kidRefresh < 0 {
		errs = append(errs, errors.New("session: refresh intervals must not be negative"))
	}
	if v.cookieName == "" {
		errs = append(errs, errors.New("session: WithCookieName: the name must not be empty"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if v.cacheSize <= 0 {
		v.cacheSize = 10000
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	v.cache.Store(newTokenCache(v.cacheSize))
	return v, nil
}

// Verify checks a session token against the remote key set; see
// RemoteVerifier for what is checked. A token that does not verify is
// ErrInvalidToken, whatever the reason, including an unknown kid while the
// JWKS URL is down. ErrKeysUnavailable (wrapped) means no key set was ever
// obtained; ctx's error is returned when ctx ends while waiting for a fetch.
//
// A token that verified before is answered from a bounded in-memory cache
// until its exp; the cache is emptied when a refresh removes or changes a
// key. Verify does I/O only to fetch the key set: the first time, on
// schedule (one caller fetches while the others go on with the current
// keys), and for an unknown kid (callers wait for that one fetch).
func (v *RemoteVerifier) Verify(ctx context.Context, token string) (Claims, error) {
	now := v.now()
	if s := v.set.Load(); s != nil && !now.Before(s.staleAt) {
		v.scheduledRefresh(ctx)
	}
	cache := v.cache.Load()
	key := sha256.Sum256([]byte(token))
	c, ok := cache.get(key)
	if !ok {
		var err error
		if c, err = v.verify(ctx, token, now); err != nil {
			return Claims{}, err
		}
		cache.put(key, c)
	}
	if !now.Before(c.ExpiresAt) {
		return Claims{}, ErrInvalidToken
	}
	return c, nil
}

func (v *RemoteVerifier) verify(ctx context.Context, token string, now time.Time) (Claims, error) {
	return verifyToken(ctx, token, now, rules{audience: v.audience, issuer: v.issuer}, v.lookup)
}

// lookup returns the key with the given kid, fetching the set when the kid
// is unknown (at most once per kid refresh interval). The error is non-nil
// only when there is no key set at all, or ctx ended while waiting.
func (v *RemoteVerifier) lookup(ctx context.Context, kid string) (jwks.Key, bool, error) {
	if s := v.set.Load(); s != nil {
		if k, ok := s.keys[kid]; ok {
			return k, true, nil
		}
	}
	select {
	case v.refreshing <- struct{}{}:
	case <-ctx.Done():
		return jwks.Key{}, false, ctx.Err()
	}
	defer func() { <-v.refreshing }()
	s := v.set.Load()
	if s != nil {
		if k, ok := s.keys[kid]; ok { // found by another caller's fetch
			return k, true, nil
		}
	}
	if !v.lastFetch.IsZero() && v.now().Sub(v.lastFetch) < v.kidRefresh {
		if s == nil {
			return jwks.Key{}, false, cmp.Or(v.lastErr, error(ErrKeysUnavailable))
		}
		return jwks.Key{}, false, nil
	}
	err := v.fetch(ctx)
	if s = v.set.Load(); s == nil {
		return jwks.Key{}, false, err
	}
	k, ok := s.keys[kid]
	return k, ok, nil
}

// scheduledRefresh fetches a stale set unless another caller is already
// fetching (then the current keys serve meanwhile) or the last attempt was
// less than the kid refresh interval ago (a failing URL is not hammered).
func (v *RemoteVerifier) scheduledRefresh(ctx context.Context) {
	select {
	case v.refreshing <- struct{}{}:
	default:
		return
	}
	defer func() { <-v.refreshing }()
	now := v.now()
	if s := v.set.Load(); s == nil || now.Before(s.staleAt) || now.Sub(v.lastFetch) < v.kidRefresh {
		return
	}
	_ = v.fetch(ctx) // logged; the current keys stay
}

// Refresh fetches the key set now, not rate-limited, for instance at
// startup to fail fast or after a known rotation. On failure the current
// keys stay and the error wraps ErrKeysUnavailable.
func (v *RemoteVerifier) Refresh(ctx context.Context) error {
	select {
	case v.refreshing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-v.refreshing }()
	return v.fetch(ctx)
}

// fetch GETs the JWK set and installs it. The caller holds v.refreshing.
func (v *RemoteVerifier) fetch(ctx context.Context) error {
	v.lastFetch = v.now() // also on failure: a failing URL must not be hammered
	err := v.get(ctx)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
		v.log.WarnContext(ctx, "session: fetching the JWK set failed; the current keys stay", "url", v.url, "err", err)
	}
	v.lastErr = err
	return err
}

func (v *RemoteVerifier) get(ctx context.Context) error {
	prev := v.set.Load()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	if prev != nil && prev.etag != "" {
		req.Header.Set("If-None-Match", prev.etag)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && prev != nil:
		next := *prev
		next.staleAt = v.now().Add(v.ttl(resp.Header))
		v.set.Store(&next)
		return nil
	case resp.StatusCode != http.StatusOK:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // let the connection be reused
		return fmt.Errorf("GET %s: unexpected status %s", v.url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSSize+1))
	if err != nil {
		return fmt.Errorf("GET %s: reading the body: %w", v.url, err)
	}
	if len(body) > maxJWKSSize {
		return fmt.Errorf("GET %s: the JWK set is larger than %d bytes", v.url, maxJWKSSize)
	}
	keys, skipped, err := parseRemoteJWKS(body)
	for _, s := range skipped {
		v.log.WarnContext(ctx, "session: skipping a key of the JWK set", "url", v.url, "reason", s)
	}
	if err != nil {
		return fmt.Errorf("GET %s: %w", v.url, err)
	}
	next := &remoteSet{keys: keys, etag: resp.Header.Get("ETag"), staleAt: v.now().Add(v.ttl(resp.Header))}
	if prev != nil && !keptAll(prev.keys, keys) {
		// A key was removed or replaced: tokens it verified must not
		// outlive it in the cache.
		v.cache.Store(newTokenCache(v.cacheSize))
	}
	v.set.Store(next)
	v.log.DebugContext(ctx, "session: fetched the JWK set", "url", v.url, "keys", len(keys))
	return nil
}

// ttl is how long a fetched set is used before the scheduled refresh:
// Cache-Control max-age less Age, within [minRefresh, max(minRefresh, 1h)].
// no-store, no-cache or no max-age mean minRefresh.
func (v *RemoteVerifier) ttl(h http.Header) time.Duration {
	var d time.Duration
	for _, dir := range strings.Split(h.Get("Cache-Control"), ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(dir), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return v.minRefresh
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n > 0 {
				d = time.Duration(min(n, int64(maxRefreshInterval/time.Second))) * time.Second
			}
		}
	}
	if age, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && age > 0 {
		d -= time.Duration(min(age, int64(maxRefreshInterval/time.Second))) * time.Second
	}
	return max(d, v.minRefresh)
}

// keptAll reports whether every key of prev is in next unchanged.
func keptAll(prev, next map[string]jwks.Key) bool {
	for kid, old := range prev {
		k, ok := next[kid]
		if !ok || k.Algorithm != old.Algorithm {
			return false
		}
		eq, ok := old.Public.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !eq.Equal(k.Public) {
			return false
		}
	}
	return true
}

// parseRemoteJWKS reads a public JWK set (RFC 7517 §5) and keeps the keys a
// session token can be signed with: EC P-256 (ES256), RSA of at least 2048
// bits (RS256) and Ed25519 (EdDSA), each public, with a kid, for use "sig"
// (or no use) and with no "alg" other than its key type's. Other keys are
// skipped, as RFC 7517 §5 asks, and described in skipped; kids that occur
// more than once are skipped altogether (which key is meant is unknowable).
// A document that is not a JWK set, or has no usable key, is an error.
func parseRemoteJWKS(data []byte) (keys map[string]jwks.Key, skipped []string, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("not a JWK set: %w", err)
	}
	if doc.Keys == nil {
		return nil, nil, errors.New(`not a JWK set: no "keys" array`)
	}
	keys = make(map[string]jwks.Key, len(doc.Keys))
	dups := map[string]bool{}
	for i, raw := range doc.Keys {
		k, err := parseRemoteJWK(raw)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: %v", i, err))
			continue
		}
		if _, dup := keys[k.ID]; dup || dups[k.ID] {
			dups[k.ID] = true
			continue
		}
		keys[k.ID] = k
	}
	for kid := range dups {
		delete(keys, kid)
		skipped = append(skipped, fmt.Sprintf("kid %q occurs more than once", kid))
	}
	if len(keys) == 0 {
		return nil, skipped, errors.New("the JWK set has no usable signing key")
	}
	return keys, skipped, nil
}

// parseRemoteJWK reads one public JWK as a verification key.
func parseRemoteJWK(raw []byte) (jwks.Key, error) {
	var jwk jose.JSONWebKey
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return jwks.Key{}, err
	}
	if !jwk.IsPublic() {
		return jwks.Key{}, fmt.Errorf("kid %q: not a public key (a private or symmetric key must never be published)", jwk.KeyID)
	}
	if jwk.KeyID == "" {
		return jwks.Key{}, errors.New("no kid")
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return jwks.Key{}, fmt.Errorf("kid %q: use %q is not sig", jwk.KeyID, jwk.Use)
	}
	var alg string
	switch p := jwk.Key.(type) {
	case *rsa.PublicKey:
		if n := p.N.BitLen(); n < 2048 {
			return jwks.Key{}, fmt.Errorf("kid %q: RSA key of %d bits is too small (minimum 2048)", jwk.KeyID, n)
		}
		alg = jwks.RS256
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return jwks.Key{}, fmt.Errorf("kid %q: EC curve %s is not supported (only P-256)", jwk.KeyID, p.Curve.Params().Name)
		}
		alg = jwks.ES256
	case ed25519.PublicKey:
		alg = jwks.EdDSA
	default:
		return jwks.Key{}, fmt.Errorf("kid %q: key type %T is not supported", jwk.KeyID, jwk.Key)
	}
	if jwk.Algorithm != "" && jwk.Algorithm != alg {
		return jwks.Key{}, fmt.Errorf("kid %q: alg %q does not fit the key, which signs %s", jwk.KeyID, jwk.Algorithm, alg)
	}
	return jwks.Key{ID: jwk.KeyID, Algorithm: alg, Public: jwk.Key}, nil
}

// TokenFromRequest returns the session token of a request: from
// "Authorization: Bearer", else from the session cookie; "" when neither.
func (v *RemoteVerifier) TokenFromRequest(r *http.Request) string {
	return tokenFromRequest(r, v.cookieName)
}

// RequireSession lets a request through only with a token that Verify
// accepts (Bearer header or cookie), putting its claims in the request
// context (FromContext). Otherwise it answers 401 with Hanko's error body,
// which says nothing about why, and does not call next.
func (v *RemoteVerifier) RequireSession(next http.Handler) http.Handler {
	return requireSession(v.cookieName, v.Verify, next)
}
