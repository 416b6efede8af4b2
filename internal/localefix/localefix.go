// Package localefix quiets Fyne's locale lookup under the C locale.
//
// With LANG=C.UTF-8 (usual in containers and CI), Fyne's locale library
// reports the language "C", which Fyne cannot parse: every start, including
// every headless subcommand, prints three "Fyne error: Error parsing user
// locale C" lines. Fyne reads the locale while packages initialise, so this
// package must initialise first: Go initialises packages in import-path order
// once their imports are ready, and "github.com/deskchat/deskchat/…" sorts before "fyne.io/…".
// It sets LANGUAGE=en (which the lookup prefers to "C.*") and nothing else.
package localefix

import (
	"os"
	"strings"
)

func init() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	loc := ""
	for _, env := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc = os.Getenv(env); loc != "" {
			break
		}
	}
	if strings.HasPrefix(loc, "C.") || strings.HasPrefix(loc, "POSIX.") {
		os.Setenv("LANGUAGE", "en")
	}
}
