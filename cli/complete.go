package cli

import (
	"github.com/spf13/cobra"

	"deskchat/engine"
	"deskchat/store"
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
