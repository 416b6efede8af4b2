package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/remote"
	"github.com/deskchat/deskchat/store"
)

// While the window is open it holds the history file, so a command line
// started beside it sends its command to the window (package remote),
// which runs it with the same code, on its own history and engine: one
// queue, one set of limits, one cache, one breaker. beforeRun is the
// command line's side, Handler the window's.

// Shared is what the open window lends the commands it runs for the
// command line.
type Shared struct {
	DataDir string
	Store   *store.Store
	Engine  *engine.Engine
	// Keys is the window's key resolver (its keychain); nil: the
	// system's keychain.
	Keys *secrets.Resolver
	// Tools is the window's tool manager; nil: no tool servers. The
	// window closes it, never a command.
	Tools engine.Toolbox
	// Changed is called after a command that may have changed the
	// history has ended (the window reloads its list); nil: nothing.
	Changed func()

	mu sync.Mutex
	// envs are the environments of the commands running, newest last
	// (Getenv).
	envs []*func(string) string
}

// Getenv is the window's environment, then that of the commands running
// for the command line, newest first: the window's key resolver reads
// variables with it, so that "deskchat ask" finds a key set only in the
// shell it was typed in (the engine reads keys without knowing which
// command asks). The window's own variables come first: a command line
// never overrides them (while it runs, it may fill in one the window
// lacks, for any request: the same user's key either way).
func (sh *Shared) Getenv(name string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for i := len(sh.envs) - 1; i >= 0; i-- {
		if v := (*sh.envs[i])(name); v != "" {
			return v
		}
	}
	return ""
}

// lend adds getenv to Getenv's until the returned func is called.
func (sh *Shared) lend(getenv func(string) string) (end func()) {
	p := &getenv
	sh.mu.Lock()
	sh.envs = append(sh.envs, p)
	sh.mu.Unlock()
	return func() {
		sh.mu.Lock()
		defer sh.mu.Unlock()
		for i, q := range sh.envs {
			if q == p {
				sh.envs = append(sh.envs[:i], sh.envs[i+1:]...)
				return
			}
		}
	}
}

// Handler runs the commands the window receives on its socket: Main with
// the window's history, engine and tools, and the command line's
// arguments, folder, environment and streams.
func Handler(sh *Shared) remote.Handler {
	return func(ctx context.Context, req remote.Request, s remote.Streams) int {
		getenv := lookupIn(req.Env)
		defer sh.lend(getenv)()
		env := Env{Stdin: s.Stdin, Stdout: s.Stdout, Stderr: s.Stderr, Getenv: getenv,
			Context: ctx, Shared: sh, Dir: req.Dir}
		env.EngineOptions.Keys = sh.Keys
		env.Toolbox = func(*store.Store) engine.Toolbox {
			if sh.Tools == nil {
				return nil
			}
			return lentToolbox{sh.Tools}
		}
		code, ce := runMain(req.Args, env)
		if ce.opened && !ce.readOnly {
			if strings.HasPrefix(ce.ran, "deskchat tools ") {
				sh.syncTools()
			}
			if sh.Changed != nil {
				sh.Changed()
			}
		}
		return code
	}
}

// toolRegistry is the part of the window's tool manager (tools.Manager)
// that "tools add" and "tools remove" change.
type toolRegistry interface {
	Set(store.ToolServer)
	Remove(name string)
	Servers() []string
}

// syncTools gives the window's tool manager the servers the history names
// now, after "tools add" or "tools remove" ran for the command line (the
// servers start again, as they are, on next use).
func (sh *Shared) syncTools() {
	m, ok := sh.Tools.(toolRegistry)
	if !ok {
		return
	}
	list, err := sh.Store.ToolServers()
	if err != nil {
		return // the command said what failed; the window keeps what it had
	}
	named := map[string]bool{}
	for _, ts := range list {
		named[ts.Name] = true
		m.Set(ts)
	}
	for _, n := range m.Servers() {
		if !named[n] {
			m.Remove(n)
		}
	}
}

// lentToolbox is the window's toolbox without its Close: "ask --tools"
// closes the toolbox it was given when the answer ends.
type lentToolbox struct{ engine.Toolbox }

// lookupIn returns a Getenv over env ("NAME=value" lines).
func lookupIn(env []string) func(string) string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(name string) string { return m[name] }
}

// engine is the engine a command sends with: the window's, else one of
// its own.
func (c *cmdEnv) engine(st *store.Store) *engine.Engine {
	if c.Shared != nil {
		return c.Shared.Engine
	}
	return engine.New(st, c.EngineOptions)
}

