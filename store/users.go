package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// CreateUser inserts u. A taken ID is autherr.Conflict.
func (s *DB) CreateUser(ctx context.Context, u User) error {
	_, err := s.idb(ctx).NewInsert().Model(&u).Exec(ctx)
	return mapErr(err)
}

// GetUser returns the user with the given ID together with its emails
// (with their third-party identities), primary email and username. A
// missing user is autherr.NotFound.
func (s *DB) GetUser(ctx context.Context, id uuid.UUID) (User, error) {
	var u User
	err := s.idb(ctx).NewSelect().Model(&u).
		Relation("Emails", orderEmails).
		Relation("Emails.Identities", func(q *bun.SelectQuery) *bun.SelectQuery { return q.Order("created_at ASC", "id ASC") }).
		Relation("PrimaryEmail").
		Relation("Username").
		Where("u.id = ?", id).
		Scan(ctx)
	return u, mapErr(err)
}

// UserExists reports whether a user with the given ID exists.
func (s *DB) UserExists(ctx context.Context, id uuid.UUID) (bool, error) {
	ok, err := s.idb(ctx).NewSelect().Model((*User)(nil)).Where("id = ?", id).Exists(ctx)
	return ok, mapErr(err)
}

// TouchUser sets the user's updated_at. A missing user is autherr.NotFound.
func (s *DB) TouchUser(ctx context.Context, id uuid.UUID, now time.Time) error {
	return affected(s.idb(ctx).NewUpdate().Model((*User)(nil)).
		Set("updated_at = ?", now).Where("id = ?", id).Exec(ctx))
}

// DeleteUser deletes a user and, by cascade, everything that belongs to it.
// A missing user is autherr.NotFound.
func (s *DB) DeleteUser(ctx context.Context, id uuid.UUID) error {
	return affected(s.idb(ctx).NewDelete().Model((*User)(nil)).Where("id = ?", id).Exec(ctx))
}

// UserQuery filters and pages ListUsers. Zero values mean "no filter".
type UserQuery struct {
	IDs      []uuid.UUID // any of these users
	Email    string      // substring of any of the user's addresses (lower-cased by the caller)
	Username string      // substring of the username
	Desc     bool        // newest first
	Offset   int
	Limit    int // 0 means no limit
}

// ListUsers returns one page of users matching q, with their emails, primary
// email and username, ordered by creation time, plus the number of all users
// matching q.
func (s *DB) ListUsers(ctx context.Context, q UserQuery) ([]User, int, error) {
	filter := func(sel *bun.SelectQuery) *bun.SelectQuery {
		if len(q.IDs) > 0 {
			sel = sel.Where("u.id IN (?)", bun.List(q.IDs))
		}
		if q.Email != "" {
			sel = sel.Where("u.id IN (SELECT e.user_id FROM emails AS e WHERE e.address LIKE ? ESCAPE '!')", likePattern(q.Email))
		}
		if q.Username != "" {
			sel = sel.Where("u.id IN (SELECT n.user_id FROM usernames AS n WHERE n.username LIKE ? ESCAPE '!')", likePattern(q.Username))
		}
		return sel
	}
	// The total is counted on users alone: bun's ScanAndCount would count
	// over the has-one joins too, an index probe per user per join, which
	// made a page of 100 out of 100,000 users take ~100 ms on SQLite.
	count := s.idb(ctx).NewSelect().Model((*User)(nil)).Apply(filter)
	var users []User
	sel := s.idb(ctx).NewSelect().Model(&users).
		Relation("Emails", orderEmails).
		Relation("PrimaryEmail").
		Relation("Username").
		Apply(filter)
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	sel = sel.OrderExpr("u.created_at " + dir + ", u.id " + dir).Offset(int64(q.Offset))
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit))
	}
	var (
		total    int64
		countErr error
		wg       sync.WaitGroup
	)
	countPage := func() { total, countErr = count.Count(ctx) }
	if _, inTx := ctx.Value(txKey{}).(bun.Tx); inTx {
		countPage() // one connection: one query at a time
	} else {
		wg.Go(countPage) // on a second connection, as ScanAndCount does
	}
	err := sel.Scan(ctx)
	wg.Wait()
	if err = errors.Join(err, countErr); err != nil {
		return nil, 0, mapErr(err)
	}
	return users, int(total), nil
}

