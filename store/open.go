package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	_ "modernc.org/sqlite" // registers "sqlite", pure Go
)

// Options says which database Open connects to. All drivers are pure Go.
type Options struct {
	// Dialect is one of sqlite, postgres, cockroach, mysql, mariadb.
	Dialect string
	// DSN is the driver's data source name: a file path (or file: URI) for
	// SQLite, a postgres:// URL or key=value string for Postgres and
	// CockroachDB, a go-sql-driver DSN (user:pass@tcp(host:port)/db) for
	// MySQL and MariaDB.
	DSN string

	// Pool settings; zero picks the default in brackets. SQLite
	// serialises writers, so its default pool is small.
	MaxOpenConns    int           // [sqlite 4, others 20]
	MaxIdleConns    int           // [MaxOpenConns]
	ConnMaxLifetime time.Duration // [1h]
	ConnMaxIdleTime time.Duration // [5m]
}

// Open connects to the database described by o and checks that it answers.
// It does not migrate: call Migrate. Close releases the pool.
func Open(ctx context.Context, o Options) (*DB, error) {
	var (
		sqldb *sql.DB
		db    *bun.DB
		err   error
	)
	switch strings.ToLower(o.Dialect) {
	case "sqlite", "sqlite3":
		if sqldb, err = sql.Open("sqlite", sqliteDSN(o.DSN)); err == nil {
			db = bun.NewDB(sqldb, sqlitedialect.New())
		}
		if o.MaxOpenConns == 0 {
			o.MaxOpenConns = 4
		}
		if isMemory(o.DSN) {
			// Every connection to :memory: is a database of its own.
			o.MaxOpenConns, o.MaxIdleConns, o.ConnMaxLifetime, o.ConnMaxIdleTime = 1, 1, -1, -1
		}
	case "postgres", "postgresql", "cockroach", "cockroachdb":
		if sqldb, err = sql.Open("pgx", pgDSN(o.DSN)); err == nil {
			db = bun.NewDB(sqldb, pgdialect.New())
		}
	case "mysql", "mariadb":
		var dsn string
		if dsn, err = mysqlDSN(o.DSN); err != nil {
			return nil, err
		}
		if sqldb, err = sql.Open("mysql", dsn); err == nil {
			// DATETIME has no zone: bun must write UTC wall time, which
			// the driver (Loc UTC) reads back. Without the option bun
			// writes each time in its own location, so a time.Now() in a
			// non-UTC process would come back shifted.
			db = bun.NewDB(sqldb, mysqldialect.New(mysqldialect.WithTimeLocation("UTC")))
		}
	default:
		return nil, fmt.Errorf("store: unsupported dialect %q (want sqlite, postgres, cockroach, mysql or mariadb)", o.Dialect)
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", o.Dialect, err)
	}
	applyPool(sqldb, o)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", o.Dialect, redact(err, o.DSN))
	}
	s, err := New(db)
	if err != nil {
		sqldb.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

func applyPool(db *sql.DB, o Options) {
	if o.MaxOpenConns == 0 {
		o.MaxOpenConns = 20
	}
	if o.MaxIdleConns == 0 {
		o.MaxIdleConns = o.MaxOpenConns
	}
	if o.ConnMaxLifetime == 0 {
		o.ConnMaxLifetime = time.Hour
	}
	if o.ConnMaxIdleTime == 0 {
		o.ConnMaxIdleTime = 5 * time.Minute
	}
	db.SetMaxOpenConns(o.MaxOpenConns)
	db.SetMaxIdleConns(o.MaxIdleConns)
	db.SetConnMaxLifetime(max(o.ConnMaxLifetime, 0))
	db.SetConnMaxIdleTime(max(o.ConnMaxIdleTime, 0))
}

func isMemory(dsn string) bool {
	return dsn == ":memory:" || strings.Contains(dsn, "mode=memory")
}

// sqliteDSN turns a file path into a modernc URI with the settings hanko
// relies on: foreign keys on (cascades), WAL so readers do not block the
// writer, a busy timeout instead of immediate SQLITE_BUSY, and BEGIN
// IMMEDIATE so a transaction never fails upgrading a read lock to a write lock.
func sqliteDSN(dsn string) string {
	if dsn == "" {
		dsn = "hanko.db"
	}
	if !strings.HasPrefix(dsn, "file:") {
		dsn = "file:" + dsn
	}
	var extra []string
	add := func(key, param string) {
		if !strings.Contains(dsn, key) {
			extra = append(extra, param)
		}
	}
	add("foreign_keys", "_pragma=foreign_keys(1)")
	add("busy_timeout", "_pragma=busy_timeout(10000)")
	if !isMemory(dsn) {
		add("journal_mode", "_pragma=journal_mode(WAL)")
		add("synchronous", "_pragma=synchronous(NORMAL)")
	}
	add("_txlock", "_txlock=immediate")
	add("_time_format", "_time_format=sqlite")
	if len(extra) == 0 {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(extra, "&")
}

// mysqlDSN makes sure times round-trip (parseTime on, UTC on both sides)
// and that an UPDATE reports the rows it matched, not only those it changed:
// the store reads zero affected rows as "no such row", so rewriting a row
// with its current values must not count as zero.
func mysqlDSN(dsn string) (string, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("store: mysql dsn: %w", err)
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.ClientFoundRows = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["time_zone"]; !ok {
		cfg.Params["time_zone"] = "'+00:00'"
	}
	return cfg.FormatDSN(), nil
}

// redact removes a password that a driver error may echo back.
func redact(err error, dsn string) error {
	pw := ""
	if u, perr := url.Parse(dsn); perr == nil && u.User != nil {
		pw, _ = u.User.Password()
	} else if cfg, merr := mysql.ParseDSN(dsn); merr == nil {
		pw = cfg.Passwd
	}
	if pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), pw, "****"))
}

// pgDSN selects pgx's simple protocol unless the DSN chooses a mode. bun
// sends queries with their values already inlined, so pgx's default of
// preparing and caching every distinct statement would cost an extra round
// trip per query and fill the cache with one-off statements.
func pgDSN(dsn string) string {
	if strings.Contains(dsn, "default_query_exec_mode") {
		return dsn
	}
	if strings.Contains(dsn, "://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "default_query_exec_mode=simple_protocol"
	}
	return strings.TrimSpace(dsn + " default_query_exec_mode=simple_protocol")
}
