package config

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// referenceDir holds Hanko's reference files in the monorepo checkout (CI has it).
var referenceDir = filepath.Join("..", "..", "shared", "reference")

func mustParse(tb testing.TB, s string) Config {
	tb.Helper()
	c, err := Parse([]byte(s))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return c
}

// joined returns the individual errors of an errors.Join result, looking through wrapping.
func joined(err error) []error {
	for err != nil {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			return j.Unwrap()
		}
		err = errors.Unwrap(err)
	}
	return nil
}

func TestExamples(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file  string
		check func(t *testing.T, c Config)
	}{
		{"hanko-example-config.yaml", func(t *testing.T, c Config) {
			if !c.Account.AllowDeletion || c.Email.MaxLength != 100 || c.EmailDelivery.SMTP.Port != "2500" {
				t.Errorf("values not read: %+v %+v", c.Account, c.EmailDelivery)
			}
			want := []string{"http://localhost:63342", "http://localhost:8888", "http://localhost:8000"}
			if !slices.Equal(c.Server.Public.CORS.AllowOrigins, want) || !slices.Equal(c.WebAuthn.RelyingParty.Origins, want) {
				t.Errorf("origins = %v, %v", c.Server.Public.CORS.AllowOrigins, c.WebAuthn.RelyingParty.Origins)
			}
			if c.RateLimiter.PasswordLimits != (RateLimit{3, Duration(time.Minute)}) {
				t.Errorf("password_limits = %+v", c.RateLimiter.PasswordLimits)
			}
			if d, _, err := c.Database.Resolve(); err != nil || d != DialectPostgres {
				t.Errorf("Resolve = %q, %v", d, err)
			}
		}},
		{"hanko-example-minimal-config.yaml", func(t *testing.T, c Config) {
			if c.SMTP.Host != "smtp.example.com" || c.EmailDelivery.SMTP.Host != "localhost" {
				t.Errorf("smtp = %+v, email_delivery.smtp = %+v (no legacy conversion expected)", c.SMTP, c.EmailDelivery.SMTP)
			}
			d, dsn, err := c.Database.Resolve()
			if err != nil || d != DialectPostgres || dsn != "postgres://postgres:123456@127.0.0.1:5432/dummy" {
				t.Errorf("Resolve = %q, %q, %v", d, dsn, err)
			}
		}},
		{"hanko-example-passcode-smtp-config.yaml", func(t *testing.T, c Config) {
			if got := c.EmailDelivery.FromAddress; got != "no-reply@hanko.io" {
				t.Errorf("email_delivery.from_address = %q, want no-reply@hanko.io", got)
			}
			if c.EmailDelivery.FromName != "Hanko" || c.EmailDelivery.SMTP != defaultSMTP() {
				t.Errorf("legacy defaults leaked: %+v", c.EmailDelivery)
			}
			if c.Database.Port != "5432" { // an integer in the file
				t.Errorf("database.port = %q", c.Database.Port)
			}
		}},
	} {
		for _, dir := range []string{"testdata", referenceDir} {
			t.Run(filepath.Join(filepath.Base(dir), tc.file), func(t *testing.T) {
				t.Parallel()
				path := filepath.Join(dir, tc.file)
				if dir == referenceDir {
					if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
						t.Skip("reference directory not present")
					}
				}
				c, err := Load(path)
				if err != nil {
					t.Fatal(err)
				}
				c.PostProcess()
				if err := c.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				tc.check(t, c)
			})
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, tc := range []struct {
		key       string
		got, want any
	}{
		{"session.lifespan", c.Session.Lifespan.Std(), 12 * time.Hour},
		{"email.passcode_ttl", c.Email.PasscodeTTL, 300},
		{"email.limit", c.Email.Limit, 5},
		{"email.max_length", c.Email.MaxLength, 120},
		{"email.acquire_on_login", c.Email.AcquireOnLogin, true},
		{"password.min_length", c.Password.MinLength, 8},
		{"password.min_password_length", c.Password.MinPasswordLength, 0},
		{"rate_limiter.passcode_limits", c.RateLimiter.PasscodeLimits, RateLimit{3, Duration(time.Minute)}},
		{"rate_limiter.password_limits", c.RateLimiter.PasswordLimits, RateLimit{5, Duration(time.Minute)}},
		{"rate_limiter.otp_limits", c.RateLimiter.OTPLimits, RateLimit{3, Duration(time.Minute)}},
		{"rate_limiter.token_limits", c.RateLimiter.TokenLimits, RateLimit{3, Duration(time.Minute)}},
		{"rate_limiter.store", c.RateLimiter.Store, "in_memory"},
		{"session.cookie.name", c.Session.Cookie.Name, "hanko"},
		{"session.cookie.same_site", c.Session.Cookie.SameSite, "strict"},
		{"session.cookie.domain", c.Session.Cookie.Domain, ""},
		{"session.cookie.secure", c.Session.Cookie.Secure, true},
		{"session.server_side.limit", c.Session.ServerSide.Limit, 100},
		{"webauthn.relying_party.origins", c.WebAuthn.RelyingParty.Origins, []string{"http://localhost:8888"}},
		{"webauthn.relying_party.id", c.WebAuthn.RelyingParty.ID, "localhost"},
		{"webauthn.timeouts", c.WebAuthn.Timeouts, WebAuthnTimeouts{600000, 600000}},
		{"webauthn.timeout", c.WebAuthn.Timeout, 600000},
		{"server.public.address", c.Server.Public.Address, ":8000"},
		{"server.admin.address", c.Server.Admin.Address, ":8001"},
		{"server.public.cors.allow_origins", c.Server.Public.CORS.AllowOrigins, []string{"http://localhost:8888"}},
		{"secrets.keys", c.Secrets.Keys, []string{"abcedfghijklmnopqrstuvwxyz"}},
		{"secrets.algorithm", c.Secrets.Algorithm, "ES256"},
		{"secrets.rsa_key_size", c.Secrets.RSAKeySize, 2048},
		{"service.name", c.Service.Name, "Hanko Authentication Service"},
		{"email_delivery.smtp", c.EmailDelivery.SMTP, SMTP{Host: "localhost", Port: "465"}},
		{"email_delivery.from_address", c.EmailDelivery.FromAddress, "noreply@hanko.io"},
		{"mfa.security_keys.authenticator_attachment", c.MFA.SecurityKeys.AuthenticatorAttachment, "cross-platform"},
		{"passkey.user_verification", c.Passkey.UserVerification, "preferred"},
		{"password.acquire_on_login", c.Password.AcquireOnLogin, "never"},
		{"username.max_length", c.Username.MaxLength, 32},
		{"log.log_health_and_metrics", c.Log.LogHealthAndMetrics, false},
		{"audit_log.console_output.output", c.AuditLog.ConsoleOutput.Output, "stdout"},
		{"third_party.providers.google.allow_linking", c.ThirdParty.Providers.Google.AllowLinking, true},
		{"third_party.providers.microsoft.allow_linking", c.ThirdParty.Providers.Microsoft.AllowLinking, false},
		{"saml.options.sign_authn_requests", c.SAML.Options.SignAuthnRequests, false},
		{"database", c.Database, Database{}},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.key, tc.got, tc.want)
		}
	}
	c.PostProcess()
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	if d, dsn, err := c.Database.Resolve(); d != DialectSQLite || dsn != "hanko.db" || err != nil {
		t.Errorf("default database = %q %q %v, want sqlite hanko.db", d, dsn, err)
	}
}

