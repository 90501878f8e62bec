package config

import (
	"errors"
	"strings"
	"testing"
)

func TestDatabaseResolve(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		db          Database
		wantDialect string
		wantDSN     string
		wantErr     string // substring; empty means success
	}{
		// zero-config and dialect defaults
		{name: "zero config", db: Database{}, wantDialect: "sqlite", wantDSN: "hanko.db"},
		{name: "zero config named file", db: Database{Database: "data/app.db"}, wantDialect: "sqlite", wantDSN: "data/app.db"},
		{name: "zero config ignores port", db: Database{Port: "5432"}, wantDialect: "sqlite", wantDSN: "hanko.db"},
		{name: "no dialect with host is postgres", db: Database{Host: "db"}, wantDialect: "postgres", wantDSN: "postgres://hanko:hanko@db:5432/hanko"},
		{name: "no dialect with user is postgres", db: Database{User: "me"}, wantDialect: "postgres", wantDSN: "postgres://me:hanko@localhost:5432/hanko"},
		{name: "explicit sqlite", db: Database{Dialect: "sqlite", Host: "ignored"}, wantDialect: "sqlite", wantDSN: "hanko.db"},
		{name: "explicit sqlite file", db: Database{Dialect: "SQLite3", Database: "/var/lib/h.db"}, wantDialect: "sqlite", wantDSN: "/var/lib/h.db"},
		{name: "postgres defaults", db: Database{Dialect: "postgres"}, wantDialect: "postgres", wantDSN: "postgres://hanko:hanko@localhost:5432/hanko"},
		{name: "postgres fields escaped", db: Database{Dialect: "postgres", User: "u@x", Password: "p:/?#@ss", Host: "db.internal", Port: "6543", Database: "auth"},
			wantDialect: "postgres", wantDSN: "postgres://u%40x:p%3A%2F%3F%23%40ss@db.internal:6543/auth"},
		{name: "postgres ipv6 host", db: Database{Dialect: "postgres", Host: "::1"}, wantDialect: "postgres", wantDSN: "postgres://hanko:hanko@[::1]:5432/hanko"},
		{name: "postgres socket", db: Database{Dialect: "postgres", Host: "/run/postgresql"}, wantDialect: "postgres", wantDSN: "postgres://hanko:hanko@/hanko?host=%2Frun%2Fpostgresql&port=5432"},
		{name: "postgresql synonym", db: Database{Dialect: "postgresql"}, wantDialect: "postgres", wantDSN: "postgres://hanko:hanko@localhost:5432/hanko"},
		{name: "cockroach defaults", db: Database{Dialect: "cockroach"}, wantDialect: "cockroach", wantDSN: "postgres://hanko:hanko@localhost:26257/hanko"},
		{name: "mysql defaults", db: Database{Dialect: "mysql"}, wantDialect: "mysql", wantDSN: "hanko:hanko@tcp(localhost:3306)/hanko?parseTime=true&loc=UTC"},
		{name: "mariadb fields", db: Database{Dialect: "mariadb", User: "root", Password: "p@ss:w/rd", Host: "10.0.0.5", Port: "3307", Database: "my db"},
			wantDialect: "mariadb", wantDSN: "root:p@ss:w/rd@tcp(10.0.0.5:3307)/my%20db?parseTime=true&loc=UTC"},
		{name: "mysql socket", db: Database{Dialect: "mysql", Host: "/run/mysqld/mysqld.sock"}, wantDialect: "mysql", wantDSN: "hanko:hanko@unix(/run/mysqld/mysqld.sock)/hanko?parseTime=true&loc=UTC"},
		{name: "mysql user with colon", db: Database{Dialect: "mysql", User: "a:b"}, wantErr: "database.user:"},
		{name: "unknown dialect", db: Database{Dialect: "oracle"}, wantErr: `database.dialect: unsupported dialect "oracle"`},

		// url: postgres family
		{name: "url postgres", db: Database{URL: "postgres://u:p@h:5432/db?sslmode=disable"}, wantDialect: "postgres", wantDSN: "postgres://u:p@h:5432/db?sslmode=disable"},
		{name: "url postgresql scheme", db: Database{URL: "postgresql://u:p@h/db"}, wantDialect: "postgres", wantDSN: "postgres://u:p@h/db"},
		{name: "url overrides fields", db: Database{URL: "postgres://u:p@h/db", Host: "other", User: "x"}, wantDialect: "postgres", wantDSN: "postgres://u:p@h/db"},
		{name: "url cockroach scheme", db: Database{URL: "cockroachdb://root@crdb:26257/defaultdb?sslmode=verify-full"}, wantDialect: "cockroach", wantDSN: "postgres://root@crdb:26257/defaultdb?sslmode=verify-full"},
		{name: "url cockroach dialect with postgres scheme", db: Database{Dialect: "cockroach", URL: "postgres://root@crdb:26257/db"}, wantDialect: "cockroach", wantDSN: "postgres://root@crdb:26257/db"},
		{name: "url keyword value with dialect", db: Database{Dialect: "postgres", URL: "host=db user=u dbname=x"}, wantDialect: "postgres", wantDSN: "host=db user=u dbname=x"},
		{name: "url bad port hides password", db: Database{URL: "postgres://u:secretpw@h:port/db"}, wantErr: "database.url:"},

		// url: mysql family
		{name: "url mysql", db: Database{URL: "mysql://user:pass@host:3306/db?x=y"}, wantDialect: "mysql", wantDSN: "user:pass@tcp(host:3306)/db?x=y&parseTime=true&loc=UTC"},
		{name: "url mysql default port", db: Database{URL: "mysql://user:pass@host/db"}, wantDialect: "mysql", wantDSN: "user:pass@tcp(host:3306)/db?parseTime=true&loc=UTC"},
		{name: "url mysql escaped password", db: Database{URL: "mysql://user:p%40ss%3Aw@host:3306/db"}, wantDialect: "mysql", wantDSN: "user:p@ss:w@tcp(host:3306)/db?parseTime=true&loc=UTC"},
		{name: "url mysql keeps given params", db: Database{URL: "mysql://u@h/db?parseTime=false&loc=Local&tls=true"}, wantDialect: "mysql", wantDSN: "u@tcp(h:3306)/db?parseTime=false&loc=Local&tls=true"},
		{name: "url mysql no user", db: Database{URL: "mysql://h:3306/db"}, wantDialect: "mysql", wantDSN: "tcp(h:3306)/db?parseTime=true&loc=UTC"},
		{name: "url mariadb", db: Database{URL: "mariadb://u:p@h:3306/db"}, wantDialect: "mariadb", wantDSN: "u:p@tcp(h:3306)/db?parseTime=true&loc=UTC"},
		{name: "url mariadb dialect mysql scheme", db: Database{Dialect: "mariadb", URL: "mysql://u:p@h/db"}, wantDialect: "mariadb", wantDSN: "u:p@tcp(h:3306)/db?parseTime=true&loc=UTC"},
		{name: "url driver form", db: Database{URL: "u:p@tcp(h:3306)/db"}, wantDialect: "mysql", wantDSN: "u:p@tcp(h:3306)/db?parseTime=true&loc=UTC"},
		{name: "url driver form with params", db: Database{Dialect: "mariadb", URL: "u:p@tcp(h:3306)/db?charset=utf8mb4&parseTime=true"}, wantDialect: "mariadb", wantDSN: "u:p@tcp(h:3306)/db?charset=utf8mb4&parseTime=true&loc=UTC"},
		{name: "url driver form behind scheme", db: Database{URL: "mysql://u:p@tcp(h:3306)/db"}, wantDialect: "mysql", wantDSN: "u:p@tcp(h:3306)/db?parseTime=true&loc=UTC"},
		{name: "url driver form unix", db: Database{URL: "u@unix(/tmp/mysql.sock)/db"}, wantDialect: "mysql", wantDSN: "u@unix(/tmp/mysql.sock)/db?parseTime=true&loc=UTC"},
		{name: "url driver form with slash in password", db: Database{Dialect: "mysql", URL: "u:a/b@tcp(h:3306)/db?x=1"}, wantDialect: "mysql", wantDSN: "u:a/b@tcp(h:3306)/db?x=1&parseTime=true&loc=UTC"},
		{name: "url driver form no slash", db: Database{Dialect: "mysql", URL: "u:p@tcp(h:3306)"}, wantErr: "database.url: invalid MySQL DSN"},

		// url: sqlite
		{name: "url sqlite absolute", db: Database{URL: "sqlite:///var/lib/hanko/hanko.db"}, wantDialect: "sqlite", wantDSN: "/var/lib/hanko/hanko.db"},
		{name: "url sqlite relative", db: Database{URL: "sqlite://relative.db"}, wantDialect: "sqlite", wantDSN: "relative.db"},
		{name: "url sqlite params", db: Database{URL: "sqlite://data/h.db?_pragma=busy_timeout(5000)"}, wantDialect: "sqlite", wantDSN: "data/h.db?_pragma=busy_timeout(5000)"},
		{name: "url sqlite memory", db: Database{URL: "sqlite://:memory:"}, wantDialect: "sqlite", wantDSN: ":memory:"},
		{name: "url file opaque", db: Database{URL: "file:x.db"}, wantDialect: "sqlite", wantDSN: "x.db"},
		{name: "url file absolute", db: Database{URL: "file:///tmp/x.db"}, wantDialect: "sqlite", wantDSN: "/tmp/x.db"},
		{name: "url sqlite plain path with dialect", db: Database{Dialect: "sqlite", URL: "data/x.db"}, wantDialect: "sqlite", wantDSN: "data/x.db"},
		{name: "url sqlite empty path", db: Database{URL: "sqlite://"}, wantErr: "database.url: missing SQLite file path"},

		// url errors
		{name: "url unsupported scheme", db: Database{URL: "foo://x"}, wantErr: `database.url: unsupported scheme "foo"`},
		{name: "url dialect mismatch", db: Database{Dialect: "postgres", URL: "mysql://u@h/db"}, wantErr: `database.url: scheme "mysql" does not fit database.dialect "postgres"`},
		{name: "url no scheme no dialect", db: Database{URL: "localhost/db"}, wantErr: "database.url: missing scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dialect, dsn, err := tc.db.Resolve()
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Resolve = %q, %q; want error containing %q", dialect, dsn, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error = %q, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "secretpw") {
					t.Errorf("error leaks the password: %q", err)
				}
				var fe *FieldError
				if !errors.As(err, &fe) {
					t.Errorf("error is %T, want *FieldError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if dialect != tc.wantDialect || dsn != tc.wantDSN {
				t.Errorf("Resolve = %q, %q\n          want %q, %q", dialect, dsn, tc.wantDialect, tc.wantDSN)
			}
		})
	}
}
