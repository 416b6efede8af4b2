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