// path resolves a path the user gave in the folder the command was typed
// in (Env.Dir); "-" (stdin, stdout) stays as it is.
func (c *cmdEnv) path(p string) string {
	if c.Dir == "" || p == "" || p == "-" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// errForwarded ends a command the window ran; its exit code is c.exit.
var errForwarded = errors.New("run by the window")

// beforeRun runs once the command line is parsed, before the command. On
// the command line, with a window serving the history, it runs the
// command there (the root command: brings the window forward); in the
// window, it refuses the commands that need the history file alone.
func (c *cmdEnv) beforeRun(cmd *cobra.Command) error {
	if c.Shared != nil {
		c.ran = cmd.CommandPath()
		c.dataDir = c.Shared.DataDir // the window's, whatever its environment says
		if s := alone(cmd); s != "" {
			return errors.New(s)
		}
		return nil
	}
	if !c.Forward || runsHere(cmd) || (!cmd.HasParent() && c.GUI == nil) {
		return nil
	}
	named := c.dataDir
	if cmd.DisableFlagParsing { // cobra's __complete: the words as typed
		named = dataDirIn(c.args)
	}
	dir, err := store.DefaultDir(named)
	if err != nil {
		return nil // the command says so, if it needs the folder
	}
	conn, err := remote.Dial(dir)
	if errors.Is(err, remote.ErrNoWindow) {
		return nil
	}
	if err != nil {
		return remoteSentence(err)
	}
	if !cmd.HasParent() {
		// A second "deskchat": the window comes forward.
		if err := conn.Activate(); err != nil {
			return remoteSentence(err)
		}
		return errForwarded
	}
	if s := alone(cmd); s != "" {
		conn.Close()
		return errors.New(s)
	}
	code, err := conn.Run(c.request(), c.clientIO())
	if err != nil {
		return remoteSentence(err)
	}
	c.exit = code
	return errForwarded
}

// dataDirIn is the value of --data-dir among args, "" without one.
func dataDirIn(args []string) string {
	dir := ""
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--data-dir="); ok {
			dir = v
		} else if a == "--data-dir" && i+1 < len(args) {
			dir = args[i+1]
		}
	}
	return dir
}

// runsHere reports whether cmd never needs the history: help and the
// completion scripts run in the command line, window or not.
func runsHere(cmd *cobra.Command) bool {
	for p := cmd; p != nil; p = p.Parent() {
		if p.Name() == "completion" || p.Name() == "help" {
			return true
		}
	}
	return false
}

// alone is the sentence refusing a command that needs the history file to
// itself while the window is open, "" for the others.
func alone(cmd *cobra.Command) string {
	switch cmd.CommandPath() {
	case "deskchat recover", "deskchat backups restore", "deskchat check":
		return fmt.Sprintf("%s needs the history file to itself: close the deskchat window, then run it again.", cmd.CommandPath())
	}
	return ""
}

// remoteSentence is the one line for a failure to run through the window.
func remoteSentence(err error) error {
	var re *remote.Error
	if errors.As(err, &re) {
		return err
	}
	return fmt.Errorf("The open deskchat window could not run the command (%v); close the window to run it alone.", err)
}

// request is the command as the window receives it.
func (c *cmdEnv) request() remote.Request {
	dir := c.Dir
	if dir == "" {
		dir, _ = os.Getwd()
	}
	return remote.Request{Args: c.args, Dir: dir, Env: os.Environ(),
		StdinTerminal: isTerminal(c.Stdin), StdinPiped: piped(c.Stdin),
		StdoutTerminal: writesToTerminal(c.Stdout), StderrTerminal: writesToTerminal(c.Stderr)}
}

// clientIO relays the command line's streams; Ctrl-C (the context's end)
// stops the command in the window.
func (c *cmdEnv) clientIO() remote.IO {
	cio := remote.IO{Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr, Cancel: c.Context.Done()}
	if f, ok := c.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		cio.ReadPassword = func() ([]byte, error) { return term.ReadPassword(int(f.Fd())) }
	}
	return cio
}

func writesToTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// clientStdin is the command line's stdin as the window reads it
// (*remote.Stdin): it says what it is, and reads a line without echo.
type clientStdin interface {
	IsTerminal() bool
	IsPiped() bool
	ReadPassword() ([]byte, error)
}

// paths is path of each of ps.
func (c *cmdEnv) paths(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = c.path(p)
	}
	return out
}

// announce tells the window, when the command runs in it, that a question
// was just stored (ask's Started): its chat shows in the window's list at
// once, not only when the answer has ended.
func (c *cmdEnv) announce() {
	if c.Shared != nil && c.Shared.Changed != nil {
		c.Shared.Changed()
	}
}
