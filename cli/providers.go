package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/simulator"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/providers"
	"github.com/deskchat/deskchat/store"
)

// keyring is where the CLI keeps keys: the keyring of the engine options'
// resolver when one is set (tests), else the OS keychain (go-keyring's mock
// after keyring.MockInit).
func (c *cmdEnv) keyring() secrets.Keyring {
	if k := c.EngineOptions.Keys; k != nil && k.Keyring != nil {
		return k.Keyring
	}
	return secrets.System()
}

func providersCmd(c *cmdEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "providers",
		Short: "the providers deskchat asks",
		RunE:  group("providers", "list, add, set-key, remove or default"),
	}
	cmd.AddCommand(providersListCmd(c), providersAddCmd(c), providersSetKeyCmd(c), providersRemoveCmd(c), providersDefaultCmd(c))
	return cmd
}

func providersListCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "the stored providers, where each reads its key (never the key)",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return providersList(c, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func providersList(c *cmdEnv, asJSON bool) error {
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	list, err := c.admin(st).List()
	if err != nil {
		return err
	}
	if asJSON {
		// Each provider with its fallback, limits and where its key is
		// read; never the key (providers.Entry).
		return writeJSON(c.Stdout, list)
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tBASE URL\tMODEL\tKEY FROM\tFALLBACK")
	for _, p := range list {
		name := p.Name
		if p.Default {
			name += " (default)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, p.Kind, p.BaseURL, p.Model, dash(p.KeyFrom), dash(p.Fallback))
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", simulator.Label, store.KindSimulator, "-", engine.SimulatorModel, "-", "-")
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// admin is the provider administration the settings window uses too, on
// st with the CLI's keyring.
func (c *cmdEnv) admin(st *store.Store) *providers.Admin {
	a := providers.New(st, c.keyring())
	if c.Shared != nil {
		a.Forget = c.Shared.Engine.ForgetKey // the window's engine remembers keys
	}
	return a
}

// maxKeyLine bounds what set-key reads from stdin.
const maxKeyLine = 64 << 10

// providersSetKey reads a key from stdin (never from the arguments, which
// other users and the shell's history can see) and stores it in the
// keychain; the provider then reads its key from there.
func providersSetKeyCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:               "set-key NAME",
		ValidArgsFunction: firstArg(c.providerWords(false)),
		Short:             "store a provider's key in the OS keychain, read from stdin (e.g. pass show groq | deskchat providers set-key groq)",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("providers set-key takes one NAME and reads the key from stdin, never from the command line")
			}
			return providersSetKey(c, args[0])
		},
	}
}

func providersSetKey(c *cmdEnv, name string) error {
	if name == engine.SimulatorName {
		return cmdLinef("the Simulator needs no key")
	}
	if err := c.requireDir(); err != nil {
		return err // a provider to give a key to lives in an existing history
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	if _, err := st.Provider(name); err != nil {
		return err
	}
	// Before reading the key: no prompt for a key there is nowhere to keep.
	if err := secrets.Probe(c.keyring()); err != nil {
		return err
	}
	var key string
	if cs, ok := c.Stdin.(clientStdin); ok && cs.IsTerminal() {
		// The command line's terminal, through the window: not echoed
		// there.
		fmt.Fprintf(c.Stderr, "API key for %s (not shown as you type; Enter to finish): ", name)
		b, rerr := cs.ReadPassword()
		fmt.Fprintln(c.Stderr)
		key, err = strings.TrimSpace(string(b)), rerr
	} else if f, ok := c.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		// Typed at a terminal: not echoed.
		fmt.Fprintf(c.Stderr, "API key for %s (not shown as you type; Enter to finish): ", name)
		b, rerr := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.Stderr)
		key, err = strings.TrimSpace(string(b)), rerr
	} else {
		key, err = readKey(c.Stdin)
	}
	if err != nil {
		return errors.New("The key could not be read from stdin.")
	}
	if key == "" {
		return cmdLinef("no key on stdin: pipe it in, e.g. pass show %s | deskchat providers set-key %s", name, name)
	}
	switched, err := c.admin(st).SetKey(name, key)
	var probs providers.Problems
	if errors.As(err, &probs) {
		return errors.New(probs.Error()) // the keychain refused it: exit 1
	}
	if err != nil {
		return err
	}
	if switched {
		fmt.Fprintf(c.Stderr, "Stored the key for %s in the keychain; %s now reads its key from there.\n", name, name)
		return nil
	}
	fmt.Fprintf(c.Stderr, "Stored the key for %s in the keychain.\n", name)
	return nil
}

// readKey returns the first non-empty line of r, trimmed ("" at EOF). It
// stops at that line, so a terminal needs no Ctrl-D.
func readKey(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, maxKeyLine))
	for {
		line, err := br.ReadString('\n')
		if k := strings.TrimSpace(line); k != "" {
			return k, nil
		}
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
	}
}

func providersRemoveCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:               "remove NAME",
		ValidArgsFunction: firstArg(c.providerWords(false)),
		Short:             "remove a stored provider (and its key in the keychain)",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("providers remove needs one NAME")
			}
			return providersRemove(c, args[0])
		},
	}
}

func providersRemove(c *cmdEnv, name string) error {
	if err := c.requireDir(); err != nil {
		return err // a provider to remove lives in an existing history
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	// One transaction: the record, the fallbacks to it, the default.
	r, err := c.admin(st).Remove(name)
	if err != nil {
		return badProvider(err)
	}
	fmt.Fprintf(c.Stderr, "Removed provider %s.\n", name)
	if len(r.Unhooked) > 0 {
		fmt.Fprintf(c.Stderr, "%s fell back to it and now fall back to none.\n", strings.Join(r.Unhooked, ", "))
	}
	if s := r.DefaultSentence(); s != "" {
		fmt.Fprintln(c.Stderr, s)
	}
	if r.Note != "" {
		fmt.Fprintln(c.Stderr, r.Note)
	}
	return nil
}

func providersDefaultCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:               "default NAME",
		ValidArgsFunction: firstArg(c.providerWords(true)),
		Short:             "the provider of new conversations (\"" + engine.SimulatorName + "\" for the built-in Simulator)",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("providers default needs one NAME")
			}
			return providersDefault(c, args[0])
		},
	}
}

func providersDefault(c *cmdEnv, name string) error {
	st, err := c.store()
	if err != nil {
		return err
	}
	return c.admin(st).SetDefault(name)
}
