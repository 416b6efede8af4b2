package batchwin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// estimateDelay is how long the form must stay unchanged before the
// estimate is redone: the file is read whole each time.
const estimateDelay = 400 * time.Millisecond

// MaxCost is the estimate above which Start asks first, as --max-cost's
// default on the command line.
const MaxCost = 1.0

// estimate is the first pass over the input for the form as it is.
type estimate struct {
	gen    int    // estimates asked for; only the latest one's result counts
	wait   func() // stops the wait before the next estimate, when one is due
	stop   func() // cancels the estimate being made
	busy   bool   // one is due or being made
	result *planned
}

func (e *estimate) cancel() {
	if e.wait != nil {
		e.wait()
		e.wait = nil
	}
	if e.stop != nil {
		e.stop()
		e.stop = nil
	}
}

// planned is what an estimate found: everything Start needs, or the
// sentence saying why the run cannot start.
type planned struct {
	plan     batch.Plan
	spec     batch.Spec
	opts     engine.SendOptions
	model    string
	tmpl     batch.Template
	path     string
	name     string
	rpm, tpm int
	earlier  *store.BatchRun // a stored run of this name, if any
	problem  string          // why it cannot start; "" when it can
}

// changed asks for a new estimate once the form has been still for
// estimateDelay.
func (v *View) changed() {
	if v.form.filling || v.win == nil {
		return
	}
	v.est.cancel()
	v.est.gen++
	v.est.busy = true
	gen := v.est.gen
	v.est.wait = v.timers.After(estimateDelay, func() {
		if gen == v.est.gen && !v.closed {
			v.estimateNow()
		}
	})
	v.refreshButtons()
}

// changedNow asks for a new estimate at once (a file chosen, a run
// opened, a run ended).
func (v *View) changedNow() {
	if v.win == nil {
		return
	}
	v.est.cancel()
	v.est.gen++
	v.estimateNow()
}

// estimateNow reads the input off the UI goroutine: every row checked,
// the rows left counted and priced.
func (v *View) estimateNow() {
	v.est.cancel()
	gen := v.est.gen
	v.est.busy = true
	v.refreshButtons()
	p := &planned{path: v.form.path, name: v.runName()}
	var bad string
	p.spec, bad = v.spec()
	p.rpm, p.tpm = v.limits()
	text := v.Template.Text
	switch {
	case p.path == "":
		v.showEstimate(gen, nil, "Choose a file to see what the run would ask and cost.")
		return
	case strings.TrimSpace(text) == "":
		v.showEstimate(gen, nil, "Type the template: the prompt each row is asked, with {{field}} for its fields.")
		return
	case bad != "":
		v.showEstimate(gen, nil, bad)
		return
	}
	t, err := batch.ParseTemplate(text)
	if err != nil {
		v.showEstimate(gen, nil, plainSentence(err))
		return
	}
	p.tmpl = t
	look.SetLabel(v.Estimate, "Reading every row to count and price it…", widget.LowImportance)
	ctx, cancel := context.WithCancel(context.Background())
	v.est.stop = cancel
	st := v.st
	bridge.Run(v.host.Bridge(), func() (*planned, error) { return makePlan(ctx, st, p) }, func(p *planned, err error) {
		if gen != v.est.gen || v.closed {
			return
		}
		switch {
		case errors.Is(err, context.Canceled):
			return
		case err != nil:
			v.showEstimate(gen, nil, sentence(err))
		default:
			v.showEstimate(gen, p, p.problem)
		}
	})
}

// makePlan checks the run's name and provider and makes the plan (off the
// UI goroutine).
func makePlan(ctx context.Context, st *store.Store, p *planned) (*planned, error) {
	run, found, same, err := batch.Earlier(st, p.name, p.path, p.tmpl.String())
	if err != nil {
		return nil, err
	}
	if found {
		p.earlier = &run
	}
	if !same {
		p.problem = fmt.Sprintf("A run called %q was made with another file or template (%s, %q): give this one another name, or open that one from the earlier runs.",
			p.name, run.Input, run.Template)
		return p, nil
	}
	opts, model, err := batch.Options(st, p.spec)
	if err != nil {
		p.problem = plainSentence(err)
		return p, nil
	}
	p.opts, p.model = opts, model
	plan, err := batch.MakePlan(ctx, p.path, p.tmpl, p.spec.System, model, opts.MaxTokens, st, p.name)
	if err != nil {
		return nil, err
	}
	p.plan = plan
	return p, nil
}

// showEstimate shows an estimate's result, or why there is none.
func (v *View) showEstimate(gen int, p *planned, problem string) {
	if gen != v.est.gen {
		return
	}
	v.est.busy, v.est.stop = false, nil
	v.est.result = nil
	if p != nil && problem == "" {
		v.est.result = p
		look.SetLabel(v.Estimate, estimateText(p), widget.MediumImportance)
		v.results.setTotal(p.name, p.plan.Rows, p.earlier != nil)
	} else {
		look.SetLabel(v.Estimate, problem, widget.DangerImportance)
	}
	v.refreshButtons()
}

// estimateText says what the run will ask and cost at most.
func estimateText(p *planned) string {
	pl := p.plan
	if pl.Left == 0 {
		return fmt.Sprintf("Every one of the %s has an answer: nothing is left to ask. Export writes them.", format.Count(pl.Rows, "row", "rows"))
	}
	rows := format.Count(pl.Rows, "row", "rows")
	if pl.Left < pl.Rows {
		rows = fmt.Sprintf("%s left of %s (the rest answered earlier)", format.Number(int64(pl.Left)), rows)
	}
	return fmt.Sprintf("%s to ask %s: %s prompt tokens, up to %s answer tokens (%s each). Cost: %s.",
		rows, p.model, format.Number(int64(pl.PromptTokens)), format.Number(int64(pl.OutputTokens)),
		format.Number(int64(p.opts.MaxTokens)), costText(pl))
}

// costText is a plan's cost as the estimate says it.
func costText(pl batch.Plan) string {
	if !pl.PriceKnown {
		return "price unknown (deskchat prices set MODEL INPUT OUTPUT adds one)"
	}
	return "at most " + format.Cost(pl.Cost)
}
