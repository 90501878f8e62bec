package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Dialect names the SQL engine family a DB talks to.
type Dialect string

// The supported dialects. CockroachDB speaks Postgres; MariaDB speaks MySQL.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
	MySQL    Dialect = "mysql"
)

// DB is hanko's store: every feature's persistence, implemented with bun on
// SQLite, PostgreSQL (and CockroachDB) or MySQL/MariaDB. It is safe for
// concurrent use. Methods join the transaction of an enclosing InTx.
type DB struct {
	db      *bun.DB
	dialect Dialect
	owned   bool // Close closes db only when Open made it
}

// New wraps a caller's *bun.DB. The dialect is read from db. The caller keeps
// ownership: Close does not close db. Migrate must have run (see Migrate).
func New(db *bun.DB) (*DB, error) {
	d, err := dialectOf(db)
	if err != nil {
		return nil, err
	}
	return &DB{db: db, dialect: d}, nil
}

func dialectOf(db *bun.DB) (Dialect, error) {
	switch db.Dialect().Name() {
	case dialect.SQLite:
		return SQLite, nil
	case dialect.PG:
		return Postgres, nil
	case dialect.MySQL:
		return MySQL, nil
	default:
		return "", fmt.Errorf("store: unsupported bun dialect %s", db.Dialect().Name())
	}
}

// Dialect reports which engine family the DB talks to.
func (s *DB) Dialect() Dialect { return s.dialect }

// Bun returns the underlying *bun.DB, for hosts that want to run their own
// queries on the same pool.
func (s *DB) Bun() *bun.DB { return s.db }

// Ping reports whether the database answers.
func (s *DB) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close closes the connection pool if Open created it.
func (s *DB) Close() error {
	if !s.owned {
		return nil
	}
	return s.db.Close()
}

type txKey struct{}

// InTx runs fn in a transaction: fn's changes commit together when it returns
// nil and roll back together otherwise. Store methods called with the ctx
// passed to fn join the transaction, and so does a nested InTx.
func (s *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.inTx(ctx, nil, fn)
}

// inTx is InTx with options for a new transaction (ignored when ctx already
// carries one).
func (s *DB) inTx(ctx context.Context, opts *sql.TxOptions, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return fn(ctx)
	}
	var after []func()
	err := s.db.RunInTx(ctx, opts, func(ctx context.Context, tx bun.Tx) error {
		after = after[:0] // a retried transaction starts over
		return fn(context.WithValue(context.WithValue(ctx, txKey{}, tx), afterKey{}, &after))
	})
	if err == nil {
		for _, f := range after {
			f()
		}
	}
	return err
}

type afterKey struct{}

// AfterCommit runs f once the transaction in ctx has committed, and never
// if it rolls back; outside a transaction it runs f at once. Use it for
// effects that must not outrun the data (waking the webhook dispatcher,
// writing the audit console line).
func AfterCommit(ctx context.Context, f func()) {
	if after, ok := ctx.Value(afterKey{}).(*[]func()); ok {
		*after = append(*after, f)
		return
	}
	f()
}

// idb returns the transaction in ctx, or the pool.
func (s *DB) idb(ctx context.Context) bun.IDB {
	if tx, ok := ctx.Value(txKey{}).(bun.Tx); ok {
		return tx
	}
	return s.db
}

// affected turns a result into NotFound when no row was touched.
func affected(res sql.Result, err error) error {
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return mapErr(sql.ErrNoRows)
	}
	return nil
}

// isNoRows reports whether err is a missing-row error.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
