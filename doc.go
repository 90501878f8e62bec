// Package hanko is an embeddable authentication service for Go web
// applications: passkeys (WebAuthn), email passcodes, passwords, email
// verification, JWT sessions with a JWKS endpoint, user management, an admin
// API, webhooks and an audit log, wire-compatible with the Hanko backend
// v1.2.1 so that Hanko's browser SDK and <hanko-auth> elements work against
// it unchanged.
//
// A host builds one Hanko with New and mounts it; the value is the public
// API's http.Handler:
//
//	h, err := hanko.New(
//		hanko.WithConfigFile("config/config.yaml"), // Hanko's config.yaml
//		hanko.WithEnv(os.LookupEnv),                // DATABASE_URL, SECRETS_KEYS, ...
//		hanko.WithAutoMigrate(),
//	)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer h.Close()
//	mux.Handle("/auth/", http.StripPrefix("/auth", h))
//	go http.ListenAndServe("127.0.0.1:8001", h.Admin()) // keep private
//
// Every capability is also plain Go through an accessor, such as
// h.Users().Import(ctx, r).
//
// Configuration is Hanko's config.yaml (package config documents every key);
// with none at all, Hanko runs on an embedded SQLite file. For several
// instances, point database.url at PostgreSQL (or CockroachDB) or
// MySQL/MariaDB: every instance is stateless.
//
// The packages underneath: store (persistence, migrations), users (accounts
// and email addresses), httpapi (the HTTP layer), config (configuration),
// autherr (the error kinds every layer shares).
package hanko
