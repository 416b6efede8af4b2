package batch

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/deskchat/deskchat/store"
)

func TestPauseHoldsNewRowsUntilResume(t *testing.T) {
	path := writeFile(t, "rows.jsonl", genJSONL(20, nil))
	st := openStore(t)
	a := &hashAsker{}
	held := make(chan struct{})
	p := &Pause{held: held}
	p.Pause()
	if !p.Paused() {
		t.Fatal("Paused() is false after Pause")
	}
	tm := mustTemplate(t, "{{text}}")
	var out strings.Builder
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), Config{Asker: a, Store: st, Template: tm, Pause: p,
			Run: store.BatchRun{Name: "rows", Input: path, Rows: 20, Concurrency: 2}, Out: NewWriter(&out, "jsonl")})
		done <- err
	}()
	<-held // both workers hold their rows
	<-held
	if n := a.calls.Load(); n != 0 {
		t.Fatalf("%d rows asked while paused", n)
	}
	p.Resume()
	go func() { // a worker may be held once more between Resume and its check
		for range held {
		}
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(held)
	if n := len(jsonlRows(t, out.String())); n != 20 || a.calls.Load() != 20 {
		t.Fatalf("%d rows out, %d asked after Resume; want 20", n, a.calls.Load())
	}
}

func TestCancelWhilePausedStopsTheRun(t *testing.T) {
	path := writeFile(t, "rows.jsonl", genJSONL(5, nil))
	st := openStore(t)
	held := make(chan struct{})
	p := &Pause{held: held}
	p.Pause()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Config{Asker: &hashAsker{}, Store: st, Template: mustTemplate(t, "{{text}}"), Pause: p,
			Run: store.BatchRun{Name: "rows", Input: path, Rows: 5, Concurrency: 1}})
		done <- err
	}()
	<-held
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled run returned no error")
	}
	run, err := st.Batch("rows")
	if err != nil || run.State != store.BatchCancelled {
		t.Fatalf("state %q (%v), want cancelled", run.State, err)
	}
}

func TestNilPauseNeverHolds(t *testing.T) {
	var p *Pause
	if p.Paused() || p.wait(context.Background()) != nil {
		t.Fatal("a nil Pause held")
	}
}

// TestAskingIsToldOfEachRowAsked: every row asked is told when its request
// starts and ends, never more at once than the concurrency; rows answered
// by an earlier run are not asked.
func TestAskingIsToldOfEachRowAsked(t *testing.T) {
	path := writeFile(t, "rows.jsonl", genJSONL(50, nil))
	st := openStore(t)
	if _, _, err := runOnce(t, context.Background(), st, &hashAsker{}, path, "rows", "{{text}}", 3); err != nil {
		t.Fatal(err)
	}
	// Ask again a run whose rows 10-19 failed: only those are asked.
	if err := st.PutBatchRows("rows", failedRows(10, 20)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now, peak := map[int]bool{}, 0
	told := map[int]int{}
	_, err := Run(context.Background(), Config{Asker: &hashAsker{}, Store: st, Template: mustTemplate(t, "{{text}}"),
		Run: store.BatchRun{Name: "rows", Input: path, Rows: 50, Concurrency: 3},
		Asking: func(i int, asking bool) {
			mu.Lock()
			defer mu.Unlock()
			if asking == now[i] {
				t.Errorf("row %d told %v twice", i, asking)
			}
			now[i] = asking
			told[i]++
			n := 0
			for _, a := range now {
				if a {
					n++
				}
			}
			peak = max(peak, n)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(told) != 10 || peak > 3 {
		t.Fatalf("told of %d rows (want 10), %d at once (at most 3)", len(told), peak)
	}
	for i, n := range told {
		if i < 10 || i >= 20 || n != 2 || now[i] {
			t.Fatalf("row %d told %d times, asking still %v", i, n, now[i])
		}
	}
}

func failedRows(from, to int) []store.BatchRow {
	var rows []store.BatchRow
	for i := from; i < to; i++ {
		rows = append(rows, store.BatchRow{Index: i, State: store.BatchRowFailed, Error: "refused"})
	}
	return rows
}
