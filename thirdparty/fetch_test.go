package thirdparty

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hanko-go/hanko/thirdparty/thirdpartytest"
)

// gate is a provider front that can fail or hold requests before passing
// them on to the fake: its discovery document names the gate as issuer and
// the gate's /jwks, which is the fake's.
type gate struct {
	fake   *thirdpartytest.Provider
	server *httptest.Server

	mu      sync.Mutex
	fail    int           // how many more requests answer 500
	hold    chan struct{} // when set, requests wait for it to close
	hits    int
	arrived chan struct{} // gets a value per request
}

func newGate(t *testing.T, fake *thirdpartytest.Provider) *gate {
	g := &gate{fake: fake, arrived: make(chan struct{}, 100)}
	g.server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.server.Close)
	return g
}

func (g *gate) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.hits++
	hold, fail := g.hold, g.fail > 0
	if fail {
		g.fail--
	}
	g.mu.Unlock()
	g.arrived <- struct{}{}
	if hold != nil {
		<-hold
	}
	if fail {
		http.Error(w, "down", http.StatusInternalServerError)
		return
	}
	if r.URL.Path == "/.well-known/openid-configuration" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": g.server.URL, "authorization_endpoint": g.fake.URL("/authorize"),
			"token_endpoint": g.fake.URL("/token"), "jwks_uri": g.server.URL + "/jwks",
		})
		return
	}
	res, err := http.Get(g.fake.URL(r.URL.Path))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer res.Body.Close()
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}

func (g *gate) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hits
}

// waitArrival waits for the next request to reach the gate.
func (g *gate) waitArrival(t *testing.T) {
	t.Helper()
	select {
	case <-g.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("no request reached the provider")
	}
}

// TestKeySetFirstFetchFailureRetried: when the first JWKS fetch fails, the
// next use fetches again at once instead of failing for keySetMinRefresh.
func TestKeySetFirstFetchFailureRetried(t *testing.T) {
	t.Parallel()
	g := newGate(t, thirdpartytest.New(t))
	g.fail = 1
	now := time.Unix(1_700_000_000, 0)
	ks := newKeySet(g.server.URL+"/jwks", g.server.Client(), func() time.Time { return now })
	if _, err := ks.candidates(t.Context(), "fake-key"); err == nil || errors.Is(err, errIDToken) {
		t.Fatalf("first fetch against a failing provider: %v, want the fetch error", err)
	}
	if _, err := ks.candidates(t.Context(), "fake-key"); err != nil {
		t.Fatalf("second use in the same instant: %v, want a fresh fetch", err)
	}
	// Once a set is known, unknown kids are rate limited again: the set was
	// fetched this very instant, so they refetch nothing.
	for range 5 {
		if _, err := ks.candidates(t.Context(), "unknown"); !errors.Is(err, errIDToken) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := g.count(); n != 2 { // failed, succeeded
		t.Fatalf("%d JWKS requests, want 2", n)
	}
}

// TestKeySetFetchShared: concurrent uses share one fetch, and a caller
// whose context ends does not wait for someone else's fetch (no lock is
// held across the network call).
func TestKeySetFetchShared(t *testing.T) {
	t.Parallel()
	g := newGate(t, thirdpartytest.New(t))
	release := make(chan struct{})
	g.hold = release
	ks := newKeySet(g.server.URL+"/jwks", g.server.Client(), time.Now)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	start := func(i int) {
		wg.Go(func() { _, errs[i] = ks.candidates(context.Background(), "fake-key") })
	}
	start(0)
	g.waitArrival(t)
	for i := 1; i < len(errs); i++ {
		start(i)
	}
	checkGivesUp(t, func(ctx context.Context) error { _, err := ks.candidates(ctx, "fake-key"); return err }, release)
	time.Sleep(50 * time.Millisecond) // the others have joined the fetch by now
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if n := g.count(); n != 1 {
		t.Fatalf("%d JWKS requests for concurrent callers, want 1", n)
	}
}

// TestOIDCDiscoveryShared is TestKeySetFetchShared for OIDC discovery.
func TestOIDCDiscoveryShared(t *testing.T) {
	t.Parallel()
	fake := thirdpartytest.New(t)
	g := newGate(t, fake)
	release := make(chan struct{})
	g.hold = release
	p := OIDC(OIDCConfig{ProviderConfig: ProviderConfig{ClientID: thirdpartytest.ClientID, HTTPClient: g.server.Client()},
		Name: "acme", Issuer: g.server.URL})
	var wg sync.WaitGroup
	errs := make([]error, 4)
	start := func(i int) {
		wg.Go(func() { _, errs[i] = p.AuthURL(context.Background(), AuthRequest{State: "s"}) })
	}
	start(0)
	g.waitArrival(t)
	for i := 1; i < len(errs); i++ {
		start(i)
	}
	checkGivesUp(t, func(ctx context.Context) error { _, err := p.AuthURL(ctx, AuthRequest{State: "s"}); return err }, release)
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("caller %d: %v", i, err)
		}
	}
	if n := g.count(); n != 1 {
		t.Fatalf("%d discovery requests for concurrent callers, want 1", n)
	}
}

// checkGivesUp calls use with a context that ends soon, while a fetch is
// held at the provider, and fails unless use returns the context's error
// without waiting for the fetch. It closes release when use overstays, so
// that a regression fails instead of hanging.
func checkGivesUp(t *testing.T, use func(ctx context.Context) error, release chan struct{}) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- use(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("caller with an ended context: %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("a caller whose context ended waited for another caller's fetch")
	}
}
