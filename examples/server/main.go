// Command server is hanko as a standalone service, with the Hanko CLI's
// shape:
//
//	server [serve] [all|public|admin]  serve the APIs (default: serve all)
//	server migrate up|down [N|all]     change the database schema
//	server user import -i FILE         import users (Hanko's import format)
//	server user export -o FILE         export users ("-" for stdout)
//	server jwt create USER_ID          issue a session token for a user
//	server jwk create                  print a new private signing key (JWK)
//	server version                     print the version
//
// Every command takes --config FILE (default ./config/config.yaml, which may
// be absent). Environment variables override the file in Hanko's naming
// (DATABASE_URL, SECRETS_KEYS, ...). With no configuration at all the server
// runs on the SQLite file hanko.db, migrates it and logs which development
// defaults are in effect.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const defaultConfigPath = "./config/config.yaml"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a command line the CLI does not understand.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg + "\n" + usage }

const usage = `usage:
  server [serve] [all|public|admin] [--config FILE] [--no-migrate]
  server migrate up|down [N|all] [--config FILE]
  server user import -i FILE [--config FILE]
  server user export -o FILE [--config FILE]
  server jwt create USER_ID [--config FILE]
  server jwk create [--config FILE]
  server version`

// env is how the CLI reads the environment (os.LookupEnv in main).
type env = func(string) (string, bool)

// run executes one command line. It returns when the command is done or, for
// serve, when ctx is cancelled and the servers have shut down.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup env) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configPath := fs.String("config", defaultConfigPath, "config file")
	noMigrate := fs.Bool("no-migrate", false, "serve: do not migrate the database on start")
	input := fs.String("i", "", "user import: input file")
	fs.StringVar(input, "inputFile", "", "user import: input file")
	output := fs.String("o", "", "user export: output file")
	fs.StringVar(output, "outputFile", "", "user export: output file")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return usageError{err.Error()}
	}
	explicitConfig := false
	fs.Visit(func(f *flag.Flag) { explicitConfig = explicitConfig || f.Name == "config" })

	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cli := &cli{configPath: *configPath, explicitConfig: explicitConfig, env: lookup, log: log, stdout: stdout, stderr: stderr}

	cmd := "serve"
	if len(pos) > 0 {
		cmd, pos = pos[0], pos[1:]
	}
	switch cmd {
	case "serve":
		which := "all"
		if len(pos) > 0 {
			which = pos[0]
		}
		if len(pos) > 1 || (which != "all" && which != "public" && which != "admin") {
			return usageError{"serve takes one of all, public, admin"}
		}
		return cli.serve(ctx, which, !*noMigrate)
	case "all", "public", "admin": // "server public" as a shorthand
		return cli.serve(ctx, cmd, !*noMigrate)
	case "migrate":
		if len(pos) == 0 || len(pos) > 2 {
			return usageError{"migrate takes up or down"}
		}
		return cli.migrate(ctx, pos[0], pos[1:])
	case "user":
		if len(pos) != 1 {
			return usageError{"user takes import or export"}
		}
		switch pos[0] {
		case "import":
			if *input == "" {
				return usageError{"user import needs -i FILE"}
			}
			return cli.importUsers(ctx, *input)
		case "export":
			if *output == "" {
				return usageError{"user export needs -o FILE (- for stdout)"}
			}
			return cli.exportUsers(ctx, *output)
		}
		return usageError{"user takes import or export"}
	case "jwt":
		if len(pos) != 2 || pos[0] != "create" {
			return usageError{"jwt takes: create USER_ID"}
		}
		return cli.createJWT(ctx, pos[1])
	case "jwk":
		if len(pos) != 1 || pos[0] != "create" {
			return usageError{"jwk takes: create"}
		}
		return cli.createJWK()
	case "version":
		fmt.Fprintln(stdout, version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments ("serve all --config x" and "--config x serve all").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// configMissing reports whether err says the config file does not exist.
func configMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) }
