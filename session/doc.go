// Package session issues, verifies and revokes login sessions: JWTs with the
// Hanko backend's claims (sub, iat, exp, aud, session_id, email, iss), signed
// by the key set of package jwks, each backed by a server-side row.
//
// A Manager is built by hanko.New and reached through (*hanko.Hanko).Sessions.
// Hosts protect their routes with RequireSession and read the session with
// FromContext:
//
//	mux.Handle("GET /account", h.RequireSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		s, _ := session.FromContext(r.Context())
//		fmt.Fprintln(w, "hello", s.Subject)
//	})))
//
// Verification is the hot path: a token that verified once is answered from
// a bounded in-memory cache keyed by its SHA-256 until its exp. Revocations
// (logout, the admin API, account deletion, the per-user limit) are written
// to a feed that every Manager polls (Config.RevocationPoll, 1 s by
// default), so a revoked token is refused at once on the instance that
// revoked it and within a poll interval everywhere else, without a database
// query per request.
//
// Services that only know the public JWK set verify tokens with
// NewRemoteVerifier; it cannot see revocations. docs/sessions.md tells the
// whole story, with measured figures.
package session
