package batch

import (
	"context"
	"strings"
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
