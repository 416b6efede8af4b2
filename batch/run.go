package batch

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// Asker answers one prompt outside any conversation: *engine.Engine
// (Complete), or a fake in tests.
type Asker interface {
	Complete(ctx context.Context, text string, opts engine.SendOptions) (engine.Completion, error)
}

// DefaultConcurrency is how many rows are asked at once without
// --concurrency.
const DefaultConcurrency = 4

// Config is one run.
type Config struct {
	Asker Asker
	Store *store.Store
	// Run is the run's record; Run.Name names it in the store (a second
	// run of the same name resumes it) and, as "batch NAME", in the usage
	// ledger.
	Run      store.BatchRun
	Template Template
	// Options go to every request (provider, model, system, max tokens);
	// Run sets Batch and Label.
	Options engine.SendOptions
	// Model counts a row's tokens against --tpm.
	Model string
	Clock Clock // nil: the real one
	// Out gets every row, earlier runs' included, in input order; nil:
	// none.
	Out Writer
	// Progress is called after each row; nil: not.
	Progress func(Stats)
	// Pause holds the rows not started yet while paused; nil: never.
	Pause *Pause
	// Asking is told, from a worker, when a row's request starts (true)
	// and ends (false); nil: not. The Batch window shows those rows as
	// being asked.
	Asking func(index int, asking bool)
}

// slot is one row on its way: the writer waits on res in input order.
type slot struct {
	row     Row
	res     chan store.BatchRow
	skipped bool
}

// Run asks every row of cfg.Run.Input that an earlier run of the same name
// did not answer (failed rows are asked again), cfg.Run.Concurrency at
// once within its RPM and TPM, persisting each row as it finishes and
// writing every row to cfg.Out in input order. A row's failure is recorded
// in it, not fatal; the run stops on ctx's end (state cancelled, ctx's
// error returned), an input it cannot read or a store that cannot write.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	st := Stats{Total: cfg.Run.Rows, Started: cfg.clock().Now()}
	in, err := Open(cfg.Run.Input)
	if err != nil {
		return st, err
	}
	defer in.Close()
	cfg.Run.State = store.BatchRunning
	if err := cfg.Store.PutBatch(cfg.Run); err != nil {
		return st, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r := &runner{cfg: cfg, pacer: newPacer(cfg.clock(), cfg.Run.RPM, cfg.Run.TPM), commit: newCommitter(cfg.Store, cfg.Run.Name), cancel: cancel}
	defer r.commit.close()
	r.cfg.Options.Batch, r.cfg.Options.Label = true, "batch "+cfg.Run.Name
	conc := max(cfg.Run.Concurrency, 1)
	// order holds the rows between the reader and the writer: at most
	// twice the workers, so memory follows the concurrency, not the rows.
	order, jobs := make(chan *slot, 2*conc), make(chan *slot)
	go r.read(ctx, in, order, jobs)
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range jobs {
				s.res <- r.ask(ctx, s.row)
			}
		}()
	}
	stopped := false
	for s := range order {
		row := <-s.res
		if row.State == "" || stopped {
			stopped = true
			cancel()
			continue
		}
		st.count(row, s.skipped)
		if cfg.Out != nil {
			if err := cfg.Out.Write(row); err != nil {
				r.fail(err)
				stopped = true
				cancel()
				continue
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(st)
		}
	}
	wg.Wait()
	stopped = stopped || r.cut
	if cfg.Out != nil {
		if err := cfg.Out.Close(); err != nil {
			r.fail(err)
		}
	}
	return st, r.finish(ctx, stopped)
}

// runner is a run's shared state.
type runner struct {
	cfg    Config
	pacer  *pacer
	commit *committer
	cancel context.CancelFunc
	mu     sync.Mutex
	err    error // the first failure that stops the run
	// cut: the reader stopped before the input's end (the run was
	// stopped); read after order is closed.
	cut bool
}

