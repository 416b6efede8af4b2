package ui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"deskchat/engine"
)

// frameInterval bounds how often a streaming answer is redrawn: at most 60
// times a second, however fast tokens arrive (ARCHITECTURE.md, UI rendering).
const frameInterval = time.Second / 60

// bridge is the only place in ui/ that starts goroutines. Work that touches
// the disk or the network runs on a goroutine; its result is handed back to
// the UI goroutine with post (fyne.Do in the app). Widgets never block.
type bridge struct {
	// post runs f on the UI goroutine.
	post func(f func())
	// frame returns a channel that fires one frame from now; streamed text
	// waiting for it is drawn in one go.
	frame func() <-chan time.Time

	busy    atomic.Int64   // goroutines whose result is not yet posted
	streams sync.WaitGroup // answers whose event channel is still open
	// idle, if set, is called (on the worker goroutine) each time a piece of
	// work has posted its result; tests use it to know when to look.
	idle func()
}

func newBridge() *bridge {
	return &bridge{
		post:  fyne.Do,
		frame: func() <-chan time.Time { return time.After(frameInterval) },
	}
}

func (b *bridge) start() { b.busy.Add(1) }

func (b *bridge) finish() {
	b.busy.Add(-1)
	if b.idle != nil {
		b.idle()
	}
}

// run calls work on a new goroutine and then done with its results on the UI
// goroutine.
func run[T any](b *bridge, work func() (T, error), done func(T, error)) {
	b.start()
	go func() {
		defer b.finish()
		v, err := work()
		b.post(func() { done(v, err) })
	}()
}

// errTimedOut is the cause of a runWithin context whose stop fired.
var errTimedOut = errors.New("timed out")

// runWithin calls work on a new goroutine with a context that ends when
// parent does or when stop fires (its cause is then errTimedOut), and then
// done with the result on the UI goroutine. stop is a channel, not a
// duration, so that tests fire it themselves.
func runWithin[T any](b *bridge, parent context.Context, stop <-chan time.Time, work func(context.Context) T, done func(T)) {
	b.start()
	go func() {
		defer b.finish()
		ctx, cancel := context.WithCancelCause(parent)
		defer cancel(nil)
		over := make(chan struct{})
		go func() {
			select {
			case <-stop:
				cancel(errTimedOut)
			case <-over:
			}
		}()
		v := work(ctx)
		close(over)
		b.post(func() { done(v) })
	}()
}

// after calls f on the UI goroutine d from now, unless the timer it
// returns is stopped first.
func (b *bridge) after(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() { b.post(f) })
}

// every calls f on the UI goroutine every d until f returns false or stop
// is called. It is not work the bridge waits for.
func (b *bridge) every(d time.Duration, f func() bool) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	stop = func() { once.Do(func() { close(done) }) }
	go func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				b.post(func() {
					if !f() {
						stop()
					}
				})
			}
		}
	}()
	return stop
}

// answerUpdate is what happened to an answer since the last redraw.
type answerUpdate struct {
	Text       string       // text appended since the last update
	Reasoning  string       // reasoning appended since the last update
	Status     string       // the engine's latest state in words; "" when none
	Wait       engine.Event // the latest RateLimited or Retrying, when it is the latest state
	Started    *engine.Started
	Usage      *engine.Usage
	FellBack   *engine.FellBack
	Compressed *engine.Compressed
	Cached     bool
	Final      engine.Event // Done, Stopped or Failed; nil while the answer streams
}

// follow reads an answer's events on a goroutine and hands them to apply on
// the UI goroutine, at most once per frame: everything that arrived in
// between is merged into one update. The final event is handed over at once.
func (b *bridge) follow(events <-chan engine.Event, apply func(answerUpdate)) {
	b.start()
	b.streams.Add(1)
	go func() {
		defer b.finish()
		var (
			pend  answerUpdate
			dirty bool
			tick  <-chan time.Time
		)
		flush := func() {
			u := pend
			b.post(func() { apply(u) })
			pend, dirty, tick = answerUpdate{}, false, nil
		}
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					b.streams.Done()
					if dirty {
						flush()
					}
					return
				}
				mergeEvent(&pend, ev)
				dirty = true
				if pend.Final != nil {
					continue // the channel closes next
				}
				if tick == nil {
					tick = b.frame()
				}
			case <-tick:
				if dirty {
					flush()
				}
				tick = nil
			}
		}
	}()
}

// waitStreams waits up to d for every followed answer to end; it reports
// whether they all did.
func (b *bridge) waitStreams(d time.Duration) bool { return waitGroup(&b.streams, d) }

// waitGroup waits up to d for wg; it reports whether wg was done.
func waitGroup(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func mergeEvent(u *answerUpdate, ev engine.Event) {
	switch ev := ev.(type) {
	case engine.Delta:
		u.Text += ev.Text
		u.Reasoning += ev.Reasoning
	case engine.Started:
		s := ev
		u.Started = &s
		u.Status, u.Wait = statusClear, nil
	case engine.FellBack:
		f := ev
		u.FellBack = &f
		u.Status, u.Wait = statusText(ev), nil
	case engine.Compressed:
		c := ev
		u.Compressed = &c
		u.Status, u.Wait = statusText(ev), nil
	case engine.Cached:
		u.Cached = true
	case engine.UsageEvent:
		us := ev.Usage
		u.Usage = &us
	case engine.Done, engine.Stopped, engine.Failed:
		u.Final = ev
	case engine.RateLimited, engine.Retrying:
		u.Wait, u.Status = ev, ""
	default:
		if s := statusText(ev); s != "" {
			u.Status, u.Wait = s, nil
		}
	}
}

// statusClear is the Status of an update that clears the status line.
const statusClear = "\x00"

// statusText says what the engine is doing, as the user reads it.
func statusText(ev engine.Event) string {
	switch ev := ev.(type) {
	case engine.Queued:
		return fmt.Sprintf("Queued #%d for %s", ev.Position, ev.Provider)
	case engine.RateLimited:
		return fmt.Sprintf("Waiting for %s's rate limit until %s", ev.Provider, ev.Until.Local().Format("15:04:05"))
	case engine.Retrying:
		return fmt.Sprintf("Retrying in %s (%s), attempt %d", roundWait(ev.After), ev.Reason, ev.Attempt)
	case engine.FellBack:
		return fmt.Sprintf("%s did not answer; asking %s instead", ev.From, ev.To)
	case engine.Compressed:
		return compressedText(ev)
	}
	return ""
}

// compressedText says how the history was fitted into the context window.
func compressedText(c engine.Compressed) string {
	if c.Dropped > 0 {
		return c.Note
	}
	s := fmt.Sprintf("%d older messages sent as a summary to fit the model's context", c.Summarised)
	if c.Note != "" {
		s += ". " + c.Note
	}
	return s
}

// roundWait formats a wait for people: "8 s", "450 ms", "2 min".
func roundWait(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < 2*time.Minute:
		return fmt.Sprintf("%.0f s", d.Seconds())
	default:
		return fmt.Sprintf("%.0f min", d.Minutes())
	}
}
