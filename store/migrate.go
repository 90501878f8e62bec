package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// migration is one versioned schema change with its inverse.
type migration struct {
	version int
	name    string
	up      string
	down    string
}

// migrations reads the embedded files migrations/<dialect>/NNNN_name.{up,down}.sql.
func migrations(d Dialect) ([]migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: no migrations for %s: %w", d, err)
	}
	byVersion := map[int]*migration{}
	for _, e := range entries {
		name := e.Name()
		base, kind, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), ".")
		if !ok || (kind != "up" && kind != "down") {
			return nil, fmt.Errorf("store: bad migration file name %q", name)
		}
		num, label, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("store: bad migration version in %q", name)
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		m := byVersion[v]
		if m == nil {
			m = &migration{version: v, name: label}
			byVersion[v] = m
		}
		if kind == "up" {
			m.up = string(body)
		} else {
			m.down = string(body)
		}
	}
	out := make([]migration, 0, len(byVersion))
	for _, m := range byVersion {
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	return out, nil
}

// statements splits a migration into statements: each ends with a semicolon
// at the end of a line. Comment lines are dropped. Our migrations are written
// to that rule, which keeps us off multi-statement driver modes.
func statements(script string) []string {
	var out []string
	var cur strings.Builder
	for line := range strings.SplitSeq(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

const migrationsTable = "hanko_schema_migrations"

// mysqlLockName is the SQL expression naming the MySQL migration lock.
const mysqlLockName = "CONCAT('hanko_migrate_', SHA1(IFNULL(DATABASE(), '')))"

// Migrate applies every migration not yet applied, in order. It is
// idempotent, and safe when several instances run it at once: they serialise
// on a lock (a Postgres advisory lock, a MySQL named lock, SQLite's write
// lock) and the later ones find nothing left to do.
func (s *DB) Migrate(ctx context.Context) error {
	ms, err := migrations(s.dialect)
	if err != nil {
		return err
	}
	return s.withMigrationLock(ctx, func(conn *sql.Conn) error {
		applied, err := appliedVersions(ctx, conn)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if slices.Contains(applied, m.version) {
				continue
			}
			if err := s.apply(ctx, conn, m.version, m.name, m.up, true); err != nil {
				return fmt.Errorf("store: migration %04d_%s up: %w", m.version, m.name, err)
			}
		}
		return nil
	})
}

// MigrateDown reverts the last steps applied migrations, newest first; steps
// <= 0 reverts all of them, which drops every hanko table.
func (s *DB) MigrateDown(ctx context.Context, steps int) error {
	ms, err := migrations(s.dialect)
	if err != nil {
		return err
	}
	return s.withMigrationLock(ctx, func(conn *sql.Conn) error {
		applied, err := appliedVersions(ctx, conn)
		if err != nil {
			return err
		}
		slices.Reverse(applied)
		if steps > 0 && steps < len(applied) {
			applied = applied[:steps]
		}
		for _, v := range applied {
			i := slices.IndexFunc(ms, func(m migration) bool { return m.version == v })
			if i < 0 {
				return fmt.Errorf("store: migration %04d is applied but unknown to this build", v)
			}
			m := ms[i]
			if err := s.apply(ctx, conn, m.version, m.name, m.down, false); err != nil {
				return fmt.Errorf("store: migration %04d_%s down: %w", m.version, m.name, err)
			}
		}
		return nil
	})
}

// MigrationStatus lists the applied and the pending migration versions.
func (s *DB) MigrationStatus(ctx context.Context) (applied, pending []int, err error) {
	ms, err := migrations(s.dialect)
	if err != nil {
		return nil, nil, err
	}
	err = s.withMigrationLock(ctx, func(conn *sql.Conn) error {
		applied, err = appliedVersions(ctx, conn)
		return err
	})
	for _, m := range ms {
		if !slices.Contains(applied, m.version) {
			pending = append(pending, m.version)
		}
	}
	return applied, pending, err
}

// withMigrationLock runs fn on one connection while holding the dialect's
// migration lock, with the bookkeeping table in place.
func (s *DB) withMigrationLock(ctx context.Context, fn func(*sql.Conn) error) (err error) {
	conn, err := s.db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()

	switch s.dialect {
	case Postgres:
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(4242424242)"); err != nil {
			return fmt.Errorf("store: migrate lock: %w", err)
		}
		defer func() {
			_, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(4242424242)")
			err = errors.Join(err, uerr)
		}()
	case MySQL:
		// Named locks are server-wide; the name carries the database so
		// that hanko databases sharing a server do not wait on each other
		// (a Postgres advisory lock is per database already). SHA1 keeps
		// the name within MySQL's 64-character limit.
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+mysqlLockName+", 300)").Scan(&got); err != nil {
			return fmt.Errorf("store: migrate lock: %w", err)
		}
		if got.Int64 != 1 {
			return errors.New("store: migrate lock: timed out waiting for another instance's migration")
		}
		defer func() {
			_, uerr := conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK("+mysqlLockName+")")
			err = errors.Join(err, uerr)
		}()
	case SQLite:
		// BEGIN IMMEDIATE takes SQLite's single write lock; a second
		// migrator waits on the busy timeout, then sees our result.
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return fmt.Errorf("store: migrate lock: %w", err)
		}
		defer func() {
			stmt := "COMMIT"
			if err != nil {
				stmt = "ROLLBACK"
			}
			if _, cerr := conn.ExecContext(context.WithoutCancel(ctx), stmt); cerr != nil && err == nil {
				err = cerr
			}
		}()
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+migrationsTable+
		" (version BIGINT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return fn(conn)
}

func appliedVersions(ctx context.Context, conn *sql.Conn) ([]int, error) {
	rows, err := conn.QueryContext(ctx, "SELECT version FROM "+migrationsTable+" ORDER BY version")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// apply runs one migration script and records it. On Postgres the script and
// its record share a transaction; SQLite is already inside the lock's
// transaction; MySQL cannot roll back DDL, so its scripts are written to be
// re-runnable.
func (s *DB) apply(ctx context.Context, conn *sql.Conn, version int, name, script string, up bool) error {
	record := "INSERT INTO " + migrationsTable + " (version, name) VALUES (" + strconv.Itoa(version) + ", '" + name + "')"
	if !up {
		record = "DELETE FROM " + migrationsTable + " WHERE version = " + strconv.Itoa(version)
	}
	stmts := append(statements(script), record)
	if s.dialect != Postgres {
		for _, st := range stmts {
			if _, err := conn.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("%w\nin statement: %s", err, st)
			}
		}
		return nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			tx.Rollback()
			return fmt.Errorf("%w\nin statement: %s", err, st)
		}
	}
	return tx.Commit()
}
