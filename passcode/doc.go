// Package passcode creates, mails and verifies the one-time email passcodes
// of Hanko's passcode login (POST /passcode/login/initialize and
// /passcode/login/finalize) and of the flows that verify or recover via
// email. It is the Go core only; httpapi maps its errors to statuses.
//
// A passcode is six decimal digits drawn uniformly from 000000-999999 by
// rejection sampling (no modulo bias). Unlike the reference, which stores a
// bcrypt hash (cost 12), the row's code column holds
// hex(HMAC-SHA256(Secret, id || code)): a keyed MAC is thousands of times
// cheaper to check, and with a secret key, a 300 s lifetime and three tries
// a stolen table still reveals nothing useful. Codes are compared in
// constant time.
//
// Verification follows the reference: an unknown ID is ErrNotFound (401),
// an expired passcode ErrExpired (408), a wrong or malformed code counts a
// try and is ErrInvalidCode (401), and the try that reaches MaxAttempts
// deletes the passcode and is ErrMaxAttempts (410). A correct code deletes
// the row; of any number of concurrent correct attempts exactly one wins,
// because only one DELETE can affect the row.
//
// Service is safe for concurrent use.
package passcode
