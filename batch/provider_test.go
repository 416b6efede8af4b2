package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/internal/fakebatch"
	"github.com/deskchat/deskchat/store"
)

const testKey = "sk-" + "proj-TESTKEY0123456789abcdefXYZ" // split: a fake key, not one for secret scanners to flag

// providerInput writes n JSONL rows; text overrides a row's text.
func providerInput(t *testing.T, n int, text map[int]string) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		s, ok := text[i]
		if !ok {
			s = fmt.Sprintf("row %d, \"quoted\" ü", i)
		}
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprintf("r%d", i), "text": s})
		b.Write(line)
		b.WriteByte('\n')
	}
	p := filepath.Join(t.TempDir(), "rows.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

type provTest struct {
	t     *testing.T
	st    *store.Store
	srv   *fakebatch.Server
	path  string
	clock *fakeClock
	sleep []time.Duration // the poll intervals, in order
	temp  string          // where the requests files are written
}

func newProvTest(t *testing.T, rows int, text map[int]string) *provTest {
	return &provTest{t: t, st: openStore(t), srv: fakebatch.New(t, testKey), path: providerInput(t, rows, text),
		clock: &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, temp: t.TempDir()}
}

// sleepClock records each sleep's length.
type sleepClock struct{ pt *provTest }

func (c sleepClock) Now() time.Time { return c.pt.clock.Now() }

func (c sleepClock) SleepUntil(ctx context.Context, t time.Time) error {
	c.pt.sleep = append(c.pt.sleep, t.Sub(c.pt.clock.Now()))
	return c.pt.clock.SleepUntil(ctx, t)
}

// run runs the batch "tickets" to its end (or error), returning the JSONL
// output.
func (pt *provTest) run(ctx context.Context, mod func(*ProviderConfig)) (string, Stats, error) {
	pt.t.Helper()
	tm := mustTemplate(pt.t, "Classify: {{text}}")
	plan, err := MakePlan(ctx, pt.path, tm, "Be brief.", "gpt-4o-mini", 100, pt.st, "tickets")
	if err != nil {
		pt.t.Fatal(err)
	}
	var out strings.Builder
	cfg := ProviderConfig{Store: pt.st, Template: tm, Key: testKey, MaxTokens: 100, Clock: sleepClock{pt},
		Provider: store.Provider{Name: "OpenAI", Kind: store.KindOpenAI, BaseURL: pt.srv.URL + "/v1", Model: "gpt-4o-mini"},
		Run: store.BatchRun{Name: "tickets", Input: pt.path, Template: tm.String(), System: "Be brief.", Provider: "OpenAI",
			Model: "gpt-4o-mini", MaxTokens: 100, Rows: plan.Rows},
		Out: NewWriter(&out, "jsonl"), TempDir: pt.temp}
	if mod != nil {
		mod(&cfg)
	}
	stats, err := RunProvider(ctx, cfg)
	return out.String(), stats, err
}

func outputRows(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		rows = append(rows, m)
	}
	return rows
}

func noKey(t *testing.T, where, s string) {
	t.Helper()
	if strings.Contains(s, testKey) || strings.Contains(s, "TESTKEY") {
		t.Fatalf("the key is in %s: %q", where, s)
	}
}

