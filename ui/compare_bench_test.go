package ui

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/deskchat/deskchat/engine"
	enginetokens "github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// BenchmarkCompareFourStreams compares one prompt across four Simulator
// targets streaming 100 tokens a second each (300 tokens, about 3 s), in
// the main window on Fyne's headless test driver, and times what the UI
// goroutine does per frame: every function the bridge posts (the queue the
// test drains plays the UI goroutine, as fyne.Do's would), from its start
// to its end, over the whole streaming. That is applying an answer's
// update to its column and laying the chat out again. GPU painting is not
// included: the headless driver does not paint. Each target has its own
// model, so that no two answers could share a request (a comparison never
// uses the response cache or coalescing anyway).
//
// compare_4_streams_frame_ms_p99 and _p50 are over the posted functions;
// compare_4_streams_frame_sum_ms_p99 sums the work started within each
// 1/60 s, i.e. what one frame of the real event loop would run before it
// paints.
func BenchmarkCompareFourStreams(b *testing.B) {
	a := test.NewTempApp(b)
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	useSimulator(st)
	eng := engine.New(st, engine.Options{})
	eng.SetSimulatorRate(100)
	enginetokens.Preload() // as in the app long before a comparison: not on the measured cores

	q := make(chan func(), 1<<16)
	wake := make(chan struct{}, 1)
	br := bridge.New()
	br.Post = func(f func()) { q <- f }
	br.Idle = func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	w := newWindow(a, Deps{Engine: eng, Store: st}, br)
	w.win.Resize(fyne.NewSize(1100, 720))
	b.Cleanup(func() { w.shutdown(5 * time.Second) })

	var (
		timing bool
		took   []time.Duration
		at     []time.Time
	)
	runUntil := func(what string, cond func() bool) {
		deadline := time.After(60 * time.Second)
		for !cond() {
			select {
			case f := <-q:
				t0 := time.Now()
				f()
				if timing {
					took = append(took, time.Since(t0))
					at = append(at, t0)
				}
			case <-wake:
			case <-deadline:
				b.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	settle := func() {
		runUntil("background work to finish", func() bool {
			for {
				select {
				case f := <-q:
					f()
					continue
				default:
				}
				return br.Busy.Load() == 0 && len(q) == 0
			}
		})
	}
	settle()

	targets := make([]engine.Target, 4)
	for i := range targets {
		targets[i] = engine.Target{Provider: engine.SimulatorName, Model: fmt.Sprintf("simulated-%d", i+1)}
	}
	var streamed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		w.newConversation()
		settle()
		b.StartTimer()
		start := time.Now()
		cmp := w.compare("Compare these four answers", targets)
		if cmp == nil {
			b.Fatal("the comparison did not start")
		}
		timing = true
		runUntil("the four answers", cmp.AllEnded)
		timing = false
		streamed += time.Since(start)
		for j, col := range cmp.Cols {
			if col.View.State != store.StateDone {
				b.Fatalf("column %d ended %s", j+1, col.View.State)
			}
		}
		b.StopTimer()
		settle()
		b.StartTimer()
	}
	b.StopTimer()

	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pct := func(ds []time.Duration, p float64) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		if len(s) == 0 {
			return 0
		}
		return s[min(len(s)-1, int(p*float64(len(s))))]
	}
	// The work started within each 1/60 s.
	var frames []time.Duration
	if len(at) > 0 {
		byFrame := map[int64]time.Duration{}
		for k, t := range at {
			byFrame[int64(t.Sub(at[0])/bridge.FrameInterval)] += took[k]
		}
		for _, d := range byFrame {
			frames = append(frames, d)
		}
	}
	b.ReportMetric(ms(pct(took, 0.99)), "compare_4_streams_frame_ms_p99@ms")
	b.ReportMetric(ms(pct(took, 0.50)), "compare_4_streams_frame_ms_p50@ms")
	b.ReportMetric(ms(slices.Max(append(took, 0))), "compare_4_streams_frame_ms_max@ms")
	b.ReportMetric(ms(pct(frames, 0.99)), "compare_4_streams_frame_sum_ms_p99@ms")
	b.ReportMetric(float64(len(took))/float64(b.N), "compare_4_streams_updates@count")
	b.ReportMetric(streamed.Seconds()/float64(b.N), "compare_4_streams_s@s")
}
