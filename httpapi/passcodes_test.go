package httpapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hanko-go/hanko/users"
)

func TestSignUpVerifiedByPasscode(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	signup := decode[map[string]string](t, do(t, api.public, "POST", "/users", `{"email":"Ada@Example.com"}`))

	rec := do(t, api.public, "POST", "/passcode/login/initialize",
		fmt.Sprintf(`{"user_id":%q,"email_id":%q}`, signup["user_id"], signup["email_id"]), "Accept-Language", "de-DE,de;q=0.9")
	if rec.Code != 200 {
		t.Fatalf("initialize: %d %s", rec.Code, rec.Body)
	}
	init := decode[map[string]any](t, rec)
	if init["ttl"] != float64(300) || init["id"] == nil || init["created_at"] == nil {
		t.Fatalf("initialize body %v", init)
	}
	msg, code := api.mails.last(t)
	if msg.To != "ada@example.com" || !strings.Contains(msg.Subject, code) && !strings.Contains(msg.Text, code) {
		t.Fatalf("mail %+v", msg)
	}
	if strings.Contains(rec.Body.String(), code) {
		t.Fatal("the code leaked into the response")
	}

	rec = do(t, api.public, "POST", "/passcode/login/finalize", fmt.Sprintf(`{"id":%q,"code":%q}`, init["id"], code))
	if rec.Code != 200 || rec.Header().Get("X-Session-Lifetime") == "" {
		t.Fatalf("finalize: %d %s %v", rec.Code, rec.Body, rec.Header())
	}
	var token string
	for _, c := range rec.Result().Cookies() {
		if c.Name == "hanko" {
			token = c.Value
		}
	}
	if rec := do(t, api.public, "GET", "/me", "", "Authorization", "Bearer "+token); rec.Code != 200 {
		t.Fatalf("the issued session does not work: %d", rec.Code)
	}
	u, err := api.users.Get(t.Context(), uuid.MustParse(signup["user_id"]))
	if err != nil || len(u.Emails) != 1 || !u.Emails[0].Verified || !u.Emails[0].Primary || u.Emails[0].Address != "ada@example.com" {
		t.Fatalf("after verification: %+v %v", u, err)
	}
	// Used once: the same code again is unknown.
	rec = do(t, api.public, "POST", "/passcode/login/finalize", fmt.Sprintf(`{"id":%q,"code":%q}`, init["id"], code))
	if rec.Code != 401 {
		t.Fatalf("replayed passcode: %d", rec.Code)
	}
}

func TestPasscodeLogin(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u := mustCreate(t, api, "ada@example.com")
	rec := do(t, api.public, "POST", "/passcode/login/initialize", fmt.Sprintf(`{"user_id":%q}`, u.ID))
	if rec.Code != 200 {
		t.Fatalf("initialize: %d %s", rec.Code, rec.Body)
	}
	id := decode[map[string]any](t, rec)["id"].(string)
	_, code := api.mails.last(t)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i, want := range []int{401, 401, 410} {
		rec := do(t, api.public, "POST", "/passcode/login/finalize", fmt.Sprintf(`{"id":%q,"code":%q}`, id, wrong))
		if rec.Code != want || decode[errBody](t, rec).Code != want {
			t.Fatalf("wrong guess %d: %d %s", i+1, rec.Code, rec.Body)
		}
	}
	rec = do(t, api.public, "POST", "/passcode/login/finalize", fmt.Sprintf(`{"id":%q,"code":%q}`, id, code))
	if rec.Code != 401 {
		t.Fatalf("the right code after three wrong ones: %d", rec.Code)
	}

	// A fresh passcode that expires.
	rec = do(t, api.public, "POST", "/passcode/login/initialize", fmt.Sprintf(`{"user_id":%q}`, u.ID))
	id = decode[map[string]any](t, rec)["id"].(string)
	_, code = api.mails.last(t)
	api.clock.Add(301 * time.Second)
	rec = do(t, api.public, "POST", "/passcode/login/finalize", fmt.Sprintf(`{"id":%q,"code":%q}`, id, code))
	if rec.Code != 408 {
		t.Fatalf("expired passcode: %d %s", rec.Code, rec.Body)
	}
}