// Every row is answered in input order through three parts; refused rows
// are failed with the provider's sentence; the uploads hold every row
// once; polling waits 10 s, then longer; the ledger has one line a part
// at half the price.
func TestProviderRunAnswersEveryRow(t *testing.T) {
	pt := newProvTest(t, 25, map[int]string{3: "please fail", 17: "fail too"})
	pt.srv.DonePolls = 3
	var seen []ProviderProgress
	out, stats, err := pt.run(t.Context(), func(c *ProviderConfig) {
		c.PartRequests = 10
		c.Progress = func(p ProviderProgress) { seen = append(seen, p) }
	})
	if err != nil {
		t.Fatal(err)
	}
	rows := outputRows(t, out)
	if len(rows) != 25 || stats.Done != 23 || stats.Failed != 2 {
		t.Fatalf("%d rows, stats %+v", len(rows), stats)
	}
	for i, r := range rows {
		text := fmt.Sprintf("row %d, \"quoted\" ü", i)
		switch i {
		case 3, 17:
			if r["state"] != "failed" || !strings.Contains(r["error"].(string), "OpenAI refused this row (HTTP 400). It said: This row is refused") {
				t.Fatalf("row %d: %v", i, r)
			}
		default:
			if r["id"] != fmt.Sprintf("r%d", i) || r["state"] != "done" || r["answer"] != answerOf("Classify: "+text) || r["provider"] != "OpenAI" {
				t.Fatalf("row %d: %v", i, r)
			}
		}
	}
	uploads, creates, _ := pt.srv.Counts()
	if uploads != 3 || creates != 3 {
		t.Fatalf("%d uploads, %d batches; want 3 parts", uploads, creates)
	}
	var all []int
	for i := range 3 {
		all = append(all, pt.srv.CustomIDs(i)...)
	}
	for i, id := range all {
		if id != i {
			t.Fatalf("the uploads hold rows %v", all)
		}
	}
	pt.srv.Mu.Lock()
	for i, chunked := range pt.srv.Chunked {
		if chunked {
			t.Fatalf("upload %d was sent without its length", i)
		}
	}
	pt.srv.Mu.Unlock()
	if len(pt.sleep) < 2 || pt.sleep[0] != 10*time.Second || pt.sleep[1] != 15*time.Second {
		t.Fatalf("poll intervals %v", pt.sleep)
	}
	last := seen[len(seen)-1]
	if last.Parts != 3 || last.Waiting != 0 || last.Completed != 23 || last.Failed != 2 || last.Requests != 25 {
		t.Fatalf("last progress %+v", last)
	}
	if seen[0].Status != "in_progress" {
		t.Fatalf("first progress %+v", seen[0])
	}
	recs, _ := pt.st.Usage(time.Time{}, time.Time{})
	full, _ := tokens.Cost("gpt-4o-mini", engine.Prices(pt.st), 10, 2)
	total := 0.0
	for _, r := range recs {
		if r.Label != "batch tickets" || r.Provider != "OpenAI" || r.Cost == nil {
			t.Fatalf("ledger line %+v", r)
		}
		total += *r.Cost
	}
	if len(recs) != 3 || fmt.Sprintf("%.9f", total) != fmt.Sprintf("%.9f", 23*full/2) {
		t.Fatalf("%d ledger lines costing %v; want 3 costing %v", len(recs), total, 23*full/2)
	}
	run, _ := pt.st.Batch("tickets")
	if run.Mode != store.ModeProvider || run.State != store.BatchDone || len(run.Parts) != 3 || !run.Parts[2].Collected || run.Parts[0].BatchID == "" {
		t.Fatalf("run %+v", run)
	}
	if entries, _ := os.ReadDir(pt.temp); len(entries) > 0 {
		t.Fatalf("a requests file is left: %s", entries[0].Name())
	}
}

// A part holds at most PartBytes bytes: a run of long rows is split so.
func TestProviderRunSplitsPartsBySize(t *testing.T) {
	pt := newProvTest(t, 9, nil)
	const most = 700
	if _, _, err := pt.run(t.Context(), func(c *ProviderConfig) { c.PartBytes = most }); err != nil {
		t.Fatal(err)
	}
	uploads, _, _ := pt.srv.Counts()
	var rows []int
	for i := range uploads {
		ids := pt.srv.CustomIDs(i)
		rows = append(rows, ids...)
		if size := pt.srv.UploadSize(i); size > most {
			t.Fatalf("upload %d has %d bytes, more than %d", i, size, most)
		}
	}
	if uploads < 3 || len(rows) != 9 || rows[8] != 8 {
		t.Fatalf("%d uploads holding rows %v", uploads, rows)
	}
}

// A run stopped while polling leaves the batch at the provider (state
// waiting); run again with the stored record, it polls and does not
// upload again.
func TestProviderRunRestartPollsWithoutUploading(t *testing.T) {
	pt := newProvTest(t, 8, nil)
	pt.srv.DonePolls = 3
	ctx, cancel := context.WithCancel(t.Context())
	pt.srv.OnLook = func(n int) {
		if n == 1 {
			cancel()
		}
	}
	_, _, err := pt.run(ctx, nil)
	if !errors.Is(err, ErrAtProvider) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v; want ErrAtProvider", err)
	}
	run, _ := pt.st.Batch("tickets")
	if run.State != store.BatchWaiting || len(run.Parts) != 1 || run.Parts[0].BatchID == "" || run.Done != 0 {
		t.Fatalf("after the stop: %+v", run)
	}
	pt.srv.OnLook = nil
	out, _, err := pt.run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rows := outputRows(t, out); len(rows) != 8 || rows[7]["state"] != "done" {
		t.Fatalf("output %q", out)
	}
	if uploads, creates, _ := pt.srv.Counts(); uploads != 1 || creates != 1 {
		t.Fatalf("%d uploads, %d batches after the restart; want 1 and 1", uploads, creates)
	}
}

