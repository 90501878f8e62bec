// Package audit records who did what: every event with an audit type
// (password_login_succeeded, user_created, …, reference section 4.9) becomes
// one audit record, written to the database, to the console, or both.
//
// A Log is an events.Emitter. hanko.New builds it from audit_log.* and
// combines it with the other sinks:
//
//	log, err := audit.New(audit.Config{Store: db, Storage: true, Console: os.Stdout, Mask: true})
//	users.New(users.Config{Events: events.Multi(webhooks, log, metrics), …})
//
// The database row is inserted in the transaction of the change that caused
// the event, so a rolled-back change leaves no record; the console line is
// written after that transaction commits (store.AfterCommit), never for a
// rollback. The request meta (request ID, client IP, user agent) comes from
// events.MetaFrom, which the HTTP layer puts in every request's context.
//
// With Mask on (audit_log.mask, the default) email addresses and usernames
// are masked as the reference masks them (MaskEmail, MaskUsername), in the
// actor_email column, the console line and the details' "email" and
// "username" entries alike.
//
// List serves the admin API's GET /audit_logs: filters, pages, newest first.
package audit
