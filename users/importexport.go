package users

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/store"
)

// The import/export file is Hanko's user-import format: a JSON array of
//
//	{"user_id": "<uuid, optional>",
//	 "emails": [{"address": "...", "is_primary": true, "is_verified": true}, ...],
//	 "created_at": "<RFC 3339, optional>", "updated_at": "<RFC 3339, optional>"}
//
// Every entry needs at least one email and exactly one primary email.
//
// Our extension: an entry may carry "password", the user's password hash
// as Hanko (bcrypt: $2a$, $2b$, $2y$) or hanko (argon2id PHC string:
// $argon2id$...) stores it, so migrated users keep their passwords. Export
// writes it too. Hanko's importer rejects the field; ours accepts files
// without it unchanged.

// ImportEntry is one user of an import or export file.
type ImportEntry struct {
	UserID    string        `json:"user_id,omitempty"`
	Emails    []ImportEmail `json:"emails"`
	CreatedAt *time.Time    `json:"created_at,omitempty"`
	UpdatedAt *time.Time    `json:"updated_at,omitempty"`
	// Password is a password hash (bcrypt or argon2id), never a password.
	Password string `json:"password,omitempty"`
}

// ImportEmail is one address of an ImportEntry. Both flags are required on
// import, as in the reference schema.
type ImportEmail struct {
	Address    string `json:"address"`
	IsPrimary  *bool  `json:"is_primary"`
	IsVerified *bool  `json:"is_verified"`
}

// importBatch is how many users go into one bulk statement.
const importBatch = 1000

// maxReportedProblems caps how many problems an ImportError lists.
const maxReportedProblems = 1000

// ImportProblem is what is wrong with one entry; Index is 0-based.
type ImportProblem struct {
	Index   int
	Message string
}

// ImportError reports every invalid entry of a refused import. Nothing of
// the file was written. It matches autherr.Invalid.
type ImportError struct {
	Problems []ImportProblem // at most 1,000
	Omitted  int             // problems found beyond those listed
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "import refused, nothing written: %d problem", len(e.Problems)+e.Omitted)
	if len(e.Problems)+e.Omitted != 1 {
		b.WriteString("s")
	}
	for _, p := range e.Problems {
		if p.Index < 0 {
			fmt.Fprintf(&b, "\n  file: %s", p.Message)
		} else {
			fmt.Fprintf(&b, "\n  entry %d: %s", p.Index, p.Message)
		}
	}
	if e.Omitted > 0 {
		fmt.Fprintf(&b, "\n  ... and %d more", e.Omitted)
	}
	return b.String()
}

// Is makes an ImportError match autherr.Invalid.
func (e *ImportError) Is(target error) bool { return target == autherr.Invalid }

func (e *ImportError) add(index int, format string, args ...any) {
	if len(e.Problems) >= maxReportedProblems {
		e.Omitted++
		return
	}
	e.Problems = append(e.Problems, ImportProblem{Index: index, Message: fmt.Sprintf(format, args...)})
}

// ImportResult counts what an import wrote.
type ImportResult struct {
	Users  int
	Emails int
}

