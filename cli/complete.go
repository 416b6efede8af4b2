package cli

import (
	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// Shell completion of the words only the history knows: conversation ids
// (with their titles) and provider names. The history is opened read-only
// and nothing is made: a missing folder or file, or a history in use by
// the window, completes nothing rather than fail the shell's Tab.

// completionStore is the history read-only, or nil.
func (c *cmdEnv) completionStore() *store.Store {
	c.readOnly = true
	if c.requireDir() != nil {
		return nil
	}
	st, err := c.store()
	if err != nil {
		return nil
	}
	return st
}

// conversationWords completes conversation ids, newest first, each
// described by its title.
func (c *cmdEnv) conversationWords(_ *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	st := c.completionStore()
	if st == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	convs, err := st.Conversations()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	words := make([]cobra.Completion, 0, len(convs))
	for _, cv := range convs {
		words = append(words, cobra.CompletionWithDesc(cv.ID, oneLine(cv.Title, 50)))
	}
	return words, cobra.ShellCompDirectiveNoFileComp
}

// providerWords completes stored provider names, and the Simulator when
// withSimulator (it can be the default, not removed or given a key).
func (c *cmdEnv) providerWords(withSimulator bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var words []cobra.Completion
		if withSimulator {
			words = append(words, engine.SimulatorName)
		}
		if st := c.completionStore(); st != nil {
			if ps, err := st.Providers(); err == nil {
				for _, p := range ps {
					words = append(words, cobra.CompletionWithDesc(p.Name, p.Kind+" "+p.Model))
				}
			}
		}
		return words, cobra.ShellCompDirectiveNoFileComp
	}
}

// firstArg limits a completion to the command's first argument.
func firstArg(f cobra.CompletionFunc) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(cmd, args, toComplete)
	}
}

// fixedWords are the values Tab offers for flags that take one of a few
// words, by command path.
var fixedWords = map[string]map[string][]cobra.Completion{
	"deskchat export":        {"format": {"json", "md", "html"}},
	"deskchat import":        {"from": {"auto", "deskchat", "chatgpt", "claude"}},
	"deskchat search":        {"by": {"newest", "relevance"}},
	"deskchat providers add": {"kind": {store.KindOpenAI, store.KindAzure, store.KindCompatible}, "key-source": {store.KeyFromKeychain, store.KeyFromEnv, store.KeyFromCommand}},
}

// completeWords sets what Tab offers across the tree: --data-dir a folder,
// the few-word flags their words, and no file names where a command takes
// none (cobra's default for arguments is files; only import takes one).
func completeWords(root *cobra.Command) {
	root.MarkPersistentFlagDirname("data-dir")
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for flag, words := range fixedWords[cmd.CommandPath()] {
			cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(words, cobra.ShellCompDirectiveNoFileComp))
		}
		if cmd.ValidArgsFunction == nil && len(cmd.ValidArgs) == 0 && cmd.CommandPath() != "deskchat import" {
			cmd.ValidArgsFunction = cobra.NoFileCompletions
		}
		for _, sub := range cmd.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// backupWords completes the names of the backups in the data folder.
func (c *cmdEnv) backupWords(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 || c.requireDir() != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	dir, err := store.DefaultDir(c.dataDir)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	list, err := store.ListBackups(dir)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	words := make([]cobra.Completion, 0, len(list))
	for _, b := range list {
		words = append(words, cobra.CompletionWithDesc(b.Name, b.CreatedAt.Local().Format("2006-01-02 15:04")+", "+format.Size(b.Size)))
	}
	return words, cobra.ShellCompDirectiveNoFileComp
}
