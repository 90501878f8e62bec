package httpapi

import (
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/audit"
)

// auditLogJSON is the admin API's AuditLog (reference section 4.9).
type auditLogJSON struct {
	ID                uuid.UUID      `json:"id"`
	Type              string         `json:"type"`
	Error             string         `json:"error,omitempty"`
	MetaHTTPRequestID string         `json:"meta_http_request_id"`
	MetaSourceIP      string         `json:"meta_source_ip"`
	MetaUserAgent     string         `json:"meta_user_agent"`
	ActorUserID       *uuid.UUID     `json:"actor_user_id,omitempty"`
	ActorEmail        string         `json:"actor_email,omitempty"`
	Details           map[string]any `json:"details"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
}

func toAuditLogJSON(r audit.Record) auditLogJSON {
	out := auditLogJSON{
		ID: r.ID, Type: r.Type, Error: r.Error, MetaHTTPRequestID: r.RequestID, MetaSourceIP: r.SourceIP,
		MetaUserAgent: r.UserAgent, ActorEmail: r.Email, Details: r.Details, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.UserID != uuid.Nil {
		id := r.UserID
		out.ActorUserID = &id
	}
	if out.Details == nil {
		out.Details = map[string]any{}
	}
	return out
}

// maxFilterLength bounds the text filters of GET /audit_logs: the columns
// they search hold at most 255 characters.
const maxFilterLength = 255

// GET /audit_logs: the stored audit records, newest first, with the
// reference's filters and the admin lists' pagination headers.
func (a *api) adminListAuditLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, perPage, err := pageParams(q)
	if err != nil {
		return err
	}
	f := audit.Filter{Page: page, PerPage: perPage}
	if f.Start, err = timeParam(q, "start_time"); err != nil {
		return err
	}
	if f.End, err = timeParam(q, "end_time"); err != nil {
		return err
	}
	for _, t := range q["type"] {
		if !audit.IsType(t) {
			return badRequest("type must be one of the audit log types")
		}
		f.Types = append(f.Types, t)
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"actor_user_id", &f.UserID}, {"actor_email", &f.Email}, {"meta_source_ip", &f.SourceIP}, {"q", &f.Q}} {
		if *p.dst = q.Get(p.name); len(*p.dst) > maxFilterLength {
			return badRequest(p.name + " must be at most 255 characters long")
		}
	}
	out := []auditLogJSON{}
	total := 0
	if a.d.Audit != nil {
		list, n, err := a.d.Audit.List(r.Context(), f)
		if err != nil {
			return err
		}
		for _, rec := range list {
			out = append(out, toAuditLogJSON(rec))
		}
		total = n
	}
	setPageHeaders(w, r, page, perPage, total)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// timeParam reads an optional RFC 3339 time parameter; the zero time means
// it is absent.
func timeParam(q url.Values, name string) (time.Time, error) {
	s := q.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, badRequest(name + " must be a date and time in RFC 3339 format, such as 2024-05-06T07:08:09Z")
	}
	return t, nil
}
