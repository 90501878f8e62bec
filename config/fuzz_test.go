package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse feeds arbitrary YAML to Parse. Invariants: no panic; on failure the zero Config;
// on success PostProcess, Validate and Database.Resolve do not panic, and the YAML dump parses
// back to the same dump.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"foo: 1\n",
		"session:\n  lifespan: 12h\nrate_limiter:\n  otp_limits: {tokens: 1, interval: 1s}\n",
		"database:\n  url: mysql://u:p@h:3306/db?x=y\n",
		"database:\n  url: sqlite:///tmp/x.db\n",
		"webhooks:\n  hooks:\n    - callback: https://x.example\n      events: [user]\n",
		"a: &a [*a]\n",
		"rate_limiter:\n  passcode_limits: &l {tokens: 2}\n  otp_limits:\n    <<: *l\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if !reflect.DeepEqual(c, Config{}) {
				t.Fatal("partial Config returned with an error")
			}
			return
		}
		out, err := yaml.Marshal(c)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := Parse(out)
		if err != nil {
			t.Fatalf("dump does not parse: %v\n%s", err, out)
		}
		if out2, _ := yaml.Marshal(back); string(out2) != string(out) {
			t.Fatalf("round trip differs:\n%s\n---\n%s", out, out2)
		}
		c.PostProcess()
		_ = c.Validate()
		_, _, _ = c.Database.Resolve()
	})
}