// A batch made but not recorded (the answer lost) is found again by its
// file: one upload, one batch.
func TestProviderRunFindsABatchNotRecorded(t *testing.T) {
	pt := newProvTest(t, 5, nil)
	pt.srv.CreateFails = true
	if _, _, err := pt.run(t.Context(), nil); err == nil || !strings.Contains(engine.UserMessage(err), "server error (HTTP 500)") {
		t.Fatalf("err %v", err)
	}
	run, _ := pt.st.Batch("tickets")
	if len(run.Parts) != 1 || run.Parts[0].FileID == "" || run.Parts[0].BatchID != "" || run.State != store.BatchCancelled {
		t.Fatalf("after the lost answer: %+v", run)
	}
	out, _, err := pt.run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rows := outputRows(t, out); len(rows) != 5 {
		t.Fatalf("output %q", out)
	}
	if uploads, creates, _ := pt.srv.Counts(); uploads != 1 || creates != 1 {
		t.Fatalf("%d uploads, %d batches; want 1 and 1", uploads, creates)
	}
}

// A provider without the Batch API (404) gets the sentence; nothing is
// stored as done, nothing left at the provider.
func TestProviderRunWithoutBatchAPI(t *testing.T) {
	for _, noFiles := range []bool{false, true} {
		t.Run(fmt.Sprint("files only ", noFiles), func(t *testing.T) {
			pt := newProvTest(t, 4, nil)
			pt.srv.NotFound, pt.srv.NoFiles, pt.srv.Echo = !noFiles, noFiles, true
			_, _, err := pt.run(t.Context(), nil)
			if !errors.Is(err, ErrNoBatchAPI) || engine.UserMessage(err) != NoBatchAPI("OpenAI") {
				t.Fatalf("err %v (%q)", err, engine.UserMessage(err))
			}
			noKey(t, "the error", err.Error())
			run, gerr := pt.st.Batch("tickets")
			if noFiles && (gerr != nil || run.Done != 0 || run.Failed != 4 || len(run.Parts) != 0) || !noFiles && !errors.Is(gerr, store.ErrNotFound) {
				t.Fatalf("stored %+v, %v", run, gerr)
			}
			if rows, _ := pt.st.BatchRows("tickets", 0, 10); noFiles && (len(rows) != 4 || rows[3].Error != NoBatchAPI("OpenAI")) {
				t.Fatalf("rows %+v", rows)
			}
			if _, creates, _ := pt.srv.Counts(); creates != 0 {
				t.Fatalf("%d batches made", creates)
			}
		})
	}
}

// A provider echoing the key in an error line or an HTTP error: the key is
// in no sentence, stored row or output.
func TestProviderRunKeepsTheKeyOut(t *testing.T) {
	pt := newProvTest(t, 6, map[int]string{2: "fail me"})
	pt.srv.Echo = true
	out, _, err := pt.run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	noKey(t, "the output", out)
	rows, _ := pt.st.BatchRows("tickets", 0, 100)
	b, _ := json.Marshal(rows)
	noKey(t, "the stored rows", string(b))
	if !strings.Contains(string(b), "This row is refused") {
		t.Fatalf("the row's sentence is lost: %s", b)
	}
	// An HTTP error echoing it: a key the provider rejects.
	pt2 := newProvTest(t, 2, nil)
	pt2.srv.Echo = true
	_, _, err = pt2.run(t.Context(), func(c *ProviderConfig) { c.Key = testKey + "-wrong" })
	if err == nil || !strings.Contains(engine.UserMessage(err), "was rejected") {
		t.Fatalf("err %v", err)
	}
	noKey(t, "the error", err.Error()+engine.UserMessage(err))
}

// Lines deskchat cannot read fail their rows with a sentence; the rest
// are kept.
func TestProviderRunMalformedLines(t *testing.T) {
	pt := newProvTest(t, 6, map[int]string{1: "garble this"})
	out, stats, err := pt.run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := outputRows(t, out)
	if stats.Done != 5 || stats.Failed != 1 || rows[1]["state"] != "failed" || !strings.Contains(rows[1]["error"].(string), "could not be read") {
		t.Fatalf("stats %+v, row 1 %v", stats, rows[1])
	}
	if rows[0]["state"] != "done" || rows[5]["state"] != "done" {
		t.Fatalf("rows %v", rows)
	}
}

