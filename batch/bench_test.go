package batch

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// fakeClock is virtual time: sleeping moves it forward at once, so a
// run paced over minutes takes milliseconds and its schedule is exact.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) SleepUntil(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
	return ctx.Err()
}

// clockAsker records when (on the clock) each request was made.
type clockAsker struct {
	clock *fakeClock
	mu    sync.Mutex
	at    []time.Time
}

func (a *clockAsker) Complete(_ context.Context, text string, _ engine.SendOptions) (engine.Completion, error) {
	a.note()
	return engine.Completion{Text: answerOf(text)}, nil
}

// note records a request made now.
func (a *clockAsker) note() {
	now := a.clock.Now()
	a.mu.Lock()
	a.at = append(a.at, now)
	a.mu.Unlock()
}

// limiterErrorPct runs rows rows at rpm on a fake clock and returns how
// far the run's span (first request to last) is from the ideal schedule's,
// in percent, and the largest deviation of one request from its ideal time
// in request intervals. With local, the rows go through the real engine to
// a local server, which notes each request's arrival on the fake clock;
// else a fake Asker notes it.
func limiterErrorPct(t testing.TB, rows, rpm, conc int, local bool) (pct, worst float64) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	os.WriteFile(path, []byte(genJSONL(rows, nil)), 0o600)
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	a := &clockAsker{clock: clock}
	var asker Asker = a
	var opts engine.SendOptions
	st := openStore(t)
	if local {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a.note()
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\ndata: [DONE]\n\n")
		}))
		defer srv.Close()
		asker = engine.New(st, engine.Options{Getenv: func(string) string { return "k" }})
		opts = engine.SendOptions{Model: "tiny", MaxTokens: 16, NoCache: true, Endpoint: &store.Provider{Name: srv.URL + "/v1",
			Kind: store.KindCompatible, BaseURL: srv.URL + "/v1", Model: "tiny", KeyEnv: "K", MaxConcurrent: conc}}
	}
	_, err := Run(context.Background(), Config{Asker: asker, Store: st, Template: mustTemplate(t, "{{text}}"), Clock: clock, Options: opts,
		Run: store.BatchRun{Name: "paced", Input: path, Rows: rows, Concurrency: conc, RPM: rpm}, Out: NewWriter(io.Discard, "jsonl")})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.at) != rows {
		t.Fatalf("%d requests for %d rows", len(a.at), rows)
	}
	slices.SortFunc(a.at, func(x, y time.Time) int { return x.Compare(y) })
	interval := time.Minute / time.Duration(rpm)
	ideal := time.Duration(rows-1) * interval
	span := a.at[rows-1].Sub(a.at[0])
	for k, at := range a.at {
		dev := math.Abs(float64(at.Sub(a.at[0])-time.Duration(k)*interval)) / float64(interval)
		worst = max(worst, dev)
	}
	return math.Abs(float64(span-ideal)) / float64(ideal) * 100, worst
}

// With one worker every request is made at the limiter's time, so each
// one is checked against the ideal schedule. With several, the fake clock
// jumps to the latest sleeper's time while another worker has woken but
// not yet asked, so a single request's time says more about the fake
// clock than about the limiter; the run's span is what is checked there.
func TestLimiterKeepsTheIdealSchedule(t *testing.T) {
	pct, worst := limiterErrorPct(t, 1000, 600, 1, false)
	if pct > 1 || worst > 0.01 {
		t.Fatalf("1,000 rows at 600 rpm, one worker: span %.3f%% off the ideal, worst request %.2f intervals off", pct, worst)
	}
	if pct, _ := limiterErrorPct(t, 1000, 600, DefaultConcurrency, true); pct > 1 {
		t.Fatalf("1,000 rows at 600 rpm through the engine to a local server, %d workers: span %.3f%% off the ideal", DefaultConcurrency, pct)
	}
}

// BenchmarkBatchLimiter: batch_limiter_error_pct, 1,000 rows at --rpm 600
// on a fake clock (the default 4 workers) through the engine to a local
// server, against the ideal schedule of one request every 100 ms.
func BenchmarkBatchLimiter(b *testing.B) {
	var pct float64
	for range b.N {
		pct, _ = limiterErrorPct(b, 1000, 600, DefaultConcurrency, true)
	}
	b.ReportMetric(pct, "batch_limiter_error_pct@%")
}

// procKB reads a /proc/self/status line in kB.
func procKB(field string) float64 {
	raw, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return n
		}
	}
	return 0
}

// BenchmarkBatchRSS100k: batch_rss_growth_mb_100k, the resident set's peak
// growth while 100,000 rows from a generated file are planned, asked of a
// fake Asker (64 at once), persisted and written out. The peak is reset
// (/proc/self/clear_refs) after the file is made, so it counts the run
// alone.
func BenchmarkBatchRSS100k(b *testing.B) {
	const rows = 100_000
	path := filepath.Join(b.TempDir(), "rows.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range rows {
		fmt.Fprintf(w, "{\"id\":\"r%d\",\"text\":\"support ticket %d: the printer on floor %d says PC LOAD LETTER again\"}\n", i, i, i%9)
	}
	w.Flush()
	f.Close()
	var growth float64
	for range b.N {
		st := openStore(b)
		tm := mustTemplate(b, "Classify: {{text}}")
		// The tokenizer's tables are loaded once per process, whatever the
		// row count: loaded before the baseline.
		tokens.Preload()
		runtime.GC()
		debug.FreeOSMemory()
		os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
		before := procKB("VmRSS")
		plan, err := MakePlan(context.Background(), path, tm, "", "gpt-4o-mini", 100, st, "rss")
		if err != nil {
			b.Fatal(err)
		}
		stats, err := Run(context.Background(), Config{Asker: leanAsker{}, Store: st, Template: tm, Model: "gpt-4o-mini",
			Run: store.BatchRun{Name: "rss", Input: path, Rows: plan.Rows, Concurrency: 64}, Out: NewWriter(io.Discard, "jsonl")})
		if err != nil || stats.Done != rows {
			b.Fatalf("%v, %+v", err, stats)
		}
		growth = (procKB("VmHWM") - before) / 1024
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.Logf("rss before %.0f MB, peak %.0f MB; now anon %.0f MB, file %.0f MB; heap in use %.0f MB, sys %.0f MB, %d GCs", before/1024, procKB("VmHWM")/1024,
			procKB("RssAnon")/1024, procKB("RssFile")/1024, float64(ms.HeapInuse)/(1<<20), float64(ms.Sys)/(1<<20), ms.NumGC)
	}
	b.ReportMetric(growth, "batch_rss_growth_mb_100k@MB")
}

// leanAsker answers from the prompt's hash and keeps nothing, so that the
// memory measured is the run's.
type leanAsker struct{}

func (leanAsker) Complete(_ context.Context, text string, _ engine.SendOptions) (engine.Completion, error) {
	return engine.Completion{Text: answerOf(text), Usage: engine.Usage{PromptTokens: 10, CompletionTokens: 2}}, nil
}
