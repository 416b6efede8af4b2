// Package bridgetest runs a bridge.Bridge in tests: work posted to the UI
// goroutine waits in a queue that the test goroutine drains, so widgets are
// only ever touched from one goroutine and no test sleeps.
package bridgetest

import (
	"testing"
	"time"

	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// Queue is a Bridge whose posted work the test runs.
type Queue struct {
	B    *bridge.Bridge
	Work chan func() // posted UI work, in order
	wake chan struct{}
}

// New returns a Queue holding up to size posted functions.
func New(size int) *Queue {
	q := &Queue{B: bridge.New(), Work: make(chan func(), size), wake: make(chan struct{}, 1)}
	q.B.Post = func(f func()) { q.Work <- f }
	q.B.Idle = func() {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return q
}

// SettleUntil runs posted work until cond holds; t fails after 20 s.
func (q *Queue) SettleUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for !cond() {
		select {
		case f := <-q.Work:
			f()
		case <-q.wake:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Settle runs posted work until no background work is left.
func (q *Queue) Settle(t testing.TB) {
	t.Helper()
	q.SettleUntil(t, "background work to finish", q.idle)
}

// idle runs what is posted now and reports whether nothing is left to do.
func (q *Queue) idle() bool {
	for {
		select {
		case f := <-q.Work:
			f()
			continue
		default:
		}
		return q.B.Busy.Load() == 0 && len(q.Work) == 0
	}
}
