package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// "deskchat batch run --mode provider": the rows through OpenAI's Batch
// API (package batch's RunProvider), its progress on stderr and its part
// in "batch show".

// modeOf is a run's mode; records made before modes are engine runs.
func modeOf(r store.BatchRun) string {
	if r.Mode == "" {
		return store.ModeEngine
	}
	return r.Mode
}

// atProvider is how many requests of r were sent in parts not collected
// yet: those rows are the provider's until they are.
func atProvider(r store.BatchRun) int {
	n := 0
	for _, p := range r.Parts {
		if !p.Collected {
			n += p.Requests
		}
	}
	return n
}

// batchMode is the mode the run f goes in, and how many of its requests
// are at the provider: a stored run with parts there goes on in provider
// mode (polling them, not sending them again); otherwise the mode asked
// for (resume: the stored run's).
func batchMode(st *store.Store, f batchFlags) (string, int, error) {
	run, err := st.Batch(f.name)
	if errors.Is(err, store.ErrNotFound) {
		return f.mode, 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	held := atProvider(run)
	if held == 0 {
		return f.mode, 0, nil
	}
	if f.modeSet && f.mode == store.ModeEngine {
		return "", 0, cmdLinef("the batch run %q has requests at the provider still: \"deskchat batch resume %s\" collects them first", f.name, f.name)
	}
	return store.ModeProvider, held, nil
}

// stoppedError is a stop's sentence; it wraps the context's error (exit
// 130).
type stoppedError struct {
	msg string
	err error
}

func (e *stoppedError) Error() string { return e.msg }
func (e *stoppedError) Unwrap() error { return e.err }

// runProviderBatch runs the batch through the provider's Batch API, the
// plan made and its cost accepted.
func runProviderBatch(c *cmdEnv, st *store.Store, f batchFlags, input string, tmpl batch.Template, target store.Provider, model string, maxTokens, rows int) error {
	key, err := c.engine(st).APIKey(c.Context, target)
	if err != nil {
		return err
	}
	out, closeOut, err := batchOutput(c, f.out)
	if err != nil {
		return err
	}
	run := store.BatchRun{Name: f.name, Input: input, Template: f.template, System: f.system, Provider: target.Name,
		Model: model, Concurrency: f.concurrency, MaxTokens: f.maxTokens, Rows: rows, Mode: store.ModeProvider}
	progress := &providerProgress{w: c.Stderr, terminal: writesToTerminal(c.Stderr), provider: target.Name}
	stats, err := batch.RunProvider(c.Context, batch.ProviderConfig{Store: st, Run: run, Template: tmpl, Provider: target,
		Key: key, MaxTokens: maxTokens, Out: out, Progress: progress.update})
	progress.end()
	if cerr := closeOut(); cerr != nil && err == nil {
		err = cerr
	}
	switch {
	case errors.Is(err, batch.ErrAtProvider):
		return &stoppedError{msg: fmt.Sprintf("Stopped waiting: the provider keeps working on it; \"deskchat batch resume %s\" checks again.", f.name), err: c.Context.Err()}
	case err != nil && c.Context.Err() != nil:
		return &stoppedError{msg: fmt.Sprintf("Stopped before the rows were at the provider; \"deskchat batch resume %s\" goes on.", f.name), err: c.Context.Err()}
	case err != nil:
		return batchInputError(err)
	}
	fmt.Fprintf(c.Stderr, "%s answered, %d failed; the run has cost %s.\n", format.Count(stats.Done, "row", "rows"), stats.Failed, format.Cost(stats.Cost))
	return nil
}

// providerProgress reports the provider's counts on stderr: on a
// terminal one line redrawn, otherwise a line each time they change.
type providerProgress struct {
	w        io.Writer
	terminal bool
	provider string
	last     string
	drawn    bool
}

func (p *providerProgress) update(pr batch.ProviderProgress) {
	line := fmt.Sprintf("%s: %s of %s requests answered, %d failed (%s)", p.provider, format.Number(int64(pr.Completed)),
		format.Number(int64(pr.Requests)), pr.Failed, statusWords(pr.Status))
	if pr.Parts > 1 {
		line += fmt.Sprintf(", %d of %d parts waiting", pr.Waiting, pr.Parts)
	}
	if line == p.last {
		return
	}
	p.last = line
	if p.terminal {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *providerProgress) end() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// statusWords says a batch's status in words.
func statusWords(status string) string {
	switch status {
	case "uploaded":
		return "uploaded, no batch yet"
	case "validating":
		return "the provider is checking the requests"
	case "in_progress":
		return "in progress"
	case "finalizing":
		return "the provider is writing the answers"
	case "completed":
		return "answered"
	case "cancelling":
		return "being cancelled"
	case "refused":
		return "refused by the provider"
	case "":
		return "not sent"
	}
	return status // failed, expired, cancelled
}

// showParts prints a provider run's mode and each part's remote state.
func showParts(w io.Writer, r store.BatchRun) {
	fmt.Fprintln(w, "Mode:     provider (OpenAI's Batch API, half the price, within 24 h)")
	for _, p := range r.Parts {
		state := statusWords(p.Status)
		if p.Collected {
			state += ", answers stored"
		}
		id := p.BatchID
		if id == "" {
			id = p.FileID
		}
		fmt.Fprintf(w, "Part %d:   rows %d–%d, %s: %s; %s of %s answered, %d failed\n", p.N, p.From+1, p.To+1, id, state,
			format.Number(int64(p.Completed)), format.Number(int64(p.Requests)), p.Failed)
	}
}
