package hanko_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hanko-go/hanko/autherr"
	"github.com/hanko-go/hanko/users"
	"golang.org/x/crypto/bcrypt"
)

// TestImportedPasswordHashLogsIn migrates a user with a bcrypt hash (as a
// Hanko database has it): the password works, is upgraded to argon2id, and
// export carries the hash on.
func TestImportedPasswordHashLogsIn(t *testing.T) {
	t.Parallel()
	h := newHanko(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), 4)
	if err != nil {
		t.Fatal(err)
	}
	const id = "4d6b6d6e-8f8d-4f0e-9c52-7b1c5e2a9a10"
	file := `[{"user_id":"` + id + `","emails":[{"address":"ada@example.com","is_primary":true,"is_verified":true}],"password":"` + string(hash) + `"}]`
	if res, err := h.Users().Import(t.Context(), strings.NewReader(file)); err != nil || res.Users != 1 {
		t.Fatalf("import: %+v %v", res, err)
	}
	for pw, want := range map[string]int{"wrong password!!": 401, "correct horse battery": 200} {
		if rec := post(t, h, "/password/login", `{"user_id":"`+id+`","password":"`+pw+`"}`); rec.Code != want {
			t.Fatalf("login with %q: %d %s", pw, rec.Code, rec.Body)
		}
	}
	var out bytes.Buffer
	if _, err := h.Users().Export(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	var entries []users.ImportEntry
	if err := json.Unmarshal(out.Bytes(), &entries); err != nil || len(entries) != 1 {
		t.Fatalf("export: %v %s", err, out.String())
	}
	if !strings.HasPrefix(entries[0].Password, "$argon2id$") {
		t.Fatalf("after login the hash is upgraded and exported: %q", entries[0].Password)
	}
	// The upgraded hash still logs in.
	if rec := post(t, h, "/password/login", `{"user_id":"`+id+`","password":"correct horse battery"}`); rec.Code != 200 {
		t.Fatalf("login after rehash: %d", rec.Code)
	}
}

func TestImportRefusesWhatIsNotAHash(t *testing.T) {
	t.Parallel()
	h := newHanko(t)
	file := `[{"emails":[{"address":"ada@example.com","is_primary":true,"is_verified":true}],"password":"hunter2"}]`
	_, err := h.Users().Import(t.Context(), strings.NewReader(file))
	var ie *users.ImportError
	if !errors.As(err, &ie) || !errors.Is(err, autherr.Invalid) || len(ie.Problems) != 1 || ie.Problems[0].Index != 0 ||
		!strings.Contains(ie.Problems[0].Message, "password must be a bcrypt") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("plain-text password accepted or reported badly: %v", err)
	}
}
