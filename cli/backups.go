package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// cmdBackups lists, restores and makes backups of the history (the
// snapshots the window makes once a day in <data dir>/backups). list reads
// the backups folder only: the history file is not opened.
func backupsCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [flags]",
		Short: "the backups, newest first (reads the backups folder only)",
		Args:  noArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if err := c.requireDir(); err != nil {
				return err
			}
			dir, err := store.DefaultDir(c.dataDir)
			if err != nil {
				return err
			}
			return listBackups(c, dir, asJSON)
		},
	}
	restore := &cobra.Command{
		Use:               "restore NAME",
		ValidArgsFunction: c.backupWords,
		Short:             "make a backup the history; the history it replaces is kept beside it",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("name one backup to restore (\"deskchat backups list\" shows them)")
			}
			return restoreBackup(c, args[0])
		},
	}
	now := &cobra.Command{
		Use:   "now",
		Short: "back the history up now",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return backupNow(c) },
	}
	cmd := &cobra.Command{
		Use:   "backups",
		Short: "the daily snapshots of the history (in DIR/backups)",
		RunE:  group("backups", "list, restore NAME or now"),
	}
	// --json on the group, as before cobra: "backups --json list" works too.
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON (list)")
	cmd.AddCommand(list, restore, now)
	return cmd
}

func restoreBackup(c *cmdEnv, name string) error {
	dir, err := store.DefaultDir(c.dataDir)
	if err != nil {
		return err
	}
	aside, err := store.RestoreBackup(dir, name, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "Restored %s.\n", name)
	if aside != "" {
		fmt.Fprintf(c.Stdout, "The history it replaced is kept as %s.\n", aside)
	}
	return nil
}

func backupNow(c *cmdEnv) error {
	dir, err := store.DefaultDir(c.dataDir)
	if err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	b, err := st.WriteBackup(time.Now())
	if err != nil {
		return err
	}
	settings, err := st.Settings()
	if err != nil {
		return err
	}
	if err := store.RotateBackups(dir, store.BackupsKeep(settings), time.Now()); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "Backed up to %s (%s).\n", filepath.Join(store.BackupsDir(dir), b.Name), format.Size(b.Size))
	return nil
}

func listBackups(c *cmdEnv, dir string, asJSON bool) error {
	list, err := store.ListBackups(dir)
	if err != nil {
		return err
	}
	if asJSON {
		if list == nil {
			list = []store.Backup{}
		}
		return writeJSON(c.Stdout, list)
	}
	if len(list) == 0 {
		fmt.Fprintf(c.Stdout, "No backups yet in %s.\n", store.BackupsDir(dir))
		return nil
	}
	for _, b := range list {
		fmt.Fprintf(c.Stdout, "%s  %s  %s\n", b.Name, b.CreatedAt.Local().Format("2006-01-02 15:04:05"), format.Size(b.Size))
	}
	return nil
}
