package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

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

// toolsAdd stores the server the flags describe (tools.Admin.Add);
// nothing is stored when something is refused.
func toolsAdd(c *cmdEnv, f toolsAddFlags, args []string) error {
	if len(args) != 1 {
		return cmdLinef(`tools add needs one NAME, then --command "CMD ARGS" or --url URL`)
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	admin := tools.Admin{Store: st, Keyring: c.keyring()}
	ts, err := admin.Add(tools.Spec{Name: args[0], Command: f.command, Env: f.env, URL: f.url, Header: f.header})
	var invalid *tools.InvalidError
	if errors.As(err, &invalid) {
		return cmdLinef("%s", invalid.Msg)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "Added tool server %s; it starts when a chat first uses it. See its tools with: deskchat tools list\n", ts.Name)
	return nil
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
	r, err := tools.Admin{Store: st, Keyring: c.keyring()}.Remove(name)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "Removed tool server %s.\n", name)
	if r.SecretsLeft != nil {
		fmt.Fprintf(c.Stderr, "Its secrets could not all be removed from the keychain: %s\n", r.SecretsLeft)
	}
	return nil
}
