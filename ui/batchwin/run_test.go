package batchwin

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
)

// storedRows is every stored row of run name.
func storedRows(t testing.TB, st *store.Store, name string) []store.BatchRow {
	t.Helper()
	rows, err := st.BatchRows(name, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Start asks every row; the progress and the table show each row's state,
// failed rows with the provider's sentence.
func TestStartRunsEveryRowAndTheTableShowsTheStates(t *testing.T) {
	a := &hashAsker{}
	h := newFakeHost(t, a, nil)
	v, ft := opened(t, h)
	ready(t, h, v, ft, writeFile(t, "tickets.csv", csvRows(12, 4, 9)), "Classify: {{text}}")
	v.Concurrency.SetText("3")
	ft.wait()
	h.settle()
	v.StartRun()
	if !v.Running() || !v.Start.Disabled() || v.Pause.Disabled() || v.Cancel.Disabled() || !v.Template.Disabled() {
		t.Error("while running: Start on, Pause or Cancel off, or the form editable")
	}
	h.settleUntil("the run to end", func() bool { ft.tick(); return !v.Running() })
	h.settle()
	if a.calls.Load() != 12 {
		t.Errorf("%d rows asked, want 12", a.calls.Load())
	}
	if v.Progress.Value != 12 || v.Progress.Max != 12 {
		t.Errorf("progress %v of %v", v.Progress.Value, v.Progress.Max)
	}
	if want := "Done: 10 rows answered, 2 failed"; !strings.HasPrefix(v.Status.Text, want) {
		t.Errorf("status %q, want %q…", v.Status.Text, want)
	}
	if ft.live() != 0 {
		t.Error("the progress ticker still runs after the run")
	}
	for i := 0; i < 12; i++ {
		id, state, answer, errText := v.results.Cell(i, 1), v.results.Cell(i, 2), v.results.Cell(i, 3), v.results.Cell(i, 4)
		if i == 0 && state == stateReading {
			h.settle()
			id, state, answer, errText = v.results.Cell(i, 1), v.results.Cell(i, 2), v.results.Cell(i, 3), v.results.Cell(i, 4)
		}
		if id != fmt.Sprintf("r%d", i+1) {
			t.Errorf("row %d id %q", i, id)
		}
		if i == 3 || i == 8 {
			if state != store.BatchRowFailed || errText != "The provider refused this row (500)." {
				t.Errorf("row %d: %q %q", i, state, errText)
			}
			continue
		}
		if want := answerOf(fmt.Sprintf("Classify: item %d", i+1)) + " …"; state != store.BatchRowDone || answer != want {
			t.Errorf("row %d: %q %q, want done %q", i, state, answer, want)
		}
	}
	if n := len(storedRows(t, h.st, "tickets")); n != 12 {
		t.Errorf("%d rows stored", n)
	}

	// Choosing a row shows it whole.
	v.Table.Select(widget.TableCellID{Row: 3, Col: 3})
	top := v.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("choosing a row showed nothing")
	}
	var shown []string
	walk(top, func(l *widget.Label) { shown = append(shown, l.Text) })
	if all := strings.Join(shown, "\n"); !strings.Contains(all, "Row 4 — failed") || !strings.Contains(all, "Error: The provider refused this row (500).") ||
		!strings.Contains(all, "text: fail 4") {
		t.Errorf("the row shows %q", all)
	}
}

// Pause holds the next rows: those being asked finish and are saved ("Paused:
// 2 rows finishing", then "Paused"), no new one is asked; Resume finishes
// the run.
func TestPauseHoldsRowsAndResumeFinishes(t *testing.T) {
	a := &hashAsker{gate: make(chan struct{}), entered: make(chan string, 64)}
	h := newFakeHost(t, a, nil)
	v, ft := opened(t, h)
	ready(t, h, v, ft, writeFile(t, "t.csv", csvRows(8)), "say {{text}}")
	v.Concurrency.SetText("2")
	ft.wait()
	h.settle()
	v.StartRun()
	<-a.entered
	<-a.entered // two rows are being asked
	v.TogglePause()
	if v.Pause.Text != "Resume" {
		t.Errorf("the pause button says %q while paused", v.Pause.Text)
	}
	ft.tick()
	if v.Status.Text != "Paused: 2 rows finishing" {
		t.Errorf("status %q", v.Status.Text)
	}
	a.gate <- struct{}{}
	a.gate <- struct{}{}
	h.settleUntil("the two rows to be saved", func() bool {
		ft.tick()
		return v.Progress.Value == 2 && strings.HasPrefix(v.Status.Text, "Paused.")
	})
	if got := a.calls.Load(); got != 2 {
		t.Errorf("%d rows asked while paused, want 2", got)
	}
	if n := len(storedRows(t, h.st, "t")); n != 2 {
		t.Errorf("%d rows stored while paused", n)
	}
	v.TogglePause()
	close(a.gate)
	h.settleUntil("the run to end", func() bool { ft.tick(); return !v.Running() })
	if got := a.calls.Load(); got != 8 {
		t.Errorf("%d rows asked, want 8", got)
	}
	if n := len(storedRows(t, h.st, "t")); n != 8 {
		t.Errorf("%d rows stored", n)
	}
}

// Cancel stops the run with the finished rows kept; Start again with the
// same name asks only the rest.
func TestCancelKeepsTheFinishedRowsAndStartResumes(t *testing.T) {
	a := &hashAsker{gate: make(chan struct{}, 3), entered: make(chan string, 64)}
	for range 3 {
		a.gate <- struct{}{}
	}
	h := newFakeHost(t, a, nil)
	v, ft := opened(t, h)
	ready(t, h, v, ft, writeFile(t, "t.csv", csvRows(10)), "say {{text}}")
	v.Concurrency.SetText("1")
	ft.wait()
	h.settle()
	v.StartRun()
	for range 4 { // three answered, the fourth waits
		<-a.entered
	}
	h.settleUntil("three rows saved", func() bool { ft.tick(); return v.Progress.Value == 3 })
	v.CancelRun()
	if !strings.HasPrefix(v.Status.Text, "Cancelling") || !v.Cancel.Disabled() {
		t.Errorf("status %q, cancel disabled %v", v.Status.Text, v.Cancel.Disabled())
	}
	h.settleUntil("the run to stop", func() bool { return !v.Running() })
	h.settle()
	if want := "Cancelled: the 3 rows finished are kept; Start goes on with the rest."; v.Status.Text != want {
		t.Errorf("status %q, want %q", v.Status.Text, want)
	}
	if n := len(storedRows(t, h.st, "t")); n != 3 {
		t.Errorf("%d rows stored after Cancel, want 3", n)
	}
	run, err := h.st.Batch("t")
	if err != nil || run.State != store.BatchCancelled {
		t.Errorf("run %+v (%v)", run, err)
	}
	if !strings.HasPrefix(v.Estimate.Text, "7 left of 10 rows") || v.Start.Text != "Resume run" {
		t.Errorf("estimate %q, start %q", v.Estimate.Text, v.Start.Text)
	}

	before := a.calls.Load()
	close(a.entered)
	a.entered = nil
	a.gate = nil
	v.StartRun()
	h.settleUntil("the run to end", func() bool { ft.tick(); return !v.Running() })
	if got := a.calls.Load() - before; got != 7 {
		t.Errorf("the second Start asked %d rows, want the 7 left", got)
	}
	for i := 1; i <= 3; i++ {
		if n := a.count(fmt.Sprintf("say item %d", i)); n != 1 {
			t.Errorf("row %d asked %d times", i, n)
		}
	}
	if n := len(storedRows(t, h.st, "t")); n != 10 {
		t.Errorf("%d rows stored", n)
	}
}

// Above $1 Start asks first, showing the cost; No starts nothing.
func TestStartAsksAboveADollar(t *testing.T) {
	a := &hashAsker{}
	h := newFakeHost(t, a, func(st *store.Store) {
		if err := st.PutProvider(store.Provider{Name: "Dear", Kind: store.KindCompatible, BaseURL: "http://127.0.0.1:9/v1", Model: "m"}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSetting(store.SettingDefaultProvider, "Dear"); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSetting(store.SettingPrices, `{"m":{"input":1000,"output":1000}}`); err != nil {
			t.Fatal(err)
		}
	})
	v, ft := opened(t, h)
	if v.Provider.Selected != "Dear" || v.Model.Text != "m" {
		t.Fatalf("provider %q model %q, want the default's", v.Provider.Selected, v.Model.Text)
	}
	ready(t, h, v, ft, writeFile(t, "t.csv", csvRows(3)), "say {{text}}")
	if !strings.Contains(v.Estimate.Text, "Cost: at most $") {
		t.Fatalf("estimate %q", v.Estimate.Text)
	}
	var asked string
	var yes func()
	v.confirm = func(title, message, ok string, y func()) { asked, yes = message, y }
	v.StartRun()
	if !strings.HasPrefix(asked, "This run may cost up to $") || v.Running() {
		t.Fatalf("asked %q, running %v", asked, v.Running())
	}
	yes()
	h.settleUntil("the run to end", func() bool { ft.tick(); return !v.Running() })
	if a.calls.Load() != 3 {
		t.Errorf("%d rows asked after yes", a.calls.Load())
	}
}

// Closing the window during a run asks; yes stops the run with the
// finished rows kept and closes the window.
func TestClosingDuringARunAsksAndKeepsTheRows(t *testing.T) {
	a := &hashAsker{gate: make(chan struct{}, 1), entered: make(chan string, 64)}
	a.gate <- struct{}{}
	h := newFakeHost(t, a, nil)
	v, ft := opened(t, h)
	ready(t, h, v, ft, writeFile(t, "t.csv", csvRows(5)), "say {{text}}")
	v.Concurrency.SetText("1")
	ft.wait()
	h.settle()
	v.StartRun()
	<-a.entered
	<-a.entered
	h.settleUntil("one row saved", func() bool { ft.tick(); return v.Progress.Value == 1 })
	var asked string
	var yes func()
	v.confirm = func(title, message, ok string, y func()) { asked, yes = message, y }
	v.RequestClose()
	if Of(h) != v || !strings.Contains(asked, "the rows finished so far are kept") {
		t.Fatalf("closing asked %q", asked)
	}
	yes()
	if Of(h) != nil {
		t.Error("the window is still registered after closing")
	}
	h.settleUntil("the run to stop", func() bool { return v.run.ended })
	if n := len(storedRows(t, h.st, "t")); n != 1 {
		t.Errorf("%d rows stored", n)
	}
	if run, _ := h.st.Batch("t"); run.State != store.BatchCancelled {
		t.Errorf("state %q", run.State)
	}
}

// Export writes the run's rows in input order, CSV or JSONL by the
// extension; a path that cannot be written is a sentence.
func TestExportWritesTheRowsInInputOrder(t *testing.T) {
	a := &hashAsker{}
	h := newFakeHost(t, a, nil)
	v, ft := opened(t, h)
	ready(t, h, v, ft, writeFile(t, "t.csv", csvRows(20, 5)), "say {{text}}")
	v.Concurrency.SetText("8")
	ft.wait()
	h.settle()
	v.StartRun()
	h.settleUntil("the run to end", func() bool { ft.tick(); return !v.Running() })
	h.settle()
	if v.Export.Disabled() {
		t.Fatal("Export is off after a run")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "out.csv")
	v.ExportTo(out)
	h.settle()
	if want := fmt.Sprintf(`Exported 19 done and 1 failed rows of "t" to %s.`, out); v.Status.Text != want {
		t.Errorf("status %q, want %q", v.Status.Text, want)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 21 || recs[0][0] != "id" || recs[0][2] != "answer" {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	for i, r := range recs[1:] {
		if r[0] != fmt.Sprintf("r%d", i+1) {
			t.Errorf("record %d is %q", i, r[0])
		}
	}
	jl := filepath.Join(dir, "out.jsonl")
	v.ExportTo(jl)
	h.settle()
	raw, err := os.ReadFile(jl)
	if err != nil || strings.Count(string(raw), "\n") != 20 || !strings.HasPrefix(string(raw), `{"id":"r1"`) {
		t.Errorf("jsonl %q (%v)", raw, err)
	}

	v.ExportTo(filepath.Join(dir, "no", "such", "out.csv"))
	h.settle()
	if !strings.HasPrefix(v.Status.Text, "Could not export: ") || !strings.HasSuffix(v.Status.Text, "cannot be written (no such folder).") {
		t.Errorf("status %q", v.Status.Text)
	}
}

// An earlier run, cancelled, opens from the list in a new window with its
// settings, state and rows; Start resumes it, asking only the rows left.
func TestAnEarlierRunOpensAndResumes(t *testing.T) {
	a := &hashAsker{gate: make(chan struct{}, 2), entered: make(chan string, 64)}
	a.gate <- struct{}{}
	a.gate <- struct{}{}
	h := newFakeHost(t, a, nil)
	v, ft := opened(t, h)
	ready(t, h, v, ft, writeFile(t, "notes.jsonl", "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\":\"c\"}\n{\"text\":\"d\"}\n"), "say {{text}}")
	v.Concurrency.SetText("1")
	v.RPM.SetText("600")
	ft.wait()
	h.settle()
	v.StartRun()
	for range 3 {
		<-a.entered
	}
	h.settleUntil("two rows saved", func() bool { ft.tick(); return v.Progress.Value == 2 })
	v.CancelRun()
	h.settleUntil("the run to stop", func() bool { return !v.Running() })
	Close(h, 0)
	h.settle()

	v, ft = opened(t, h)
	if len(v.Runs.Options) != 1 || !strings.HasPrefix(v.Runs.Options[0], "notes — cancelled, 2/4 rows") {
		t.Fatalf("earlier runs %q", v.Runs.Options)
	}
	v.Runs.SetSelected(v.Runs.Options[0])
	h.settle()
	if v.Template.Text != "say {{text}}" || v.Concurrency.Text != "1" || v.RPM.Text != "600" || v.Name.Text != "notes" {
		t.Errorf("form: %q %q %q %q", v.Template.Text, v.Concurrency.Text, v.RPM.Text, v.Name.Text)
	}
	if want := `"notes" is cancelled: 2 done, 0 failed, 2 not asked yet · $0.002.`; v.Status.Text != want {
		t.Errorf("status %q, want %q", v.Status.Text, want)
	}
	if v.results.Cell(0, 2) == stateReading {
		h.settle()
	}
	if v.results.Cell(0, 2) != store.BatchRowDone || v.results.Cell(3, 2) != stateWaiting || v.Start.Text != "Resume run" || v.Export.Disabled() {
		t.Errorf("rows %q %q, start %q, export off %v", v.results.Cell(0, 2), v.results.Cell(3, 2), v.Start.Text, v.Export.Disabled())
	}
	before := a.calls.Load()
	close(a.entered)
	a.entered, a.gate = nil, nil
	v.StartRun()
	h.settleUntil("the run to end", func() bool { ft.tick(); return !v.Running() })
	if got := a.calls.Load() - before; got != 2 {
		t.Errorf("resuming asked %d rows, want 2", got)
	}
	if run, _ := h.st.Batch("notes"); run.State != store.BatchDone || run.Done != 4 || run.RPM != 600 {
		t.Errorf("run %+v", run)
	}
}
