package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/deskchat/deskchat/store"
)

// The command line is parsed by cobra (github.com/spf13/cobra, flags by
// github.com/spf13/pflag), one parser for every command, rather than Go's
// flag package, which stops at the first argument that is not a flag: with
// it "deskchat ask "where is pier 7" --model x" sent "--model x" as part of
// the prompt, and three hand-written helpers moved flags forward for some
// commands only. pflag takes flags anywhere among the arguments and ends
// them at "--"; cobra adds --help on every command and writes bash, zsh and
// fish completion scripts ("deskchat completion bash").

const synopsis = `Usage:
  deskchat [--data-dir DIR]                      open the window
  deskchat ask [flags] [PROMPT...]               ask; prompt from args, else stdin; with both,
                                                 the prompt, a blank line, then the piped text
  deskchat list [--json]                         conversations, newest first
  deskchat show ID [--json] [--all]              one conversation's active path; --all: every branch
  deskchat fork MESSAGE_ID                       a new conversation holding the path up to that
                                                 message; prints its id
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
  deskchat tools add NAME --command "CMD ARGS" [--env K=V]... | --url URL [--header K:V]...
  deskchat tools list [--json] | remove NAME     MCP servers, their state and their tools
  deskchat batch run FILE.jsonl|FILE.csv --template 'text with {{field}}' [--provider P | --base-url U --model M]
                    [--system S] [--rpm N] [--tpm N] [--concurrency N] [--max-tokens N] [--max-cost USD]
                    [--out FILE.jsonl|.csv] [--name NAME] [--yes]   one request per row; run again to resume
  deskchat batch resume NAME | list [--json] | show NAME [--json] | export NAME --out FILE
  deskchat completion bash|zsh|fish              a shell completion script
  deskchat --version                             version, commit, Go and Fyne versions
Every command takes --data-dir DIR (else $DESKCHAT_DATA_DIR, else ~/.local/share/deskchat).
Flags may come before or after the other arguments; "--" ends the flags.
Run "deskchat COMMAND --help" for a command's flags.
`

// newRoot builds the command tree around c.
func newRoot(c *cmdEnv) *cobra.Command {
	root := &cobra.Command{
		Use:           "deskchat",
		Short:         "a desktop LLM chat; without a command it opens the window",
		Version:       versionText(c.Version, c.Commit),
		SilenceErrors: true, // Main writes one sentence per error
		SilenceUsage:  true,
		// Once the command line is parsed and before the command opens
		// the history: run it in the open window, if one serves this
		// history (shared.go).
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return c.beforeRun(cmd) },
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdLineError{msg: fmt.Sprintf("unknown command %q.", args[0]), withSynopsis: true}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, _ []string) error {
			if c.GUI == nil {
				return cmdLineError{msg: "say what to do.", withSynopsis: true}
			}
			dir, err := store.DefaultDir(c.dataDir)
			if err != nil {
				return errors.New("deskchat: cannot find a folder for the history; use --data-dir.")
			}
			c.exit = c.GUI(dir)
			return nil
		},
	}
	root.SetVersionTemplate("{{.Version}}")
	root.SetIn(c.Stdin)
	root.SetOut(c.Stdout)
	root.SetErr(c.Stderr)
	root.PersistentFlags().StringVar(&c.dataDir, "data-dir", "", "folder of the history file (else $DESKCHAT_DATA_DIR, else ~/.local/share/deskchat)")
	root.Flags().BoolP("version", "v", false, "print the version, commit, Go and Fyne versions")
	root.SetFlagErrorFunc(flagError)
	defaultHelp := root.HelpFunc()
	root.SetHelpFunc(func(cmd *cobra.Command, args []string) {
		if cmd == root {
			fmt.Fprint(cmd.OutOrStdout(), synopsis)
			return
		}
		defaultHelp(cmd, args)
	})
	root.AddCommand(askCmd(c), listCmd(c), showCmd(c), searchCmd(c), providersCmd(c),
		usageCmd(c), cacheCmd(c), pricesCmd(c), statsCmd(c), exportCmd(c), importCmd(c),
		checkCmd(c), recoverCmd(c), backupsCmd(c), toolsCmd(c), forkCmd(c), batchCmd(c))
	// The completion command cobra adds, made now so that an unknown shell
	// gets a sentence and exit 2 like any unknown command.
	root.InitDefaultCompletionCmd()
	if comp, _, err := root.Find([]string{"completion"}); err == nil && comp != root {
		comp.Args, comp.RunE = cobra.ArbitraryArgs, group("completion", "bash, zsh, fish or powershell")
	}
	completeWords(root)
	return root
}

// synopsisOf is what follows the sentence of an unknown command or flag.
func synopsisOf(cmd *cobra.Command) string {
	if !cmd.HasParent() {
		return synopsis
	}
	return cmd.UsageString()
}

// flagError turns pflag's errors into one sentence each (exit 2, with the
// command's synopsis below it).
func flagError(cmd *cobra.Command, err error) error {
	var (
		notExist *pflag.NotExistError
		noValue  *pflag.ValueRequiredError
		invalid  *pflag.InvalidValueError
		syntax   *pflag.InvalidSyntaxError
	)
	if args := cmd.Flags().Args(); !cmd.HasParent() && len(args) > 0 {
		// "deskchat lsit --json": the mistake is the command, which pflag
		// had passed over (as an argument) before the flag it did not know.
		return cmdLineError{msg: fmt.Sprintf("unknown command %q.", args[0]), withSynopsis: true}
	}
	msg := err.Error()
	switch {
	case errors.As(err, &notExist):
		name := "--" + notExist.GetSpecifiedName()
		if short := notExist.GetSpecifiedShortnames(); short != "" {
			name = "-" + short
		}
		msg = fmt.Sprintf("unknown flag %s.", name)
		if short := notExist.GetSpecifiedShortnames(); len(short) > 1 && cmd.Flags().Lookup(short) != nil {
			// Go's flag package, which deskchat used before, took -json
			// for --json; pflag reads it as -j -s -o -n.
			msg = fmt.Sprintf("unknown flag -%s; did you mean --%s?", short, short)
		} else if cmd.Name() == "ask" || cmd.Name() == "search" {
			msg = fmt.Sprintf("unknown flag %s; to send text that starts with -, put -- before it (deskchat %s -- %s).", name, cmd.Name(), name)
		}
	case errors.As(err, &noValue):
		msg = fmt.Sprintf("--%s needs a value.", noValue.GetFlag().Name)
	case errors.As(err, &invalid):
		msg = fmt.Sprintf("--%s takes %s, not %q.", invalid.GetFlag().Name, valueKind(invalid.GetFlag().Value.Type()), invalid.GetValue())
	case errors.As(err, &syntax):
		msg = fmt.Sprintf("%q is not a flag; to pass it as an argument, put -- before it.", syntax.GetSpecifiedFlag())
	}
	return cmdLineError{msg: msg, withSynopsis: true}
}

// valueKind says in words what a flag of pflag type t takes.
func valueKind(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "a whole number"
	case t == "duration":
		return "a duration like 30s or 2m"
	case t == "bool":
		return "true or false"
	}
	return "a " + t
}

// group is the RunE of a command that only holds subcommands: without one,
// or with one it does not know, it says in one sentence which there are.
func group(name, subs string) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		// The sentence names the subcommands: it is the synopsis.
		if len(args) == 0 {
			return cmdLinef("%s needs %s", name, subs)
		}
		return cmdLinef("unknown %s command %q: use %s", name, args[0], subs)
	}
}
