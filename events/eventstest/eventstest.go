// Package eventstest is a test kit for code that emits events: a Recorder
// that keeps what was emitted in transactions that committed.
package eventstest

import (
	"context"
	"sync"

	"github.com/hanko-go/hanko/events"
	"github.com/hanko-go/hanko/store"
)

// Recorder is an events.Emitter that records events, like a real sink,
// only once the emitting transaction commits (store.AfterCommit): events of
// a rolled-back change are never recorded. It is safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	got  []events.Event
	fail error
}

// Emit records e after commit, or returns the error set by FailWith.
func (r *Recorder) Emit(ctx context.Context, e events.Event) error {
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		return fail
	}
	store.AfterCommit(ctx, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, e)
	})
	return nil
}

// FailWith makes every later Emit return err (nil: succeed again).
func (r *Recorder) FailWith(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

// Events returns the recorded events in order.
func (r *Recorder) Events() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.got...)
}

// Names returns the recorded events as "audit|webhook" strings, in order,
// for compact comparisons.
func (r *Recorder) Names() []string {
	evs := r.Events()
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Audit + "|" + e.Webhook
	}
	return out
}

// Reset forgets what was recorded.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = nil
}
