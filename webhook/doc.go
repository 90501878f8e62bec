// Package webhook delivers Hanko's webhook events (user.create, email.send,
// …) to subscribed HTTP endpoints, durably and at least once.
//
// A Service is an events.Emitter: features emit through it inside the
// transaction of their change, and it writes one webhook_outbox row per
// subscribed hook in that same transaction, so a change that rolls back
// delivers nothing and a committed one is never lost. After commit the
// emitting instance's dispatcher is woken (store.AfterCommit); every
// instance also polls, so rows written elsewhere, or left by a crashed
// process, are delivered too. Rows are leased while in flight
// (locked_until), so several instances share the work without sending a
// row twice in the normal case.
//
// Delivery is the reference's: an HTTP POST with Content-Type
// application/json and the body {"token": <JWT>, "event": <name>}, the JWT
// signed with the session signing key and carrying sub "hanko webhooks",
// iat, exp (+5 min), aud (the session audience), evt and data. Ours adds an
// Idempotency-Key header (the row ID, stable across retries), a request
// timeout and retries with exponential backoff and jitter.
//
// A delivery is tried up to MaxAttempts (10) times with backoff, about
// 8.5 hours in all, then given up. A claimed row is leased for longer than
// its batch can take; an instance that outlives a lease anyway leaves the
// row to whoever claimed it next. An idle outbox costs each instance one
// read per Poll, not a write transaction.
//
// Payloads are sealed at rest when Config.Secrets is set (AES-256-GCM
// under a key derived for the outbox), since email.send carries a
// passcode; an email.send row whose passcode expired is dropped, not
// delivered.
//
// Hooks come from two places. Hooks of the configuration (webhooks.hooks,
// only with webhooks.enabled) never disable. Hooks made through the admin
// API fire regardless of webhooks.enabled; each event such a hook did not
// get (given up after failed attempts) counts one failure, and more than
// five disable the hook; a success resets the count and extends its expiry
// by 30 days, and with webhooks.allow_time_expiration an expired hook is
// disabled instead of called. Once a hook is disabled (so, through the
// admin API, after failures or on expiry) its pending deliveries are
// dropped at their next attempt; enabling it again does not bring them
// back. Deleting a hook drops them at once.
//
// Sketch (hanko.New does this):
//
//	hooks, _ := webhook.New(webhook.Config{Store: db, Keys: keys, Audience: aud})
//	users, _ := users.New(users.Config{Store: db, Events: hooks})
//	hooks.Start()
//	defer hooks.Close()
package webhook
