// Command embed is a small web application that embeds hanko: its own
// routes sit next to the authentication API, mounted under /auth, and the
// admin API listens on a separate, loopback-only address.
//
//	go run ./examples/embed
//	curl -X POST localhost:8080/auth/users -H 'Content-Type: application/json' -d '{"email":"ada@example.com"}'
//	curl 'localhost:8081/users?email=ada'
//	curl -X POST localhost:8081/sessions -H 'Content-Type: application/json' -d '{"user_id":"<id>"}'   # a token
//	curl -H 'Authorization: Bearer <token>' localhost:8080/private
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/session"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("embed", slog.Any("error", err))
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	h, err := hanko.New(
		hanko.WithEnv(os.LookupEnv), // DATABASE_URL, SECRETS_KEYS, ... as for Hanko
		hanko.WithLogger(log),
		hanko.WithAutoMigrate(),
	)
	if err != nil {
		return err
	}
	defer h.Close()

	// A second service that knows only the public JWK set would verify
	// tokens like this; here the app does it for /api/whoami.
	remote, err := session.NewRemoteVerifier("http://127.0.0.1:8080/auth/.well-known/jwks.json",
		session.WithAudience(h.Config().Session.Audience...))
	if err != nil {
		return err
	}
	app := newApp(h, remote)
	public := &http.Server{Addr: "127.0.0.1:8080", Handler: app, ReadHeaderTimeout: 10 * time.Second}
	admin := &http.Server{Addr: "127.0.0.1:8081", Handler: h.Admin(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	for _, s := range []*http.Server{public, admin} {
		go func() {
			if err := s.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	log.Info("app on http://127.0.0.1:8080 (auth API under /auth), admin API on http://127.0.0.1:8081")
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(err, public.Shutdown(shut), admin.Shutdown(shut))
}

// newApp is the host application: its own pages, with hanko under /auth.
// /private is checked by hanko itself (revocations included); /api/whoami
// by a RemoteVerifier, as a separate service that has only the JWKS URL
// would check it.
func newApp(h *hanko.Hanko, remote *session.RemoteVerifier) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "Welcome to the example app. The authentication API lives under /auth.")
	})
	mux.Handle("/auth/", http.StripPrefix("/auth", h))
	// A page only logged-in users see: the session cookie (or a Bearer
	// token) is verified by hanko; the handler reads who it is.
	mux.Handle("GET /private", h.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := hanko.SessionFromContext(r.Context())
		fmt.Fprintf(w, "Hello, user %s.\n", s.Subject)
	})))
	mux.Handle("GET /api/whoami", remote.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := session.FromContext(r.Context())
		fmt.Fprintf(w, "{\"user_id\":%q}\n", s.Subject)
	})))
	return mux
}
