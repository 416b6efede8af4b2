package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/tools"
)

// The MCP servers whose tools models may use (issue 17). Their secrets
// (--env K=V, --header K:V) go to the keychain under tools.SecretKey's
// names; the history keeps the names only. Where no keychain is available
// add refuses such values and says to use --env K, which passes K on from
// deskchat's own environment when the server starts.

func toolsCmd(c *cmdEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tools",
		Short: "the MCP servers whose tools models may use",
		RunE:  group("tools", "add, list or remove"),
	}
	cmd.AddCommand(toolsAddCmd(c), toolsListCmd(c), toolsRemoveCmd(c))
	return cmd
}

type toolsAddFlags struct {
	command, url string
	env, header  []string
}

func toolsAddCmd(c *cmdEnv) *cobra.Command {
	var f toolsAddFlags
	cmd := &cobra.Command{
		Use:   `add NAME --command "CMD ARGS" [--env K=V]... | --url URL [--header K:V]...`,
		Short: "add an MCP server: a command started over stdio, or a streamable HTTP URL",
		RunE:  func(_ *cobra.Command, args []string) error { return toolsAdd(c, f, args) },
	}
	cmd.Flags().StringVar(&f.command, "command", "", `the server's command and arguments, as a shell would split them ("npx -y some-server /tmp")`)
	cmd.Flags().StringArrayVar(&f.env, "env", nil, "K=V: a variable for the server, its value kept in the keychain; K alone: passed on from deskchat's environment")
	cmd.Flags().StringVar(&f.url, "url", "", "the server's streamable HTTP endpoint")
	cmd.Flags().StringArrayVar(&f.header, "header", nil, "K:V: an HTTP header sent to the server, its value kept in the keychain")
	return cmd
}

var (
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// toolsAdd checks the flags, stores the secrets in the keychain, then the
// record; nothing is stored when something is refused.
func toolsAdd(c *cmdEnv, f toolsAddFlags, args []string) error {
	ts, secretValues, err := toolServerFromFlags(f, args)
	if err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	if _, err := st.ToolServer(ts.Name); err == nil {
		return cmdLinef("a tool server called %s already exists: remove it first (deskchat tools remove %s)", ts.Name, ts.Name)
	}
	if len(secretValues) > 0 {
		if err := secrets.Probe(c.keyring()); err != nil {
			how := "use --env K without a value, and the server gets K from deskchat's own environment when it starts"
			if len(ts.Header) > 0 {
				how = "headers cannot be kept anywhere else; reach the server without them, or from a session with a keychain"
			}
			return cmdLinef("no keychain is available in this session, so %s's secrets cannot be stored: %s", ts.Name, how)
		}
	}
	var saved []string
	undo := func() {
		for _, k := range saved {
			secrets.Delete(c.keyring(), k)
		}
	}
	for _, k := range slices.Sorted(mapKeys(secretValues)) {
		if err := secrets.Save(c.keyring(), k, secretValues[k]); err != nil {
			undo()
			return err
		}
		saved = append(saved, k)
	}
	if err := st.PutToolServer(ts); err != nil {
		undo()
		return err
	}
	fmt.Fprintf(c.Stderr, "Added tool server %s; it starts when a chat first uses it. See its tools with: deskchat tools list\n", ts.Name)
	return nil
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// toolServerFromFlags is the record add stores and the secrets it puts in
// the keychain (by SecretKey), or a sentence saying what is wrong.
func toolServerFromFlags(f toolsAddFlags, args []string) (store.ToolServer, map[string]string, error) {
	if len(args) != 1 {
		return store.ToolServer{}, nil, cmdLinef(`tools add needs one NAME, then --command "CMD ARGS" or --url URL`)
	}
	name := strings.TrimSpace(args[0])
	switch {
	case name == "" || name == "all":
		return store.ToolServer{}, nil, cmdLinef("%q cannot name a tool server (ask --tools all means every server)", name)
	case strings.ContainsAny(name, ",:") || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }):
		return store.ToolServer{}, nil, cmdLinef("a tool server's name may not hold a comma, a colon or a control character: %q", name)
	case (f.command == "") == (f.url == ""):
		return store.ToolServer{}, nil, cmdLinef(`tools add needs either --command "CMD ARGS" (a server over stdio) or --url URL (streamable HTTP), not both`)
	case f.url != "" && len(f.env) > 0:
		return store.ToolServer{}, nil, cmdLinef("--env is for servers started with --command; an HTTP server takes --header")
	case f.command != "" && len(f.header) > 0:
		return store.ToolServer{}, nil, cmdLinef("--header is for servers reached with --url; a command takes --env")
	}
	ts := store.ToolServer{Name: name}
	values := map[string]string{}
	if f.url != "" {
		u, err := url.Parse(f.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return ts, nil, cmdLinef("--url takes an http:// or https:// address, not %q", f.url)
		}
		ts.URL = f.url
		for _, h := range f.header {
			k, v, ok := strings.Cut(h, ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || !headerName.MatchString(k) || v == "" {
				return ts, nil, cmdLinef("--header takes NAME:VALUE, like \"Authorization: Bearer …\"; %q is not one", redactValue(h, ":"))
			}
			ts.Header = append(ts.Header, k)
			values[tools.SecretKey(name, "header", k)] = v
		}
		return ts, values, nil
	}
	words, err := splitCommand(f.command)
	if err != nil {
		return ts, nil, err
	}
	ts.Command, ts.Args = words[0], words[1:]
	for _, e := range f.env {
		k, v, hasValue := strings.Cut(e, "=")
		if !envName.MatchString(k) {
			return ts, nil, cmdLinef("--env takes K=V or K, K a variable name; %q is not one", redactValue(e, "="))
		}
		if !hasValue {
			ts.EnvFromProcess = append(ts.EnvFromProcess, k)
			continue
		}
		ts.Env = append(ts.Env, k)
		values[tools.SecretKey(name, "env", k)] = v
	}
	return ts, values, nil
}

// redactValue is s without what follows sep: a refused flag's sentence
// must not print a secret.
func redactValue(s, sep string) string {
	if k, _, ok := strings.Cut(s, sep); ok {
		return k + sep + "…"
	}
	return s
}

// splitCommand splits s into words as a shell would for plain words,
// 'single' and "double" quotes and backslashes; nothing is expanded.
func splitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, cmdLinef("--command has an unclosed quote or a trailing backslash: %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, cmdLinef(`--command needs a command, like --command "npx -y @modelcontextprotocol/server-everything"`)
	}
	return words, nil
}

func toolsListCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "the MCP servers, their state and their tools (starts each server to ask it)",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return toolsList(c, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// listTimeout bounds how long tools list waits for the servers to start
// and list their tools.
const listTimeout = 30 * time.Second

// toolServerEntry is one server as tools list prints it; never a secret.
type toolServerEntry struct {
	store.ToolServer
	State    tools.Status `json:"state"`
	Sentence string       `json:"sentence,omitempty"`
	Stderr   string       `json:"stderr,omitempty"`
	Tools    []toolEntry  `json:"tools"`
}

type toolEntry struct {
	Name        string `json:"name"`
	Function    string `json:"function"` // the name models see
	Description string `json:"description,omitempty"`
	Enabled     bool   `json:"enabled"`
}

func toolsList(c *cmdEnv, asJSON bool) error {
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	list, err := st.ToolServers()
	if err != nil {
		return err
	}
	m := tools.New(list, tools.Options{Secret: tools.Keychain(c.keyring()), Getenv: c.Getenv, StartTimeout: listTimeout - 5*time.Second})
	defer m.Close()
	ctx, cancel := context.WithTimeout(c.Context, listTimeout)
	defer cancel()
	m.Tools(ctx, []string{"all"}) // each server's failure is in its State
	if err := c.Context.Err(); err != nil {
		return err
	}
	entries := make([]toolServerEntry, 0, len(list))
	for _, ts := range list {
		entries = append(entries, toolsEntry(ts, m.State(ts.Name)))
	}
	if asJSON {
		return writeJSON(c.Stdout, entries)
	}
	return printTools(c, entries)
}

func toolsEntry(ts store.ToolServer, s tools.State) toolServerEntry {
	e := toolServerEntry{ToolServer: ts, State: s.Status, Sentence: s.Sentence, Tools: []toolEntry{}}
	if s.Status == tools.Failed {
		e.Stderr = s.Stderr
	}
	for _, ti := range s.Tools {
		e.Tools = append(e.Tools, toolEntry{Name: ti.Name, Function: tools.FunctionName(ti.Server, ti.Name),
			Description: ti.Description, Enabled: !slices.Contains(ts.Disabled, ti.Name)})
	}
	return e
}

func printTools(c *cmdEnv, entries []toolServerEntry) error {
	if len(entries) == 0 {
		fmt.Fprintln(c.Stderr, `No tool servers yet. Add one with: deskchat tools add NAME --command "CMD ARGS" | --url URL`)
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	for i, e := range entries {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		where := e.URL
		if where == "" {
			where = strings.Join(append([]string{e.Command}, e.Args...), " ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.State, where)
		if e.Sentence != "" {
			fmt.Fprintf(tw, "  %s\t\t\n", e.Sentence)
		}
		for _, t := range e.Tools {
			name := t.Name
			if !t.Enabled {
				name += " (off)"
			}
			fmt.Fprintf(tw, "  %s\t%s\t\n", name, firstLineOf(t.Description))
		}
	}
	return tw.Flush()
}

func firstLineOf(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > 100 {
		s = string(r[:99]) + "…"
	}
	return s
}

func toolsRemoveCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "remove an MCP server (and its secrets in the keychain)",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("tools remove needs one NAME")
			}
			return toolsRemove(c, args[0])
		},
	}
}

func toolsRemove(c *cmdEnv, name string) error {
	if err := c.requireDir(); err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	ts, err := st.ToolServer(name)
	if err != nil {
		return err
	}
	if err := st.DeleteToolServer(name); err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "Removed tool server %s.\n", name)
	var keys []string
	for _, k := range ts.Env {
		keys = append(keys, tools.SecretKey(name, "env", k))
	}
	for _, k := range ts.Header {
		keys = append(keys, tools.SecretKey(name, "header", k))
	}
	var failed []error
	for _, k := range keys {
		if err := secrets.Delete(c.keyring(), k); err != nil {
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(c.Stderr, "Its secrets could not all be removed from the keychain: %s\n", errors.Join(failed...))
	}
	return nil
}
