package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/store"
)

// forkCmd is "deskchat fork MESSAGE_ID": a new conversation holding the
// path down to that message, whose id it prints (one line, for scripts).
func forkCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "fork MESSAGE_ID",
		Short: "a new conversation holding the path up to a message; prints its id",
		Long: `Fork a conversation at a message: a new conversation holds copies of the
messages from the first down to MESSAGE_ID (as "deskchat show --json" prints ids),
with the same provider, model, system prompt and tools. Its id is printed.`,
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("fork needs one message id (like 3f2a9c0b1d4e-7, as \"deskchat show --json\" prints them)")
			}
			return runFork(c, args[0])
		},
	}
}

func runFork(c *cmdEnv, msgID string) error {
	convID, seq, err := store.ParseMessageID(msgID)
	if err != nil {
		return cmdLinef("%q is not a message id (like 3f2a9c0b1d4e-7, as \"deskchat show --json\" prints them)", msgID)
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	if err := checkMessage(st, convID, seq, msgID); err != nil {
		return err
	}
	fork, err := st.Fork(convID, seq)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, fork.ID)
	return nil
}

// checkMessage makes sure the message conversation-seq exists: a usage
// error (exit 2) with one sentence when it does not.
func checkMessage(st *store.Store, convID string, seq uint64, msgID string) error {
	_, err := st.Message(convID, seq)
	if errors.Is(err, store.ErrNotFound) {
		return cmdLinef("there is no message %s in the history (\"deskchat show --all ID --json\" lists a conversation's message ids)", msgID)
	}
	return err
}
