package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/session"
	"github.com/hanko-go/hanko/thirdparty"
)

// stateCookie carries the nonce that binds an OAuth state to the browser
// that started the login (reference 4.5).
const stateCookie = "hanko_thirdparty_state"

// thirdPartyRoutes registers the legacy third-party routes and POST /token
// when third-party login is configured.
func (a *api) thirdPartyRoutes(mux *http.ServeMux) {
	if a.d.ThirdParty == nil {
		return
	}
	mux.Handle("GET /thirdparty/auth", a.h(a.thirdPartyAuth))
	mux.Handle("GET /thirdparty/callback", a.h(a.thirdPartyCallback))
	mux.Handle("POST /thirdparty/callback", a.h(a.thirdPartyCallbackPost))
	mux.Handle("POST /token", a.h(a.tokenExchange))
}

func (a *api) stateCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: stateCookie, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: a.d.Settings.StateCookieSecure, SameSite: http.SameSiteLaxMode}
}

// redirect answers 307 to target. Every target comes from the allow-list
// (canonical form) or the configured error URL; the Location is set
// directly so that nothing rewrites it.
func redirect(w http.ResponseWriter, status int, target string) {
	w.Header().Set("Location", target)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// GET /thirdparty/auth?provider=&redirect_to=: start a login. Errors go
// back to the Referer when it is an allowed redirect URL (the reference
// trusts any Referer; we never redirect outside the allow-list), else to
// third_party.error_redirect_url.
func (a *api) thirdPartyAuth(w http.ResponseWriter, r *http.Request) error {
	tp := a.d.ThirdParty
	q := r.URL.Query()
	begun, err := tp.Begin(r.Context(), q.Get("provider"), q.Get("redirect_to"))
	if err != nil {
		base := tp.ErrorRedirectURL()
		if ref, ok := tp.AllowedRedirect(r.Referer()); ok {
			base = ref
		}
		a.thirdPartyError(w, r, base, err)
		return nil
	}
	http.SetCookie(w, a.stateCookie(begun.Nonce, int(thirdparty.StateTTL.Seconds())))
	redirect(w, http.StatusTemporaryRedirect, begun.URL)
	return nil
}

// thirdPartyError redirects to base with error and error_description,
// logging the cause of server errors.
func (a *api) thirdPartyError(w http.ResponseWriter, r *http.Request, base string, err error) {
	var e *thirdparty.Error
	if !errors.As(err, &e) {
		e = &thirdparty.Error{Code: thirdparty.CodeServerError, Description: "an internal error occurred", Err: err}
	}
	if e.Code == thirdparty.CodeServerError && e.Err != nil {
		a.log.LogAttrs(r.Context(), slog.LevelError, "third-party login failed",
			slog.String("request_id", requestID(r.Context())), slog.Any("error", e.Err))
	}
	redirect(w, http.StatusTemporaryRedirect, a.d.ThirdParty.ErrorURL(base, e))
}

// GET /thirdparty/callback: the provider's answer. On success 307 to the
// login's redirect_to with hanko_token; on failure 307 to the error
// redirect URL. The state cookie is cleared either way.
func (a *api) thirdPartyCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	req := thirdparty.CallbackRequest{State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error"),
		ErrorDescription: q.Get("error_description")}
	if c, err := r.Cookie(stateCookie); err == nil {
		req.CookieNonce = c.Value
	}
	http.SetCookie(w, a.stateCookie("", -1))
	res, err := a.d.ThirdParty.Callback(r.Context(), req)
	if err != nil {
		a.thirdPartyError(w, r, a.d.ThirdParty.ErrorRedirectURL(), err)
		return nil
	}
	redirect(w, http.StatusTemporaryRedirect, res.RedirectTo)
	return nil
}

// callbackParams are the parameters a form_post callback may carry on.
var callbackParams = [...]string{"code", "state", "error", "error_description"}

// POST /thirdparty/callback: Apple's form_post. 303 to the GET callback
// with the same parameters, so that the browser sends the SameSite=Lax
// state cookie with it. The target is relative to this route, which
// keeps a host's mount prefix.
func (a *api) thirdPartyCallbackPost(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		return badRequest("could not read the form")
	}
	q := url.Values{}
	for _, k := range callbackParams {
		if v := r.PostForm.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	redirect(w, http.StatusSeeOther, "callback?"+q.Encode())
	return nil
}

// POST /token {"value"}: exchange a one-time token for a session. 404 for
// an unknown or used token, 422 for an expired one; rate-limited per
// client IP (rate_limiter.token_limits).
func (a *api) tokenExchange(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Value string `json:"value"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := a.limit(w, r, a.d.Limits.Token, "/token", uuid.Nil); err != nil {
		return err
	}
	if strings.TrimSpace(req.Value) == "" {
		return badRequest("value is a required field")
	}
	var tok session.Token
	uid, err := a.d.ThirdParty.Exchange(r.Context(), req.Value, func(ctx context.Context, userID uuid.UUID) error {
		var err error
		tok, err = a.d.Sessions.Issue(ctx, userID, clientMeta(r))
		return err
	})
	if err != nil {
		return err
	}
	a.d.Sessions.WriteToken(w, tok)
	writeJSON(w, http.StatusOK, map[string]uuid.UUID{"user_id": uid})
	return nil
}
