package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/users"
)

func TestAdminCreateUser(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantMsg    string
	}{
		{"emails", `{"emails":[{"address":"Ada@Example.com","is_primary":true,"is_verified":true},{"address":"ada2@example.com"}]}`, 200, ""},
		{"id and created_at", fmt.Sprintf(`{"id":%q,"created_at":"2020-01-02T03:04:05.123456Z","emails":[{"address":"a@example.com","is_primary":true}]}`, id), 200, ""},
		{"username only", `{"username":"ada_l"}`, 200, ""},
		{"nothing", `{}`, 400, "at least one of emails or username must be set"},
		{"no primary", `{"emails":[{"address":"a@example.com"}]}`, 400, "exactly one email must be primary"},
		{"two primaries", `{"emails":[{"address":"a@example.com","is_primary":true},{"address":"b@example.com","is_primary":true}]}`, 400, "exactly one email must be primary"},
		{"duplicate addresses", `{"emails":[{"address":"a@example.com","is_primary":true},{"address":"A@example.com"}]}`, 400, "emails entries are not unique"},
		{"invalid address", `{"emails":[{"address":"a@","is_primary":true}]}`, 400, "email must be a valid email address"},
		{"missing address", `{"emails":[{"is_primary":true}]}`, 400, "emails[0].address is a required field"},
		{"invalid id", `{"id":"123","emails":[{"address":"a@example.com","is_primary":true}]}`, 400, "id must be a valid uuid"},
		{"invalid username", `{"username":"no spaces"}`, 400, "username must contain only letters, digits and underscores"},
		{"wrong type", `{"emails":"a@example.com"}`, 400, "emails must be an array, not string"},
		{"bad created_at", `{"created_at":"yesterday","username":"abc"}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newTestAPI(t)
			rec := do(t, api.admin, "POST", "/users", tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantStatus != 200 {
				if e := decode[errBody](t, rec); tt.wantMsg != "" && e.Message != tt.wantMsg {
					t.Fatalf("message %q, want %q", e.Message, tt.wantMsg)
				}
				if _, n, _ := api.db.ListUsers(t.Context(), storeQuery()); n != 0 {
					t.Fatalf("a refused create left %d users behind", n)
				}
				return
			}
			u := decode[adminUser](t, rec)
			got := do(t, api.admin, "GET", "/users/"+u.ID, "")
			if got.Code != 200 || decode[adminUser](t, got).ID != u.ID {
				t.Fatalf("get after create: %d %s", got.Code, got.Body)
			}
			switch tt.name {
			case "emails":
				// Both addresses share created_at; their order is not specified.
				byAddr := map[string]adminEmail{}
				for _, e := range u.Emails {
					byAddr[e.Address] = e
				}
				a, b := byAddr["ada@example.com"], byAddr["ada2@example.com"]
				if len(u.Emails) != 2 || !a.IsPrimary || !a.IsVerified || b.ID == "" || b.IsPrimary || b.IsVerified {
					t.Fatalf("emails %+v", u.Emails)
				}
			case "id and created_at":
				want := time.Date(2020, 1, 2, 3, 4, 5, 123456000, time.UTC)
				if u.ID != id.String() || !u.CreatedAt.Equal(want) {
					t.Fatalf("id %s created %v", u.ID, u.CreatedAt)
				}
			case "username only":
				if u.Username == nil || u.Username.Username != "ada_l" || len(u.Emails) != 0 {
					t.Fatalf("user %+v", u)
				}
				if strings.Contains(rec.Body.String(), `"emails"`) {
					t.Fatalf("emails must be omitted when empty: %s", rec.Body)
				}
			}
		})
	}
}

func TestAdminCreateUserConflicts(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	id := uuid.New()
	first := fmt.Sprintf(`{"id":%q,"emails":[{"address":"a@example.com","is_primary":true}],"username":"ada"}`, id)
	if rec := do(t, api.admin, "POST", "/users", first); rec.Code != 200 {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	for name, body := range map[string]string{
		"same id":       fmt.Sprintf(`{"id":%q,"emails":[{"address":"b@example.com","is_primary":true}]}`, id),
		"same email":    `{"emails":[{"address":"A@example.com","is_primary":true}]}`,
		"same username": `{"username":"ada"}`,
	} {
		rec := do(t, api.admin, "POST", "/users", body)
		if rec.Code != http.StatusConflict {
			t.Errorf("%s: %d %s, want 409", name, rec.Code, rec.Body)
		}
	}
	if _, n, _ := api.db.ListUsers(t.Context(), storeQuery()); n != 1 {
		t.Fatalf("conflicting creates left %d users, want 1", n)
	}
}

func TestAdminGetAndDeleteUser(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u := mustCreate(t, api, "a@example.com")
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/users/not-a-uuid", 400},
		{"GET", "/users/" + uuid.NewString(), 404},
		{"DELETE", "/users/not-a-uuid", 400},
		{"DELETE", "/users/" + uuid.NewString(), 404},
		{"GET", "/users/" + u.ID.String(), 200},
		{"DELETE", "/users/" + u.ID.String(), 204},
		{"GET", "/users/" + u.ID.String(), 404},
		{"DELETE", "/users/" + u.ID.String(), 404},
	} {
		if rec := do(t, api.admin, tt.method, tt.path, ""); rec.Code != tt.want {
			t.Errorf("%s %s: %d, want %d (%s)", tt.method, tt.path, rec.Code, tt.want, rec.Body)
		}
	}
	if _, err := api.db.GetEmailByAddress(t.Context(), "a@example.com"); err == nil {
		t.Error("deleting the user must delete its emails")
	}
}

func TestAdminListUsers(t *testing.T) {
	t.Parallel()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	api := newTestAPI(t)
	var ids []string
	for i := range 25 {
		u, err := api.users.Create(t.Context(), users.NewUser{
			CreatedAt: base.Add(time.Duration(i) * time.Hour),
			Emails:    []users.NewEmail{{Address: fmt.Sprintf("user%02d@%s.com", i, map[bool]string{true: "even", false: "odd"}[i%2 == 0]), Primary: true}},
			Username:  fmt.Sprintf("name_%02d", i),
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.ID.String())
	}
	list := func(query string) ([]adminUser, http.Header) {
		t.Helper()
		rec := do(t, api.admin, "GET", "/users"+query, "")
		if rec.Code != 200 {
			t.Fatalf("GET /users%s: %d %s", query, rec.Code, rec.Body)
		}
		return decode[[]adminUser](t, rec), rec.Header()
	}

	got, h := list("")
	if len(got) != 20 || got[0].ID != ids[24] || h.Get("X-Total-Count") != "25" {
		t.Fatalf("default page: %d users, first %s, total %s", len(got), got[0].ID, h.Get("X-Total-Count"))
	}
	wantLink := `<http://example.com/users?page=2&per_page=20>; rel="last",<http://example.com/users?page=2&per_page=20>; rel="next"`
	if h.Get("Link") != wantLink {
		t.Errorf("Link page 1:\n got %s\nwant %s", h.Get("Link"), wantLink)
	}
	got, h = list("?page=2&per_page=20&sort_direction=asc")
	if len(got) != 5 || got[0].ID != ids[20] {
		t.Fatalf("page 2 asc: %d users", len(got))
	}
	if l := h.Get("Link"); !strings.Contains(l, `page=1&per_page=20&sort_direction=asc>; rel="first"`) || !strings.Contains(l, `rel="prev"`) || strings.Contains(l, `rel="next"`) {
		t.Errorf("Link page 2: %s", l)
	}
	if got, h = list("?email=EVEN.com&per_page=100"); len(got) != 13 || h.Get("X-Total-Count") != "13" {
		t.Errorf("email filter: %d users, total %s", len(got), h.Get("X-Total-Count"))
	}
	if got, _ = list("?username=name_0"); len(got) != 10 {
		t.Errorf("username filter: %d users", len(got))
	}
	if got, _ = list("?email=%25"); len(got) != 0 {
		t.Errorf("a %% in the filter must be literal: %d users", len(got))
	}
	if got, _ = list("?user_id=" + ids[3] + "," + ids[7]); len(got) != 2 || got[0].ID != ids[7] {
		t.Errorf("user_id filter: %+v", got)
	}
	if got, _ = list("?per_page=1&page=30"); len(got) != 0 {
		t.Errorf("page past the end: %d users", len(got))
	}
	for _, q := range []string{"?page=0", "?page=x", "?per_page=-1", "?sort_direction=up", "?user_id=nope", "?user_id=" + ids[0] + ",x"} {
		if rec := do(t, api.admin, "GET", "/users"+q, ""); rec.Code != 400 || decode[errBody](t, rec).Code != 400 {
			t.Errorf("%s: %d, want 400", q, rec.Code)
		}
	}
}

func TestAdminEmails(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u := mustCreate(t, api, "a@example.com")
	uid := u.ID.String()
	primary := u.Emails[0].ID.String()
	other := mustCreate(t, api, "taken@example.com")

	rec := do(t, api.admin, "POST", "/users/"+uid+"/emails", `{"address":"B@example.com","is_verified":true,"is_primary":true}`)
	if rec.Code != 201 {
		t.Fatalf("add: %d %s", rec.Code, rec.Body)
	}
	added := decode[adminEmail](t, rec)
	if added.Address != "b@example.com" || !added.IsVerified || added.IsPrimary {
		t.Fatalf("added %+v (is_primary must be ignored: the user has a primary)", added)
	}
	for _, tt := range []struct {
		name, method, path, body string
		want                     int
	}{
		{"taken by another user", "POST", "/users/" + uid + "/emails", `{"address":"taken@example.com"}`, 400},
		{"own address again", "POST", "/users/" + uid + "/emails", `{"address":"a@example.com"}`, 400},
		{"invalid address", "POST", "/users/" + uid + "/emails", `{"address":"nope"}`, 400},
		{"missing address", "POST", "/users/" + uid + "/emails", `{}`, 400},
		{"unknown user", "POST", "/users/" + uuid.NewString() + "/emails", `{"address":"c@example.com"}`, 404},
		{"bad user id", "POST", "/users/x/emails", `{"address":"c@example.com"}`, 400},
		{"list", "GET", "/users/" + uid + "/emails", "", 200},
		{"list unknown user", "GET", "/users/" + uuid.NewString() + "/emails", "", 404},
		{"get", "GET", "/users/" + uid + "/emails/" + added.ID, "", 200},
		{"get other user's email", "GET", "/users/" + uid + "/emails/" + other.Emails[0].ID.String(), "", 404},
		{"get bad email id", "GET", "/users/" + uid + "/emails/x", "", 400},
		{"delete primary", "DELETE", "/users/" + uid + "/emails/" + primary, "", 409},
		{"delete other user's email", "DELETE", "/users/" + uid + "/emails/" + other.Emails[0].ID.String(), "", 404},
		{"set primary", "POST", "/users/" + uid + "/emails/" + added.ID + "/set_primary", "", 204},
		{"set primary again", "POST", "/users/" + uid + "/emails/" + added.ID + "/set_primary", "", 204},
		{"set other user's email primary", "POST", "/users/" + uid + "/emails/" + other.Emails[0].ID.String() + "/set_primary", "", 404},
		{"delete former primary", "DELETE", "/users/" + uid + "/emails/" + primary, "", 204},
		{"delete again", "DELETE", "/users/" + uid + "/emails/" + primary, "", 404},
	} {
		rec := do(t, api.admin, tt.method, tt.path, tt.body)
		if rec.Code != tt.want {
			t.Fatalf("%s: %d, want %d (%s)", tt.name, rec.Code, tt.want, rec.Body)
		}
	}
	es := decode[[]adminEmail](t, do(t, api.admin, "GET", "/users/"+uid+"/emails", ""))
	if len(es) != 1 || es[0].ID != added.ID || !es[0].IsPrimary {
		t.Fatalf("emails after the changes: %+v", es)
	}
}

func TestAdminEmailLimitUnderConcurrency(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u := mustCreate(t, api, "a@example.com")
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for i := range 20 {
		wg.Go(func() {
			rec := do(t, api.admin, "POST", "/users/"+u.ID.String()+"/emails", `{"address":"x`+strconv.Itoa(i)+`@example.com"}`)
			codes <- rec.Code
		})
	}
	wg.Wait()
	close(codes)
	created := 0
	for c := range codes {
		switch c {
		case 201:
			created++
		case 409:
		default:
			t.Errorf("unexpected status %d", c)
		}
	}
	es, err := api.users.Emails(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if created != 4 || len(es) != 5 {
		t.Fatalf("limit 5: %d adds succeeded, user has %d emails", created, len(es))
	}
}

func mustCreate(t testing.TB, api *testAPI, address string) users.User {
	t.Helper()
	u, err := api.users.Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: address, Primary: true, Verified: true}}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestAdminListUsersBadFilters(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	for _, q := range []string{
		"email=%00", "username=a%00b", "email=%FF", "email=" + strings.Repeat("a", 256),
		"page=9223372036854775807", "page=0", "per_page=-1",
	} {
		rec := do(t, api.admin, "GET", "/users?"+q, "")
		if rec.Code != 400 || decode[errBody](t, rec).Message == "" {
			t.Errorf("GET /users?%s: %d %s, want 400", q, rec.Code, rec.Body)
		}
	}
}