func (c Config) clock() Clock {
	if c.Clock == nil {
		return realClock{}
	}
	return c.Clock
}

func (r *runner) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.cancel()
}

// read streams the input into order (every row) and jobs (the rows to
// ask); a row an earlier run answered comes from the store instead.
func (r *runner) read(ctx context.Context, in Reader, order, jobs chan *slot) {
	defer close(order)
	defer close(jobs)
	earlier := &stored{st: r.cfg.Store, name: r.cfg.Run.Name}
	for {
		row, err := in.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			r.fail(err)
			return
		}
		prev, ok, err := earlier.at(row.Index)
		if err != nil {
			r.fail(err)
			return
		}
		s := &slot{row: row, res: make(chan store.BatchRow, 1)}
		select {
		case order <- s:
		case <-ctx.Done():
			r.cut = true
			return
		}
		if ok && prev.State == store.BatchRowDone {
			s.skipped = true
			s.res <- prev
			continue
		}
		select {
		case jobs <- s:
		case <-ctx.Done():
			s.res <- store.BatchRow{} // not asked
			r.cut = true
			return
		}
	}
}

// ask asks one row and persists its result; a row left unfinished (the
// run stopped) has no state and is not stored.
func (r *runner) ask(ctx context.Context, row Row) store.BatchRow {
	out := store.BatchRow{Index: row.Index, Names: row.Names, Values: row.Values, State: store.BatchRowFailed}
	prompt, err := r.cfg.Template.Fill(row)
	if err == nil {
		if err := r.cfg.Pause.wait(ctx); err != nil {
			return store.BatchRow{}
		}
		n := 0
		if r.pacer.tokens != nil {
			n, _ = tokens.Count(r.cfg.Model, prompt)
			n += r.cfg.Options.MaxTokens
		}
		if err := r.pacer.wait(ctx, n); err != nil {
			return store.BatchRow{}
		}
		var c engine.Completion
		c, err = r.complete(ctx, row.Index, prompt)
		if err != nil && ctx.Err() != nil {
			return store.BatchRow{}
		}
		out.Answer, out.TokensIn, out.TokensOut, out.Cost = c.Text, c.Usage.PromptTokens, c.Usage.CompletionTokens, c.Cost
		out.Cached, out.Provider, out.Model = c.Cached, c.Provider, c.Model
	}
	if err != nil {
		out.Error = engine.UserMessage(err)
	} else {
		out.State = store.BatchRowDone
	}
	if err := r.commit.put(out); err != nil {
		r.fail(err)
		return store.BatchRow{}
	}
	return out
}

// complete asks one row's prompt, telling Asking.
func (r *runner) complete(ctx context.Context, index int, prompt string) (engine.Completion, error) {
	if r.cfg.Asking != nil {
		r.cfg.Asking(index, true)
		defer r.cfg.Asking(index, false)
	}
	return r.cfg.Asker.Complete(ctx, prompt, r.cfg.Options)
}

func (s *Stats) count(row store.BatchRow, skipped bool) {
	switch {
	case skipped:
		s.Skipped++
	case row.State == store.BatchRowDone:
		s.Done++
		s.Cost += row.Cost
	default:
		s.Failed++
		s.Cost += row.Cost
	}
}

// finish records how the run ended and returns why it stopped, if it did.
func (r *runner) finish(ctx context.Context, stopped bool) error {
	r.mu.Lock()
	err := r.err
	r.mu.Unlock()
	if err == nil && stopped {
		err = context.Cause(ctx)
		if err == nil {
			err = context.Canceled
		}
	}
	run, gerr := r.cfg.Store.Batch(r.cfg.Run.Name)
	if gerr != nil {
		return errors.Join(err, gerr)
	}
	run.State = store.BatchDone
	if err != nil {
		run.State = store.BatchCancelled
	}
	if perr := r.cfg.Store.PutBatch(run); perr != nil && err == nil {
		err = perr
	}
	return err
}
