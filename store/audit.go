package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// CreateAuditLog inserts one audit record. A taken ID is autherr.Conflict.
func (s *DB) CreateAuditLog(ctx context.Context, l AuditLog) error {
	_, err := s.idb(ctx).NewInsert().Model(&l).Exec(ctx)
	return mapErr(err)
}

// AuditLogQuery filters and pages ListAuditLogs. Zero values mean "no
// filter". The text filters match substrings, case-insensitively on every
// engine (the caller need not lower-case them).
type AuditLogQuery struct {
	Types       []string   // any of these types
	After       *time.Time // created strictly after
	Before      *time.Time // created strictly before
	ActorUserID string     // substring of actor_user_id
	ActorEmail  string     // substring of actor_email
	SourceIP    string     // substring of meta_source_ip
	Q           string     // substring of actor_email, meta_source_ip or actor_user_id
	Offset      int
	Limit       int // 0 means no limit
}

// ListAuditLogs returns one page of the audit records matching q, newest
// first, plus the number of all records matching q.
func (s *DB) ListAuditLogs(ctx context.Context, q AuditLogQuery) ([]AuditLog, int, error) {
	// actor_user_id is a uuid column on PostgreSQL: LIKE needs it as text.
	userID := "actor_user_id"
	if s.dialect == Postgres {
		userID = "CAST(actor_user_id AS TEXT)"
	}
	like := func(column, needle string) (string, string) {
		return "LOWER(" + column + ") LIKE ? ESCAPE '!'", likePattern(strings.ToLower(needle))
	}
	filter := func(sel *bun.SelectQuery) *bun.SelectQuery {
		if len(q.Types) > 0 {
			sel = sel.Where("type IN (?)", bun.List(q.Types))
		}
		if q.After != nil {
			sel = sel.Where("created_at > ?", q.After.UTC())
		}
		if q.Before != nil {
			sel = sel.Where("created_at < ?", q.Before.UTC())
		}
		for _, f := range []struct{ column, needle string }{
			{userID, q.ActorUserID}, {"actor_email", q.ActorEmail}, {"meta_source_ip", q.SourceIP},
		} {
			if f.needle != "" {
				sel = sel.Where(like(f.column, f.needle))
			}
		}
		if q.Q != "" {
			sel = sel.WhereGroup(" AND ", func(g *bun.SelectQuery) *bun.SelectQuery {
				for _, column := range []string{"actor_email", "meta_source_ip", userID} {
					g = g.WhereOr(like(column, q.Q))
				}
				return g
			})
		}
		return sel
	}
	var logs []AuditLog
	sel := s.idb(ctx).NewSelect().Model(&logs).Apply(filter).
		OrderExpr("created_at DESC, id DESC").Offset(int64(q.Offset))
	if q.Limit > 0 {
		sel = sel.Limit(int64(q.Limit))
	}
	count := s.idb(ctx).NewSelect().Model((*AuditLog)(nil)).Apply(filter)
	var (
		total    int64
		countErr error
		wg       sync.WaitGroup
	)
	countAll := func() { total, countErr = count.Count(ctx) }
	if _, inTx := ctx.Value(txKey{}).(bun.Tx); inTx {
		countAll() // one connection: one query at a time
	} else {
		wg.Go(countAll)
	}
	err := sel.Scan(ctx)
	wg.Wait()
	if err = errors.Join(err, countErr); err != nil {
		return nil, 0, mapErr(err)
	}
	return logs, int(total), nil
}
