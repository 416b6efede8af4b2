package cli

import (
	"fmt"
	"path/filepath"
	"time"

	"deskchat/store"
)

// cmdBackups lists, restores and makes backups of the history (the
// snapshots the window makes once a day in <data dir>/backups). list reads
// the backups folder only: the history file is not opened.
func cmdBackups(c *cmdEnv, args []string) error {
	fs := c.flags("list [--json] | restore NAME | now")
	asJSON := fs.Bool("json", false, "print JSON (list)")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("say what to do: list, restore NAME or now")
	}
	dir, err := store.DefaultDir(c.dataDir)
	if err != nil {
		return err
	}
	switch sub := fs.Arg(0); {
	case sub == "list" && fs.NArg() == 1:
		return listBackups(c, dir, *asJSON)
	case sub == "restore" && fs.NArg() == 2:
		aside, err := store.RestoreBackup(dir, fs.Arg(1), time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "Restored %s.\n", fs.Arg(1))
		if aside != "" {
			fmt.Fprintf(c.Stdout, "The history it replaced is kept as %s.\n", aside)
		}
		return nil
	case sub == "restore":
		return usagef("name one backup to restore (\"deskchat backups list\" shows them)")
	case sub == "now" && fs.NArg() == 1:
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
		fmt.Fprintf(c.Stdout, "Backed up to %s (%s).\n", filepath.Join(store.BackupsDir(dir), b.Name), sizeText(b.Size))
		return nil
	}
	return usagef("unknown backups command %q: use list [--json], restore NAME or now", fs.Arg(0))
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
		fmt.Fprintf(c.Stdout, "%s  %s  %s\n", b.Name, b.CreatedAt.Local().Format("2006-01-02 15:04:05"), sizeText(b.Size))
	}
	return nil
}

// sizeText writes a file size for people: 812 KB, 191.3 MB.
func sizeText(n int64) string {
	switch {
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+1023)>>10)
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
	}
}
