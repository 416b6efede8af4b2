package batchwin

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// progressEvery bounds the progress's redraws: the run reports every row,
// the window shows the latest at most ten times a second.
const progressEvery = 100 * time.Millisecond

// running is a run under way.
type running struct {
	name    string
	cancel  context.CancelFunc
	pause   *batch.Pause
	done    chan struct{} // closed when batch.Run has returned
	stopped bool          // Cancel (or closing) stopped it
	ended   bool          // its result is shown
	stop    func()        // stops the progress ticker

	mu     sync.Mutex
	latest batch.Stats  // the run goroutine's, under mu
	asking map[int]bool // the rows being asked (at most the run's concurrency), under mu
	seq    int          // updates of latest, under mu
	shown  int          // the seq shown
}

// asking tells whether row i, not stored yet, is being asked.
func (v *View) asking(i int) bool {
	r := v.run
	if r == nil || r.ended {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asking[i]
}

// note keeps the rows being asked (batch.Config.Asking, from the run's
// workers).
func (r *running) note(i int, asking bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if asking {
		r.asking[i] = true
	} else {
		delete(r.asking, i)
	}
}

// inFlight is how many rows are being asked.
func (r *running) inFlight() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.asking)
}

// Running tells whether a run is under way.
func (v *View) Running() bool { return v.run != nil && !v.run.ended }

// StartRun starts the run the estimate describes; above MaxCost it asks
// first, showing the cost.
func (v *View) StartRun() {
	p := v.est.result
	if v.Running() || p == nil || v.est.busy {
		return
	}
	if p.plan.PriceKnown && p.plan.Cost > MaxCost && p.plan.Left > 0 {
		v.confirm("Start the run?",
			fmt.Sprintf("This run may cost up to %s (%s to ask %s), more than %s.",
				format.Cost(p.plan.Cost), format.Count(p.plan.Left, "row", "rows"), p.model, format.Cost(MaxCost)),
			"Start", func() {
				if v.est.result == p && !v.Running() {
					v.begin(p)
				}
			})
		return
	}
	v.begin(p)
}

