package cli

import (
	"errors"
	"fmt"
	"time"

	"deskchat/store"
)

// cmdCheck reads the whole history file, read-only, and says whether it is
// healthy (exit 0) or what is damaged (exit 1: the sentence on stderr, the
// list on stdout).
func cmdCheck(c *cmdEnv, args []string) error {
	fs := c.flags("   (reads the whole history file and reports damage; writes nothing)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
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
func cmdRecover(c *cmdEnv, args []string) error {
	fs := c.flags("   (saves what can be read into a new history file; the old one is kept as deskchat.db.damaged-TIME)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
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