// An expired batch fails the rows it left with a sentence; resuming asks
// exactly those again, in a new part.
func TestProviderRunExpiredRowsAskedAgain(t *testing.T) {
	pt := newProvTest(t, 6, map[int]string{1: "late one", 4: "late two"})
	pt.srv.Expire = true
	out, stats, err := pt.run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := outputRows(t, out)
	if stats.Failed != 2 || !strings.Contains(rows[4]["error"].(string), "within 24 hours") || rows[0]["state"] != "done" {
		t.Fatalf("stats %+v, rows %v", stats, rows)
	}
	pt.srv.Expire = false
	out, stats, err = pt.run(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ids := pt.srv.CustomIDs(1); len(ids) != 2 || ids[0] != 1 || ids[1] != 4 {
		t.Fatalf("the second upload holds %v; want rows 1 and 4", ids)
	}
	if rows := outputRows(t, out); stats.Done != 6 || rows[4]["answer"] != answerOf("Classify: late two") {
		t.Fatalf("stats %+v, output %q", stats, out)
	}
	run, _ := pt.st.Batch("tickets")
	if len(run.Parts) != 2 || run.Parts[1].N != 2 {
		t.Fatalf("parts %+v", run.Parts)
	}
}

// Only stored providers of kind openai offer the Batch API.
func TestProviderTarget(t *testing.T) {
	st := openStore(t)
	st.PutProvider(store.Provider{Name: "OpenAI", Kind: store.KindOpenAI, Model: "gpt-4o-mini"})
	st.PutProvider(store.Provider{Name: "Ollama", Kind: store.KindCompatible, BaseURL: "http://localhost:11434/v1", Model: "llama3"})
	if p, err := ProviderTarget(st, Spec{Provider: "OpenAI"}); err != nil || p.Name != "OpenAI" {
		t.Fatalf("OpenAI: %v", err)
	}
	for _, s := range []Spec{{Provider: "Ollama"}, {Provider: engine.SimulatorName}, {BaseURL: "http://localhost:8080/v1", Model: "m"}} {
		_, err := ProviderTarget(st, s)
		if !errors.Is(err, ErrNoBatchAPI) || !strings.Contains(engine.UserMessage(err), "does not offer OpenAI's Batch API; run without --mode provider") {
			t.Fatalf("%+v: %v", s, err)
		}
	}
}

// Looks that fail (a 500, the network) are tried again with the growing
// interval; five in a row stop the run, the batch left at the provider
// and the sentence saying so.
func TestProviderRunPollFailures(t *testing.T) {
	pt := newProvTest(t, 3, nil)
	pt.srv.LookFails = 2
	if _, stats, err := pt.run(t.Context(), nil); err != nil || stats.Done != 3 {
		t.Fatalf("after 2 failed looks: %v, %+v", err, stats)
	}
	pt = newProvTest(t, 3, nil)
	pt.srv.LookFails = 100
	_, _, err := pt.run(t.Context(), nil)
	msg := engine.UserMessage(err)
	if !strings.Contains(msg, "server error (HTTP 500)") || !strings.Contains(msg, "The batch stays at the provider; \"deskchat batch resume tickets\" checks on it again.") {
		t.Fatalf("err %v: %q", err, msg)
	}
	if _, _, looks := pt.srv.Counts(); looks != pollFailures || len(pt.sleep) != pollFailures-1 {
		t.Fatalf("%d looks, %d sleeps; want %d looks", looks, len(pt.sleep), pollFailures)
	}
	if run, _ := pt.st.Batch("tickets"); run.State != store.BatchWaiting {
		t.Fatalf("state %q", run.State)
	}
}

// A batch the provider refuses (a 400: the model takes no batches) fails
// its rows with the sentence and marks the part refused: a resume sends
// them again rather than wait on it.
func TestProviderRunRefusedBatch(t *testing.T) {
	pt := newProvTest(t, 3, nil)
	pt.srv.CreateRefused = true
	_, _, err := pt.run(t.Context(), nil)
	if msg := engine.UserMessage(err); !strings.Contains(msg, "OpenAI refused the request (HTTP 400). It said: This model does not take batches.") {
		t.Fatalf("err %v: %q", err, msg)
	}
	run, _ := pt.st.Batch("tickets")
	if run.Failed != 3 || len(run.Parts) != 1 || run.Parts[0].Status != "refused" || !run.Parts[0].Collected || run.State != store.BatchCancelled {
		t.Fatalf("run %+v", run)
	}
	pt.srv.CreateRefused = false
	if _, stats, err := pt.run(t.Context(), nil); err != nil || stats.Done != 3 {
		t.Fatalf("resume: %v %+v", err, stats)
	}
	if uploads, creates, _ := pt.srv.Counts(); uploads != 2 || creates != 1 {
		t.Fatalf("%d uploads, %d batches", uploads, creates)
	}
}
