package httpapi_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/httpapi"
	"github.com/hanko-go/hanko/users"
)

// withoutEmailVerification switches email.require_verification off.
func withoutEmailVerification(c *users.Config, _ *httpapi.Deps) { c.RequireVerification = false }

// ownListedEmail is an element of GET /emails.
type ownListedEmail struct {
	ID         string `json:"id"`
	Address    string `json:"address"`
	IsVerified bool   `json:"is_verified"`
	IsPrimary  bool   `json:"is_primary"`
}

// ownEmailModel is the body of POST /emails.
type ownEmailModel struct {
	ID        string    `json:"id"`
	UserID    *string   `json:"user_id"`
	Address   string    `json:"address"`
	Verified  bool      `json:"verified"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// wantJSONKeys fails unless the JSON object has exactly the given keys.
func wantJSONKeys(t testing.TB, what string, obj map[string]any, keys ...string) {
	t.Helper()
	got := slices.Sorted(maps.Keys(obj))
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Fatalf("%s has keys %v, want %v", what, got, keys)
	}
}

// listOwnEmails calls GET /emails and checks the shape of every element.
func listOwnEmails(t testing.TB, api *testAPI, tok string) []ownListedEmail {
	t.Helper()
	rec := do(t, api.public, "GET", "/emails", "", "Authorization", "Bearer "+tok)
	if rec.Code != 200 {
		t.Fatalf("GET /emails: %d %s", rec.Code, rec.Body)
	}
	for i, obj := range decode[[]map[string]any](t, rec) {
		wantJSONKeys(t, fmt.Sprintf("GET /emails[%d]", i), obj, "id", "address", "is_verified", "is_primary")
	}
	return decode[[]ownListedEmail](t, rec)
}

// addOwnEmail calls POST /emails, expecting 200, and checks the body's shape.
func addOwnEmail(t testing.TB, api *testAPI, tok, address string) ownEmailModel {
	t.Helper()
	rec := do(t, api.public, "POST", "/emails", fmt.Sprintf(`{"address":%q}`, address), "Authorization", "Bearer "+tok)
	if rec.Code != 200 {
		t.Fatalf("POST /emails %s: %d %s", address, rec.Code, rec.Body)
	}
	keys := []string{"id", "address", "verified", "created_at", "updated_at"}
	e := decode[ownEmailModel](t, rec)
	if e.UserID != nil {
		keys = append(keys, "user_id")
	}
	wantJSONKeys(t, "POST /emails", decode[map[string]any](t, rec), keys...)
	if e.CreatedAt.IsZero() || e.UpdatedAt.IsZero() {
		t.Fatalf("POST /emails without timestamps: %s", rec.Body)
	}
	return e
}

func TestOwnEmailsNeedSession(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u, _ := login(t, api, "ada@example.com")
	id := u.Emails[0].ID.String()
	for _, tt := range []struct{ method, path, body string }{
		{"GET", "/emails", ""},
		{"POST", "/emails", `{"address":"new@example.com"}`},
		{"DELETE", "/emails/" + id, ""},
		{"POST", "/emails/" + id + "/set_primary", ""},
	} {
		for _, header := range [][]string{nil, {"Authorization", "Bearer garbage"}} {
			rec := do(t, api.public, tt.method, tt.path, tt.body, header...)
			if rec.Code != 401 || decode[errBody](t, rec).Code != 401 {
				t.Errorf("%s %s with %v: %d %s, want 401", tt.method, tt.path, header, rec.Code, rec.Body)
			}
		}
	}
	if es, _ := api.users.Emails(t.Context(), u.ID); len(es) != 1 || !es[0].Primary {
		t.Fatalf("emails changed without a session: %+v", es)
	}
}

func TestOwnEmailsWithoutVerification(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t, withoutEmailVerification)
	u, tok := login(t, api, "ada@example.com")
	bob := mustCreate(t, api, "bob@example.com")
	bearer := []string{"Authorization", "Bearer " + tok}
	primary := u.Emails[0].ID.String()

	got := listOwnEmails(t, api, tok)
	if len(got) != 1 || got[0] != (ownListedEmail{ID: primary, Address: "ada@example.com", IsVerified: true, IsPrimary: true}) {
		t.Fatalf("GET /emails: %+v", got)
	}
	added := addOwnEmail(t, api, tok, " Second@Example.com")
	if added.UserID == nil || *added.UserID != u.ID.String() || added.Verified || added.Address != "second@example.com" {
		t.Fatalf("POST /emails: %+v; want assigned to %s, unverified, normalised", added, u.ID)
	}
	got = listOwnEmails(t, api, tok)
	if len(got) != 2 || !slices.Contains(got, ownListedEmail{ID: added.ID, Address: "second@example.com"}) {
		t.Fatalf("GET /emails after the add: %+v", got)
	}

	// Steps run in order: each may depend on the ones before.
	for _, tt := range []struct {
		name, method, path, body string
		want                     int
		msg                      string
	}{
		{"add another user's address", "POST", "/emails", `{"address":"BOB@example.com"}`, 400, "email address already in use"},
		{"add an own address again", "POST", "/emails", `{"address":"ada@example.com"}`, 400, "email address already in use"},
		{"add an invalid address", "POST", "/emails", `{"address":"ada@"}`, 400, "email must be a valid email address"},
		{"add without an address", "POST", "/emails", `{}`, 400, "address is a required field"},
		{"add with malformed JSON", "POST", "/emails", `{"address":`, 400, ""},
		{"add with a wrong type", "POST", "/emails", `{"address":1}`, 400, ""},
		{"delete with a bad id", "DELETE", "/emails/x", "", 400, "id must be a valid uuid"},
		{"delete the primary", "DELETE", "/emails/" + primary, "", 409, "primary email address can not be deleted"},
		{"delete another user's", "DELETE", "/emails/" + bob.Emails[0].ID.String(), "", 404, "email not found"},
		{"delete an unknown one", "DELETE", "/emails/" + uuid.NewString(), "", 404, "email not found"},
		{"set primary with a bad id", "POST", "/emails/x/set_primary", "", 400, "id must be a valid uuid"},
		{"set another user's primary", "POST", "/emails/" + bob.Emails[0].ID.String() + "/set_primary", "", 404, "email not found"},
		{"set an unknown one primary", "POST", "/emails/" + uuid.NewString() + "/set_primary", "", 404, "email not found"},
		{"set primary", "POST", "/emails/" + added.ID + "/set_primary", "", 204, ""},
		{"set primary again", "POST", "/emails/" + added.ID + "/set_primary", "", 204, ""},
		{"delete the new primary", "DELETE", "/emails/" + added.ID, "", 409, "primary email address can not be deleted"},
		{"delete the former primary", "DELETE", "/emails/" + primary, "", 204, ""},
		{"delete it again", "DELETE", "/emails/" + primary, "", 404, "email not found"},
	} {
		rec := do(t, api.public, tt.method, tt.path, tt.body, bearer...)
		if rec.Code != tt.want {
			t.Fatalf("%s: %d %s, want %d", tt.name, rec.Code, rec.Body, tt.want)
		}
		if tt.want == 204 {
			if rec.Body.Len() != 0 {
				t.Errorf("%s: body %q, want none", tt.name, rec.Body)
			}
			continue
		}
		if b := decode[errBody](t, rec); b.Code != tt.want || tt.msg != "" && b.Message != tt.msg {
			t.Errorf("%s: body %+v, want code %d message %q", tt.name, b, tt.want, tt.msg)
		}
	}
	got = listOwnEmails(t, api, tok)
	if len(got) != 1 || got[0] != (ownListedEmail{ID: added.ID, Address: "second@example.com", IsPrimary: true}) {
		t.Fatalf("GET /emails at the end: %+v", got)
	}
	if es, _ := api.users.Emails(t.Context(), bob.ID); len(es) != 1 || !es[0].Primary {
		t.Fatalf("bob's emails changed: %+v", es)
	}

	// The limit (5) counts the user's addresses.
	for i := range 4 {
		addOwnEmail(t, api, tok, fmt.Sprintf("more%d@example.com", i))
	}
	rec := do(t, api.public, "POST", "/emails", `{"address":"sixth@example.com"}`, bearer...)
	if b := decode[errBody](t, rec); rec.Code != 409 || b.Code != 409 || b.Message != "max number of email addresses reached" {
		t.Fatalf("add over the limit: %d %s", rec.Code, rec.Body)
	}
	if got := listOwnEmails(t, api, tok); len(got) != 5 {
		t.Fatalf("%d emails after the limit, want 5", len(got))
	}
}

func TestOwnEmailPendingVerification(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t) // email.require_verification on
	u, tok := login(t, api, "ada@example.com")
	_, bobTok := login(t, api, "bob@example.com")
	bearer := []string{"Authorization", "Bearer " + tok}

	pending := addOwnEmail(t, api, tok, "New@Example.com")
	if pending.UserID != nil || pending.Verified || pending.Address != "new@example.com" {
		t.Fatalf("POST /emails: %+v; want unassigned and unverified", pending)
	}
	if got := listOwnEmails(t, api, tok); len(got) != 1 || got[0].Address != "ada@example.com" {
		t.Fatalf("a pending address is listed: %+v", got)
	}
	// Not the user's until verified.
	for _, tt := range []struct{ method, path string }{
		{"DELETE", "/emails/" + pending.ID},
		{"POST", "/emails/" + pending.ID + "/set_primary"},
	} {
		if rec := do(t, api.public, tt.method, tt.path, "", bearer...); rec.Code != 404 {
			t.Errorf("%s %s of a pending address: %d %s, want 404", tt.method, tt.path, rec.Code, rec.Body)
		}
	}
	// Anyone may start verifying a pending address: the row is shared.
	if again := addOwnEmail(t, api, bobTok, "new@example.com"); again.ID != pending.ID || again.UserID != nil {
		t.Fatalf("bob's add of the pending address: %+v; want row %s", again, pending.ID)
	}

	rec := do(t, api.public, "POST", "/passcode/login/initialize",
		fmt.Sprintf(`{"user_id":%q,"email_id":%q}`, u.ID, pending.ID), bearer...)
	if rec.Code != 200 {
		t.Fatalf("passcode initialize: %d %s", rec.Code, rec.Body)
	}
	pc := decode[map[string]any](t, rec)
	msg, code := api.mails.last(t)
	if msg.To != "new@example.com" {
		t.Fatalf("the passcode went to %s", msg.To)
	}
	rec = do(t, api.public, "POST", "/passcode/login/finalize", fmt.Sprintf(`{"id":%q,"code":%q}`, pc["id"], code), bearer...)
	if rec.Code != 200 {
		t.Fatalf("passcode finalize: %d %s", rec.Code, rec.Body)
	}

	got := listOwnEmails(t, api, tok)
	want := []ownListedEmail{
		{ID: u.Emails[0].ID.String(), Address: "ada@example.com", IsVerified: true, IsPrimary: true},
		{ID: pending.ID, Address: "new@example.com", IsVerified: true},
	}
	slices.SortFunc(got, func(a, b ownListedEmail) int { return strings.Compare(a.Address, b.Address) })
	if !slices.Equal(got, want) {
		t.Fatalf("GET /emails after verification: %+v, want %+v", got, want)
	}
	// Now it is ada's: bob can no longer add it, ada can make it primary.
	rec = do(t, api.public, "POST", "/emails", `{"address":"new@example.com"}`, "Authorization", "Bearer "+bobTok)
	if rec.Code != 400 {
		t.Fatalf("bob's add of ada's verified address: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, api.public, "POST", "/emails/"+pending.ID+"/set_primary", "", bearer...); rec.Code != 204 {
		t.Fatalf("set the verified address primary: %d %s", rec.Code, rec.Body)
	}
}

func TestOwnEmailLimitConcurrent(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t, withoutEmailVerification) // the limit is 5
	u, tok := login(t, api, "ada@example.com")
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for i := range 20 {
		wg.Go(func() {
			codes <- do(t, api.public, "POST", "/emails", fmt.Sprintf(`{"address":"racer%d@example.com"}`, i), "Authorization", "Bearer "+tok).Code
		})
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
		default:
			t.Errorf("status %d", c)
		}
	}
	es, err := api.users.Emails(t.Context(), u.ID)
	if ok != 4 || err != nil || len(es) != 5 {
		t.Fatalf("%d adds succeeded and the user has %d addresses (%v); want 4 and 5", ok, len(es), err)
	}
}
