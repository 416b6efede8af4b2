package store

import (
	"cmp"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// group gathers concurrent writes into shared commits without waiting for
// company: a write that finds no commit running commits at once (alone;
// a write queued by start excepted, which waits a little for company);
// writes that arrive while a commit runs queue, and when it ends the first
// of them commits all those queued in one transaction. Each write still
// returns only once its own commit is on disk. bbolt's db.Batch, which
// this replaces, holds every batch for MaxBatchDelay (10 ms) when fewer
// than MaxBatchSize writers come — with 64 rows of a batch run in flight
// that timer, not the disk, set the pace.
type group struct {
	mu      sync.Mutex
	queue   []*groupCall
	running bool // a commit is running; its leader takes the queue next
	// kick, closed by settle, wakes the writes queued by start that wait
	// for another write to carry them.
	kick chan struct{}
	// lazy, when set, replaces lazyLead (tests).
	lazy time.Duration
	// started counts the writes queued by start and not yet committed:
	// Close waits for them.
	started sync.WaitGroup
}

// groupCall is one write waiting in the group.
type groupCall struct {
	fn   func(*bolt.Tx) error
	err  error
	wake chan struct{} // closed when done, or when made leader
	lead bool          // set before wake is closed: commit the queue
}

// maxGroup bounds the writes of one commit, so that one transaction's
// dirty pages stay small.
const maxGroup = 1000

// run commits fn with whatever writes are queued, and returns fn's
// outcome. commit runs a slice of writes in one transaction.
func (g *group) run(fn func(*bolt.Tx) error, commit func([]*groupCall)) error {
	c, waiting := g.enqueue(fn)
	g.await(c, waiting, commit)
	return c.err
}

// start queues fn behind the writes already queued and returns at once;
// the write is committed in order with them (a later write's commit
// carries it or follows it). Nothing waits for its outcome: it is for
// writes whose loss in a crash costs a record, not a word (a batch row's
// ledger line).
//
// Such a write does not lead a commit of its own when none is running: a
// batch row's line is followed within microseconds by its row's write,
// and leading at once cost every row two commits in a row (two fsyncs
// before the row was on disk). It waits for a write to carry it, for
// lazyLead to pass, or for Settle, whichever comes first.
func (g *group) start(fn func(*bolt.Tx) error, commit func([]*groupCall)) {
	g.started.Add(1)
	c := &groupCall{fn: fn, wake: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	waiting := g.running
	if g.kick == nil {
		g.kick = make(chan struct{})
	}
	kick := g.kick
	g.mu.Unlock()
	go func() {
		defer g.started.Done()
		if !waiting {
			t := time.NewTimer(cmp.Or(g.lazy, lazyLead))
			select {
			case <-c.wake:
			case <-t.C:
			case <-kick:
			}
			t.Stop()
			waiting = g.takeLead(c)
		}
		g.await(c, waiting, commit)
	}()
}

// lazyLead bounds how long a write queued by start waits for another
// write to carry it before it commits itself.
const lazyLead = 20 * time.Millisecond

// takeLead is called by a write queued by start that found no commit
// running, when it stops waiting for company: it leads (false) if it is
// still queued and no commit runs; otherwise (true) a running commit
// carries it or hands it the lead, or one already did.
func (g *group) takeLead(c *groupCall) (waiting bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running || !slices.Contains(g.queue, c) {
		return true
	}
	g.running = true
	return false
}

// settle wakes the writes queued by start that wait for company, and
// returns once every one of them is committed.
func (g *group) settle() {
	g.mu.Lock()
	if g.kick != nil {
		close(g.kick)
		g.kick = nil
	}
	g.mu.Unlock()
	g.started.Wait()
}

// enqueue queues fn and tells whether a commit is running (the write waits
// to be committed or made leader) or not (it leads at once).
func (g *group) enqueue(fn func(*bolt.Tx) error) (c *groupCall, waiting bool) {
	c = &groupCall{fn: fn, wake: make(chan struct{})}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.queue = append(g.queue, c)
	waiting, g.running = g.running, true
	return c, waiting
}

// await returns once c is committed: by the leader, or by c itself when it
// leads (at once, or when the lead is handed to it as the queue's first).
func (g *group) await(c *groupCall, waiting bool, commit func([]*groupCall)) {
	if waiting {
		<-c.wake
		if !c.lead {
			return
		}
	}
	g.lead(c, commit)
}

// lead commits the queue (up to maxGroup writes; self, the leader, is its
// first), wakes the writes committed, then hands the lead to the first
// write still queued, or ends the running state.
func (g *group) lead(self *groupCall, commit func([]*groupCall)) {
	g.mu.Lock()
	n := min(len(g.queue), maxGroup)
	if i := slices.Index(g.queue, self); i >= n {
		// Writes queued by start waited ahead of the leader: it
		// commits itself too, whatever the bound.
		n = i + 1
	}
	calls := g.queue[:n:n]
	g.queue = g.queue[n:]
	g.mu.Unlock()
	commit(calls)
	g.mu.Lock()
	var next *groupCall
	if len(g.queue) > 0 { // writes came during the commit
		next = g.queue[0]
		next.lead = true
	} else {
		g.running = false
		g.queue = nil
	}
	g.mu.Unlock()
	for _, c := range calls {
		if c != self { // the leader's wake is its own return
			close(c.wake)
		}
	}
	if next != nil {
		close(next.wake)
	}
}

// commitGroup runs calls in one transaction. When it fails, each write is
// run again in a transaction of its own, so that one bad write fails
// alone, as it would have without company (its fn must therefore only
// depend on the transaction, as with db.Batch).
func (s *Store) commitGroup(calls []*groupCall) {
	defer s.lastWrite.Store(time.Now().UnixNano())
	if len(calls) == 1 {
		calls[0].err = s.guard(func() error { return s.db.Update(guardTx(s.path, calls[0].fn)) })
		return
	}
	err := s.guard(func() error {
		return s.db.Update(func(tx *bolt.Tx) error {
			for _, c := range calls {
				if err := guardTx(s.path, c.fn)(tx); err != nil {
					return err
				}
			}
			return nil
		})
	})
	if err == nil {
		return
	}
	for _, c := range calls {
		c.err = s.guard(func() error { return s.db.Update(guardTx(s.path, c.fn)) })
	}
}
