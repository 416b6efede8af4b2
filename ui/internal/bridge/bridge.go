package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
)

// FrameInterval bounds how often a streaming answer is redrawn: at most 60
// times a second, however fast tokens arrive (ARCHITECTURE.md, UI rendering).
const FrameInterval = time.Second / 60

// Bridge is the only place in ui/ that starts goroutines. Work that touches
// the disk or the network runs on a goroutine; its result is handed back to
// the UI goroutine with post (fyne.Do in the app). Widgets never block.
type Bridge struct {
	// Post runs f on the UI goroutine.
	Post func(f func())
	// Frame returns a channel that fires one Frame from now; streamed text
	// waiting for it is drawn in one go.
	Frame func() <-chan time.Time

	Busy    atomic.Int64   // goroutines whose result is not yet posted
	streams sync.WaitGroup // answers whose event channel is still open
	// Idle, if set, is called (on the worker goroutine) each time a piece of
	// work has posted its result; tests use it to know when to look.
	Idle func()
}

func New() *Bridge {
	return &Bridge{
		Post:  fyne.Do,
		Frame: func() <-chan time.Time { return time.After(FrameInterval) },
	}
}

func (b *Bridge) start() { b.Busy.Add(1) }

func (b *Bridge) finish() {
	b.Busy.Add(-1)
	if b.Idle != nil {
		b.Idle()
	}
}

// Run calls work on a new goroutine and then done with its results on the UI
// goroutine.
func Run[T any](b *Bridge, work func() (T, error), done func(T, error)) {
	b.start()
	go func() {
		defer b.finish()
		v, err := work()
		b.Post(func() { done(v, err) })
	}()
}

// ErrTimedOut is the cause of a runWithin context whose stop fired.
var ErrTimedOut = errors.New("timed out")

// RunWithin calls work on a new goroutine with a context that ends when
// parent does or when stop fires (its cause is then errTimedOut), and then
// done with the result on the UI goroutine. stop is a channel, not a
// duration, so that tests fire it themselves.
func RunWithin[T any](b *Bridge, parent context.Context, stop <-chan time.Time, work func(context.Context) T, done func(T)) {
	b.start()
	go func() {
		defer b.finish()
		ctx, cancel := context.WithCancelCause(parent)
		defer cancel(nil)
		over := make(chan struct{})
		go func() {
			select {
			case <-stop:
				cancel(ErrTimedOut)
			case <-over:
			}
		}()
		v := work(ctx)
		close(over)
		b.Post(func() { done(v) })
	}()
}

// After calls f on the UI goroutine d from now, unless the timer it
// returns is stopped first.
func (b *Bridge) After(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() { b.Post(f) })
}

// Every calls f on the UI goroutine Every d until f returns false or stop
// is called. It is not work the bridge waits for.
func (b *Bridge) Every(d time.Duration, f func() bool) (stop func()) {
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
				b.Post(func() {
					if !f() {
						stop()
					}
				})
			}
		}
	}()
	return stop
}

// Update is what happened to an answer since the last redraw.
type Update struct {
	Text       string       // text appended since the last update
	Reasoning  string       // reasoning appended since the last update
	Status     string       // the engine's latest state in words; "" when none
	Wait       engine.Event // the latest RateLimited or Retrying, when it is the latest state
	Started    *engine.Started
	Usage      *engine.Usage
	FellBack   *engine.FellBack
	Compressed *engine.Compressed
	Cached     bool
	Tools      []engine.ToolUse // calls that ended since the last update (ToolRan), in order
	// Running are the calls that started since the last update
	// (ToolRunning), in order; a call that also ended is in Tools too.
	Running []engine.ToolRunning
	Final   engine.Event // Done, Stopped or Failed; nil while the answer streams
}

// Follow reads an answer's events on a goroutine and hands them to apply on
// the UI goroutine, at most once per frame: everything that arrived in
// between is merged into one update. The final event is handed over at once.
func (b *Bridge) Follow(events <-chan engine.Event, apply func(Update)) {
	b.start()
	b.streams.Add(1)
	go func() {
		defer b.finish()
		var (
			pend  Update
			dirty bool
			tick  <-chan time.Time
		)
		flush := func() {
			u := pend
			b.Post(func() { apply(u) })
			pend, dirty, tick = Update{}, false, nil
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
				MergeEvent(&pend, ev)
				dirty = true
				if pend.Final != nil {
					continue // the channel closes next
				}
				if tick == nil {
					tick = b.Frame()
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

// WaitStreams waits up to d for every followed answer to end; it reports
// whether they all did.
func (b *Bridge) WaitStreams(d time.Duration) bool { return WaitFor(&b.streams, d) }

// WaitFor waits up to d for wg; it reports whether wg was done.
func WaitFor(wg *sync.WaitGroup, d time.Duration) bool {
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

func MergeEvent(u *Update, ev engine.Event) {
	switch ev := ev.(type) {
	case engine.Delta:
		u.Text += ev.Text
		u.Reasoning += ev.Reasoning
	case engine.Started:
		s := ev
		u.Started = &s
		u.Status, u.Wait = StatusClear, nil
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
	case engine.ToolRunning:
		u.Running = append(u.Running, ev)
	case engine.ToolRan:
		u.Tools = append(u.Tools, ev.Use)
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

// StatusClear is the Status of an update that clears the status line.
const StatusClear = "\x00"

// statusText says what the engine is doing, as the user reads it.
func statusText(ev engine.Event) string {
	switch ev := ev.(type) {
	case engine.Queued:
		return fmt.Sprintf("Queued #%d for %s", ev.Position, ev.Provider)
	case engine.RateLimited:
		return fmt.Sprintf("Waiting for %s's rate limit until %s", ev.Provider, ev.Until.Local().Format("15:04:05"))
	case engine.Retrying:
		return fmt.Sprintf("Retrying in %s (%s), attempt %d", format.Duration(ev.After), ev.Reason, ev.Attempt)
	case engine.FellBack:
		return fmt.Sprintf("%s did not answer; asking %s instead", ev.From, ev.To)
	case engine.Compressed:
		return CompressedText(ev)
	}
	return ""
}

// CompressedText says how the history was fitted into the context window.
func CompressedText(c engine.Compressed) string {
	if c.Dropped > 0 {
		return c.Note
	}
	files := format.Count(c.Attachments, "older message", "older messages")
	if c.Folded == 0 {
		return fmt.Sprintf("The files of %s were sent as their names only, to fit the model's context", files)
	}
	s := fmt.Sprintf("%d older messages sent as a summary to fit the model's context", c.Summarised)
	if c.Attachments > 0 {
		s += fmt.Sprintf("; the files of %s sent as their names only", files)
	}
	if c.Note != "" {
		s += ". " + c.Note
	}
	return s
}