func TestDefaultReturnsFreshSlices(t *testing.T) {
	t.Parallel()
	a := Default()
	a.Secrets.Keys[0] = "changed"
	if Default().Secrets.Keys[0] == "changed" {
		t.Fatal("Default shares slices between calls")
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		in      string
		check   func(t *testing.T, c Config)
		wantErr []string // one entry per joined error, each a substring
	}{
		{name: "empty", in: "", check: func(t *testing.T, c Config) {
			if !reflect.DeepEqual(c, Default()) {
				t.Error("empty input is not Default()")
			}
		}},
		{name: "only comments", in: "# nothing here\n", check: func(t *testing.T, c Config) {
			if !reflect.DeepEqual(c, Default()) {
				t.Error("comment-only input is not Default()")
			}
		}},
		{name: "port as int and string", in: "database:\n  port: 5432\nemail_delivery:\n  smtp:\n    port: \"587\"\n", check: func(t *testing.T, c Config) {
			if c.Database.Port != "5432" || c.EmailDelivery.SMTP.Port != "587" {
				t.Errorf("ports = %q, %q", c.Database.Port, c.EmailDelivery.SMTP.Port)
			}
		}},
		{name: "signing key kind", in: "secrets:\n  keys: [0123456789abcdef]\n  algorithm: EdDSA\n  rsa_key_size: 3072\n", check: func(t *testing.T, c Config) {
			if c.Secrets.Algorithm != "EdDSA" || c.Secrets.RSAKeySize != 3072 || len(c.Secrets.Keys) != 1 {
				t.Errorf("secrets = %+v", c.Secrets)
			}
		}},
		{name: "hanko secrets keep our defaults", in: "secrets:\n  keys: [0123456789abcdef]\n", check: func(t *testing.T, c Config) {
			if c.Secrets.Algorithm != "ES256" || c.Secrets.RSAKeySize != 2048 {
				t.Errorf("secrets = %+v", c.Secrets)
			}
		}},
		{name: "durations", in: "session:\n  lifespan: 1h30m\nrate_limiter:\n  otp_limits:\n    interval: 10s\n", check: func(t *testing.T, c Config) {
			if c.Session.Lifespan.Std() != 90*time.Minute || c.RateLimiter.OTPLimits.Interval.Std() != 10*time.Second {
				t.Errorf("durations = %v, %v", c.Session.Lifespan, c.RateLimiter.OTPLimits.Interval)
			}
			if c.RateLimiter.OTPLimits.Tokens != 3 {
				t.Error("sibling key lost its default")
			}
		}},
		{name: "list replaces default", in: "webauthn:\n  relying_party:\n    origins: [https://a.example]\n", check: func(t *testing.T, c Config) {
			if !slices.Equal(c.WebAuthn.RelyingParty.Origins, []string{"https://a.example"}) {
				t.Errorf("origins = %v", c.WebAuthn.RelyingParty.Origins)
			}
			if c.WebAuthn.RelyingParty.ID != "localhost" {
				t.Error("sibling key lost its default")
			}
		}},
		{name: "webhooks", in: "webhooks:\n  enabled: true\n  hooks:\n    - callback: https://example.com/h\n      events: [user, email.send]\n", check: func(t *testing.T, c Config) {
			want := []Webhook{{Callback: "https://example.com/h", Events: []string{"user", "email.send"}}}
			if !reflect.DeepEqual(c.Webhooks.Hooks, want) {
				t.Errorf("hooks = %+v", c.Webhooks.Hooks)
			}
		}},
		{name: "anchors and merge keys", in: "x_limits: &l\n  tokens: 7\n", wantErr: []string{`line 1: unknown key "x_limits"`}},
		{name: "merge", in: "rate_limiter:\n  passcode_limits: &l\n    tokens: 7\n    interval: 2m\n  otp_limits:\n    <<: *l\n    tokens: 9\n", check: func(t *testing.T, c Config) {
			if c.RateLimiter.OTPLimits != (RateLimit{9, Duration(2 * time.Minute)}) {
				t.Errorf("otp_limits = %+v", c.RateLimiter.OTPLimits)
			}
		}},
		{name: "unknown top-level key", in: "foo: 1\n", wantErr: []string{`line 1: unknown key "foo"`}},
		{name: "unknown nested key", in: "session:\n  cookie:\n    nmae: x\n", wantErr: []string{`line 3: unknown key "session.cookie.nmae"`}},
		{name: "unknown key in list entry", in: "webhooks:\n  hooks:\n    - callback: https://x.example\n      event: [user]\n", wantErr: []string{`line 4: unknown key "webhooks.hooks[0].event"`}},
		{name: "wrong type", in: "email:\n  limit: lots\n", wantErr: []string{"line 2: email.limit: cannot unmarshal"}},
		{name: "bad duration", in: "session:\n  lifespan: 12\n", wantErr: []string{`line 2: session.lifespan: invalid duration "12"`}},
		{name: "mapping for scalar", in: "debug:\n  a: 1\n", wantErr: []string{"line 2: debug: cannot unmarshal !!map"}},
		{name: "many problems", in: "account:\n  allow_signup: maybe\n  nope: 1\nemail:\n  limit: x\nsession:\n  lifespan: soon\nzzz: 1\n", wantErr: []string{
			"line 2: account.allow_signup: cannot unmarshal",
			`line 3: unknown key "account.nope"`,
			"line 5: email.limit: cannot unmarshal",
			`line 7: session.lifespan: invalid duration "soon"`,
			`line 8: unknown key "zzz"`,
		}},
		{name: "syntax error", in: "a: [\n", wantErr: []string{"did not find expected node content"}},
		{name: "not a mapping", in: "just text\n", wantErr: []string{"cannot unmarshal !!str"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse([]byte(tc.in))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				tc.check(t, c)
				return
			}
			if err == nil {
				t.Fatal("Parse succeeded, want error")
			}
			if !reflect.DeepEqual(c, Config{}) {
				t.Error("Parse returned a partial Config with its error")
			}
			errs := joined(err)
			if len(tc.wantErr) == 1 && errs == nil {
				errs = []error{err}
			}
			if len(errs) != len(tc.wantErr) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tc.wantErr), err)
			}
			for i, want := range tc.wantErr {
				if !strings.Contains(errs[i].Error(), want) {
					t.Errorf("error %d = %q, want it to contain %q", i, errs[i], want)
				}
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "config.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadNamesFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("nope: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("Load = %v, want an error naming the file and the key", err)
	}
}

