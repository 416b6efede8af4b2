package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/tools"
)

// errNoToolServers is ask --tools when the history names no tool server.
var errNoToolServers = errors.New(`No tool servers are set up: add one with "deskchat tools add NAME --command CMD" or "--url URL" first.`)

// toolServers parses --tools: server names separated by commas, or "all".
func toolServers(flag string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(flag, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, cmdLinef("--tools needs the names of tool servers, like --tools files,web, or --tools all")
	}
	for _, n := range out {
		if n == "all" {
			if len(out) > 1 {
				return nil, cmdLinef("--tools all stands alone: it offers every server's tools")
			}
		}
	}
	return out, nil
}

// askTools sets opts up to offer the tools of --tools, deciding calls as
// approver says. It returns the toolbox to close once the answer ends.
func askTools(c *cmdEnv, f askFlags, st *store.Store, opts *engine.SendOptions) (io.Closer, error) {
	if f.tools == "" {
		return nil, nil
	}
	toolbox := c.Toolbox
	if toolbox == nil {
		toolbox = c.historyToolbox
	}
	tb := toolbox(st)
	if tb == nil {
		return nil, errNoToolServers
	}
	c.EngineOptions.Toolbox = tb
	opts.Tools = f.servers
	opts.Approve = approver(f.yes, c.Stdin, c.Stderr, isTerminal(c.Stdin))
	closer, _ := tb.(io.Closer)
	return closer, nil
}

// isTerminal reports whether r is a terminal deskchat can ask on.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// approver returns how "deskchat ask" decides a tool call: with --yes every
// call runs; on a terminal the user is asked ("Allow? [y/N/a(lways)]", on
// errw, the answer read from in); with neither, nothing runs and errw says
// why, once per tool.
func approver(yes bool, in io.Reader, errw io.Writer, terminal bool) func(context.Context, engine.ToolRequest) engine.ToolDecision {
	if yes {
		return func(context.Context, engine.ToolRequest) engine.ToolDecision { return engine.AllowToolOnce }
	}
	if !terminal {
		var mu sync.Mutex
		told := map[string]bool{}
		return func(_ context.Context, r engine.ToolRequest) engine.ToolDecision {
			mu.Lock()
			defer mu.Unlock()
			if name := r.Server + "/" + r.Tool; !told[name] {
				told[name] = true
				fmt.Fprintf(errw, "%s did not run: there is no terminal to ask whether it may, and --yes was not given. Add --yes to let the tools run without asking.\n", name)
			}
			return engine.DenyTool
		}
	}
	lines := make(chan string)
	var start sync.Once
	var mu sync.Mutex // one question at a time
	return func(ctx context.Context, r engine.ToolRequest) engine.ToolDecision {
		mu.Lock()
		defer mu.Unlock()
		// One reader for the whole ask: a question left unanswered by a
		// stop does not lose the next line.
		start.Do(func() {
			go func() {
				sc := bufio.NewScanner(in)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
		})
		fmt.Fprintf(errw, "The assistant wants to run %s/%s with %s. Allow? [y/N/a(lways)] ", r.Server, r.Tool, shortArgs(string(r.Arguments)))
		select {
		case line, ok := <-lines:
			if !ok {
				fmt.Fprintln(errw)
				return engine.DenyTool
			}
			switch strings.ToLower(strings.TrimSpace(line)) {
			case "y", "yes":
				return engine.AllowToolOnce
			case "a", "always":
				return engine.AllowToolAlways
			}
			return engine.DenyTool
		case <-ctx.Done():
			fmt.Fprintln(errw)
			return engine.DenyTool
		}
	}
}

// shortArgs is a call's arguments as the question shows them: on one
// line, at most 300 characters.
func shortArgs(args string) string {
	s := strings.Join(strings.Fields(args), " ")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:300]) + "…"
	}
	if s == "" {
		s = "{}"
	}
	return s
}

// toolLine is the stderr line for a tool event, "" for others.
func toolLine(ev engine.Event) string {
	switch ev := ev.(type) {
	case engine.ToolsOffered:
		return ev.Note
	case engine.ToolRunning:
		return fmt.Sprintf("running %s/%s…", ev.Server, ev.Tool)
	case engine.ToolRan:
		u := ev.Use
		name := u.Server + "/" + u.Tool
		if u.Server == "" {
			name = u.Name
		}
		switch {
		case u.Declined:
			return fmt.Sprintf("tool %s declined", name)
		case u.IsError:
			return fmt.Sprintf("tool %s failed: %s", name, headline(u.Result))
		}
		return fmt.Sprintf("used %s · %d ms", name, u.Took.Milliseconds())
	}
	return ""
}

func headline(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// toolUseLine is how "show" lists a call an answer made.
func toolUseLine(u store.ToolUse) string {
	name := u.Server + "/" + u.Tool
	if u.Server == "" {
		name = u.Name
	}
	switch {
	case u.Declined:
		return fmt.Sprintf("[declined: %s with %s]", name, shortArgs(u.Arguments))
	case u.Pending:
		return fmt.Sprintf("[did not finish: %s with %s]", name, shortArgs(u.Arguments))
	case u.IsError:
		return fmt.Sprintf("[used %s with %s · %d ms: failed: %s]", name, shortArgs(u.Arguments), u.TookMs, headline(u.Result))
	}
	return fmt.Sprintf("[used %s with %s · %d ms: %s]", name, shortArgs(u.Arguments), u.TookMs, headline(u.Result))
}

// historyToolbox runs the tool servers the history names (deskchat tools
// add), their secrets read from the keychain; nil when there are none.
func (c *cmdEnv) historyToolbox(st *store.Store) engine.Toolbox {
	list, err := st.ToolServers()
	if err != nil || len(list) == 0 {
		return nil
	}
	return tools.New(list, tools.Options{Secret: tools.Keychain(c.keyring()), Getenv: c.Getenv,
		Remember: tools.Remembering(st)})
}
