package audit_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hanko-go/hanko/audit"
	"github.com/hanko-go/hanko/events"
)

// ExampleNew writes one console line per audited event. hanko.New builds
// the log from audit_log.* and hands it to every feature through
// events.Multi; here an event is emitted by hand, outside any transaction,
// so the line is written at once.
func ExampleNew() {
	log, err := audit.New(audit.Config{
		Console: os.Stdout,
		Mask:    true,
		Now:     func() time.Time { return time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}
	ctx := events.WithMeta(context.Background(), events.Meta{RequestID: "r-1", SourceIP: "203.0.113.9", UserAgent: "curl/8"})
	err = log.Emit(ctx, events.Event{
		Audit:   events.PasswordLoginFailed,
		Email:   "ada.lovelace@example.com",
		Details: map[string]any{"login_method": "password"},
		Err:     fmt.Errorf("wrong password"),
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// {"audience":"audit","type":"password_login_failed","error":"wrong password","http_request_id":"r-1","source_ip":"203.0.113.9","user_agent":"curl/8","details":{"login_method":"password"},"time":"2024-05-06T07:08:09Z","time_unix":"1714979289","user_email":"ada*********@example.com"}
}

func ExampleMaskEmail() {
	fmt.Println(audit.MaskEmail("bob@example.com"))
	fmt.Println(audit.MaskEmail("ada.lovelace@example.com"))
	fmt.Println(audit.MaskUsername("ada_l"))
	// Output:
	// b*****@example.com
	// ada*********@example.com
	// a***l
}