// TestRoundTrip checks that a dumped Config parses back to the same Config, in YAML and JSON.
func TestRoundTrip(t *testing.T) {
	t.Parallel()
	c := mustParse(t, "session:\n  lifespan: 90m\nwebhooks:\n  hooks:\n    - callback: https://x.example\n      events: [user]\ndatabase:\n  conn_max_idle_time: 5m\n")
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "lifespan: 1h30m\n") {
		t.Errorf("lifespan not dumped as a duration string:\n%s", out)
	}
	back := mustParse(t, string(out))
	if out2, _ := yaml.Marshal(back); string(out2) != string(out) {
		t.Errorf("YAML round trip differs:\n%s\n---\n%s", out, out2)
	}

	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"lifespan":"1h30m"`) || !strings.Contains(string(js), `"convert_legacy_config":false`) {
		t.Errorf("JSON dump lacks snake_case keys or duration strings: %s", js)
	}
	var fromJSON Config
	if err := json.Unmarshal(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, c) {
		t.Errorf("JSON round trip differs")
	}
}

// TestSchemaKeys checks that every key of Hanko's JSON schema has a field (and so an env var).
func TestSchemaKeys(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join(referenceDir, "hanko.config.schema.json"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("reference schema not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	type schema struct {
		Ref        string             `json:"$ref"`
		Items      *schema            `json:"items"`
		Properties map[string]*schema `json:"properties"`
	}
	var root struct {
		Defs map[string]*schema `json:"$defs"`
	}
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	resolve := func(s *schema) *schema {
		for s != nil && s.Ref != "" {
			s = root.Defs[strings.TrimPrefix(s.Ref, "#/$defs/")]
		}
		return s
	}
	var check func(s *schema, typ reflect.Type, path string)
	check = func(s *schema, typ reflect.Type, path string) {
		s = resolve(s)
		if s == nil {
			return
		}
		if typ.Kind() == reflect.Slice && s.Items != nil {
			check(s.Items, typ.Elem(), path+"[]")
			return
		}
		for key, prop := range s.Properties {
			if typ.Kind() != reflect.Struct {
				t.Errorf("%s is not a struct in Config but the schema has %s", path, key)
				return
			}
			f, ok := fieldByYAMLKey(typ, key)
			if !ok {
				t.Errorf("schema key %s has no Config field", joinKey(path, key))
				continue
			}
			check(prop, f.Type, joinKey(path, key))
		}
	}
	check(root.Defs["Config"], reflect.TypeFor[Config](), "")
}

func TestDurationText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{12 * time.Hour, "12h"},
		{time.Minute, "1m"},
		{90 * time.Minute, "1h30m"},
		{2*time.Hour + 10*time.Second, "2h0m10s"},
		{10 * time.Second, "10s"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
		{-time.Hour, "-1h"},
	} {
		if got := Duration(tc.d).String(); got != tc.want {
			t.Errorf("Duration(%v).String() = %q, want %q", tc.d, got, tc.want)
		}
		back, err := parseDuration(Duration(tc.d).String())
		if err != nil || back.Std() != tc.d {
			t.Errorf("parseDuration(%q) = %v, %v", Duration(tc.d).String(), back, err)
		}
	}
}
