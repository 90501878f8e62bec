package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/users"
)

// The admin API's User and Email shapes are users.View and users.EmailView,
// shared with the webhook payloads.

func toAdminUser(u users.User) users.View { return u.View() }

func toAdminEmail(e users.Email) users.EmailView { return e.View() }

// maxPerPage caps per_page (the reference has no cap; an unbounded page is a
// way to exhaust memory).
const maxPerPage = 1000

// GET /users
func (a *api) adminListUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, perPage, err := pageParams(q)
	if err != nil {
		return err
	}
	query := users.Query{Page: page, PerPage: perPage, Email: q.Get("email"), Username: q.Get("username")}
	if ids := q.Get("user_id"); ids != "" {
		for s := range strings.SplitSeq(ids, ",") {
			id, err := uuid.Parse(strings.TrimSpace(s))
			if err != nil {
				return badRequest("user_id must be a comma-separated list of valid uuids")
			}
			query.IDs = append(query.IDs, id)
		}
	}
	switch q.Get("sort_direction") {
	case "", "desc":
	case "asc":
		query.Ascending = true
	default:
		return badRequest("sort_direction must be one of [asc desc]")
	}
	list, total, err := a.d.Users.List(r.Context(), query)
	if err != nil {
		return err
	}
	out := make([]users.View, len(list))
	for i, u := range list {
		out[i] = toAdminUser(u)
	}
	setPageHeaders(w, r, page, perPage, total)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// pageParams reads the admin lists' page (default 1) and per_page (default
// 20, capped at maxPerPage) query parameters; anything but a positive
// integer is a 400.
func pageParams(q url.Values) (page, perPage int, err error) {
	if page, err = positiveInt(q, "page", 1); err != nil {
		return 0, 0, err
	}
	if perPage, err = positiveInt(q, "per_page", 20); err != nil {
		return 0, 0, err
	}
	return page, min(perPage, maxPerPage), nil
}

// setPageHeaders sets the admin lists' X-Total-Count and Link headers.
func setPageHeaders(w http.ResponseWriter, r *http.Request, page, perPage, total int) {
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	if link := linkHeader(r, page, perPage, total); link != "" {
		w.Header().Set("Link", link)
	}
}

func positiveInt(q url.Values, name string, def int) (int, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, badRequest(name + " must be a positive integer")
	}
	return n, nil
}

// linkHeader builds the RFC 8288 pagination links (first, last, next,
// prev) on the URL the client used, keeping its other query parameters.
// "first" is left out on page 1 unless it is also the last page.
func linkHeader(r *http.Request, page, perPage, total int) string {
	last := max((total+perPage-1)/perPage, 1)
	base := *r.URL
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
		base.Path, base.RawPath = u.Path, u.RawPath // the path before any StripPrefix
	}
	base.Scheme, base.Host = "http", r.Host
	if r.TLS != nil {
		base.Scheme = "https"
	}
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(perPage))
		u := base
		u.RawQuery = q.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page > 1 || last == 1 {
		links = append(links, link(1, "first"))
	}
	links = append(links, link(last, "last"))
	if page < last {
		links = append(links, link(page+1, "next"))
	}
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	return strings.Join(links, ",")
}

type adminCreateEmail struct {
	Address    string `json:"address"`
	IsPrimary  bool   `json:"is_primary"`
	IsVerified bool   `json:"is_verified"`
}

// POST /users
func (a *api) adminCreateUser(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		ID        string             `json:"id"`
		Emails    []adminCreateEmail `json:"emails"`
		Username  string             `json:"username"`
		CreatedAt *time.Time         `json:"created_at"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	nu := users.NewUser{Username: req.Username}
	if req.ID != "" {
		id, err := uuid.Parse(req.ID)
		if err != nil || id == uuid.Nil {
			return badRequest("id must be a valid uuid")
		}
		nu.ID = id
	}
	if req.CreatedAt != nil {
		nu.CreatedAt = *req.CreatedAt
	}
	for i, e := range req.Emails {
		if strings.TrimSpace(e.Address) == "" {
			return badRequest(fmt.Sprintf("emails[%d].address is a required field", i))
		}
		nu.Emails = append(nu.Emails, users.NewEmail{Address: e.Address, Primary: e.IsPrimary, Verified: e.IsVerified})
	}
	u, err := a.d.Users.Create(r.Context(), nu)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAdminUser(u))
	return nil
}

// pathUUID parses a UUID path parameter, answering 400 when it is malformed.
func pathUUID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue(name))
	if err != nil {
		return uuid.Nil, badRequest(name + " must be a valid uuid")
	}
	return id, nil
}

// GET /users/{id}
func (a *api) adminGetUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	u, err := a.d.Users.Get(r.Context(), id)
	if err != nil {
		return err
	}
	out := struct {
		users.View
		WebauthnCredentials []webauthnCredential `json:"webauthn_credentials,omitempty"`
	}{View: toAdminUser(u)}
	if a.d.Passkeys != nil {
		cs, err := a.d.Passkeys.Credentials(r.Context(), id)
		if err != nil {
			return err
		}
		out.WebauthnCredentials = webauthnCredentialsOf(cs)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// DELETE /users/{id}
func (a *api) adminDeleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	if err := a.d.Users.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// GET /users/{user_id}/emails
func (a *api) adminListEmails(w http.ResponseWriter, r *http.Request) error {
	uid, err := pathUUID(r, "user_id")
	if err != nil {
		return err
	}
	es, err := a.d.Users.Emails(r.Context(), uid)
	if err != nil {
		return err
	}
	out := make([]users.EmailView, len(es))
	for i, e := range es {
		out[i] = toAdminEmail(e)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// POST /users/{user_id}/emails
func (a *api) adminAddEmail(w http.ResponseWriter, r *http.Request) error {
	uid, err := pathUUID(r, "user_id")
	if err != nil {
		return err
	}
	var req adminCreateEmail // is_primary is ignored, as in the reference
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Address) == "" {
		return badRequest("address is a required field")
	}
	e, err := a.d.Users.AddEmail(r.Context(), uid, req.Address, req.IsVerified)
	if err != nil {
		return err
	}
	e, err = a.d.Users.Email(r.Context(), uid, e.ID) // with its primary flag
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toAdminEmail(e))
	return nil
}

func emailPath(r *http.Request) (uid, eid uuid.UUID, err error) {
	if uid, err = pathUUID(r, "user_id"); err != nil {
		return
	}
	eid, err = pathUUID(r, "email_id")
	return
}

// GET /users/{user_id}/emails/{email_id}
func (a *api) adminGetEmail(w http.ResponseWriter, r *http.Request) error {
	uid, eid, err := emailPath(r)
	if err != nil {
		return err
	}
	e, err := a.d.Users.Email(r.Context(), uid, eid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAdminEmail(e))
	return nil
}

// DELETE /users/{user_id}/emails/{email_id}
func (a *api) adminDeleteEmail(w http.ResponseWriter, r *http.Request) error {
	uid, eid, err := emailPath(r)
	if err != nil {
		return err
	}
	if err := a.d.Users.DeleteEmail(r.Context(), uid, eid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// POST /users/{user_id}/emails/{email_id}/set_primary
func (a *api) adminSetPrimaryEmail(w http.ResponseWriter, r *http.Request) error {
	uid, eid, err := emailPath(r)
	if err != nil {
		return err
	}
	if err := a.d.Users.SetPrimaryEmail(r.Context(), uid, eid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
