package config

import (
	"errors"
	"net"
	"net/url"
	"strings"
)

// Database dialects returned by Database.Resolve.
const (
	DialectSQLite    = "sqlite"
	DialectPostgres  = "postgres"
	DialectCockroach = "cockroach"
	DialectMySQL     = "mysql"
	DialectMariaDB   = "mariadb"
)

// defaultSQLiteFile is the database file of zero-config mode.
const defaultSQLiteFile = "hanko.db"

// Database selects and reaches the database. Use Resolve to get the driver DSN.
//
// Defaults: every field empty. Hanko defaults to postgres://hanko:hanko@localhost:5432/hanko;
// we default to a SQLite file instead (see Resolve), and fill Hanko's values only when a
// server dialect is chosen.
//
// Dialect is one of sqlite, postgres, cockroach, mysql, mariadb (case-insensitive; the
// synonyms postgresql, pg, cockroachdb, crdb and sqlite3 are accepted) or empty. URL, when set,
// takes precedence over User, Password, Host, Port and Database. Port is a string as in Hanko;
// YAML integers are accepted.
//
// The pool keys are our addition; 0 means "the store picks a per-dialect default" (Hanko used
// 5 open, 0 idle, 1h lifetime, 5m idle time).
type Database struct {
	Database string `yaml:"database" json:"database"`
	User     string `yaml:"user" json:"user"`
	Password string `yaml:"password" json:"password"`
	Host     string `yaml:"host" json:"host"`
	Port     string `yaml:"port" json:"port"`
	Dialect  string `yaml:"dialect" json:"dialect"`
	URL      string `yaml:"url" json:"url"`

	MaxOpenConns    int      `yaml:"max_open_conns" json:"max_open_conns"`
	MaxIdleConns    int      `yaml:"max_idle_conns" json:"max_idle_conns"`
	ConnMaxLifetime Duration `yaml:"conn_max_lifetime" json:"conn_max_lifetime"`
	ConnMaxIdleTime Duration `yaml:"conn_max_idle_time" json:"conn_max_idle_time"`
}

// Resolve returns the normalised dialect (one of the Dialect constants) and the DSN to hand
// to that dialect's driver:
//
//   - postgres, cockroach: a postgres:// URL (pgx), or a libpq keyword/value string passed
//     through unchanged when url is one;
//   - mysql, mariadb: a go-sql-driver/mysql DSN (user:pass@tcp(host:port)/db?...) that always
//     carries parseTime=true and loc=UTC unless the URL sets them;
//   - sqlite: a file path, followed by "?params" when the URL had a query.
//
// With url set, the dialect is database.dialect if given (it must fit the URL scheme) or else
// inferred from the scheme: postgres/postgresql, cockroach/cockroachdb, mysql, mariadb,
// sqlite/sqlite3/file; a scheme-less go-sql-driver DSN (user:pass@tcp(host:port)/db) means mysql.
//
// Without url: dialect "" and empty host, user and password is zero-config mode, a SQLite file
// named by database (default "hanko.db"); dialect "" otherwise means postgres, as in Hanko.
// Server dialects fill Hanko's defaults for empty fields: user, password and database "hanko",
// host "localhost", port 5432 (26257 for cockroach, 3306 for mysql and mariadb). A host
// starting with "/" is a Unix socket directory (postgres) or socket file (mysql).
//
// Errors are *FieldError values naming database.url or database.dialect. They never contain
// the password.
func (d Database) Resolve() (dialect, dsn string, err error) {
	if strings.TrimSpace(d.URL) != "" {
		return d.resolveURL()
	}
	dialect, err = normaliseDialect(d.Dialect)
	if err != nil {
		return "", "", err
	}
	if dialect == "" {
		dialect = DialectPostgres
		if d.Host == "" && d.User == "" && d.Password == "" {
			dialect = DialectSQLite
		}
	}
	switch dialect {
	case DialectSQLite:
		return dialect, or(d.Database, defaultSQLiteFile), nil
	case DialectPostgres, DialectCockroach:
		port := "5432"
		if dialect == DialectCockroach {
			port = "26257"
		}
		return dialect, postgresDSN(or(d.User, "hanko"), or(d.Password, "hanko"),
			or(d.Host, "localhost"), or(d.Port, port), or(d.Database, "hanko")), nil
	default: // mysql, mariadb
		dsn, err := mysqlDSN("database.user", or(d.User, "hanko"), or(d.Password, "hanko"), true,
			or(d.Host, "localhost"), or(d.Port, "3306"), or(d.Database, "hanko"), "")
		if err != nil {
			return "", "", err
		}
		return dialect, dsn, nil
	}
}

