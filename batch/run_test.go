package batch

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

func jsonlRows(t testing.TB, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		rows = append(rows, m)
	}
	return rows
}

func genJSONL(n int, fail func(int) bool) string {
	var b strings.Builder
	for i := range n {
		text := fmt.Sprintf("ticket %d ünïcode", i)
		if fail != nil && fail(i) {
			text += " fail"
		}
		fmt.Fprintf(&b, "{\"id\":\"r%d\",\"text\":%q}\n", i, text)
	}
	return b.String()
}

func TestRunAnswersEveryRowInInputOrderAndRecordsFailures(t *testing.T) {
	path := writeFile(t, "rows.jsonl", genJSONL(200, func(i int) bool { return i%17 == 0 }))
	st := openStore(t)
	a := &hashAsker{}
	out, stats, err := runOnce(t, context.Background(), st, a, path, "rows", "Classify: {{ text }}", 8)
	if err != nil {
		t.Fatal(err)
	}
	rows := jsonlRows(t, out)
	if len(rows) != 200 {
		t.Fatalf("%d output rows", len(rows))
	}
	failed := 0
	for i, r := range rows {
		prompt := fmt.Sprintf("Classify: ticket %d ünïcode", i)
		if r["id"] != fmt.Sprintf("r%d", i) {
			t.Fatalf("row %d is %v: out of order", i, r["id"])
		}
		if i%17 == 0 {
			failed++
			if r["state"] != "failed" || r["error"] != "The provider refused this row (500)." || r["answer"] != "" {
				t.Fatalf("row %d: %v", i, r)
			}
			continue
		}
		if r["answer"] != answerOf(prompt) || r["state"] != "done" || r["tokens_in"] != 10.0 || r["provider"] != "fake" || r["cached"] != false {
			t.Fatalf("row %d: %v", i, r)
		}
	}
	if stats.Done != 200-failed || stats.Failed != failed || a.calls.Load() != 200 {
		t.Fatalf("stats %+v, %d calls", stats, a.calls.Load())
	}
	if p := a.peak.Load(); p > 8 {
		t.Fatalf("%d requests at once, concurrency 8", p)
	}
	if o := a.opts[0]; !o.Batch || o.Label != "batch rows" {
		t.Fatalf("options %+v: want the batch lane and the label", o)
	}
	run, _ := st.Batch("rows")
	if run.State != store.BatchDone || run.Done != 200-failed || run.Failed != failed || run.Rows != 200 {
		t.Fatalf("run %+v", run)
	}

	// Again with the same name: the done rows are skipped, the failed ones
	// asked again; the output still holds every row in order.
	a2 := &hashAsker{}
	out, stats, err = runOnce(t, context.Background(), st, a2, path, "rows", "Classify: {{ text }}", 8)
	if err != nil {
		t.Fatal(err)
	}
	if a2.calls.Load() != int64(failed) || stats.Skipped != 200-failed {
		t.Fatalf("resume asked %d (want the %d failed), stats %+v", a2.calls.Load(), failed, stats)
	}
	rows = jsonlRows(t, out)
	if len(rows) != 200 || rows[199]["id"] != "r199" || rows[1]["answer"] != answerOf("Classify: ticket 1 ünïcode") {
		t.Fatalf("resumed output: %d rows", len(rows))
	}
}

// Stopped midway and run again: every row is answered once in the output,
// and no row finished before the stop is asked again.
func TestStoppedRunResumesWithoutAskingFinishedRowsAgain(t *testing.T) {
	const n, conc = 300, 6
	path := writeFile(t, "rows.jsonl", genJSONL(n, nil))
	st := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	a := &stopAfter{limit: 100, cancel: cancel}
	_, stats, err := runOnce(t, ctx, st, a, path, "stop", "{{text}}", conc)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v", err)
	}
	run, _ := st.Batch("stop")
	if run.State != store.BatchCancelled || run.Done < 100 || run.Done > 100+conc {
		t.Fatalf("run after the stop %+v (stats %+v)", run, stats)
	}
	b := &hashAsker{}
	out, _, err := runOnce(t, context.Background(), st, b, path, "stop", "{{text}}", conc)
	if err != nil {
		t.Fatal(err)
	}
	rows := jsonlRows(t, out)
	if len(rows) != n {
		t.Fatalf("%d rows", len(rows))
	}
	for i, r := range rows {
		if r["answer"] != answerOf(fmt.Sprintf("ticket %d ünïcode", i)) {
			t.Fatalf("row %d: %v", i, r)
		}
	}
	if got := int(b.calls.Load()) + run.Done; got != n {
		t.Fatalf("asked %d after the stop, %d before: a finished row was asked again or one was lost", b.calls.Load(), run.Done)
	}
	if run, _ := st.Batch("stop"); run.State != store.BatchDone || run.Done != n {
		t.Fatalf("final run %+v", run)
	}
}

// stopAfter answers like hashAsker and cancels the run at its limit-th
// answer.
type stopAfter struct {
	hashAsker
	limit  int64
	cancel context.CancelFunc
}

func (s *stopAfter) Complete(ctx context.Context, text string, opts engineOptions) (engineCompletion, error) {
	c, err := s.hashAsker.Complete(ctx, text, opts)
	if s.calls.Load() == s.limit {
		s.cancel()
	}
	return c, err
}

func TestCSVOutputKeepsTheInputsColumns(t *testing.T) {
	path := writeFile(t, "in.csv", "id,text\n1,\"a, \"\"quoted\"\"\nline\"\n2,b\n")
	st := openStore(t)
	tm := mustTemplate(t, "{{text}}")
	var out strings.Builder
	_, err := Run(context.Background(), Config{Asker: &hashAsker{}, Store: st, Template: tm,
		Run: store.BatchRun{Name: "csv", Input: path, Rows: 2, Concurrency: 2}, Out: NewWriter(&out, "csv")})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(recs[0], ",") != "id,text,answer,state,error,tokens_in,tokens_out,cost,cached,provider,model" {
		t.Fatalf("header %q", recs[0])
	}
	if recs[1][1] != "a, \"quoted\"\nline" || recs[1][2] != answerOf("a, \"quoted\"\nline") || recs[2][0] != "2" {
		t.Fatalf("rows %q", recs[1:])
	}
}
