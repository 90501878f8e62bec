package webhook

import "github.com/hanko-go/hanko/autherr"

// Errors of the webhook feature. Each matches its autherr kind with
// errors.Is. Invalid input is reported as an autherr.Invalid error whose
// message names the field.
var (
	// ErrNotFound is an unknown webhook ID (404).
	ErrNotFound = autherr.New(autherr.NotFound, "webhook not found")
)
