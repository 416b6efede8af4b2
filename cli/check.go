package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/store"
)

// cmdCheck reads the whole history file, read-only, and says whether it is
// healthy (exit 0) or what is damaged (exit 1: the sentence on stderr, the
// list on stdout).
func checkCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "read the whole history file and report damage (exit 1 when damaged); writes nothing",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return runCheck(c) },
	}
}

func runCheck(c *cmdEnv) error {
	if err := c.requireDir(); err != nil {
		return err
	}
	dir, err := store.DefaultDir(c.dataDir)
	if err != nil {
		return err
	}
	rep, err := store.Check(dir)
	if err != nil {
		return err
	}
	if rep.Healthy {
		fmt.Fprintln(c.Stdout, rep.Sentence())
		return nil
	}
	for _, l := range rep.Lines() {
		fmt.Fprintln(c.Stdout, "- "+l)
	}
	return errors.New(rep.Sentence())
}

// cmdRecover saves every readable conversation into a new history file and
// keeps the old one beside it.
func recoverCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:   "recover",
		Short: "save what can be read into a new history file; the old one is kept as deskchat.db.damaged-TIME",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return runRecover(c) },
	}
}

func runRecover(c *cmdEnv) error {
	dir, err := store.DefaultDir(c.dataDir)
	if err != nil {
		return err
	}
	rep, err := store.Recover(dir, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, rep.Sentence())
	for _, l := range rep.Lines() {
		fmt.Fprintln(c.Stdout, "- "+l)
	}
	return nil
}
