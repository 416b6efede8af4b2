package search

import (
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ---------------------------------------------------------------------------
// The background merger

// merger merges a store's recent segment into the postings, in its own
// write transactions, when kicked by a commit that left enough recent docs.
type merger struct {
	cfg       Config
	db        *bolt.DB
	lastWrite *atomic.Int64            // the store's last write (UnixNano)
	guard     func(func() error) error // runs a transaction, damage met an error
	kickc     chan struct{}
	stop      chan struct{}
	done      chan struct{}
	lastErr   atomic.Pointer[error]
}

func (m *merger) kick() {
	select {
	case m.kickc <- struct{}{}:
	default:
	}
}

// Start starts the background merge of db's recent docs. lastWrite is
// when the store's last write ended (UnixNano): a merge waits for writes
// to pause. guard runs each of the merger's transactions so that a damaged
// page met while merging is an error, not the end of the process.
func (ix *Index) Start(db *bolt.DB, lastWrite *atomic.Int64, guard func(func() error) error) {
	m := &merger{cfg: ix.cfg, db: db, lastWrite: lastWrite, guard: guard,
		kickc: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if old := ix.merger.Swap(m); old != nil {
		old.halt()
	}
	if m.pending() >= uint64(m.cfg.Threshold) {
		m.kick()
	}
	go m.run()
}

// Stop stops the background merge and waits for a merge under way.
func (ix *Index) Stop() {
	if m := ix.merger.Swap(nil); m != nil {
		m.halt()
	}
}

// Kick asks the merger to look at once whether a merge is due (tests).
func (ix *Index) Kick() {
	if m := ix.merger.Load(); m != nil {
		m.kick()
	}
}

// MergeErr is the error of the last merge that failed, if any (tests).
func (ix *Index) MergeErr() error {
	if m := ix.merger.Load(); m != nil {
		if err := m.lastErr.Load(); err != nil {
			return *err
		}
	}
	return nil
}

func (m *merger) halt() {
	close(m.stop)
	<-m.done
}

// pending is the number of docs written since the last merge.
func (m *merger) pending() uint64 {
	var n uint64
	_ = m.guard(func() error {
		return m.db.View(func(tx *bolt.Tx) error {
			n = Pending(tx)
			return nil
		})
	})
	return n
}

// waitQuiet waits until the store's writes have paused for Quiet, or
// Force docs wait to be merged. It returns false when the merger stops.
func (m *merger) waitQuiet() bool {
	for {
		idle := time.Since(time.Unix(0, m.lastWrite.Load()))
		if idle >= m.cfg.Quiet {
			return true
		}
		if m.pending() >= m.cfg.Force {
			return true
		}
		t := time.NewTimer(m.cfg.Quiet - idle)
		select {
		case <-m.stop:
			t.Stop()
			return false
		case <-m.kickc: // more docs wait: look again
			t.Stop()
		case <-t.C:
		}
	}
}

func (m *merger) run() {
	defer close(m.done)
	for {
		select {
		case <-m.stop:
			return
		case <-m.kickc:
		}
		if !m.waitQuiet() {
			return
		}
		for more := true; more; {
			select {
			case <-m.stop:
				return
			default:
			}
			// Guarded: a damaged page met while merging must not end
			// the process (the merge is retried at the next kick).
			err := m.guard(func() error {
				return m.db.Update(func(tx *bolt.Tx) (err error) {
					if more, err = Merge(tx, m.cfg.Batch); err == nil && m.cfg.Hook != nil {
						err = m.cfg.Hook(tx, m.stop)
					}
					return err
				})
			})
			if err != nil {
				m.lastErr.Store(&err)
				break // the next kick tries again
			}
			if m.cfg.Merged != nil {
				select {
				case m.cfg.Merged <- more:
				default:
				}
			}
		}
	}
}