func (d Database) resolveURL() (string, string, error) {
	raw := strings.TrimSpace(d.URL)
	want, err := normaliseDialect(d.Dialect)
	if err != nil {
		return "", "", err
	}
	scheme, rest := splitScheme(raw)
	dialect := want
	if scheme != "" {
		fromScheme, ok := schemeDialect(scheme)
		if !ok {
			return "", "", fieldErrorf("database.url", "unsupported scheme %q (want postgres, postgresql, cockroach, cockroachdb, mysql, mariadb, sqlite or file)", scheme)
		}
		if want == "" {
			dialect = fromScheme
		} else if family(want) != family(fromScheme) {
			return "", "", fieldErrorf("database.url", "scheme %q does not fit database.dialect %q", scheme, want)
		}
	} else if dialect == "" {
		if !isMySQLDriverDSN(raw) {
			return "", "", fieldErrorf("database.url", "missing scheme: use a URL such as postgres://user:pass@host:5432/db, or set database.dialect")
		}
		dialect = DialectMySQL
	}

	switch family(dialect) {
	case DialectSQLite:
		path := rest
		if scheme == "" {
			path = raw
		}
		path, query, _ := strings.Cut(path, "?")
		if p, err := url.PathUnescape(path); err == nil {
			path = p
		}
		if path == "" {
			return "", "", fieldErrorf("database.url", "missing SQLite file path (e.g. sqlite:///var/lib/hanko.db or sqlite://hanko.db)")
		}
		if query != "" {
			path += "?" + query
		}
		return dialect, path, nil

	case DialectPostgres:
		if scheme == "" {
			// A libpq keyword/value string ("host=... user=..."), understood by pgx as is.
			return dialect, raw, nil
		}
		dsn := "postgres://" + rest
		if _, err := url.Parse(dsn); err != nil {
			return "", "", fieldErrorf("database.url", "%v", urlCause(err))
		}
		return dialect, dsn, nil

	default: // mysql family
		if scheme == "" || isMySQLDriverDSN(rest) {
			dsn := raw
			if scheme != "" {
				dsn = rest
			}
			// Split like the driver does: the database name follows the last "/", and the
			// parameters follow the first "?" after it.
			i := strings.LastIndex(dsn, "/")
			if i < 0 {
				return "", "", fieldErrorf("database.url", "invalid MySQL DSN: missing \"/\" before the database name")
			}
			base, query := dsn, ""
			if j := strings.IndexByte(dsn[i:], '?'); j >= 0 {
				base, query = dsn[:i+j], dsn[i+j+1:]
			}
			return dialect, withMySQLParams(base, query), nil
		}
		u, err := url.Parse("mysql://" + rest)
		if err != nil {
			return "", "", fieldErrorf("database.url", "%v", urlCause(err))
		}
		var user, pass string
		var hasPass bool
		if u.User != nil {
			user = u.User.Username()
			pass, hasPass = u.User.Password()
		}
		port := u.Port()
		if port == "" {
			port = "3306"
		}
		dsn, err := mysqlDSN("database.url", user, pass, hasPass, or(u.Hostname(), "localhost"),
			port, strings.TrimPrefix(u.Path, "/"), u.RawQuery)
		if err != nil {
			return "", "", err
		}
		return dialect, dsn, nil
	}
}

// splitScheme returns the lower-cased scheme and the text after "scheme://" (or after
// "scheme:" for the opaque forms file:x.db and sqlite:x.db). It returns "" when raw has no
// URL scheme, e.g. a go-sql-driver DSN whose password contains "://".
func splitScheme(raw string) (scheme, rest string) {
	if s, r, ok := strings.Cut(raw, "://"); ok && isSchemeToken(s) {
		return strings.ToLower(s), r
	}
	if s, r, ok := strings.Cut(raw, ":"); ok && !isMySQLDriverDSN(raw) {
		switch ls := strings.ToLower(s); ls {
		case "file", "sqlite", "sqlite3":
			return ls, r
		}
	}
	return "", raw
}