// likePattern makes a substring pattern from user input, escaping the LIKE
// wildcards with '!' (an escape character every dialect accepts).
func likePattern(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return "%" + r.Replace(s) + "%"
}

func orderEmails(q *bun.SelectQuery) *bun.SelectQuery {
	return q.Order("created_at ASC", "id ASC")
}

// ScanUsers returns up to limit users with an ID greater than after, ordered
// by ID, with their emails, primary email and password hash: keyset pages for streaming
// every user without holding them all.
func (s *DB) ScanUsers(ctx context.Context, after uuid.UUID, limit int) ([]User, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: ScanUsers: limit must be positive")
	}
	var users []User
	err := s.idb(ctx).NewSelect().Model(&users).
		Relation("Emails", orderEmails).
		Relation("PrimaryEmail").
		Relation("Password").
		Where("u.id > ?", after).
		Order("u.id ASC").
		Limit(int64(limit)).
		Scan(ctx)
	return users, mapErr(err)
}

// CountWebauthnCredentials returns how many WebAuthn credentials a user has.
func (s *DB) CountWebauthnCredentials(ctx context.Context, userID uuid.UUID) (int, error) {
	n, err := s.idb(ctx).NewSelect().Model((*WebauthnCredential)(nil)).Where("user_id = ?", userID).Count(ctx)
	return int(n), mapErr(err)
}

// CreateUsername inserts a username row; a taken name is autherr.Conflict.
func (s *DB) CreateUsername(ctx context.Context, n Username) error {
	_, err := s.idb(ctx).NewInsert().Model(&n).Exec(ctx)
	return mapErr(err)
}

// ExistingEmailAddresses returns which of the given addresses are stored.
func (s *DB) ExistingEmailAddresses(ctx context.Context, addresses []string) ([]string, error) {
	var out []string
	if len(addresses) == 0 {
		return nil, nil
	}
	var err error
	if s.dialect == Postgres {
		err = s.idb(ctx).NewRaw(pgExisting("emails", "address", "varchar"), pgdialect.Array(addresses)).Scan(ctx, &out)
	} else {
		err = s.idb(ctx).NewSelect().Model((*Email)(nil)).Column("address").
			Where("address IN (?)", bun.List(addresses)).Scan(ctx, &out)
	}
	return out, mapErr(err)
}

// ExistingUserIDs returns which of the given user IDs are stored.
func (s *DB) ExistingUserIDs(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error) {
	var out []uuid.UUID
	if len(ids) == 0 {
		return nil, nil
	}
	var err error
	if s.dialect == Postgres {
		err = s.idb(ctx).NewRaw(pgExisting("users", "id", "uuid"), pgdialect.Array(ids)).Scan(ctx, &out)
	} else {
		err = s.idb(ctx).NewSelect().Model((*User)(nil)).Column("id").
			Where("id IN (?)", bun.List(ids)).Scan(ctx, &out)
	}
	return out, mapErr(err)
}

// pgExisting is a Postgres query returning which values of an array
// parameter occur in table.column. It looks each value up on its own (a
// correlated subquery per value, so always through the unique index):
// "column IN (...)" against a table filled in the same transaction, as a
// bulk import does, has no statistics, and Postgres then picks a sequential
// scan per batch, which makes an import quadratic in its size.
func pgExisting(table, column, typ string) string {
	return "SELECT DISTINCT a.v FROM unnest(?::" + typ + "[]) AS a(v)" +
		" WHERE (SELECT true FROM " + table + " AS t WHERE t." + column + " = a.v) IS NOT NULL"
}

// LockUser locks a user's row until the enclosing transaction ends, so that
// changes that check a per-user rule (such as the email limit) serialise.
// SQLite needs no row lock: its transactions already hold the write lock.
// A missing user is autherr.NotFound.
func (s *DB) LockUser(ctx context.Context, id uuid.UUID) error {
	q := s.idb(ctx).NewSelect().Model((*User)(nil)).Column("id").Where("id = ?", id)
	if s.dialect != SQLite {
		q = q.For("UPDATE")
	}
	var got uuid.UUID
	return mapErr(q.Scan(ctx, &got))
}
