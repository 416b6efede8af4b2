package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// batchFlags are the flags of "deskchat batch run" and "batch resume".
type batchFlags struct {
	template, provider, baseURL, model, keyEnv, system, out, name string
	// mode is batch.ModeEngine or ModeProvider; modeSet: given on the
	// command line.
	mode                             string
	modeSet                          bool
	rpm, tpm, concurrency, maxTokens int
	maxCost                          float64
	yes, noCache                     bool
}

func batchCmd(c *cmdEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "batch run|resume|list|show|export",
		Short: "one prompt template over every row of a CSV or JSONL file",
		Args:  cobra.ArbitraryArgs,
		RunE:  group("batch", "run, resume, list, show or export"),
	}
	cmd.AddCommand(batchRunCmd(c), batchResumeCmd(c), batchListCmd(c), batchShowCmd(c), batchExportCmd(c))
	return cmd
}

func batchRunCmd(c *cmdEnv) *cobra.Command {
	var f batchFlags
	cmd := &cobra.Command{
		Use:   "run FILE.jsonl|FILE.csv --template 'text with {{field}}' [flags]",
		Short: "ask once per row; run again with the same --name to resume",
		Long: `Ask one request per row of a CSV (header row = field names) or JSONL file (one
object per line), the template filled from the row's fields ({{field}}). Every row
is checked and its prompt counted first; a missing field or a bad row is a sentence
and nothing is sent. Above --max-cost (estimated with the output limit) it asks on a
terminal, or needs --yes. Requests go through the engine's batch lane (a chat is
never queued behind them), the provider's limits, retries, fallback and cache.
Each row is saved as it finishes: run again with the same --name (default: the
file's name) or "batch resume NAME" to skip the rows answered; failed rows are asked
again. Output rows (in input order): the input's fields, answer, state, error,
tokens_in, tokens_out, cost, cached, provider, model; --out FILE.jsonl|.csv, else
JSONL on stdout. Progress goes to stderr.
With --mode provider the rows go through OpenAI's Batch API instead (a stored
provider of kind openai): uploaded in parts, answered by the provider within 24 h at
half the price; Ctrl-C leaves them there, and "batch resume NAME" (or this command
again) checks on them without sending them again.
Exit 0 when every row has a result (failed rows included), 1 on a failure that stops
the run, 2 usage error (or the cost refused), 130 stopped (the finished rows are kept).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("batch run needs one input file (FILE.jsonl or FILE.csv)")
			}
			f.modeSet = cmd.Flags().Changed("mode")
			return runBatch(c, f, c.path(args[0]), false)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.template, "template", "", "the prompt, with {{field}} for the row's fields")
	fs.StringVar(&f.provider, "provider", "", "name of a stored provider (or \""+engine.SimulatorName+"\")")
	fs.StringVar(&f.baseURL, "base-url", "", "OpenAI-compatible base URL to use without a stored provider")
	fs.StringVar(&f.model, "model", "", "model name (default: the provider's model)")
	fs.StringVar(&f.keyEnv, "api-key-env", "", "environment variable holding the API key (with --base-url; default OPENAI_API_KEY)")
	fs.StringVar(&f.system, "system", "", "system prompt for every row")
	fs.StringVar(&f.name, "name", "", "the run's name (default: the input file's name without extension)")
	fs.StringVar(&f.mode, "mode", store.ModeEngine, "engine: row by row through the engine; provider: OpenAI's Batch API (half price, within 24 h)")
	batchLimitFlags(cmd, &f)
	cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{store.ModeEngine, store.ModeProvider}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("provider", c.providerWords(true))
	return cmd
}

// batchLimitFlags are the flags run and resume share.
func batchLimitFlags(cmd *cobra.Command, f *batchFlags) {
	fs := cmd.Flags()
	fs.IntVar(&f.rpm, "rpm", 0, "at most this many requests per minute (0: the provider's limits only)")
	fs.IntVar(&f.tpm, "tpm", 0, "at most this many tokens per minute, prompt and output limit (0: the provider's limits only)")
	fs.IntVar(&f.concurrency, "concurrency", batch.DefaultConcurrency, "rows asked at once")
	fs.IntVar(&f.maxTokens, "max-tokens", 0, fmt.Sprintf("longest answer per row, in tokens (default: the model's limit set for the provider, else %d)", batch.DefaultMaxTokens))
	fs.Float64Var(&f.maxCost, "max-cost", 1, "ask (or need --yes) when the estimate is above this many dollars")
	fs.StringVar(&f.out, "out", "", "write the rows to FILE.jsonl or FILE.csv (default: JSONL on stdout)")
	fs.BoolVar(&f.yes, "yes", false, "run even when the estimate is above --max-cost")
	fs.BoolVar(&f.noCache, "no-cache", false, "neither answer from the response cache nor store answers in it")
}

func batchResumeCmd(c *cmdEnv) *cobra.Command {
	var f batchFlags
	cmd := &cobra.Command{
		Use:   "resume NAME [flags]",
		Short: "go on with a batch run: the rows not answered yet (failed ones again)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("batch resume needs the run's name (see \"deskchat batch list\")")
			}
			st, err := c.store()
			if err != nil {
				return err
			}
			run, err := st.Batch(args[0])
			if err != nil {
				return batchNotFound(err, args[0])
			}
			f.name, f.template, f.system, f.provider, f.model = run.Name, run.Template, run.System, run.Provider, run.Model
			f.mode, f.modeSet = run.Mode, true
			if f.mode == "" {
				f.mode = store.ModeEngine
			}
			if run.BaseURL != "" {
				f.provider, f.baseURL = "", run.BaseURL
			}
			fl := cmd.Flags()
			if !fl.Changed("concurrency") && run.Concurrency > 0 {
				f.concurrency = run.Concurrency
			}
			if !fl.Changed("rpm") {
				f.rpm = run.RPM
			}
			if !fl.Changed("tpm") {
				f.tpm = run.TPM
			}
			if !fl.Changed("max-tokens") {
				f.maxTokens = run.MaxTokens
			}
			return runBatch(c, f, run.Input, true)
		},
	}
	batchLimitFlags(cmd, &f)
	cmd.Flags().StringVar(&f.keyEnv, "api-key-env", "", "environment variable holding the API key (a run made with --base-url; default OPENAI_API_KEY)")
	return cmd
}

func batchNotFound(err error, name string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no batch run called %q; \"deskchat batch list\" shows them", name)
	}
	return err
}

// checkBatchFlags refuses a command line that cannot run.
func checkBatchFlags(f batchFlags) error {
	switch {
	case f.baseURL != "" && f.provider != "":
		return cmdLinef("use either --provider or --base-url, not both")
	case f.baseURL != "" && f.model == "":
		return cmdLinef("--base-url needs --model")
	case f.keyEnv != "" && f.baseURL == "":
		return cmdLinef("--api-key-env goes with --base-url; a stored provider names its key variable with \"providers add --key-env\"")
	case f.concurrency < 1 || f.concurrency > 1024:
		return cmdLinef("--concurrency takes 1 to 1024 rows at once")
	case f.rpm < 0 || f.tpm < 0 || f.maxTokens < 0 || f.maxCost < 0:
		return cmdLinef("--rpm, --tpm, --max-tokens and --max-cost cannot be negative")
	case f.mode != store.ModeEngine && f.mode != store.ModeProvider:
		return cmdLinef("--mode is engine (row by row through the engine) or provider (OpenAI's Batch API)")
	}
	if f.baseURL != "" {
		return checkURL(f.baseURL)
	}
	return nil
}

// runBatch plans, prices and runs the batch of input (resumed: f and
// input are the stored run's).
func runBatch(c *cmdEnv, f batchFlags, input string, resumed bool) error {
	if err := checkBatchFlags(f); err != nil {
		return err
	}
	tmpl, err := batch.ParseTemplate(f.template)
	if err != nil {
		return cmdLinef("%s", err.Error())
	}
	if f.name == "" {
		f.name = strings.TrimSuffix(filepath.Base(input), filepath.Ext(input))
	}
	if abs, err := filepath.Abs(input); err == nil && !resumed {
		input = abs // a resume from another folder finds it
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	if !resumed {
		if err := sameRun(st, f, input); err != nil {
			return err
		}
	}
	held := 0 // requests of this run at the provider already
	if f.mode, held, err = batchMode(st, f); err != nil {
		return err
	}
	spec := batch.Spec{Provider: f.provider, BaseURL: f.baseURL, KeyEnv: f.keyEnv, Model: f.model,
		System: f.system, MaxTokens: f.maxTokens, Concurrency: f.concurrency, NoCache: f.noCache}
	opts, model, err := batch.Options(st, spec)
	if err != nil {
		return err
	}
	var target store.Provider
	if f.mode == store.ModeProvider {
		if target, err = batch.ProviderTarget(st, spec); errors.Is(err, batch.ErrNoBatchAPI) {
			return cmdLinef("%s", engine.UserMessage(err)) // nothing was sent: the command line asked for it
		} else if err != nil {
			return err
		}
	}
	plan, err := batch.MakePlan(c.Context, input, tmpl, f.system, model, opts.MaxTokens, st, f.name)
	if err != nil {
		return batchInputError(err)
	}
	if f.mode == store.ModeProvider {
		plan.Cost *= batch.ProviderPrice
	}
	if held > 0 {
		// Its cost was accepted when it was sent; only the provider's
		// answers are awaited (and rows it failed asked again).
		fmt.Fprintf(c.Stderr, "%s of this run are at %s already; checking on them.\n", format.Count(held, "request", "requests"), target.Name)
	} else if err := confirmCost(c, f, plan, model); err != nil {
		return err
	}
	if f.mode == store.ModeProvider {
		return runProviderBatch(c, st, f, input, tmpl, target, model, opts.MaxTokens, plan.Rows)
	}
	var asker batch.Asker = c.engine(st)
	out, closeOut, err := batchOutput(c, f.out)
	if err != nil {
		return err
	}
	run := store.BatchRun{Name: f.name, Input: input, Template: f.template, System: f.system, Provider: opts.Provider,
		Model: model, Concurrency: f.concurrency, RPM: f.rpm, TPM: f.tpm, MaxTokens: f.maxTokens, Rows: plan.Rows}
	if opts.Endpoint != nil {
		run.Provider, run.BaseURL = "", f.baseURL
	}
	progress := &batch.Progress{W: c.Stderr, Terminal: writesToTerminal(c.Stderr)}
	stats, err := batch.Run(c.Context, batch.Config{Asker: asker, Store: st, Run: run, Template: tmpl, Options: opts,
		Model: model, Out: out, Progress: progress.Update})
	progress.End(stats)
	if cerr := closeOut(); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil && c.Context.Err() != nil {
		return fmt.Errorf("Stopped; the %d finished rows are saved, and \"deskchat batch resume %s\" goes on (%w).", stats.Finished(), f.name, c.Context.Err())
	}
	return batchInputError(err)
}

// sameRun refuses a "batch run" whose name a stored run made with another
// input or template has, rather than mix the two; one of the same resumes.
func sameRun(st *store.Store, f batchFlags, input string) error {
	run, _, same, err := batch.Earlier(st, f.name, input, f.template)
	if err != nil {
		return err
	}
	if !same {
		return cmdLinef("a batch run called %q exists with another input or template (%s, %q): give this one another --name, or resume that one with \"deskchat batch resume %s\"",
			f.name, run.Input, run.Template, f.name)
	}
	return nil
}

// batchInputError makes an input's sentence a usage error (exit 2):
// nothing was sent.
func batchInputError(err error) error {
	var ie *batch.InputError
	if errors.As(err, &ie) {
		return cmdLinef("%s", ie.Sentence)
	}
	return err
}

// confirmCost says what the run may cost and, above --max-cost, asks on a
// terminal or needs --yes; with neither it refuses (exit 2), nothing sent.
func confirmCost(c *cmdEnv, f batchFlags, p batch.Plan, model string) error {
	cost := "price unknown"
	if p.PriceKnown {
		cost = "at most " + format.Cost(p.Cost)
	}
	if f.mode == store.ModeProvider && p.PriceKnown {
		cost += " (OpenAI's Batch API: half the price)"
	}
	fmt.Fprintf(c.Stderr, "%s to ask (%d in the file): %s prompt tokens, up to %s answer tokens with %s: %s.\n",
		format.Count(p.Left, "row", "rows"), p.Rows, format.Number(int64(p.PromptTokens)), format.Number(int64(p.OutputTokens)), model, cost)
	if !p.PriceKnown || p.Cost <= f.maxCost || f.yes || p.Left == 0 {
		return nil
	}
	if !isTerminal(c.Stdin) {
		return cmdLinef("this run may cost up to %s, more than --max-cost %s: run it again with --yes, or raise --max-cost; nothing was sent",
			format.Cost(p.Cost), format.Cost(f.maxCost))
	}
	fmt.Fprintf(c.Stderr, "That is more than %s. Go on? [y/N] ", format.Cost(f.maxCost))
	line, _ := bufio.NewReader(c.Stdin).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
		return cmdLinef("not started; nothing was sent")
	}
	return nil
}

// batchOutput is where the rows go: --out (by its extension), else stdout.
func batchOutput(c *cmdEnv, path string) (batch.Writer, func() error, error) {
	if path == "" || path == "-" {
		return batch.NewWriter(c.Stdout, "jsonl"), func() error { return nil }, nil
	}
	path = c.path(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, nil, fmt.Errorf("cannot write %s: %v", path, err)
	}
	return batch.NewWriter(f, batch.FormatOf(path)), f.Close, nil
}

func batchListCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--json]",
		Short: "the batch runs: state, rows, cost",
		Args:  noArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			c.readOnly = true
			st, err := c.store()
			if err != nil {
				return err
			}
			runs, err := st.Batches()
			if err != nil {
				return err
			}
			if asJSON {
				out := make([]batchJSON, 0, len(runs))
				for _, r := range runs {
					out = append(out, toBatchJSON(r))
				}
				return writeJSON(c.Stdout, out)
			}
			if len(runs) == 0 {
				fmt.Fprintln(c.Stderr, "No batch runs yet; \"deskchat batch run FILE --template ...\" starts one.")
				return nil
			}
			tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSTATE\tDONE\tFAILED\tROWS\tCOST\tUPDATED")
			for _, r := range runs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", r.Name, r.State, r.Done, r.Failed, r.Rows, format.Cost(r.Cost), r.UpdatedAt.Local().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// batchJSON is a run as "batch list --json" and "batch show --json" print
// it.
type batchJSON struct {
	Name        string    `json:"name"`
	State       string    `json:"state"`
	Input       string    `json:"input"`
	Template    string    `json:"template"`
	System      string    `json:"system,omitempty"`
	Provider    string    `json:"provider,omitempty"`
	BaseURL     string    `json:"base_url,omitempty"`
	Model       string    `json:"model,omitempty"`
	Rows        int       `json:"rows"`
	Done        int       `json:"done"`
	Failed      int       `json:"failed"`
	Cost        float64   `json:"cost"`
	Concurrency int       `json:"concurrency"`
	RPM         int       `json:"rpm,omitempty"`
	TPM         int       `json:"tpm,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Mode is engine or provider; Parts a provider run's remote batches.
	Mode  string            `json:"mode"`
	Parts []store.BatchPart `json:"parts,omitempty"`
}

func toBatchJSON(r store.BatchRun) batchJSON {
	return batchJSON{Name: r.Name, State: r.State, Input: r.Input, Template: r.Template, System: r.System, Provider: r.Provider,
		BaseURL: r.BaseURL, Model: r.Model, Rows: r.Rows, Done: r.Done, Failed: r.Failed, Cost: r.Cost,
		Concurrency: r.Concurrency, RPM: r.RPM, TPM: r.TPM, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Mode: modeOf(r), Parts: r.Parts}
}

func batchShowCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME [--json]",
		Short: "one batch run: state, counts, cost, input, template",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("batch show needs the run's name (see \"deskchat batch list\")")
			}
			c.readOnly = true
			st, err := c.store()
			if err != nil {
				return err
			}
			r, err := st.Batch(args[0])
			if err != nil {
				return batchNotFound(err, args[0])
			}
			if asJSON {
				return writeJSON(c.Stdout, toBatchJSON(r))
			}
			who := r.Provider
			if r.BaseURL != "" {
				who = r.BaseURL
			}
			w := c.Stdout
			fmt.Fprintf(w, "Name:     %s\nState:    %s\nRows:     %d done, %d failed, %d left of %d\nCost:     %s\n",
				r.Name, r.State, r.Done, r.Failed, max(r.Rows-r.Done-r.Failed, 0), r.Rows, format.Cost(r.Cost))
			fmt.Fprintf(w, "Input:    %s\nTemplate: %s\n", r.Input, r.Template)
			if r.System != "" {
				fmt.Fprintf(w, "System:   %s\n", r.System)
			}
			fmt.Fprintf(w, "Model:    %s (%s)\n", r.Model, who)
			if modeOf(r) == store.ModeProvider {
				showParts(w, r)
			} else {
				fmt.Fprintf(w, "Mode:     engine (row by row)\nLimits:   %d at once, %d requests/min, %d tokens/min (0: none)\n", r.Concurrency, r.RPM, r.TPM)
			}
			fmt.Fprintf(w, "Created:  %s\nUpdated:  %s\n", r.CreatedAt.Local().Format(time.DateTime), r.UpdatedAt.Local().Format(time.DateTime))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func batchExportCmd(c *cmdEnv) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export NAME --out FILE.jsonl|FILE.csv",
		Short: "a batch run's finished rows, in input order",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("batch export needs the run's name (see \"deskchat batch list\")")
			}
			c.readOnly = true
			st, err := c.store()
			if err != nil {
				return err
			}
			if _, err := st.Batch(args[0]); err != nil {
				return batchNotFound(err, args[0])
			}
			w, closeOut, err := batchOutput(c, out)
			if err != nil {
				return err
			}
			err = batch.Export(st, args[0], w)
			if cerr := closeOut(); err == nil {
				err = cerr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "FILE.jsonl or FILE.csv (by its extension; default: JSONL on stdout)")
	return cmd
}
