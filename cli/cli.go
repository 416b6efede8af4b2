// Package cli implements deskchat's subcommands. It runs the same engine and
// store as the GUI, headless, for scripts and tests. It never imports Fyne:
// the GUI is started through the callback given to Main.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // provider, engine or store failure
	ExitUsage   = 2 // bad command line ("usage error", as the CLI contract and sysexits say)
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
	// Toolbox gives "ask --tools" the MCP servers' tools of the history
	// in st; nil: package tools runs the servers the history names (tests
	// set fakes). A toolbox that is an io.Closer is closed when the answer
	// ends.
	Toolbox func(st *store.Store) engine.Toolbox
	// Version and Commit are what the build stamped into the binary
	// (main's -ldflags -X, see the Makefile); empty: read from the Go
	// build information (see version.go).
	Version, Commit string
	// Forward: before a command opens the history, it looks for a window
	// serving that history and runs there (package remote; see
	// shared.go). main sets it; tests of the commands themselves do not.
	Forward bool
	// Shared, when set, is the open window's: the command came through
	// its socket and runs on its history, engine and tools (Handler).
	Shared *Shared
	// Dir is the folder relative paths are resolved in (the command
	// line's, for a command run by the window); "": the process's.
	Dir string
}

// cmdLineError is a command-line mistake: exit code 2.
type cmdLineError struct {
	msg string
	// withSynopsis: the command's synopsis (its "Usage:" lines) follows
	// the sentence (an unknown command or flag, where the synopsis shows
	// what there is).
	withSynopsis bool
}

func (e cmdLineError) Error() string { return e.msg }

func cmdLinef(format string, a ...any) error { return cmdLineError{msg: fmt.Sprintf(format, a...)} }

// Main runs deskchat with args (without the program name) and returns the
// exit code.
func Main(args []string, env Env) int {
	code, _ := runMain(args, env)
	return code
}

// runMain is Main; it also returns the command's environment, which says
// whether the command wrote to the history.
func runMain(args []string, env Env) (int, *cmdEnv) {
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
	if args == nil {
		args = []string{} // nil makes cobra read os.Args
	}

	ce := &cmdEnv{Env: env, args: args}
	defer ce.close()
	root := newRoot(ce)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(env.Context)
	if err == nil || errors.Is(err, errForwarded) {
		return ce.exit, ce
	}
	name := "deskchat"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	var ue cmdLineError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "%s: %v\n", name, ue.msg)
		if ue.withSynopsis && cmd != nil {
			fmt.Fprint(env.Stderr, synopsisOf(cmd))
		}
		return ExitUsage, ce
	case errors.Is(err, errStopped):
		fmt.Fprintln(env.Stderr, "Stopped; the partial answer is saved.")
		return ExitStopped, ce
	case errors.Is(err, store.ErrNoHistory) && (cmd == nil || cmd.Name() != "show"):
		// A read before the first question: nothing to show, not a
		// failure.
		fmt.Fprintln(env.Stderr, sentence(err))
		return ExitOK, ce
	case errors.Is(err, context.Canceled) && env.Context.Err() != nil:
		// Interrupted (export, import): the command's own sentence says
		// what was kept.
		fmt.Fprintln(env.Stderr, sentence(err))
		return ExitStopped, ce
	default:
		fmt.Fprintln(env.Stderr, sentence(err))
		return ExitFailure, ce
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
	// dataDir is the --data-dir flag ("" when not given).
	dataDir string
	// args are the command's arguments as given (sent to the window).
	args []string
	// exit is the code of a command that ends without an error (the GUI's).
	exit int
	st   *store.Store
	// readOnly: the command only reads, so store opens the history
	// read-only (it works on read-only media and never writes).
	readOnly bool
	// opened: the command asked for the history (store).
	opened bool
	// ran is the command's path ("deskchat tools add"), in the window.
	ran string
}

func (c *cmdEnv) store() (*store.Store, error) {
	c.opened = true
	if c.Shared != nil {
		return c.Shared.Store, nil // the window's, which it closes
	}
	if c.st != nil {
		return c.st, nil
	}
	dir, err := store.DefaultDir(c.dataDir)
	if err != nil {
		return nil, err
	}
	open := store.Open
	created := false
	if c.readOnly {
		if err := c.requireDir(); err != nil {
			return nil, err
		}
		open = store.OpenReadOnly
	} else {
		_, serr := os.Stat(dir)
		created = errors.Is(serr, os.ErrNotExist)
	}
	st, err := open(dir)
	if c.readOnly && errors.Is(err, store.ErrNeedsUpgrade) {
		// A history from an older deskchat: a reading command upgrades
		// it (once, as the window or any writing command would) rather
		// than refuse the first command typed after an update. Where the
		// file cannot be written (read-only media) the refusal stands.
		if up, uerr := store.Open(dir); uerr == nil {
			fmt.Fprintf(c.Stderr, "Upgraded the history file in %s for this version of deskchat.\n", dir)
			st, err = up, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if created {
		fmt.Fprintf(c.Stderr, "Created %s for the history.\n", dir)
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