// isSchemeToken reports whether s is a URL scheme (RFC 3986 §3.1).
func isSchemeToken(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && (r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

func schemeDialect(scheme string) (string, bool) {
	switch scheme {
	case "postgres", "postgresql":
		return DialectPostgres, true
	case "cockroach", "cockroachdb":
		return DialectCockroach, true
	case "mysql":
		return DialectMySQL, true
	case "mariadb":
		return DialectMariaDB, true
	case "sqlite", "sqlite3", "file":
		return DialectSQLite, true
	}
	return "", false
}

// normaliseDialect maps database.dialect to a Dialect constant; "" stays "".
func normaliseDialect(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return "", nil
	case "sqlite", "sqlite3":
		return DialectSQLite, nil
	case "postgres", "postgresql", "pg":
		return DialectPostgres, nil
	case "cockroach", "cockroachdb", "crdb":
		return DialectCockroach, nil
	case "mysql":
		return DialectMySQL, nil
	case "mariadb":
		return DialectMariaDB, nil
	}
	return "", fieldErrorf("database.dialect", "unsupported dialect %q (want sqlite, postgres, cockroach, mysql or mariadb)", s)
}

// family groups dialects that share a driver and DSN format.
func family(dialect string) string {
	switch dialect {
	case DialectCockroach:
		return DialectPostgres
	case DialectMariaDB:
		return DialectMySQL
	}
	return dialect
}

// isMySQLDriverDSN reports whether s looks like go-sql-driver's own DSN format rather than a URL.
func isMySQLDriverDSN(s string) bool {
	return strings.Contains(s, "@tcp(") || strings.Contains(s, "@unix(") ||
		strings.HasPrefix(s, "tcp(") || strings.HasPrefix(s, "unix(")
}

// postgresDSN builds a postgres:// URL; url.URL escapes the credentials. A host beginning with
// "/" is a socket directory, which pgx takes from the host query parameter.
func postgresDSN(user, pass, host, port, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, pass), Path: "/" + db}
	if strings.HasPrefix(host, "/") {
		u.RawQuery = url.Values{"host": {host}, "port": {port}}.Encode()
	} else {
		u.Host = net.JoinHostPort(host, port)
	}
	return u.String()
}

// mysqlDSN builds go-sql-driver's [user[:pass]@]tcp(host:port)/db?query. The driver takes the
// password verbatim (it splits at the first ":" and the last "@" before the database "/"), so
// credentials are not escaped, and a user name cannot contain ":". The database name is
// path-escaped because the driver unescapes it.
func mysqlDSN(key, user, pass string, hasPass bool, host, port, db, query string) (string, error) {
	if strings.Contains(user, ":") {
		return "", fieldErrorf(key, "a MySQL user name cannot contain \":\"")
	}
	var b strings.Builder
	if user != "" || hasPass {
		b.WriteString(user)
		if hasPass {
			b.WriteString(":" + pass)
		}
		b.WriteString("@")
	}
	if strings.HasPrefix(host, "/") {
		b.WriteString("unix(" + host + ")")
	} else {
		b.WriteString("tcp(" + net.JoinHostPort(host, port) + ")")
	}
	b.WriteString("/" + url.PathEscape(db))
	return withMySQLParams(b.String(), query), nil
}

// withMySQLParams appends parseTime=true and loc=UTC unless query already sets them: our
// record types use time.Time in UTC.
func withMySQLParams(base, query string) string {
	vals, _ := url.ParseQuery(query) // a malformed query is left for the driver to report
	var add []string
	if !vals.Has("parseTime") {
		add = append(add, "parseTime=true")
	}
	if !vals.Has("loc") {
		add = append(add, "loc=UTC")
	}
	parts := make([]string, 0, 3)
	if query != "" {
		parts = append(parts, query)
	}
	parts = append(parts, add...)
	if len(parts) == 0 {
		return base
	}
	return base + "?" + strings.Join(parts, "&")
}

// urlCause drops the URL (and so the password) from a *url.Error.
func urlCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
