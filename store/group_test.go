package store

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestGroupedWritesAllLandAndAFailingOneFailsAlone: many writers at once
// share commits; every write that succeeds is on disk when it returns, and
// one that fails fails alone, leaving nothing of itself behind.
func TestGroupedWritesAllLandAndAFailingOneFailsAlone(t *testing.T) {
	s := open(t, t.TempDir())
	bad := errors.New("refused")
	const writers = 64
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.write(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte("grouptest"))
				if err != nil {
					return err
				}
				if err := b.Put(fmt.Appendf(nil, "k%02d", i), []byte("v")); err != nil {
					return err
				}
				if i == 13 {
					return bad
				}
				return nil
			})
			if errs[i] == nil { // on disk now: a read sees it
				s.view(func(tx *bolt.Tx) error {
					if tx.Bucket([]byte("grouptest")).Get(fmt.Appendf(nil, "k%02d", i)) == nil {
						t.Errorf("write %d returned before its commit", i)
					}
					return nil
				})
			}
		}()
	}
	wg.Wait()
	n := 0
	s.view(func(tx *bolt.Tx) error {
		n = tx.Bucket([]byte("grouptest")).Stats().KeyN
		if tx.Bucket([]byte("grouptest")).Get([]byte("k13")) != nil {
			t.Error("the failed write left its key")
		}
		return nil
	})
	for i, err := range errs {
		if (i == 13) != errors.Is(err, bad) {
			t.Errorf("write %d: %v", i, err)
		}
	}
	if n != writers-1 {
		t.Fatalf("%d keys stored, want %d", n, writers-1)
	}
}

// TestGroupSharesCommits: writes that come while a commit runs share the
// next one.
func TestGroupSharesCommits(t *testing.T) {
	var g group
	var mu sync.Mutex
	var sizes []int
	commit := func(calls []*groupCall) {
		mu.Lock()
		sizes = append(sizes, len(calls))
		mu.Unlock()
	}
	first := make(chan struct{})
	release := make(chan struct{})
	done := make(chan struct{})
	go func() { // the leader's commit waits until the others are queued
		g.run(nil, func(calls []*groupCall) {
			close(first)
			<-release
			commit(calls)
		})
		close(done)
	}()
	<-first
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() { defer wg.Done(); g.run(nil, commit) }()
	}
	for { // wait until all ten are queued
		g.mu.Lock()
		n := len(g.queue)
		g.mu.Unlock()
		if n == 10 {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	<-done
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 10 {
		t.Fatalf("commits of %v writes, want [1 10]", sizes)
	}
}

// TestALineQueuedLandsWithTheNextWrite: a ledger line queued without
// waiting is on disk once a write asked for after it returns, and Close
// commits what is still queued.
func TestALineQueuedLandsWithTheNextWrite(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.PutBatch(BatchRun{Name: "run", Rows: 100}); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		s.RecordRequestLater(&UsageRecord{Provider: "p", Model: "m", Label: "batch run", Outcome: "done"}, nil, nil)
		if err := s.PutBatchRows("run", []BatchRow{{Index: i, State: BatchRowDone}}); err != nil {
			t.Fatal(err)
		}
		// Read without Settle: the row's commit carried its line or
		// came after it.
		if u, _ := s.Usage(time.Time{}, time.Time{}); len(u) < i+1 {
			t.Fatalf("row %d stored with %d ledger lines on disk", i, len(u))
		}
	}
	for range 50 {
		s.RecordRequestLater(&UsageRecord{Provider: "p", Model: "m", Outcome: "done"}, nil, nil)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	if u, _ := s.Usage(time.Time{}, time.Time{}); len(u) != 150 {
		t.Fatalf("%d ledger lines after Close, want 150", len(u))
	}
}

// recorder is a group's commit that records the writes of each commit and
// runs them (with a nil transaction) so that a test can see which landed.
type recorder struct {
	mu      sync.Mutex
	commits [][]*groupCall
	landed  chan struct{}
}

func (r *recorder) commit(calls []*groupCall) {
	r.mu.Lock()
	r.commits = append(r.commits, calls)
	r.mu.Unlock()
	for _, c := range calls {
		if c.fn != nil {
			c.err = c.fn(nil)
		}
	}
	if r.landed != nil {
		r.landed <- struct{}{}
	}
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n []int
	for _, c := range r.commits {
		n = append(n, len(c))
	}
	return n
}

// TestAQueuedLineWaitsForTheNextWrite: writes queued by start do not
// commit alone when no commit runs; the next write carries them, in one
// commit, before its own return.
func TestAQueuedLineWaitsForTheNextWrite(t *testing.T) {
	g := group{lazy: time.Hour}
	r := &recorder{}
	var carried sync.WaitGroup
	for range 3 {
		carried.Add(1)
		g.start(func(*bolt.Tx) error { carried.Done(); return nil }, r.commit)
	}
	if err := g.run(nil, r.commit); err != nil {
		t.Fatal(err)
	}
	carried.Wait() // ran before run returned, or this would hang
	g.settle()
	if got := r.sizes(); len(got) != 1 || got[0] != 4 {
		t.Fatalf("commits of %v writes, want [4]", got)
	}
	// Alone, a queued write is committed by Settle.
	g.start(nil, r.commit)
	g.settle()
	if got := r.sizes(); len(got) != 2 || got[1] != 1 {
		t.Fatalf("commits of %v writes after Settle, want [4 1]", got)
	}
}

// TestAQueuedLineAloneLandsByItself: with no write after it and no Settle,
// a write queued by start commits itself once lazy has passed.
func TestAQueuedLineAloneLandsByItself(t *testing.T) {
	g := group{lazy: time.Millisecond}
	r := &recorder{landed: make(chan struct{}, 1)}
	g.start(nil, r.commit)
	<-r.landed // the timer's, not the test's: without it this hangs
	g.settle()
	if got := r.sizes(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("commits of %v writes, want [1]", got)
	}
}

// TestALeaderBehindManyQueuedLinesCommitsItself: a write that leads behind
// more than maxGroup writes queued by start is in its own commit.
func TestALeaderBehindManyQueuedLinesCommitsItself(t *testing.T) {
	g := group{lazy: time.Hour}
	r := &recorder{}
	for range maxGroup + 5 {
		g.start(nil, r.commit)
	}
	mine := false
	if err := g.run(func(*bolt.Tx) error { mine = true; return nil }, r.commit); err != nil {
		t.Fatal(err)
	}
	if !mine {
		t.Fatal("run returned before its write was committed")
	}
	g.settle()
	total := 0
	for _, n := range r.sizes() {
		total += n
	}
	if total != maxGroup+6 {
		t.Fatalf("commits of %v writes, want %d in all", r.sizes(), maxGroup+6)
	}
}
