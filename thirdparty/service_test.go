package thirdparty_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
	"github.com/hanko-go/hanko/thirdparty"
	"github.com/hanko-go/hanko/thirdparty/thirdpartytest"
	"github.com/hanko-go/hanko/users"
)

const testSecret = "a-test-secret-of-32-characters!!"

func newService(tb testing.TB, fake *thirdpartytest.Provider) *thirdparty.Service {
	tb.Helper()
	svc, err := serviceOn(storetest.OpenSQLite(tb), fake)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

func serviceOn(db thirdparty.Store, fake *thirdpartytest.Provider) (*thirdparty.Service, error) {
	sealer, err := jwks.NewSealer([]string{testSecret}, nil)
	if err != nil {
		return nil, err
	}
	return thirdparty.New(thirdparty.Config{
		Store: db, Sealer: sealer,
		Providers: []thirdparty.Provider{thirdparty.OIDC(thirdparty.OIDCConfig{
			ProviderConfig: thirdparty.ProviderConfig{ClientID: thirdpartytest.ClientID, Secret: thirdpartytest.Secret,
				RedirectURL: "https://api.example.com/thirdparty/callback"},
			Name: "acme", Issuer: fake.Issuer,
		})},
		ErrorRedirectURL: "https://app.example.com/error", AllowedRedirectURLs: []string{"https://app.example.com/**"},
		RequireVerification: true, AllowSignup: true, NormalizeEmail: users.NormalizeEmail,
	})
}

// Example shows the three legs of a login with the Go API; the HTTP layer
// does the same with redirects and a cookie.
func Example() {
	ctx := context.Background()
	fake, err := thirdpartytest.Start() // an in-process OpenID Connect provider
	if err != nil {
		panic(err)
	}
	defer fake.Close()
	fake.SetUser(thirdpartytest.User{Subject: "42", Email: "ada@example.com", EmailVerified: true})
	db, err := store.Open(ctx, store.Options{Dialect: "sqlite", DSN: ":memory:"})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		panic(err)
	}
	svc, err := serviceOn(db, fake)
	if err != nil {
		panic(err)
	}

	// GET /thirdparty/auth: where to send the browser, and the cookie value.
	begun, err := svc.Begin(ctx, "acme", "https://app.example.com/home")
	if err != nil {
		panic(err)
	}
	// The user consents; the provider redirects back with code and state.
	back, err := fake.ApproveURL(begun.URL)
	if err != nil {
		panic(err)
	}
	callback, _ := url.Parse(back)
	// GET /thirdparty/callback: link the account, get a one-time token.
	res, err := svc.Callback(ctx, thirdparty.CallbackRequest{
		State: callback.Query().Get("state"), Code: callback.Query().Get("code"), CookieNonce: begun.Nonce,
	})
	if err != nil {
		panic(err)
	}
	target, _ := url.Parse(res.RedirectTo)
	fmt.Println("redirect to:", target.Host+target.Path, "new user:", res.UserCreated)
	// POST /token: exchange the token (once) for a session.
	uid, err := svc.Exchange(ctx, target.Query().Get("hanko_token"), func(context.Context, uuid.UUID) error { return nil })
	fmt.Println("same user:", err == nil && uid == res.UserID)
	_, err = svc.Exchange(ctx, target.Query().Get("hanko_token"), func(context.Context, uuid.UUID) error { return nil })
	fmt.Println("again:", err)
	// Output:
	// redirect to: app.example.com/home new user: true
	// same user: true
	// again: token not found
}

// FuzzCallbackState feeds arbitrary states and cookies to the callback: it
// never panics, always fails with invalid_request, and never reaches the
// provider (no code is exchanged).
func FuzzCallbackState(f *testing.F) {
	fake := thirdpartytest.New(f)
	svc := newService(f, fake)
	begun, err := svc.Begin(context.Background(), "acme", "https://app.example.com/x")
	if err != nil {
		f.Fatal(err)
	}
	u, _ := url.Parse(begun.URL)
	good := u.Query().Get("state")
	f.Add(good, "wrong-nonce")
	f.Add(good[:len(good)-2]+"AA", begun.Nonce)
	f.Add("", "")
	f.Add("eyJhbGciOiJub25lIn0.e30.", "x")
	f.Fuzz(func(t *testing.T, state, cookie string) {
		if state == good && cookie == begun.Nonce {
			return // the one valid pair
		}
		_, err := svc.Callback(context.Background(), thirdparty.CallbackRequest{State: state, Code: "c", CookieNonce: cookie})
		var e *thirdparty.Error
		if !errors.As(err, &e) || e.Code != thirdparty.CodeInvalidRequest {
			t.Fatalf("Callback(%q, %q) = %v, want invalid_request", state, cookie, err)
		}
	})
}

func TestBeginRefusals(t *testing.T) {
	fake := thirdpartytest.New(t)
	svc := newService(t, fake)
	for _, tc := range []struct{ provider, redirect string }{
		{"", "https://app.example.com"}, {"acme", ""}, {"nope", "https://app.example.com"}, {"acme", "https://evil.com"},
	} {
		_, err := svc.Begin(t.Context(), tc.provider, tc.redirect)
		var e *thirdparty.Error
		if !errors.As(err, &e) || e.Code != thirdparty.CodeInvalidRequest {
			t.Errorf("Begin(%q, %q) = %v, want invalid_request", tc.provider, tc.redirect, err)
		}
	}
	// The error URL itself is an allowed target (for Referer-based errors).
	if got, ok := svc.AllowedRedirect("https://app.example.com/error/"); !ok || got != "https://app.example.com/error" {
		t.Fatalf("AllowedRedirect(error URL) = %q %v", got, ok)
	}
	if s := svc.ErrorURL("https://app.example.com/error", &thirdparty.Error{Code: "x", Description: "a b&c"}); !strings.HasSuffix(s, "?error=x&error_description=a+b%26c") {
		t.Fatalf("ErrorURL = %q", s)
	}
}

func BenchmarkCallbackAndExchange(b *testing.B) {
	fake := thirdpartytest.New(b)
	fake.SetUser(thirdpartytest.User{Subject: "bench", Email: "bench@example.com", EmailVerified: true})
	svc := newService(b, fake)
	ctx := context.Background()
	noop := func(context.Context, uuid.UUID) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		begun, err := svc.Begin(ctx, "acme", "https://app.example.com/home")
		if err != nil {
			b.Fatal(err)
		}
		cb, _ := url.Parse(fake.Approve(b, begun.URL))
		res, err := svc.Callback(ctx, thirdparty.CallbackRequest{State: cb.Query().Get("state"), Code: cb.Query().Get("code"), CookieNonce: begun.Nonce})
		if err != nil {
			b.Fatal(err)
		}
		target, _ := url.Parse(res.RedirectTo)
		if _, err := svc.Exchange(ctx, target.Query().Get("hanko_token"), noop); err != nil {
			b.Fatal(err)
		}
	}
}
