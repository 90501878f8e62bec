package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testEnv is an environment that points the CLI at a fresh SQLite file and
// at ports the system picks. The default config file (./config/config.yaml
// next to this test) does not exist, so configuration comes from defaults
// and this environment only.
func testEnv(t *testing.T) env {
	t.Helper()
	vars := map[string]string{
		"DATABASE_URL":          "sqlite://" + filepath.Join(t.TempDir(), "hanko.db"),
		"SERVER_PUBLIC_ADDRESS": "127.0.0.1:0",
		"SERVER_ADMIN_ADDRESS":  "127.0.0.1:0",
	}
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// runCLI runs one command line and returns what it wrote.
func runCLI(t *testing.T, lookup env, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, &out, &errOut, lookup)
	return out.String(), errOut.String(), err
}

func mustRun(t *testing.T, lookup env, args ...string) string {
	t.Helper()
	out, stderr, err := runCLI(t, lookup, args...)
	if err != nil {
		t.Fatalf("%s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// logWatcher is the server's stderr: it keeps the log and reports the
// address of each API as its "serving" line appears.
type logWatcher struct {
	mu    sync.Mutex
	log   bytes.Buffer
	addrs chan [2]string // api, address
}

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.log.Write(p)
	for line := range bytes.Lines(p) {
		var rec struct{ Msg, API, Address string }
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "serving" {
			w.addrs <- [2]string{rec.API, rec.Address}
		}
	}
	return len(p), nil
}

func (w *logWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.String()
}

func TestServeAndShutDown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	logs := &logWatcher{addrs: make(chan [2]string, 2)}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, io.Discard, logs, testEnv(t)) }()

	addrs := map[string]string{}
	for len(addrs) < 2 {
		select {
		case a := <-logs.addrs:
			addrs[a[0]] = a[1]
		case err := <-done:
			t.Fatalf("run returned before serving: %v\n%s", err, logs)
		case <-time.After(30 * time.Second):
			t.Fatalf("no \"serving\" log lines after 30 s:\n%s", logs)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, api := range []string{"public", "admin"} {
		res, err := client.Get("http://" + addrs[api] + "/health/ready")
		if err != nil {
			t.Fatalf("%s API: %v", api, err)
		}
		var body map[string]bool
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != 200 || err != nil || !body["ready"] {
			t.Fatalf("%s API: GET /health/ready = %d %v (%v)", api, res.StatusCode, body, err)
		}
	}
	// Serving migrated the database: the admin API can list users.
	res, err := client.Get("http://" + addrs["admin"] + "/users")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("X-Total-Count") != "0" {
		t.Fatalf("GET /users on the admin API: %d, total %q", res.StatusCode, res.Header.Get("X-Total-Count"))
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run after cancel: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return within 20 s of the cancel")
	}
	if !strings.Contains(logs.String(), `"msg":"shutting down"`) {
		t.Errorf("no shutdown log line:\n%s", logs)
	}
	if _, err := client.Get("http://" + addrs["public"] + "/health/alive"); err == nil {
		t.Error("the public API still answers after shutdown")
	}
}

var statusLine = regexp.MustCompile(`^migrations applied: \[([0-9 ]*)\], pending: \[([0-9 ]*)\]\n$`)

// migrationStatus parses the line migrate prints.
func migrationStatus(t *testing.T, out string) (applied, pending int) {
	t.Helper()
	m := statusLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("migrate printed %q", out)
	}
	return len(strings.Fields(m[1])), len(strings.Fields(m[2]))
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	lookup := testEnv(t)
	applied, pending := migrationStatus(t, mustRun(t, lookup, "migrate", "up"))
	if applied == 0 || pending != 0 {
		t.Fatalf("after up: %d applied, %d pending", applied, pending)
	}
	all := applied
	if a, p := migrationStatus(t, mustRun(t, lookup, "migrate", "up")); a != all || p != 0 {
		t.Fatalf("up again: %d applied, %d pending; want no change", a, p)
	}
	if a, p := migrationStatus(t, mustRun(t, lookup, "migrate", "down")); a != all-1 || p != 1 {
		t.Fatalf("after down: %d applied, %d pending; want one step undone", a, p)
	}
	mustRun(t, lookup, "migrate", "up")
	if a, p := migrationStatus(t, mustRun(t, lookup, "migrate", "down", "all")); a != 0 || p != all {
		t.Fatalf("after down all: %d applied, %d pending", a, p)
	}
	// Nothing left to undo is not an error.
	if a, _ := migrationStatus(t, mustRun(t, lookup, "migrate", "down")); a != 0 {
		t.Fatalf("down on an empty database: %d applied", a)
	}
}

// importFile is two users with three addresses in Hanko's import format.
const importFile = `[
  {"user_id": "0f9a6f6e-3b1c-4c1d-9e2f-0a1b2c3d4e5f",
   "emails": [{"address": "ada@example.com", "is_primary": true, "is_verified": true},
              {"address": "ada@work.example", "is_primary": false, "is_verified": false}],
   "created_at": "2023-01-02T03:04:05Z", "updated_at": "2023-01-02T03:04:05Z"},
  {"emails": [{"address": "grace@example.com", "is_primary": true, "is_verified": false}]}
]`

