package store_test

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/hanko-go/hanko/store"
	"github.com/hanko-go/hanko/store/storetest"
)

// Each dialect runs the conformance suite with one fresh database per case:
// a file in a temp dir for SQLite, a schema (selected via search_path) for
// PostgreSQL, a database for MySQL. PostgreSQL and MySQL run only when
// HANKO_TEST_POSTGRES_DSN / HANKO_TEST_MYSQL_DSN name a server; the DSN's
// user must be allowed to create schemas or databases.

func TestSQLite(t *testing.T) {
	t.Parallel()
	fresh := func(t *testing.T) store.Options {
		return store.Options{Dialect: "sqlite", DSN: filepath.Join(t.TempDir(), "hanko.db")}
	}
	runSuites(t, fresh)
}

func TestPostgres(t *testing.T) {
	dsn := os.Getenv("HANKO_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("HANKO_TEST_POSTGRES_DSN is not set")
	}
	t.Parallel()
	admin := mustOpen(t, store.Options{Dialect: "postgres", DSN: dsn, MaxOpenConns: 2})
	fresh := func(t *testing.T) store.Options {
		schema := newName()
		mustExec(t, admin, "CREATE SCHEMA "+schema)
		t.Cleanup(func() { mustExec(t, admin, "DROP SCHEMA "+schema+" CASCADE") })
		return store.Options{Dialect: "postgres", DSN: withSearchPath(dsn, schema), MaxOpenConns: 8}
	}
	runSuites(t, fresh)
}

func TestMySQL(t *testing.T) {
	dsn := os.Getenv("HANKO_TEST_MYSQL_DSN")
	if dsn == "" {
		t.Skip("HANKO_TEST_MYSQL_DSN is not set")
	}
	t.Parallel()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("HANKO_TEST_MYSQL_DSN: %v", err)
	}
	admin := mustOpen(t, store.Options{Dialect: "mysql", DSN: dsn, MaxOpenConns: 2})
	fresh := func(t *testing.T) store.Options {
		db := newName()
		mustExec(t, admin, "CREATE DATABASE "+db+" CHARACTER SET utf8mb4")
		t.Cleanup(func() { mustExec(t, admin, "DROP DATABASE "+db) })
		c := cfg.Clone()
		c.DBName = db
		return store.Options{Dialect: "mysql", DSN: c.FormatDSN(), MaxOpenConns: 8}
	}
	runSuites(t, fresh)

	// MySQL commits each DDL statement at once, so a migrator that dies
	// mid-script leaves tables but no record; the next run must finish the
	// job. Forgetting the records of a complete run is the harshest case:
	// every statement then runs a second time.
	t.Run("RerunUnrecordedMigration", func(t *testing.T) {
		t.Parallel()
		s := mustOpen(t, fresh(t))
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		mustExec(t, s, "DELETE FROM hanko_schema_migrations")
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate over unrecorded tables: %v", err)
		}
		if _, pending, err := s.MigrationStatus(t.Context()); err != nil || len(pending) != 0 {
			t.Fatalf("MigrationStatus: pending %v, err %v", pending, err)
		}
	})
}

// runSuites runs storetest.Run on fresh migrated stores and
// storetest.RunMigrations on pairs of stores over one fresh database.
func runSuites(t *testing.T, fresh func(t *testing.T) store.Options) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		s := mustOpen(t, fresh(t))
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s
	})
	storetest.RunMigrations(t, func(t *testing.T) (a, b storetest.Store) {
		o := fresh(t)
		return mustOpen(t, o), mustOpen(t, o)
	})
}

// mustOpen opens a store and closes it when t's test ends.
func mustOpen(tb testing.TB, o store.Options) *store.DB {
	tb.Helper()
	s, err := store.Open(tb.Context(), o)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// mustExec runs an administrative statement. It also runs from cleanups,
// after tb's context is cancelled, so it does not use that context.
func mustExec(tb testing.TB, s *store.DB, query string) {
	tb.Helper()
	if _, err := s.Bun().ExecContext(context.WithoutCancel(tb.Context()), query); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// newName returns a unique schema or database name, safe unquoted in both
// dialects.
func newName() string {
	return "hanko_test_" + strings.ToLower(rand.Text())
}

// withSearchPath points a Postgres DSN (URL or key=value form) at schema.
func withSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return dsn + " search_path=" + schema
}
