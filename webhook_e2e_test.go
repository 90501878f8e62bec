package hanko_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/config"
	"github.com/hanko-go/hanko/webhook"
)

// hookCall is one webhook request a receiver got.
type hookCall struct {
	Key   string
	Token string
	Event string
}

// hookReceiver is an httptest server that records webhook calls.
type hookReceiver struct {
	srv   *httptest.Server
	calls chan hookCall
}

func newHookReceiver(t *testing.T, ln net.Listener) *hookReceiver {
	t.Helper()
	r := &hookReceiver{calls: make(chan hookCall, 100)}
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body struct{ Token, Event string }
		b, _ := io.ReadAll(req.Body)
		_ = json.Unmarshal(b, &body)
		r.calls <- hookCall{Key: req.Header.Get("Idempotency-Key"), Token: body.Token, Event: body.Event}
	}))
	if ln != nil {
		r.srv.Listener.Close()
		r.srv.Listener = ln
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	return r
}

func (r *hookReceiver) next(t *testing.T) hookCall {
	t.Helper()
	select {
	case c := <-r.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook call within 10 s")
		return hookCall{}
	}
}

// noMore fails if another call arrives within a short while.
func (r *hookReceiver) noMore(t *testing.T) {
	t.Helper()
	select {
	case c := <-r.calls:
		t.Fatalf("unexpected extra call %+v", c)
	case <-time.After(150 * time.Millisecond):
	}
}

// e2eClock is a fake clock shared by instances.
type e2eClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *e2eClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *e2eClock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// hookConfig is the default configuration with one configured hook.
func hookConfig(callback string, evs ...string) hanko.Config {
	cfg := hanko.DefaultConfig()
	cfg.EmailDelivery.Enabled = false
	cfg.Webhooks.Enabled = true
	cfg.Webhooks.Hooks = []config.Webhook{{Callback: callback, Events: evs}}
	return cfg
}

// fastWebhooks polls often and backs off by seconds (of the fake clock).
var fastWebhooks = hanko.WithWebhooks(func(c *webhook.Config) {
	c.Poll, c.RetryBase, c.RetryMax = 10*time.Millisecond, time.Second, 2*time.Second
})

// hookJSONRequest is a request with a JSON body.
func hookJSONRequest(method, target, body string) *http.Request {
	req := jsonReq(httptest.NewRequest(method, target, strings.NewReader(body)))
	req.Header.Set("Content-Type", "application/json")
	return req
}

func adminCreateUser(t *testing.T, h *hanko.Hanko, address string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.Admin().ServeHTTP(rec, hookJSONRequest("POST", "/users", `{"emails":[{"address":"`+address+`","is_primary":true,"is_verified":true}]}`))
	if rec.Code != 200 {
		t.Fatalf("POST /users: %d %s", rec.Code, rec.Body)
	}
	var u struct{ ID string }
	_ = json.Unmarshal(rec.Body.Bytes(), &u)
	return u.ID
}

// claimsOf verifies a webhook token against the public JWKS of h and
// returns its claims.
func claimsOf(t *testing.T, h *hanko.Hanko, token string) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/.well-known/jwks.json", nil))
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(rec.Body.Bytes(), &set); err != nil {
		t.Fatalf("jwks: %v", err)
	}
	jws, err := jose.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA})
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q not in the JWKS", jws.Signatures[0].Header.KeyID)
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		t.Fatalf("token does not verify against the JWKS: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestWebhookTokenVerifiesAgainstJWKS(t *testing.T) {
	t.Parallel()
	rcv := newHookReceiver(t, nil)
	h := newHanko(t, hanko.WithConfig(hookConfig(rcv.srv.URL+"/hook", "user")), fastWebhooks)
	uid := adminCreateUser(t, h, "ada@example.com")

	call := rcv.next(t)
	claims := claimsOf(t, h, call.Token)
	if call.Event != "user.create" || claims["evt"] != "user.create" || claims["sub"] != "hanko webhooks" {
		t.Fatalf("call %+v, claims %v", call, claims)
	}
	if aud, _ := claims["aud"].([]any); len(aud) != 1 || aud[0] != "localhost" {
		t.Fatalf("aud %v, want the session audience", claims["aud"])
	}
	if exp, iat := claims["exp"].(float64), claims["iat"].(float64); exp-iat != 300 {
		t.Fatalf("exp - iat = %v, want 300", exp-iat)
	}
	data, _ := claims["data"].(map[string]any)
	emails, _ := data["emails"].([]any)
	if data["id"] != uid || len(emails) != 1 || emails[0].(map[string]any)["address"] != "ada@example.com" {
		t.Fatalf("data %v: want the admin API user", data)
	}
	if call.Key == "" {
		t.Fatal("no Idempotency-Key")
	}
	rcv.noMore(t)
}

