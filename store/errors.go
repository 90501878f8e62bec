package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
	"github.com/hanko-go/hanko/autherr"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// mapErr translates driver errors into autherr kinds by error code, never by
// message text: a missing row becomes NotFound, a unique violation Conflict.
// The driver error stays in the chain for logs.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %w", autherr.NotFound, err)
	case isUniqueViolation(err):
		return fmt.Errorf("%w: %w", autherr.Conflict, err)
	case isForeignKeyViolation(err):
		return fmt.Errorf("%w: %w", autherr.NotFound, err)
	default:
		return err
	}
}

func isUniqueViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1062
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isForeignKeyViolation reports a reference to a row that does not exist
// (Postgres 23503, MySQL 1452, SQLite FOREIGNKEY).
func isForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23503"
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return my.Number == 1452
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
	}
	return false
}
