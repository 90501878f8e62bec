package hanko

import (
	"io"
	"log/slog"
	"time"

	"github.com/hanko-go/hanko/config"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/mail"
	"github.com/hanko-go/hanko/webhook"
	"github.com/uptrace/bun"
)

// Config is Hanko's config.yaml. See package config for every key, its
// default and its environment variable.
type Config = config.Config

// DefaultConfig returns Hanko's defaults (with an embedded SQLite database
// instead of Hanko's default PostgreSQL).
func DefaultConfig() Config { return config.Default() }

// Option configures New. Options never fail; New validates once and reports
// every problem together.
type Option func(*settings)

type settings struct {
	cfg      config.Config
	cfgFile  string
	env      func(string) (string, bool)
	dialect  string
	dsn      string
	bunDB    *bun.DB
	log      *slog.Logger
	now      func() time.Time
	rand     io.Reader
	migrate  bool
	mailer   mail.Mailer
	sweep    time.Duration
	explicit bool // WithConfig was given
	webhooks []func(*webhook.Config)
	events   events.Emitter // built by build: what every feature emits through

	auditOut  [2]io.Writer // WithAuditConsole: stdout, stderr
	noMetrics bool         // WithoutMetrics
}

// WithConfig uses cfg instead of the defaults (start from DefaultConfig).
// Environment overrides (WithEnv) apply on top of it. It excludes
// WithConfigFile.
func WithConfig(cfg Config) Option {
	return func(s *settings) { s.cfg, s.explicit = cfg, true }
}

// WithConfigFile loads a Hanko config.yaml on top of the defaults. Unknown
// keys and wrong types are errors. A missing file is an error too; the
// standalone server tolerates a missing default file itself.
func WithConfigFile(path string) Option {
	return func(s *settings) { s.cfgFile = path }
}

// WithEnv applies environment overrides in Hanko's naming (SECRETS_KEYS,
// DATABASE_URL, PASSWORD_ENABLED, ...) after the config file. Pass
// os.LookupEnv; New never reads the process environment by itself.
func WithEnv(lookup func(string) (string, bool)) Option {
	return func(s *settings) { s.env = lookup }
}

// WithDatabase connects to dialect (sqlite, postgres, cockroach, mysql,
// mariadb) at dsn, overriding the database.* configuration. For SQLite the
// DSN is a file path. Default: from the configuration, which defaults to the
// SQLite file hanko.db.
func WithDatabase(dialect, dsn string) Option {
	return func(s *settings) { s.dialect, s.dsn = dialect, dsn }
}

// WithDB uses the host's own *bun.DB (SQLite, PostgreSQL or MySQL dialect).
// Hanko does not close it. The schema must be migrated (WithAutoMigrate or
// Migrate).
func WithDB(db *bun.DB) Option {
	return func(s *settings) { s.bunDB = db }
}

// WithAutoMigrate makes New bring the database schema up to date. Safe when
// several instances start at once. Default: off; call (*Hanko).Migrate or
// the CLI's "migrate up".
func WithAutoMigrate() Option {
	return func(s *settings) { s.migrate = true }
}

// WithLogger sends logs (access log, errors, warnings) to l. Default: none.
func WithLogger(l *slog.Logger) Option {
	return func(s *settings) { s.log = l }
}

// WithClock replaces the clock used for every timestamp, expiry and rate
// limit (but the redis rate-limit store, which reads the Redis server's
// clock so that every instance shares one). Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *settings) { s.now = now }
}

// WithRand replaces the source of randomness for IDs and codes. Default
// crypto/rand.Reader. Use only in tests.
func WithRand(r io.Reader) Option {
	return func(s *settings) { s.rand = r }
}

// WithWebhooks adjusts the webhook dispatcher's settings (request timeout,
// retries and backoff, poll interval, HTTP client, OnDelivery for metrics)
// before New builds it; hooks, signing key, clock and randomness are set
// already. Default: the webhook.Config defaults.
func WithWebhooks(fn func(*webhook.Config)) Option {
	return func(s *settings) { s.webhooks = append(s.webhooks, fn) }
}

// WithAuditConsole hands New the streams for the audit log's console
// lines: with audit_log.console_output.enabled (default true) each record
// is written as one JSON line to stdout or stderr, as
// audit_log.console_output.output names. Pass os.Stdout, os.Stderr (the
// standalone server does); New never writes to the process's streams by
// itself, so without this option the console output is off (records are
// still stored with audit_log.storage.enabled). Writes are serialised.
func WithAuditConsole(stdout, stderr io.Writer) Option {
	return func(s *settings) { s.auditOut = [2]io.Writer{stdout, stderr} }
}

// WithAuditOutput writes the audit log's console lines to w, whichever
// stream audit_log.console_output.output names (they are written only with
// audit_log.console_output.enabled). It is WithAuditConsole(w, w).
func WithAuditOutput(w io.Writer) Option { return WithAuditConsole(w, w) }

// WithoutMetrics turns the Prometheus metrics off: no request
// instrumentation, no GET /metrics on the admin API, and Metrics returns
// nil. Default: on, with a registry of this Hanko's own.
func WithoutMetrics() Option {
	return func(s *settings) { s.noMetrics = true }
}

// WithMailer sends passcode mails through m instead of the SMTP server of
// email_delivery.smtp. Default: SMTP when email_delivery.enabled, else none
// (the code then only reaches the email.send webhook).
func WithMailer(m mail.Mailer) Option {
	return func(s *settings) { s.mailer = m }
}

// WithSweepInterval sets how often expired passcodes, WebAuthn challenges,
// one-time tokens, sessions and session revocations are deleted (in batches
// of 1,000 per table). Every instance may sweep; a negative interval turns
// the sweeper off. Default one minute.
func WithSweepInterval(d time.Duration) Option {
	return func(s *settings) { s.sweep = d }
}
