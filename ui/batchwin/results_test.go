package batchwin

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
)

// A run of 100,000 rows opens and scrolls reading a page of rows at a
// time, only the pages shown, and holds a few of them, never every row.
func TestTheTableOfAHundredThousandRowsReadsPages(t *testing.T) {
	const rows = 100_000
	h := newFakeHost(t, &hashAsker{}, func(st *store.Store) {
		run := store.BatchRun{Name: "big", Input: "/nowhere/big.csv", Template: "say {{text}}", Provider: engine.SimulatorName, Model: "m",
			Concurrency: 4, Rows: rows, State: store.BatchDone}
		if err := st.PutBatch(run); err != nil {
			t.Fatal(err)
		}
		chunk := make([]store.BatchRow, 0, 10_000)
		for i := 0; i < rows; i++ {
			r := store.BatchRow{Index: i, Names: []string{"id", "text"}, Values: []string{fmt.Sprintf("r%d", i+1), "x"},
				Answer: fmt.Sprintf("answer %d", i+1), State: store.BatchRowDone}
			if i%1000 == 999 {
				r.State, r.Answer, r.Error = store.BatchRowFailed, "", "The provider refused this row (500)."
			}
			chunk = append(chunk, r)
			if len(chunk) == cap(chunk) {
				if err := st.PutBatchRows("big", chunk); err != nil {
					t.Fatal(err)
				}
				chunk = chunk[:0]
			}
		}
	})
	v, _ := opened(t, h)
	var mu sync.Mutex
	var reads []int // the first index of each page read
	read := v.results.read
	v.results.read = func(name string, from, n int) ([]store.BatchRow, error) {
		if n > pageSize {
			t.Errorf("a read of %d rows", n)
		}
		mu.Lock()
		reads = append(reads, from)
		mu.Unlock()
		return read(name, from, n)
	}
	if len(v.runs) != 1 {
		t.Fatalf("%d earlier runs listed", len(v.runs))
	}
	v.Runs.SetSelected(v.Runs.Options[0])
	h.settle()
	if want := `"big" is done: 99,900 done, 100 failed, 0 not asked yet · $0.00.`; v.Status.Text != want {
		t.Errorf("status %q, want %q", v.Status.Text, want)
	}
	if !strings.Contains(v.Estimate.Text, "cannot read /nowhere/big.csv") {
		t.Errorf("estimate %q", v.Estimate.Text)
	}
	if v.Export.Disabled() {
		t.Error("Export is off for a stored run whose file is gone")
	}
	if r, c := v.Table.Length(); r != rows || c != len(columnNames) {
		t.Fatalf("table of %d×%d", r, c)
	}
	// shown tells whether the table draws the answer of a row within
	// 100 of row (Fyne's Table scrolls to a row adding up row heights in
	// float32: at 100,000 rows it lands a few dozen rows short).
	shown := func(row int) bool {
		found := false
		walk(v.Table, func(l *widget.Label) {
			var n int
			if _, err := fmt.Sscanf(l.Text, "answer %d", &n); err == nil && n-1 >= row-100 && n-1 <= row+100 {
				found = true
			}
		})
		return found
	}
	if !shown(0) {
		t.Error("the first row is not drawn after opening")
	}
	v.Table.ScrollToBottom()
	h.settle()
	if !shown(rows - 1) {
		t.Error("the last rows are not drawn after scrolling to the bottom")
	}
	v.Table.ScrollTo(widget.TableCellID{Row: rows / 2, Col: 0})
	h.settle()
	if !shown(rows / 2) {
		t.Error("the middle row is not drawn after scrolling to it")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reads) > 12 {
		t.Errorf("%d pages read to open and scroll twice: %v", len(reads), reads)
	}
	if v.results.Pages() > maxPages {
		t.Errorf("%d pages held", v.results.Pages())
	}
	if reads[len(reads)-1] < rows/2-pageSize || reads[0] != 0 {
		t.Errorf("pages read %v", reads)
	}
}

// walk calls f with every label under o.
func walk(o fyne.CanvasObject, f func(*widget.Label)) {
	switch o := o.(type) {
	case *widget.Label:
		f(o)
	case *fyne.Container:
		for _, c := range o.Objects {
			walk(c, f)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(o).Objects() {
			walk(c, f)
		}
	}
}

// A provider that echoes the key in its errors never gets it shown: not
// in the table, the status or the store's rows (through the engine, on an
// httptest server).
func TestAnEchoedKeyIsNeverShown(t *testing.T) {
	const key = "sk-" + "test-ECHO-0123456789abcdefABCDEF" // split: a fake key, not one for secret scanners to flag
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Body.Read(buf)
			body.Write(buf[:n])
			if err != nil {
				break
			}
		}
		if strings.Contains(body.String(), "fail") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"error":{"message":"Invalid header Authorization: %s","type":"invalid_request_error"}}`, r.Header.Get("Authorization"))
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"fine\"},\"finish_reason\":\"stop\"}]}\n\n")
		fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()
	var eng *engine.Engine
	h := newFakeHost(t, nil, func(st *store.Store) {
		if err := st.PutProvider(store.Provider{Name: "echo", Kind: store.KindCompatible, BaseURL: srv.URL + "/v1", Model: "m",
			KeySource: store.KeyFromEnv, KeyEnv: "ECHO_KEY"}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSetting(store.SettingDefaultProvider, "echo"); err != nil {
			t.Fatal(err)
		}
		eng = engine.New(st, engine.Options{Keys: &secrets.Resolver{Getenv: func(string) string { return key }}})
	})
	h.asker = eng
	v, ft := opened(t, h)
	ready(t, h, v, ft, writeFile(t, "t.csv", csvRows(6, 2, 5)), "say {{text}}")
	v.StartRun()
	h.settleUntil("the run to end", func() bool { ft.tick(); return !v.Running() })
	h.settle()
	v.results.Cell(0, 0) // reads the page
	h.settle()
	var texts []string
	for i := 0; i < 6; i++ {
		for c := range columnNames {
			texts = append(texts, v.results.Cell(i, c))
		}
	}
	walk(v.win.Content(), func(l *widget.Label) { texts = append(texts, l.Text) })
	all := strings.Join(texts, "\n")
	if strings.Contains(all, "ECHO-0123456789") {
		t.Errorf("the key is shown:\n%s", all)
	}
	if v.results.Cell(1, 2) != store.BatchRowFailed || v.results.Cell(1, 4) == "" || v.results.Cell(0, 3) != "fine" {
		t.Errorf("row 2: %q %q; row 1 answer %q", v.results.Cell(1, 2), v.results.Cell(1, 4), v.results.Cell(0, 3))
	}
	for _, r := range storedRows(t, h.st, "t") {
		if strings.Contains(r.Error+r.Answer, "ECHO-0123456789") {
			t.Errorf("row %d stored the key: %q", r.Index, r.Error)
		}
	}
}