// begin runs p on the bridge's goroutine.
func (v *View) begin(p *planned) {
	rec := store.BatchRun{Name: p.name, Input: p.path, Template: p.tmpl.String(), System: p.spec.System, Provider: p.opts.Provider,
		Model: p.model, Concurrency: p.spec.Concurrency, RPM: p.rpm, TPM: p.tpm, MaxTokens: p.spec.MaxTokens, Rows: p.plan.Rows}
	if p.opts.Endpoint != nil {
		rec.Provider, rec.BaseURL = "", p.spec.BaseURL
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{name: p.name, cancel: cancel, pause: &batch.Pause{}, asking: map[int]bool{}, done: make(chan struct{})}
	r.latest = batch.Stats{Total: p.plan.Rows, Skipped: p.plan.Rows - p.plan.Left, Started: time.Now()}
	v.run = r
	cfg := batch.Config{Asker: v.host.Asker(), Asking: r.note, Store: v.st, Run: rec, Template: p.tmpl, Options: p.opts, Model: p.model, Pause: r.pause,
		Progress: func(s batch.Stats) {
			r.mu.Lock()
			r.latest, r.seq = s, r.seq+1
			r.mu.Unlock()
			if v.progressed != nil {
				v.progressed()
			}
		}}
	v.results.setTotal(p.name, p.plan.Rows, true)
	v.Progress.Max, v.Progress.Value = float64(p.plan.Rows), float64(p.plan.Rows-p.plan.Left)
	v.Progress.Refresh()
	look.SetLabel(v.Status, "Starting…", widget.MediumImportance)
	v.refreshButtons()
	bridge.Run(v.host.Bridge(), func() (batch.Stats, error) {
		defer close(r.done)
		return batch.Run(ctx, cfg)
	}, func(s batch.Stats, err error) { v.ended(r, s, err) })
	r.stop = v.timers.Every(progressEvery, func() bool { return v.tick(r) })
}

// tick shows the run's latest progress, if it moved; it says whether to
// go on ticking.
func (v *View) tick(r *running) bool {
	if v.closed || r.ended || v.run != r {
		return false
	}
	r.mu.Lock()
	s, seq := r.latest, r.seq
	r.mu.Unlock()
	if seq != r.shown {
		r.shown = seq
		v.showStats(s)
		v.results.invalidate()
	}
	v.showState(r, s)
	return true
}

// showStats moves the progress bar.
func (v *View) showStats(s batch.Stats) {
	v.Progress.Max, v.Progress.Value = float64(s.Total), float64(s.Finished())
	v.Progress.Refresh()
}

// showState says how the run goes: rate, ETA, failures, cost; or that it
// is paused or stopping.
func (v *View) showState(r *running, s batch.Stats) {
	finishing := r.inFlight()
	switch {
	case r.stopped:
		look.SetLabel(v.Status, fmt.Sprintf("Cancelling: %s finishing…", format.Count(int(finishing), "row", "rows")), widget.WarningImportance)
	case r.pause.Paused() && finishing > 0:
		look.SetLabel(v.Status, fmt.Sprintf("Paused: %s finishing", format.Count(int(finishing), "row", "rows")), widget.WarningImportance)
	case r.pause.Paused():
		look.SetLabel(v.Status, "Paused. Resume goes on with the next rows.", widget.WarningImportance)
	default:
		look.SetLabel(v.Status, progressLine(s, v.now()), widget.MediumImportance)
	}
}

// progressLine is a run's rate, ETA, failures and cost so far.
func progressLine(s batch.Stats, now time.Time) string {
	asked := s.Done + s.Failed
	rate := 0.0
	if took := now.Sub(s.Started); took > 0 && asked > 0 {
		rate = float64(asked) / took.Seconds()
	}
	eta := "working out the time left"
	if left := s.Total - s.Finished(); left <= 0 {
		eta = "finishing"
	} else if rate > 0 {
		eta = "about " + format.Duration(time.Duration(float64(left)/rate*float64(time.Second))) + " left"
	}
	return fmt.Sprintf("Running: %.1f rows/s, %s · %s · %s so far", rate, eta, format.Count(s.Failed, "failed row", "failed rows"), format.Cost(s.Cost))
}

// formatProgress is the progress bar's text: "40 of 100 rows".
func formatProgress(value, total float64) string {
	return fmt.Sprintf("%s of %s", format.Number(int64(value)), format.Count(int(total), "row", "rows"))
}

// ended shows how run r ended.
func (v *View) ended(r *running, s batch.Stats, err error) {
	r.ended = true
	if r.stop != nil {
		r.stop()
	}
	if v.closed {
		return
	}
	v.showStats(s)
	v.results.invalidate()
	switch {
	case err == nil:
		text := fmt.Sprintf("Done: %s answered, %s · %s.", format.Count(s.Done+s.Skipped, "row", "rows"),
			format.Count(s.Failed, "failed", "failed"), format.Cost(s.Cost))
		imp := widget.SuccessImportance
		if s.Failed > 0 {
			text += " Start asks the failed rows again."
			imp = widget.WarningImportance
		}
		look.SetLabel(v.Status, text, imp)
	case r.stopped && errors.Is(err, context.Canceled):
		look.SetLabel(v.Status, fmt.Sprintf("Cancelled: the %s finished are kept; Start goes on with the rest.", format.Count(s.Finished(), "row", "rows")), widget.WarningImportance)
	default:
		look.SetLabel(v.Status, "The run stopped: "+sentence(err)+" The rows finished are kept.", widget.DangerImportance)
	}
	v.loadRuns(r.name)
	v.changedNow() // rows left, and the name's run now stored
}

// TogglePause holds the next rows, or lets them go again.
func (v *View) TogglePause() {
	r := v.run
	if !v.Running() || r.stopped {
		return
	}
	if r.pause.Paused() {
		r.pause.Resume()
	} else {
		r.pause.Pause()
	}
	r.mu.Lock()
	s := r.latest
	r.mu.Unlock()
	v.showState(r, s)
	v.refreshButtons()
}

// CancelRun stops the run: rows being asked are dropped (asked again
// next time), the finished ones are kept.
func (v *View) CancelRun() {
	if v.Running() {
		v.stopRun()
		r := v.run
		r.mu.Lock()
		s := r.latest
		r.mu.Unlock()
		v.showState(r, s)
		v.refreshButtons()
	}
}

// stopRun cancels the run under way, if any, and returns the channel
// closed when it has stopped.
func (v *View) stopRun() <-chan struct{} {
	r := v.run
	if r == nil || r.ended {
		return nil
	}
	r.stopped = true
	r.cancel()
	return r.done
}

// refreshButtons enables what can be done now.
func (v *View) refreshButtons() {
	if v.Start == nil {
		return
	}
	running := v.Running()
	p := v.est.result
	enable(v.Start, !running && !v.est.busy && p != nil && p.plan.Left > 0)
	v.Start.SetText("Start")
	if p != nil && p.earlier != nil && p.plan.Left < p.plan.Rows {
		v.Start.SetText("Resume run")
	}
	enable(v.Pause, running && !v.run.stopped)
	enable(v.Cancel, running && !v.run.stopped)
	if running && v.run.pause.Paused() {
		v.Pause.SetText("Resume")
		v.Pause.SetIcon(theme.MediaPlayIcon())
	} else {
		v.Pause.SetText("Pause")
		v.Pause.SetIcon(theme.MediaPauseIcon())
	}
	enable(v.Export, v.results.name != "" && v.results.stored)
	v.setFormEnabled(!running)
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// setFormEnabled keeps the form as it is while a run uses it.
func (v *View) setFormEnabled(on bool) {
	for _, e := range []*widget.Entry{v.Template, v.Model, v.System, v.Concurrency, v.RPM, v.TPM, v.MaxTokens, v.Name} {
		if on {
			e.Enable()
		} else {
			e.Disable()
		}
	}
	for _, s := range []*widget.Select{v.Provider, v.Runs} {
		if on {
			s.Enable()
		} else {
			s.Disable()
		}
	}
	enable(v.Choose, on)
}
