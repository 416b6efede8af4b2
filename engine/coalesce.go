package engine

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// Coalescing: identical requests in flight at the same moment (same cache
// key: endpoint, model, sampling, messages) share one upstream stream. The
// first runs it — the leader — and everything it receives is kept in a
// flight; later ones — followers — read the flight from its start, so every
// caller gets the whole answer and stores it in its own conversation.
//
// The upstream runs on the flight's own context, not on any caller's: a
// caller that stops leaves the flight, and the upstream is cancelled only
// when the last one has left. A leader that stops gets Stopped at once; its
// stored answer is cut back to what it had received when the flight ends.

// flight is one upstream answer shared by identical requests.
type flight struct {
	mu     sync.Mutex
	chunks []llm.Chunk
	// progress are the leader's states before a provider answered
	// (Queued, RateLimited, Retrying, FellBack), for followers to report.
	progress []Event
	served   *Started // who answers, once known
	done     bool
	err      error         // why the upstream ended badly; nil on success
	wake     chan struct{} // closed (and replaced) whenever something changes
	refs     int           // callers still reading
	cancel   context.CancelFunc
}

func newFlight(cancel context.CancelFunc) *flight {
	return &flight{wake: make(chan struct{}), refs: 1, cancel: cancel}
}

// publish adds what the upstream produced and wakes the readers.
func (f *flight) publish(update func(f *flight)) {
	f.mu.Lock()
	update(f)
	close(f.wake)
	f.wake = make(chan struct{})
	f.mu.Unlock()
}

// join adds a reader; it fails when the flight has already ended, or when
// every reader has left and its upstream is being cancelled.
func (f *flight) join() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done || f.refs == 0 {
		return false
	}
	f.refs++
	return true
}

// leave removes a reader; the last one to leave cancels the upstream. It
// reports whether others still read.
func (f *flight) leave() (others bool) {
	f.mu.Lock()
	f.refs--
	others = f.refs > 0
	last := !others && !f.done
	f.mu.Unlock()
	if last {
		f.cancel()
	}
	return others
}

// waitStart blocks until the upstream started or ended, or ctx is done,
// passing the leader's progress events to report as they happen.
func (f *flight) waitStart(ctx context.Context, report func(Event)) (*Started, error) {
	seen := 0
	for {
		f.mu.Lock()
		served, done, err, wake := f.served, f.done, f.err, f.wake
		progress := f.progress[seen:]
		seen = len(f.progress)
		f.mu.Unlock()
		for _, ev := range progress {
			report(ev)
		}
		switch {
		case served != nil:
			return served, nil
		case done:
			if err == nil {
				err = errors.New("the shared answer ended before it started")
			}
			return nil, err
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// flightStream reads a flight from its start, as an llm.Stream.
type flightStream struct {
	f      *flight
	ctx    context.Context
	i      int
	cur    llm.Chunk
	err    error
	closed sync.Once
}

func (s *flightStream) Next() bool {
	for {
		s.f.mu.Lock()
		if s.i < len(s.f.chunks) {
			s.cur = s.f.chunks[s.i]
			s.i++
			s.f.mu.Unlock()
			return true
		}
		done, err, wake := s.f.done, s.f.err, s.f.wake
		s.f.mu.Unlock()
		if done {
			s.err = err
			return false
		}
		select {
		case <-wake:
		case <-s.ctx.Done():
			s.err = s.ctx.Err()
			return false
		}
	}
}

func (s *flightStream) Current() llm.Chunk { return s.cur }
func (s *flightStream) Err() error         { return s.err }
func (s *flightStream) Close() error {
	s.closed.Do(func() { s.f.leave() })
	return nil
}

// LastActivity tells the stall detector that a shared stream is as alive as
// its upstream, which has its own detector.
func (s *flightStream) LastActivity() time.Time { return time.Now() }

// follow answers j from a flight another request leads.
func (e *Engine) follow(ctx context.Context, j job, f *flight, out chan<- Event) {
	defer close(out)
	if j.c != nil {
		j.c.followed = true
	}
	served, err := f.waitStart(ctx, func(ev Event) { deliver(ctx, out, ev) })
	if err != nil {
		f.leave()
		if j.x.wait() != nil {
			return // Send could not store the question: no one reads
		}
		if ctx.Err() != nil {
			e.dropUnstarted(j.x.ans)
			out <- Stopped{}
			return
		}
		sentence := UserMessage(err)
		ans := j.x.ans
		ans.State, ans.Error = store.StateFailed, sentence
		if serr := e.putAnswer(ans); serr != nil {
			sentence += " " + store.UserMessage(serr)
		}
		out <- Failed{Sentence: sentence, Err: err}
		return
	}
	c := j.plan[0]
	for _, p := range j.plan {
		if p.cfg.Name == served.Provider {
			c = p
		}
	}
	c.model = served.Model
	s := &flightStream{f: f, ctx: ctx}
	defer s.Close()
	if j.x.wait() != nil {
		return
	}
	e.stream(ctx, streamRequest{stream: s, served: c, x: j.x, start: e.now(), idle: j.idle, emit: chanSink(ctx, out)})
}

// flightFor returns the flight for key: joined (leader false) when one is in
// the air, else a new one this caller leads, with the context its upstream
// runs on.
func (e *Engine) flightFor(key []byte) (f *flight, leader bool, fctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f := e.flights[string(key)]; f != nil && f.join() {
		if e.onJoin != nil {
			e.onJoin()
		}
		return f, false, nil
	}
	fctx, cancel := context.WithCancel(context.Background())
	f = newFlight(cancel)
	if e.flights == nil {
		e.flights = map[string]*flight{}
	}
	e.flights[string(key)] = f
	return f, true, fctx
}

// land ends a flight: no one can join it any more.
func (e *Engine) land(key []byte, f *flight, err error) {
	e.mu.Lock()
	if e.flights[string(key)] == f {
		delete(e.flights, string(key))
	}
	e.mu.Unlock()
	f.publish(func(f *flight) { f.done, f.err = true, err })
	f.cancel()
}
