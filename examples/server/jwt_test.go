package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hanko-go/hanko"
	"github.com/hanko-go/hanko/users"
)

func TestJWTAndJWKCreate(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "cli.db")
	env := map[string]string{"DATABASE_URL": "sqlite://" + dbPath}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	missing := filepath.Join(t.TempDir(), "none.yaml")
	cmd := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		err := run(t.Context(), append(args, "--config", missing), &out, &errOut, lookup)
		return out.String(), err
	}
	// --config names a missing file explicitly: that is an error.
	if _, err := cmd("jwk", "create"); err == nil {
		t.Fatal("an explicit missing config file must be an error")
	}
	missing = filepath.Join(t.TempDir(), "config.yaml")
	if err := writeFile(missing, "secrets:\n  keys: [a-secret-of-at-least-16]\n"); err != nil {
		t.Fatal(err)
	}
	out, err := cmd("jwk", "create")
	var jwk map[string]any
	if err != nil || json.Unmarshal([]byte(out), &jwk) != nil || jwk["alg"] != "ES256" || jwk["d"] == nil {
		t.Fatalf("jwk create: %v %s", err, out)
	}
	if _, err := cmd("migrate", "up"); err != nil {
		t.Fatal(err)
	}
	h, err := hanko.New(hanko.WithDatabase("sqlite", dbPath), hanko.WithConfig(func() hanko.Config {
		c := hanko.DefaultConfig()
		c.Secrets.Keys = []string{"a-secret-of-at-least-16"}
		return c
	}()))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	u, err := h.Users().Create(t.Context(), users.NewUser{Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err = cmd("jwt", "create", u.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if c, err := h.Sessions().Verify(t.Context(), strings.TrimSpace(out)); err != nil || c.Subject != u.ID {
		t.Fatalf("the printed token does not verify: %v %q", err, out)
	}
	for _, args := range [][]string{{"jwt", "create", "nope"}, {"jwt"}, {"jwk"}, {"jwt", "create", "00000000-0000-4000-8000-000000000001"}} {
		if _, err := cmd(args...); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o600)
}
