// Package config reads the configuration of a hanko instance: the keys, defaults and
// environment variable names of the Hanko backend's config.yaml (v1.2.1), so an existing Hanko
// configuration works unchanged, plus a few keys of our own (database.max_open_conns and the
// other pool keys, the sqlite dialect, the "database" rate-limiter store).
//
// The root package (hanko.WithConfig) and the example server's CLI call it; feature packages
// receive the values they need, never a Config. The package reads no files or environment
// variables on its own and keeps no global state.
//
// Loading mirrors Hanko: YAML over the defaults, then the environment, then derived values,
// then validation, which reports every problem at once:
//
//	cfg, err := config.Load("config/config.yaml") // or config.Parse(data), or config.Default()
//	if err != nil && !errors.Is(err, fs.ErrNotExist) {
//		return err
//	}
//	if errors.Is(err, fs.ErrNotExist) {
//		cfg = config.Default()
//	}
//	if err := cfg.ApplyEnv(os.LookupEnv); err != nil { // SESSION_LIFESPAN=1h, ...
//		return err
//	}
//	cfg.PostProcess() // legacy keys, session audience, redirect URLs
//	if err := cfg.Validate(); err != nil {
//		return err // e.g. "secrets.keys[0]: must be at least 16 characters"
//	}
//	dialect, dsn, err := cfg.Database.Resolve() // "sqlite", "hanko.db" with no database config
//
// docs/configuration.md is the user-facing reference of every key.
package config
