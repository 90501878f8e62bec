// Package store is hanko's persistence: the record types of the data model
// and DB, their implementation with bun on SQLite (modernc.org/sqlite, pure
// Go), PostgreSQL/CockroachDB (pgx) and MySQL/MariaDB (go-sql-driver).
//
// Features never hold a *DB; each declares the small interface it needs and
// hanko.New passes a *DB, which implements them all. The store keeps no
// business rules, never reads the clock and never makes random values:
// callers stamp IDs and times.
//
// Errors: a missing row is autherr.NotFound and a uniqueness violation
// autherr.Conflict (matched by driver error code), so callers use errors.Is.
//
// Every method joins the transaction of an enclosing InTx, so a feature can
// compose several calls into one atomic change:
//
//	err := db.InTx(ctx, func(ctx context.Context) error {
//		if err := db.CreateUser(ctx, u); err != nil {
//			return err
//		}
//		return db.CreateEmail(ctx, e)
//	})
//
// Open connects by dialect and DSN; New wraps a host's own *bun.DB. Migrate
// brings the schema up to date from migrations embedded per dialect.
package store
