package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/config"
	"github.com/hanko-go/hanko/jwks"
	"github.com/hanko-go/hanko/mail"
	"github.com/hanko-go/hanko/session"
)

// cli holds what every command shares.
type cli struct {
	configPath     string
	explicitConfig bool
	env            env
	log            *slog.Logger
	stdout         io.Writer
	stderr         io.Writer
	// ready, when set, receives the listeners' addresses once serving (tests).
	ready func(public, admin string)
}

// open builds a Hanko from the config file (a missing default file means
// defaults) and the environment.
func (c *cli) open(migrate bool) (*hanko.Hanko, error) {
	opts := c.options()
	if migrate {
		opts = append(opts, hanko.WithAutoMigrate())
	}
	h, err := hanko.New(opts...)
	if err != nil {
		return nil, err
	}
	c.warnDevelopment(h.Config())
	return h, nil
}

// options are the configuration options every command shares.
func (c *cli) options() []hanko.Option {
	opts := []hanko.Option{hanko.WithEnv(c.env), hanko.WithLogger(c.log),
		// Audit lines go where audit_log.console_output.output says.
		hanko.WithAuditConsole(c.stdout, c.stderr)}
	if _, err := os.Stat(c.configPath); err == nil || c.explicitConfig {
		opts = append(opts, hanko.WithConfigFile(c.configPath))
	} else if configMissing(err) {
		c.log.Warn("no config file found; running with development defaults (see docs/configuration.md)",
			slog.String("looked_for", c.configPath))
		if _, ok := c.env("EMAIL_DELIVERY_SMTP_HOST"); !ok {
			c.log.Warn("DEVELOPMENT MODE: no SMTP server configured; passcode mails are written to this log, not sent")
			opts = append(opts, hanko.WithMailer(mail.NewLogMailer(c.log)))
		}
	}
	return opts
}

// warnDevelopment logs, loudly, each development default still in effect.
func (c *cli) warnDevelopment(cfg config.Config) {
	if dialect, dsn, err := cfg.Database.Resolve(); err == nil && dialect == config.DialectSQLite {
		c.log.Warn("DEVELOPMENT MODE: using the embedded SQLite database; set database.url (DATABASE_URL) to PostgreSQL or MySQL to run several instances",
			slog.String("file", dsn))
	}
}

// serve runs the public and/or admin API until ctx ends, then shuts down
// gracefully, letting requests in flight finish (up to 15 s).
func (c *cli) serve(ctx context.Context, which string, migrate bool) error {
	h, err := c.open(migrate)
	if err != nil {
		return err
	}
	defer h.Close()
	cfg := h.Config()

	type server struct {
		name string
		srv  *http.Server
		ln   net.Listener
	}
	var servers []server
	listen := func(name, addr string, handler http.Handler) error {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("%s API: %w", name, err)
		}
		srv := &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelWarn),
		}
		servers = append(servers, server{name, srv, ln})
		return nil
	}
	if which == "all" || which == "public" {
		if err := listen("public", cfg.Server.Public.Address, h); err != nil {
			return err
		}
	}
	if which == "all" || which == "admin" {
		if err := listen("admin", cfg.Server.Admin.Address, h.Admin()); err != nil {
			for _, s := range servers {
				s.ln.Close()
			}
			return err
		}
	}

	errs := make(chan error, len(servers))
	var wg sync.WaitGroup
	addrs := map[string]string{}
	for _, s := range servers {
		addrs[s.name] = s.ln.Addr().String()
		c.log.Info("serving", slog.String("api", s.name), slog.String("address", s.ln.Addr().String()))
		wg.Go(func() {
			if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("%s API: %w", s.name, err)
			}
		})
	}
	if c.ready != nil {
		c.ready(addrs["public"], addrs["admin"])
	}
	var serveErr error
	select {
	case <-ctx.Done():
		c.log.Info("shutting down")
	case serveErr = <-errs:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.srv.Shutdown(shutCtx); err != nil {
			serveErr = errors.Join(serveErr, err)
		}
	}
	wg.Wait()
	return serveErr
}

// migrate runs "migrate up" or "migrate down [N|all]" (down defaults to 1).
// It needs only the database, not a working service.
func (c *cli) migrate(ctx context.Context, dir string, rest []string) error {
	steps := 1
	switch {
	case dir == "up" && len(rest) > 0:
		return usageError{"migrate up takes no argument"}
	case dir == "down" && len(rest) == 1 && rest[0] == "all":
		steps = 0
	case dir == "down" && len(rest) == 1:
		var err error
		if steps, err = strconv.Atoi(rest[0]); err != nil || steps < 1 {
			return usageError{"migrate down takes a positive number of steps or all"}
		}
	case dir != "up" && dir != "down":
		return usageError{"migrate takes up or down"}
	}
	db, _, err := hanko.OpenStore(c.options()...)
	if err != nil {
		return err
	}
	defer db.Close()
	if dir == "up" {
		err = db.Migrate(ctx)
	} else {
		err = db.MigrateDown(ctx, steps)
	}
	if err != nil {
		return err
	}
	applied, pending, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "migrations applied: %v, pending: %v\n", applied, pending)
	return nil
}

func (c *cli) importUsers(ctx context.Context, path string) error {
	h, err := c.open(true)
	if err != nil {
		return err
	}
	defer h.Close()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	start := time.Now()
	res, err := h.Users().Import(ctx, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "imported %d users with %d email addresses in %s\n", res.Users, res.Emails, time.Since(start).Round(time.Millisecond))
	return nil
}

func (c *cli) exportUsers(ctx context.Context, path string) (err error) {
	h, err := c.open(false)
	if err != nil {
		return err
	}
	defer h.Close()
	var w io.Writer = c.stdout
	report := c.stdout
	if path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, f.Close()) }()
		bw := bufio.NewWriter(f)
		defer func() { err = errors.Join(err, bw.Flush()) }()
		w = bw
	} else {
		report = io.Discard // stdout carries the data
	}
	res, err := h.Users().Export(ctx, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(report, "exported %d users", res.Users)
	if res.Skipped > 0 {
		fmt.Fprintf(report, " (%d users without an email address skipped: the import format cannot hold them)", res.Skipped)
	}
	fmt.Fprintln(report)
	return nil
}

// createJWT issues a session (with its server-side row) for a user and
// prints the token, for scripts and tests against a running service.
func (c *cli) createJWT(ctx context.Context, userID string) error {
	uid, err := uuid.Parse(userID)
	if err != nil {
		return usageError{"jwt create takes a user ID (a uuid)"}
	}
	h, err := c.open(false)
	if err != nil {
		return err
	}
	defer h.Close()
	if _, err := h.Users().Get(ctx, uid); err != nil {
		return fmt.Errorf("user %s: %w", uid, err)
	}
	tok, err := h.Sessions().Issue(ctx, uid, session.Meta{UserAgent: "hanko cli"})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, tok.Value)
	return nil
}

// createJWK prints a new private signing key of the configured algorithm as
// a JWK. It stores nothing.
func (c *cli) createJWK() error {
	cfg := hanko.DefaultConfig()
	if _, err := os.Stat(c.configPath); err == nil || c.explicitConfig {
		loaded, err := config.Load(c.configPath)
		if err != nil {
			return err
		}
		cfg = loaded
	}
	if err := cfg.ApplyEnv(c.env); err != nil {
		return err
	}
	_, data, err := jwks.Generate(rand.Reader, cfg.Secrets.Algorithm, cfg.Secrets.RSAKeySize)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, string(data))
	return nil
}

// version reports the module version the binary was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return "hanko " + bi.Main.Version
	}
	return "hanko (devel)"
}
