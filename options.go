package hanko

import (
	"io"
	"log/slog"
	"time"

	"github.com/hanko-go/hanko/config"
	"github.com/hanko-go/hanko/mail"
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
// limit. Default time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *settings) { s.now = now }
}

// WithRand replaces the source of randomness for IDs and codes. Default
// crypto/rand.Reader. Use only in tests.
func WithRand(r io.Reader) Option {
	return func(s *settings) { s.rand = r }
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
