package audit

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// Config configures a Log. The zero Config records nothing.
type Config struct {
	// Store persists records and finds the actor's primary address. It is
	// required with Storage; without it no address is looked up.
	Store Store
	// Storage writes records to the database (audit_log.storage.enabled,
	// default false in Hanko).
	Storage bool
	// Console, when not nil, receives one JSON line per record after its
	// transaction commits (audit_log.console_output; hanko.New passes
	// os.Stdout or os.Stderr). Writes are serialised.
	Console io.Writer
	// Mask masks addresses and usernames (audit_log.mask, default true in
	// Hanko; the zero Config does not mask).
	Mask bool
	// Now stamps the records. [time.Now]
	Now func() time.Time
	// Rand makes the record IDs. [crypto/rand.Reader]
	Rand io.Reader
}

// Log is the audit log: an events.Emitter that records every event with an
// audit type, and the query side of the records stored. It is safe for
// concurrent use.
type Log struct {
	cfg     Config
	console slog.Handler // nil: no console output
}

// New builds a Log. Storage without a Store is an error.
func New(cfg Config) (*Log, error) {
	if cfg.Storage && cfg.Store == nil {
		return nil, errors.New("audit: Storage needs a Store")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	l := &Log{cfg: cfg}
	if cfg.Console != nil {
		l.console = slog.NewJSONHandler(cfg.Console, &slog.HandlerOptions{ReplaceAttr: dropBuiltins})
	}
	return l, nil
}

// dropBuiltins removes slog's own level and message keys (records are
// handled with a zero time, which slog leaves out): the console line
// carries exactly the reference's fields.
func dropBuiltins(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
		return slog.Attr{}
	}
	return a
}