// TestPasscodeCodeReachesTheApp: with email_delivery off, the email.send
// webhook carries the code, and the code logs the user in.
func TestPasscodeCodeReachesTheApp(t *testing.T) {
	t.Parallel()
	rcv := newHookReceiver(t, nil)
	h := newHanko(t, hanko.WithConfig(hookConfig(rcv.srv.URL+"/hook", "email.send")), fastWebhooks)
	uid := adminCreateUser(t, h, "ada@example.com")

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, hookJSONRequest("POST", "/passcode/login/initialize", `{"user_id":"`+uid+`"}`))
	if rec.Code != 200 {
		t.Fatalf("initialize: %d %s", rec.Code, rec.Body)
	}
	var init struct{ ID string }
	_ = json.Unmarshal(rec.Body.Bytes(), &init)

	call := rcv.next(t)
	claims := claimsOf(t, h, call.Token)
	data, _ := claims["data"].(map[string]any)
	inner, _ := data["data"].(map[string]any)
	code, _ := inner["otp_code"].(string)
	if call.Event != "email.send" || data["type"] != "passcode" || data["to_email_address"] != "ada@example.com" ||
		data["delivered_by_hanko"] != false || len(code) != 6 || inner["ttl"] != float64(300) {
		t.Fatalf("email.send data %v", data)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, hookJSONRequest("POST", "/passcode/login/finalize", `{"id":"`+init.ID+`","code":"`+code+`"}`))
	if rec.Code != 200 {
		t.Fatalf("finalize with the webhook's code: %d %s", rec.Code, rec.Body)
	}
}

// TestWebhookOutboxSurvivesRestart: the receiver is down while the
// process stops with the event pending; a new process on the same
// database delivers it once the receiver is back.
func TestWebhookOutboxSurvivesRestart(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // the receiver is down: connections are refused

	path := filepath.Join(t.TempDir(), "hanko.db")
	clock := &e2eClock{now: time.Now().UTC()}
	opts := []hanko.Option{
		hanko.WithDatabase("sqlite", path), hanko.WithAutoMigrate(), hanko.WithClock(clock.Now), fastWebhooks,
		hanko.WithConfig(hookConfig("http://"+addr+"/hook", "user.create")),
	}
	first, err := hanko.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	uid := adminCreateUser(t, first, "ada@example.com")
	// Wait for the first (failed) attempt, so the row is pending a retry.
	deadline := time.Now().Add(10 * time.Second)
	for {
		rows, err := first.Store().ListOutbox(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("%d outbox rows, want 1", len(rows))
		}
		if rows[0].Attempts >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no delivery attempt within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	// The receiver comes back on the same address; a new process starts.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	rcv := newHookReceiver(t, ln)
	clock.Advance(time.Minute) // past the retry's backoff
	second := newHanko(t, opts...)

	call := rcv.next(t)
	data, _ := claimsOf(t, second, call.Token)["data"].(map[string]any)
	if call.Event != "user.create" || data["id"] != uid {
		t.Fatalf("call %+v data %v", call, data)
	}
	rcv.noMore(t)
	if n, err := second.Webhooks().OutboxDepth(t.Context()); err != nil || n != 0 {
		t.Fatalf("outbox depth %d, %v after delivery", n, err)
	}
}
