package ui

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/batchwin"
)

// batchTimers are batchwin.Timers the test fires itself.
type batchTimers struct {
	ticks  []func() bool
	afters []func()
}

func (bt *batchTimers) Every(_ time.Duration, f func() bool) func() {
	bt.ticks = append(bt.ticks, f)
	return func() {}
}

func (bt *batchTimers) After(_ time.Duration, f func()) func() {
	bt.afters = append(bt.afters, f)
	return func() {}
}

// The app menu opens the Batch window, whose rows the window's engine
// answers (the Simulator here); shutting the window down closes it.
func TestBatchWindowAsksThroughTheWindowsEngine(t *testing.T) {
	h := newHarness(t, func(st *store.Store) {
		if err := st.SetSetting(store.SettingDefaultProvider, engine.SimulatorName); err != nil {
			t.Fatal(err)
		}
	})
	found := false
	for _, it := range h.w.appMenu().Items {
		found = found || it.Label == "Batch runs…"
	}
	if !found {
		t.Error("the app menu has no Batch runs…")
	}
	bt := &batchTimers{}
	v := h.w.openBatch(bt)
	h.settle()
	if batchwin.Of(batchHost{h.w}) != v || h.w.openBatch(&batchTimers{}) != v {
		t.Fatal("the Batch window is not registered once for the main window")
	}
	path := filepath.Join(t.TempDir(), "q.jsonl")
	if err := os.WriteFile(path, []byte("{\"q\":\"one\"}\n{\"q\":\"two\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v.SetFile(path)
	v.Template.SetText("Answer {{q}}")
	for _, f := range bt.afters {
		f()
	}
	h.settle()
	v.StartRun()
	h.settleUntil("the run to end", func() bool { return !v.Running() })
	rows, err := h.st.BatchRows("q", 0, 10)
	if err != nil || len(rows) != 2 || rows[0].State != store.BatchRowDone || rows[1].Provider != engine.SimulatorName {
		t.Fatalf("rows %+v (%v)", rows, err)
	}
	h.w.shutdown(5 * time.Second)
	if batchwin.Of(batchHost{h.w}) != nil {
		t.Error("shutdown left the Batch window open")
	}
}
