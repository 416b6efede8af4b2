// Package cli implements deskchat's subcommands. It runs the same engine and
// store as the GUI, headless, for scripts and tests. It never imports Fyne:
// the GUI is started through the callback given to Main.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"deskchat/engine"
	"deskchat/store"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // provider, engine or store failure
	ExitUsage   = 2 // bad command line
	ExitStopped = 130
)

// Env is what a command runs with. Zero fields get sensible defaults.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Context is cancelled to stop a running command (Ctrl-C).
	Context context.Context
	// GUI opens the window on the given data dir; nil means no GUI.
	GUI func(dataDir string) int
	// Engine options, for tests (e.g. a fast Simulator).
	EngineOptions engine.Options
}

// usageError is a command-line mistake: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

const usageText = `Usage:
  deskchat [--data-dir DIR]                      open the window
  deskchat ask [flags] [PROMPT...]               ask; prompt from args, else stdin
  deskchat list [--json]                         conversations, newest first
  deskchat show ID [--json]                      one conversation's messages
  deskchat search QUERY [--json] [--limit N] [--by newest|relevance]   messages and titles that match
  deskchat providers list [--json]
  deskchat providers add NAME --kind openai|azure|compatible --base-url URL --model M
                    [--key-source keychain|env|command] [--key-env VAR] [--key-command CMD]
  deskchat providers set-key NAME                the key from stdin, into the OS keychain
  deskchat providers remove NAME
  deskchat providers default NAME                provider for new conversations
  deskchat usage [--days N] [--json]             tokens and cost per provider, day and conversation
  deskchat cache stats [--json] | clear          the response cache
  deskchat stats [--json]                        per provider: requests, retries, errors, time to first token, tokens
  deskchat prices [list | set MODEL IN OUT | remove MODEL]   your prices, $ per million tokens
  deskchat export [--format md|json|html] [--conversation ID]... [--out PATH]   default: all, json, stdout
  deskchat import [--from auto|chatgpt|claude|deskchat] FILE   a deskchat, ChatGPT or Claude export (.json or .zip)
  deskchat check                                 find damage in the history file (exit 1 when damaged)
  deskchat recover                               save every readable conversation into a new history
                                                 file; the damaged one is kept as deskchat.db.damaged-TIME
  deskchat backups list [--json] | restore NAME | now   the daily snapshots of the history (in DIR/backups)
Every command takes --data-dir DIR (else $DESKCHAT_DATA_DIR, else ~/.local/share/deskchat).
Run "deskchat COMMAND --help" for a command's flags.
`

// Main runs deskchat with args (without the program name) and returns the
// exit code.
func Main(args []string, env Env) int {
	if env.Stdin == nil {
		env.Stdin = os.Stdin
	}
	if env.Stdout == nil {
		env.Stdout = os.Stdout
	}
	if env.Stderr == nil {
		env.Stderr = os.Stderr
	}
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Context == nil {
		env.Context = context.Background()
	}
	if env.EngineOptions.Getenv == nil {
		env.EngineOptions.Getenv = env.Getenv
	}

	global := flag.NewFlagSet("deskchat", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	dataDir := global.String("data-dir", "", "")
	help := global.Bool("help", false, "")
	if err := global.Parse(args); err != nil {
		fmt.Fprintf(env.Stderr, "deskchat: %v\n%s", err, usageText)
		return ExitUsage
	}
	if *help {
		fmt.Fprint(env.Stdout, usageText)
		return ExitOK
	}
	rest := global.Args()
	if len(rest) == 0 {
		if env.GUI == nil {
			fmt.Fprint(env.Stderr, usageText)
			return ExitUsage
		}
		dir, err := store.DefaultDir(*dataDir)
		if err != nil {
			fmt.Fprintln(env.Stderr, "deskchat: cannot find a folder for the history; use --data-dir.")
			return ExitFailure
		}
		return env.GUI(dir)
	}

	cmds := map[string]func(*cmdEnv, []string) error{
		"ask":       cmdAsk,
		"list":      cmdList,
		"show":      cmdShow,
		"providers": cmdProviders,
		"usage":     cmdUsage,
		"cache":     cmdCache,
		"prices":    cmdPrices,
		"stats":     cmdStats,
		"export":    cmdExport,
		"import":    cmdImport,
		"search":    cmdSearch,
		"backups":   cmdBackups,
		"check":     cmdCheck,
		"recover":   cmdRecover,
	}
	run, ok := cmds[rest[0]]
	if !ok {
		fmt.Fprintf(env.Stderr, "deskchat: unknown command %q\n%s", rest[0], usageText)
		return ExitUsage
	}
	ce := &cmdEnv{Env: env, dataDir: *dataDir, name: rest[0]}
	defer ce.close()
	err := run(ce, rest[1:])
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, new(usageError)):
		fmt.Fprintf(env.Stderr, "deskchat %s: %v\n", rest[0], err)
		return ExitUsage
	case errors.Is(err, errStopped):
		fmt.Fprintln(env.Stderr, "Stopped; the partial answer is saved.")
		return ExitStopped
	case errors.Is(err, store.ErrNoHistory) && rest[0] != "show":
		// A read before the first question: nothing to show, not a
		// failure.
		fmt.Fprintln(env.Stderr, sentence(err))
		return ExitOK
	case errors.Is(err, context.Canceled) && env.Context.Err() != nil:
		// Interrupted (export, import): the command's own sentence says
		// what was kept.
		fmt.Fprintln(env.Stderr, sentence(err))
		return ExitStopped
	default:
		fmt.Fprintln(env.Stderr, sentence(err))
		return ExitFailure
	}
}

var errStopped = errors.New("stopped")

// sentence is the one line a user reads for err.
func sentence(err error) string {
	var pe *engine.ProviderError
	var se *store.Error
	if errors.As(err, &pe) || errors.As(err, &se) {
		return engine.UserMessage(err)
	}
	return err.Error() // the CLI's own errors are written as sentences
}

// cmdEnv carries one command's environment and its lazily opened store.
type cmdEnv struct {
	Env
	dataDir string
	name    string
	st      *store.Store
	// readOnly: the command only reads, so store opens the history
	// read-only (it works on read-only media and never writes).
	readOnly bool
}

// flags returns a FlagSet for the command with --data-dir already defined.
func (c *cmdEnv) flags(usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("deskchat "+c.name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.StringVar(&c.dataDir, "data-dir", c.dataDir, "folder of the history file")
	fs.Usage = func() {
		fmt.Fprintf(c.Stderr, "Usage: deskchat %s %s\n", c.name, usage)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

func (c *cmdEnv) store() (*store.Store, error) {
	if c.st != nil {
		return c.st, nil
	}
	dir, err := store.DefaultDir(c.dataDir)
	if err != nil {
		return nil, err
	}
	open := store.Open
	if c.readOnly {
		open = store.OpenReadOnly
	}
	st, err := open(dir)
	if err != nil {
		return nil, err
	}
	c.st = st
	return st, nil
}

func (c *cmdEnv) close() {
	if c.st != nil {
		c.st.Close()
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
