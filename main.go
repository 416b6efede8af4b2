// Command deskchat is a native desktop LLM chat client. Without a subcommand
// it opens the window; subcommands (ask, list, show, providers) run the same
// engine and store headless. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"fyne.io/fyne/v2/app"

	"deskchat/cli"
	"deskchat/engine"
	_ "deskchat/internal/localefix" // before Fyne's package initialisation
	"deskchat/store"
	"deskchat/ui"
)

// AppID matches FyneApp.toml.
const AppID = "io.deskchat.app"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(os.Args[1:], cli.Env{Context: ctx, GUI: runGUI})
	stop()
	os.Exit(code)
}

// runGUI opens the store and the window; it returns when the window closes.
func runGUI(dataDir string) int {
	st, err := store.Open(dataDir)
	if err != nil {
		msg := store.UserMessage(err)
		fmt.Fprintln(os.Stderr, msg)
		ui.ShowStartupError(app.NewWithID(AppID), msg)
		return cli.ExitFailure
	}
	defer st.Close()
	// In the window the Simulator streams at a pace people can watch.
	eng := engine.New(st, engine.Options{Simulator: engine.Simulator{TokensPerSecond: 120}})
	ui.Run(app.NewWithID(AppID), ui.Deps{Engine: eng, Store: st, DataDir: dataDir})
	return cli.ExitOK
}