func TestUserImportExport(t *testing.T) {
	t.Parallel()
	lookup := testEnv(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "users.json")
	if err := os.WriteFile(in, []byte(importFile), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, lookup, "user", "import", "-i", in)
	if !regexp.MustCompile(`^imported 2 users with 3 email addresses in \S+\n$`).MatchString(out) {
		t.Fatalf("import printed %q", out)
	}

	file := filepath.Join(dir, "export.json")
	if out := mustRun(t, lookup, "user", "export", "-o", file); out != "exported 2 users\n" {
		t.Fatalf("export printed %q", out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	stdout := mustRun(t, lookup, "user", "export", "--outputFile", "-")
	if stdout != string(data) {
		t.Fatalf("export to stdout differs from the file:\n%s\n%s", stdout, data)
	}
	var got []struct {
		UserID string `json:"user_id"`
		Emails []struct {
			Address   string `json:"address"`
			IsPrimary bool   `json:"is_primary"`
		} `json:"emails"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, data)
	}
	emails := 0
	for _, u := range got {
		emails += len(u.Emails)
	}
	if len(got) != 2 || emails != 3 || !strings.Contains(string(data), `"0f9a6f6e-3b1c-4c1d-9e2f-0a1b2c3d4e5f"`) {
		t.Fatalf("exported %s", data)
	}

	// The export imports into another database as it is.
	other := testEnv(t)
	if out := mustRun(t, other, "user", "import", "--inputFile", file); !strings.HasPrefix(out, "imported 2 users with 3 email addresses") {
		t.Fatalf("re-import printed %q", out)
	}
}

func TestUserImportRefused(t *testing.T) {
	t.Parallel()
	lookup := testEnv(t)
	in := filepath.Join(t.TempDir(), "users.json")
	bad := strings.Replace(importFile, `"grace@example.com"`, `"grace@"`, 1)
	if err := os.WriteFile(in, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, lookup, "user", "import", "-i", in)
	if err == nil || !strings.Contains(err.Error(), "entry 1: ") || !strings.Contains(err.Error(), "nothing written") {
		t.Fatalf("import of an invalid file: %v", err)
	}
	var ue usageError
	if errors.As(err, &ue) || out != "" {
		t.Fatalf("a refused file is not a usage error and prints no counts: %v, %q", err, out)
	}
	if out := mustRun(t, lookup, "user", "export", "-o", filepath.Join(t.TempDir(), "x.json")); out != "exported 0 users\n" {
		t.Fatalf("after a refused import: %q", out)
	}
	if _, _, err := runCLI(t, lookup, "user", "import", "-i", filepath.Join(t.TempDir(), "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("import of a missing file: %v", err)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	out := mustRun(t, func(string) (string, bool) { return "", false }, "version")
	if !strings.HasPrefix(out, "hanko ") || strings.Count(out, "\n") != 1 {
		t.Fatalf("version printed %q", out)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"frobnicate"},
		{"--no-such-flag"},
		{"serve", "everything"},
		{"serve", "all", "extra"},
		{"migrate"},
		{"migrate", "sideways"},
		{"migrate", "up", "3"},
		{"migrate", "down", "0"},
		{"migrate", "down", "x"},
		{"migrate", "down", "1", "2"},
		{"user"},
		{"user", "delete"},
		{"user", "import"},
		{"user", "export"},
		{"user", "import", "export", "-i", "x"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			_, _, err := runCLI(t, testEnv(t), args...)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("error %v (%T), want a usageError", err, err)
			}
			if !strings.Contains(err.Error(), "usage:") {
				t.Errorf("usage error without the usage: %v", err)
			}
		})
	}
	if out := mustRun(t, testEnv(t), "help"); !strings.HasPrefix(out, "usage:") {
		t.Fatalf("help printed %q", out)
	}
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := write("unknown.yaml", "account:\n  allow_signup: true\n  allow_sign_up_please: true\n")
	_, _, err := runCLI(t, testEnv(t), "migrate", "up", "--config", unknown)
	if err == nil || !strings.Contains(err.Error(), "account.allow_sign_up_please") {
		t.Fatalf("config with an unknown key: %v", err)
	}

	_, _, err = runCLI(t, testEnv(t), "--config", filepath.Join(dir, "missing.yaml"), "migrate", "up")
	if err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("an explicit config file that does not exist: %v", err)
	}

	// A valid file is used: its database setting applies.
	db := filepath.Join(dir, "from-config.db")
	good := write("good.yaml", fmt.Sprintf("database:\n  dialect: sqlite\n  database: %s\n", db))
	mustRun(t, func(string) (string, bool) { return "", false }, "migrate", "up", "--config", good)
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("the database named in the config file was not created: %v", err)
	}
}
