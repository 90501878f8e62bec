// Package users manages accounts and their email addresses: sign-up, lookup,
// the admin operations (create, list, get, delete, addresses, primary
// address) and bulk import and export in Hanko's user-import format.
//
// A Service is built by hanko.New and reached through (*hanko.Hanko).Users;
// httpapi serves it over HTTP. Addresses are normalised (trimmed,
// lower-cased) and validated by NormalizeEmail before they are stored. Every
// change runs in one store transaction, so a failed step leaves nothing
// half-written.
//
//	u, err := h.Users().Create(ctx, users.NewUser{
//		Emails: []users.NewEmail{{Address: "ada@example.com", Primary: true, Verified: true}},
//	})
//
// Errors are the sentinels in errors.go; each also matches its autherr kind.
package users
