package storetest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hanko-go/hanko/store"
)

// OpenSQLite returns a fresh, migrated SQLite database in a temp dir of tb,
// closed when tb ends. Tests and benchmarks of other packages use it.
func OpenSQLite(tb testing.TB) *store.DB {
	tb.Helper()
	return OpenMigrated(tb, store.Options{Dialect: "sqlite", DSN: filepath.Join(tb.TempDir(), "hanko.db")})
}

// OpenPostgres creates a fresh database on the server that
// HANKO_TEST_POSTGRES_DSN (a postgres:// URL) names, migrates it, and drops
// it when tb ends. It skips tb when the variable is unset.
func OpenPostgres(tb testing.TB) *store.DB {
	tb.Helper()
	dsn := os.Getenv("HANKO_TEST_POSTGRES_DSN")
	if dsn == "" {
		tb.Skip("HANKO_TEST_POSTGRES_DSN is not set")
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		tb.Fatalf("HANKO_TEST_POSTGRES_DSN must be a postgres:// URL")
	}
	admin, err := store.Open(tb.Context(), store.Options{Dialect: "postgres", DSN: dsn, MaxOpenConns: 1})
	if err != nil {
		tb.Fatal(err)
	}
	name := "hanko_test_" + strings.ToLower(rand.Text())
	if _, err := admin.Bun().ExecContext(tb.Context(), "CREATE DATABASE "+name); err != nil {
		admin.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		// Runs after tb's context is done and after the test database's
		// pool is closed (cleanups run last-in first-out).
		if _, err := admin.Bun().ExecContext(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
		admin.Close()
	})
	u.Path = "/" + name
	return OpenMigrated(tb, store.Options{Dialect: "postgres", DSN: u.String()})
}

// OpenMigrated opens the database o names, migrates it and closes it when tb
// ends.
func OpenMigrated(tb testing.TB, o store.Options) *store.DB {
	tb.Helper()
	db, err := store.Open(tb.Context(), o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if err := db.Migrate(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	return db
}