// Import reads users in Hanko's import format from r and writes them all in
// one transaction, or nothing. Every entry is checked (format, addresses, one
// primary, IDs and addresses unique within the file and not yet taken in the
// database); when any is invalid, Import returns an *ImportError naming each
// bad entry by its index and writes nothing. Missing IDs are generated,
// missing times are now, and addresses are normalised.
//
// Import streams: it holds one batch of entries at a time, never the whole
// file, and writes with a few bulk statements per batch of 1,000 users.
func (s *Service) Import(ctx context.Context, r io.Reader) (ImportResult, error) {
	src := &trackingReader{r: r}
	dec := json.NewDecoder(bufio.NewReaderSize(src, 64<<10))
	dec.DisallowUnknownFields()
	problems := &ImportError{}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		switch {
		case src.err != nil:
			return ImportResult{}, fmt.Errorf("users: import: read: %w", src.err)
		case err == io.EOF:
			err = errors.New("the file is empty; it must be a JSON array of users")
		case err == nil:
			err = errors.New("the file must be a JSON array of users")
		}
		problems.add(-1, "%v", err)
		return ImportResult{}, problems
	}
	now := s.now()
	im := importer{s: s, problems: problems, now: now}
	err := s.cfg.Store.InTx(ctx, func(ctx context.Context) error {
		for i := 0; dec.More(); i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			var e ImportEntry
			if err := dec.Decode(&e); err != nil {
				if src.err != nil {
					return fmt.Errorf("users: import: read: %w", src.err)
				}
				var syn *json.SyntaxError
				if errors.As(err, &syn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
					problems.add(i, "malformed JSON: %v", err)
					return problems // the stream cannot be read further
				}
				problems.add(i, "%s", decodeMessage(err))
				continue
			}
			im.add(i, e)
			if len(im.batch) >= importBatch {
				if err := im.flush(ctx); err != nil {
					return err
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			if src.err != nil {
				return fmt.Errorf("users: import: read: %w", src.err)
			}
			problems.add(-1, "malformed JSON at the end of the array: %v", err)
			return problems
		}
		if _, err := dec.Token(); err != io.EOF {
			if src.err != nil {
				return fmt.Errorf("users: import: read: %w", src.err)
			}
			problems.add(-1, "unexpected data after the array")
			return problems
		}
		if err := im.flush(ctx); err != nil {
			return err
		}
		if len(problems.Problems) > 0 {
			return problems // rolls back everything
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return im.result, nil
}

// trackingReader remembers a failure of the underlying reader, so that it is
// reported as what it is and not as malformed JSON.
type trackingReader struct {
	r   io.Reader
	err error
}

func (t *trackingReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

// decodeMessage words a per-entry decoding error for people.
func decodeMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%s must be of type %s, not %s", te.Field, jsonType(te.Type.Kind().String()), te.Value)
		}
		return fmt.Sprintf("an entry must be an object, not %s", te.Value)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return "unknown field " + f
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return "created_at and updated_at must be RFC 3339 date-times"
	}
	return msg
}

func jsonType(kind string) string {
	switch kind {
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	default:
		return kind
	}
}

type pendingUser struct {
	index    int
	user     store.User
	email    []store.Email
	prim     store.PrimaryEmail
	password *store.PasswordCredential
}

// importer accumulates validated entries and writes them in batches.
type importer struct {
	s        *Service
	problems *ImportError
	now      time.Time
	batch    []pendingUser
	result   ImportResult
}

// add validates one entry and queues it for the next flush.
func (im *importer) add(i int, e ImportEntry) {
	bad := len(im.problems.Problems) + im.problems.Omitted
	p := pendingUser{index: i}
	if e.UserID != "" {
		id, err := uuid.Parse(e.UserID)
		if err != nil || id == uuid.Nil {
			im.problems.add(i, "user_id %q is not a valid uuid", e.UserID)
		}
		p.user.ID = id
	} else {
		id, err := im.s.newID()
		if err != nil {
			im.problems.add(i, "%v", err)
		}
		p.user.ID = id
	}
	p.user.CreatedAt, p.user.UpdatedAt = im.now, im.now
	if e.CreatedAt != nil {
		p.user.CreatedAt = e.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	if e.UpdatedAt != nil {
		p.user.UpdatedAt = e.UpdatedAt.UTC().Truncate(time.Microsecond)
	}
	if len(e.Emails) == 0 {
		im.problems.add(i, "emails must contain at least one address")
	}
	primaries := 0
	seen := map[string]bool{}
	for j, ie := range e.Emails {
		a, err := im.s.normalizeEmail(ie.Address)
		switch {
		case err != nil:
			im.problems.add(i, "emails[%d]: %q: %v", j, ie.Address, err)
		case seen[a]:
			im.problems.add(i, "emails[%d]: %q appears twice in this entry", j, a)
		}
		seen[a] = true
		if ie.IsPrimary == nil || ie.IsVerified == nil {
			im.problems.add(i, "emails[%d]: is_primary and is_verified are required", j)
			continue
		}
		id, err := im.s.newID()
		if err != nil {
			im.problems.add(i, "%v", err)
		}
		uid := p.user.ID
		p.email = append(p.email, store.Email{ID: id, UserID: &uid, Address: a, Verified: *ie.IsVerified, CreatedAt: p.user.CreatedAt, UpdatedAt: p.user.UpdatedAt})
		if *ie.IsPrimary {
			primaries++
			pid, err := im.s.newID()
			if err != nil {
				im.problems.add(i, "%v", err)
			}
			p.prim = store.PrimaryEmail{ID: pid, EmailID: id, UserID: uid, CreatedAt: p.user.CreatedAt, UpdatedAt: p.user.UpdatedAt}
		}
	}
	if len(e.Emails) > 0 && primaries != 1 {
		im.problems.add(i, "exactly one email must be primary, found %d", primaries)
	}
	if e.Password != "" {
		if !plausibleHash(e.Password) {
			im.problems.add(i, "password must be a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$) hash")
		} else if id, err := im.s.newID(); err != nil {
			im.problems.add(i, "%v", err)
		} else {
			p.password = &store.PasswordCredential{ID: id, UserID: p.user.ID, Password: e.Password, CreatedAt: p.user.CreatedAt, UpdatedAt: p.user.UpdatedAt}
		}
	}
	if len(im.problems.Problems)+im.problems.Omitted == bad {
		im.batch = append(im.batch, p)
	}
}

// flush checks the queued users against each other and the database, then
// writes those that collide with nothing. Once the import has failed, rows
// are still written (inside the transaction that will roll back) so that
// later duplicates of them are reported too.
func (im *importer) flush(ctx context.Context) error {
	if len(im.batch) == 0 {
		return nil
	}
	st := im.s.cfg.Store
	ids := make([]uuid.UUID, 0, len(im.batch))
	var addrs []string
	for _, p := range im.batch {
		ids = append(ids, p.user.ID)
		for _, e := range p.email {
			addrs = append(addrs, e.Address)
		}
	}
	takenIDs, err := st.ExistingUserIDs(ctx, ids)
	if err != nil {
		return err
	}
	takenAddrs, err := st.ExistingEmailAddresses(ctx, addrs)
	if err != nil {
		return err
	}
	idTaken := make(map[uuid.UUID]bool, len(takenIDs)+len(ids))
	for _, id := range takenIDs {
		idTaken[id] = true
	}
	addrTaken := make(map[string]bool, len(takenAddrs)+len(addrs))
	for _, a := range takenAddrs {
		addrTaken[a] = true
	}
	var (
		users []store.User
		ems   []store.Email
		prims []store.PrimaryEmail
		pws   []store.PasswordCredential
	)
	for _, p := range im.batch {
		ok := true
		if idTaken[p.user.ID] {
			im.problems.add(p.index, "user_id %s already exists (in the database or earlier in the file)", p.user.ID)
			ok = false
		}
		for _, e := range p.email {
			if addrTaken[e.Address] {
				im.problems.add(p.index, "email %q already exists (in the database or earlier in the file)", e.Address)
				ok = false
			}
		}
		idTaken[p.user.ID] = true
		for _, e := range p.email {
			addrTaken[e.Address] = true
		}
		if !ok {
			continue
		}
		users = append(users, p.user)
		ems = append(ems, p.email...)
		prims = append(prims, p.prim)
		if p.password != nil {
			pws = append(pws, *p.password)
		}
	}
	im.batch = im.batch[:0]
	if err := st.InsertUsers(ctx, users); err != nil {
		return err
	}
	if err := st.InsertEmails(ctx, ems); err != nil {
		return err
	}
	if err := st.InsertPrimaryEmails(ctx, prims); err != nil {
		return err
	}
	if err := st.InsertPasswordCredentials(ctx, pws); err != nil {
		return err
	}
	im.result.Users += len(users)
	im.result.Emails += len(ems)
	return nil
}

// ExportResult counts what an export wrote.
type ExportResult struct {
	Users int
	// Skipped counts users without any email address (for example sign-ups
	// still awaiting verification): the import format cannot hold them.
	Skipped int
}

// Export writes every user that has an email address to w in the import
// format, ordered by user ID. It streams in pages of 1,000 users.
func (s *Service) Export(ctx context.Context, w io.Writer) (ExportResult, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	var res ExportResult
	if _, err := bw.WriteString("["); err != nil {
		return res, err
	}
	after := uuid.Nil
	for {
		page, err := s.cfg.Store.ScanUsers(ctx, after, importBatch)
		if err != nil {
			return res, err
		}
		for _, u := range page {
			if len(u.Emails) == 0 {
				res.Skipped++
				continue
			}
			if res.Users > 0 {
				if err := bw.WriteByte(','); err != nil {
					return res, err
				}
			}
			if err := enc.Encode(exportEntry(u)); err != nil {
				return res, err
			}
			res.Users++
		}
		if len(page) < importBatch {
			break
		}
		after = page[len(page)-1].ID
	}
	if _, err := bw.WriteString("]\n"); err != nil {
		return res, err
	}
	return res, bw.Flush()
}

func exportEntry(u store.User) ImportEntry {
	primary := u.PrimaryEmailID()
	e := ImportEntry{UserID: u.ID.String(), CreatedAt: &u.CreatedAt, UpdatedAt: &u.UpdatedAt}
	if u.Password != nil {
		e.Password = u.Password.Password
	}
	for _, m := range u.Emails {
		isPrimary, verified := m.ID == primary, m.Verified
		e.Emails = append(e.Emails, ImportEmail{Address: m.Address, IsPrimary: &isPrimary, IsVerified: &verified})
	}
	return e
}

// plausibleHash accepts the shapes of the hashes the password feature
// verifies: bcrypt (60 characters) and argon2id PHC strings. It is a
// format check only; the password feature parses the hash at login.
func plausibleHash(h string) bool {
	switch {
	case len(h) == 60 && (strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")):
		return true
	case strings.HasPrefix(h, "$argon2id$v=19$") && strings.Count(h, "$") == 5 && len(h) < 512:
		return true
	}
	return false
}
