package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/deskchat/deskchat/store"
)

// requireDir is the check of the reading commands (list, show, search,
// export, check, backups list, usage, stats, cache stats, providers list,
// prices list): a data folder that was named (--data-dir or
// $DESKCHAT_DATA_DIR) and does not exist is most likely mistyped, so they
// say so and exit 1 rather than report an empty history; they create
// nothing. The OS's default folder may be missing before the first
// question: that is the empty history the commands already speak of.
func (c *cmdEnv) requireDir() error {
	dir, err := store.DefaultDir(c.dataDir)
	if err != nil {
		return err
	}
	where := ""
	switch {
	case c.dataDir != "":
		where = "--data-dir"
	case os.Getenv("DESKCHAT_DATA_DIR") != "": // store.DefaultDir reads the process environment
		where = "DESKCHAT_DATA_DIR"
	default:
		return nil
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("There is no history at %s: the folder does not exist (check %s).", dir, where)
	case err != nil:
		return fmt.Errorf("Cannot read the folder %s (check %s): %s.", dir, where, osReason(err))
	case !fi.IsDir():
		return fmt.Errorf("%s is a file, not a folder of history (check %s).", dir, where)
	}
	return nil
}

// osReason is the last part of an OS error, without the path the
// sentence already names.
func osReason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