// Record is one audit record as the admin API shows it.
type Record struct {
	ID   uuid.UUID
	Type string
	// Error is why a *_failed event failed, or "".
	Error     string
	RequestID string // meta_http_request_id
	SourceIP  string // meta_source_ip
	UserAgent string // meta_user_agent
	// UserID is the actor, or uuid.Nil when unknown.
	UserID uuid.UUID
	// Email is the actor's address (masked when Mask is on), or "".
	Email string
	// Details are never nil.
	Details   map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Emit records e when it has an audit type; other events are ignored. The
// database row joins the transaction in ctx; the console line waits for its
// commit. An error (a failed insert) rolls the caller's change back.
func (l *Log) Emit(ctx context.Context, e events.Event) error {
	if e.Audit == "" || (!l.cfg.Storage && l.console == nil) {
		return nil
	}
	rec, err := l.record(ctx, e)
	if err != nil {
		return err
	}
	if l.cfg.Storage {
		row, err := toRow(rec)
		if err != nil {
			return err
		}
		if err := l.cfg.Store.CreateAuditLog(ctx, row); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	if l.console != nil {
		store.AfterCommit(ctx, func() { l.writeConsole(rec) })
	}
	return nil
}

// record builds the record of e: meta from the context, the actor's
// primary address when e names none, masking as configured.
func (l *Log) record(ctx context.Context, e events.Event) (Record, error) {
	id, err := uuid.NewRandomFromReader(l.cfg.Rand)
	if err != nil {
		return Record{}, fmt.Errorf("audit: record id: %w", err)
	}
	// Microseconds: what every engine stores, so a listed record equals
	// the emitted one.
	now := l.cfg.Now().UTC().Truncate(time.Microsecond)
	m := events.MetaFrom(ctx)
	rec := Record{
		ID: id, Type: e.Audit, RequestID: m.RequestID, SourceIP: m.SourceIP, UserAgent: m.UserAgent,
		UserID: e.UserID, Email: e.Email, Details: e.Details, CreatedAt: now, UpdatedAt: now,
	}
	if e.Err != nil {
		rec.Error = e.Err.Error()
	}
	if rec.Email == "" && rec.UserID != uuid.Nil && l.cfg.Store != nil {
		pe, err := l.cfg.Store.GetPrimaryEmailOf(ctx, rec.UserID)
		switch {
		case err == nil:
			rec.Email = pe.Address
		case !errors.Is(err, autherr.NotFound):
			return Record{}, fmt.Errorf("audit: actor email: %w", err)
		}
	}
	if l.cfg.Mask {
		rec.Email = MaskEmail(rec.Email)
		rec.Details = maskDetails(rec.Details)
	} else {
		rec.Details = clone(rec.Details)
	}
	// The meta and the address come from clients (a User-Agent header, a
	// typed address): made storable on every engine, so that no header can
	// fail the change that is being audited.
	rec.RequestID, rec.SourceIP = clean(rec.RequestID, 255), clean(rec.SourceIP, 255)
	rec.UserAgent, rec.Email, rec.Error = clean(rec.UserAgent, 0), clean(rec.Email, 255), clean(rec.Error, 0)
	return rec, nil
}

// clean makes client text storable in any engine's text column: invalid
// UTF-8 becomes U+FFFD, NUL characters (which PostgreSQL refuses) go, and
// with limit > 0 it is cut to limit runes (the varchar(255) columns).
func clean(s string, limit int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if limit > 0 && len(s) > limit {
		runes := 0
		for i := range s {
			if runes == limit {
				return s[:i]
			}
			runes++
		}
	}
	return s
}

// validText reports whether a filter can be sent to every engine.
func validText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// clone copies details so that a caller changing its map later cannot
// change a record waiting for its console line.
func clone(details map[string]any) map[string]any {
	out := make(map[string]any, len(details))
	for k, v := range details {
		out[k] = v
	}
	return out
}

// writeConsole writes the reference's console line for rec.
func (l *Log) writeConsole(rec Record) {
	now := l.cfg.Now()
	line := slog.NewRecord(time.Time{}, slog.LevelInfo, "", 0)
	line.AddAttrs(
		slog.String("audience", "audit"),
		slog.String("type", rec.Type),
		slog.String("error", rec.Error),
		slog.String("http_request_id", rec.RequestID),
		slog.String("source_ip", rec.SourceIP),
		slog.String("user_agent", rec.UserAgent),
		slog.Any("details", rec.Details),
		slog.String("time", now.Format(time.RFC3339Nano)),
		slog.String("time_unix", strconv.FormatInt(now.Unix(), 10)),
	)
	if rec.UserID != uuid.Nil {
		line.AddAttrs(slog.String("user_id", rec.UserID.String()))
	}
	if rec.Email != "" {
		line.AddAttrs(slog.String("user_email", rec.Email))
	}
	// A console that fails to write has nowhere to report it; the record
	// itself is in the database when storage is on.
	_ = l.console.Handle(context.Background(), line)
}

// toRow turns a record into its database row.
func toRow(rec Record) (store.AuditLog, error) {
	details, err := json.Marshal(rec.Details)
	if err != nil {
		return store.AuditLog{}, fmt.Errorf("audit: details of %s: %w", rec.Type, err)
	}
	d := string(details)
	row := store.AuditLog{
		ID: rec.ID, Type: rec.Type, MetaHTTPRequestID: rec.RequestID, MetaSourceIP: rec.SourceIP,
		MetaUserAgent: rec.UserAgent, Details: &d, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt,
	}
	if rec.Error != "" {
		row.Error = &rec.Error
	}
	if rec.UserID != uuid.Nil {
		row.ActorUserID = &rec.UserID
	}
	if rec.Email != "" {
		row.ActorEmail = &rec.Email
	}
	return row, nil
}

// fromRow turns a database row into a record. Details that are not a JSON
// object (written by something else) come out empty.
func fromRow(row store.AuditLog) Record {
	rec := Record{
		ID: row.ID, Type: row.Type, RequestID: row.MetaHTTPRequestID, SourceIP: row.MetaSourceIP,
		UserAgent: row.MetaUserAgent, CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
	}
	if row.Error != nil {
		rec.Error = *row.Error
	}
	if row.ActorUserID != nil {
		rec.UserID = *row.ActorUserID
	}
	if row.ActorEmail != nil {
		rec.Email = *row.ActorEmail
	}
	if row.Details != nil {
		_ = json.Unmarshal([]byte(*row.Details), &rec.Details)
	}
	if rec.Details == nil {
		rec.Details = map[string]any{}
	}
	return rec
}

// DefaultPerPage is the page size of List when Filter.PerPage is 0.
const DefaultPerPage = 20

// Filter selects records for List. Zero fields do not filter. The text
// filters match substrings, case-insensitively.
type Filter struct {
	// Page is 1-based. [1]
	Page int
	// PerPage is the page size. [DefaultPerPage]
	PerPage int
	// Start and End bound created_at, both exclusive.
	Start, End time.Time
	// Types keeps records of any of these types; each must be known
	// (IsType).
	Types []string
	// UserID, Email and SourceIP match substrings of actor_user_id,
	// actor_email and meta_source_ip.
	UserID, Email, SourceIP string
	// Q matches a substring of any of actor_email, meta_source_ip and
	// actor_user_id.
	Q string
}

// ErrInvalidFilter matches the errors List returns for a negative page or
// page size, a page beyond any database's offset range or an unknown type.
// They are autherr.Invalid, and their message (autherr.Message) is the
// reason.
var ErrInvalidFilter = autherr.New(autherr.Invalid, "invalid audit log filter")

// filterError is one reason a filter is invalid.
type filterError struct{ reason *autherr.Error }

func invalidFilter(reason string) error {
	return filterError{autherr.New(autherr.Invalid, reason)}
}

func (e filterError) Error() string        { return "audit: invalid filter: " + e.reason.Msg }
func (e filterError) Is(target error) bool { return target == ErrInvalidFilter }
func (e filterError) Unwrap() error        { return e.reason }

// List returns one page of the stored records matching f, newest first,
// and the number of all matching records. Errors: ErrInvalidFilter.
func (l *Log) List(ctx context.Context, f Filter) ([]Record, int, error) {
	if f.Page < 0 || f.PerPage < 0 {
		return nil, 0, invalidFilter("page and per_page must not be negative")
	}
	for _, t := range []string{f.UserID, f.Email, f.SourceIP, f.Q} {
		if !validText(t) {
			return nil, 0, invalidFilter("text filters must be UTF-8 without NUL characters")
		}
	}
	for _, t := range f.Types {
		if !IsType(t) {
			return nil, 0, invalidFilter(fmt.Sprintf("unknown audit log type %q", t))
		}
	}
	if l.cfg.Store == nil {
		return []Record{}, 0, nil
	}
	page, perPage := max(f.Page, 1), f.PerPage
	if perPage == 0 {
		perPage = DefaultPerPage
	}
	if page-1 > math.MaxInt64/perPage {
		return nil, 0, invalidFilter("page is too large")
	}
	q := store.AuditLogQuery{
		Types: slices.Clone(f.Types), ActorUserID: f.UserID, ActorEmail: f.Email, SourceIP: f.SourceIP, Q: f.Q,
		Offset: (page - 1) * perPage, Limit: perPage,
	}
	if !f.Start.IsZero() {
		q.After = &f.Start
	}
	if !f.End.IsZero() {
		q.Before = &f.End
	}
	rows, total, err := l.cfg.Store.ListAuditLogs(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	out := make([]Record, len(rows))
	for i, row := range rows {
		out[i] = fromRow(row)
	}
	return out, total, nil
}