func TestPasscodeBadRequests(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u := mustCreate(t, api, "ada@example.com")
	other := mustCreate(t, api, "bob@example.com")
	_, bobToken := login(t, api, "carol@example.com")
	noEmail, err := api.users.Create(t.Context(), users.NewUser{Username: "dave_nomail"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, body string
		header     []string
		want       int
		msg        string
	}{
		{"bad user id", `{"user_id":"x"}`, nil, 400, "user_id must be a valid uuid4"},
		{"missing user id", `{}`, nil, 400, "user_id must be a valid uuid4"},
		{"unknown user", fmt.Sprintf(`{"user_id":%q}`, uuid.New()), nil, 400, "user not found"},
		{"bad email id", fmt.Sprintf(`{"user_id":%q,"email_id":"x"}`, u.ID), nil, 400, "email_id must be a valid uuid4"},
		{"unknown email", fmt.Sprintf(`{"user_id":%q,"email_id":%q}`, u.ID, uuid.New()), nil, 400, "email not found"},
		{"another user's email", fmt.Sprintf(`{"user_id":%q,"email_id":%q}`, u.ID, other.Emails[0].ID), nil, 403, ""},
		{"no email at all", fmt.Sprintf(`{"user_id":%q}`, noEmail.ID), nil, 400, "an emailId needs to be specified"},
		{"session of another user", fmt.Sprintf(`{"user_id":%q}`, u.ID), []string{"Authorization", "Bearer " + bobToken}, 403, ""},
		{"malformed JSON", `{"user_id":`, nil, 400, ""},
	} {
		rec := do(t, api.public, "POST", "/passcode/login/initialize", tt.body, tt.header...)
		if rec.Code != tt.want || tt.msg != "" && decode[errBody](t, rec).Message != tt.msg {
			t.Errorf("initialize %s: %d %s, want %d %q", tt.name, rec.Code, rec.Body, tt.want, tt.msg)
		}
	}
	for _, tt := range []struct {
		name, body string
		want       int
	}{
		{"bad id", `{"id":"x","code":"123456"}`, 400},
		{"missing code", fmt.Sprintf(`{"id":%q}`, uuid.New()), 400},
		{"unknown passcode", fmt.Sprintf(`{"id":%q,"code":"123456"}`, uuid.New()), 401},
		{"code of wrong type", fmt.Sprintf(`{"id":%q,"code":123456}`, uuid.New()), 400},
	} {
		if rec := do(t, api.public, "POST", "/passcode/login/finalize", tt.body); rec.Code != tt.want {
			t.Errorf("finalize %s: %d %s, want %d", tt.name, rec.Code, rec.Body, tt.want)
		}
	}
	// The legacy cookie names the sign-up's email when the body does not.
	signup := decode[map[string]string](t, do(t, api.public, "POST", "/users", `{"email":"erin@example.com"}`))
	rec := do(t, api.public, "POST", "/passcode/login/initialize", fmt.Sprintf(`{"user_id":%q}`, signup["user_id"]),
		"Cookie", "hanko_email_id="+signup["email_id"])
	if msg, _ := api.mails.last(t); rec.Code != 200 || msg.To != "erin@example.com" {
		t.Fatalf("cookie fallback: %d %s to %s", rec.Code, rec.Body, msg.To)
	}
}

func TestPasscodeFinalizeOnce(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u := mustCreate(t, api, "ada@example.com")
	rec := do(t, api.public, "POST", "/passcode/login/initialize", fmt.Sprintf(`{"user_id":%q}`, u.ID))
	id := decode[map[string]any](t, rec)["id"].(string)
	_, code := api.mails.last(t)
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for range 50 {
		wg.Go(func() {
			codes <- do(t, api.public, "POST", "/passcode/login/finalize", fmt.Sprintf(`{"id":%q,"code":%q}`, id, code)).Code
		})
	}
	wg.Wait()
	close(codes)
	ok := 0
	for c := range codes {
		if c == 200 {
			ok++
		} else if c != 401 {
			t.Errorf("status %d", c)
		}
	}
	ss, err := api.sessions.Sessions(t.Context(), u.ID)
	if ok != 1 || err != nil || len(ss) != 1 {
		t.Fatalf("%d successes and %d sessions for one passcode (%v)", ok, len(ss), err)
	}
}

func TestPasscodeParallelWrongGuessesStopAtThree(t *testing.T) {
	t.Parallel()
	api := newTestAPI(t)
	u := mustCreate(t, api, "ada@example.com")
	rec := do(t, api.public, "POST", "/passcode/login/initialize", fmt.Sprintf(`{"user_id":%q}`, u.ID))
	id := decode[map[string]any](t, rec)["id"].(string)
	_, code := api.mails.last(t)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	var wg sync.WaitGroup
	statuses := make(chan int, 50)
	for range 50 {
		wg.Go(func() {
			statuses <- do(t, api.public, "POST", "/passcode/login/finalize", fmt.Sprintf(`{"id":%q,"code":%q}`, id, wrong)).Code
		})
	}
	wg.Wait()
	close(statuses)
	counted := 0
	for s := range statuses {
		switch s {
		case 401:
			counted++ // a counted wrong try (or, after the delete, an unknown passcode)
		case 410:
		default:
			t.Errorf("status %d", s)
		}
	}
	// Whatever the interleaving, the passcode is dead: the right code fails.
	if rec := do(t, api.public, "POST", "/passcode/login/finalize", fmt.Sprintf(`{"id":%q,"code":%q}`, id, code)); rec.Code != 401 {
		t.Fatalf("the right code after 50 parallel wrong guesses: %d", rec.Code)
	}
	n, err := api.db.Bun().NewSelect().Table("passcodes").Count(t.Context())
	if err != nil || n != 0 {
		t.Fatalf("%d passcode rows left (%v)", n, err)
	}
}
