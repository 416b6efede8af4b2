// Command deskchat is a native desktop LLM chat client. Without a subcommand
// it opens the window; subcommands (ask, list, show, providers) run the same
// engine and store headless. See README.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"deskchat/cli"
	"deskchat/engine"
	_ "deskchat/internal/localefix" // before Fyne's package initialisation
	"deskchat/internal/secrets"
	"deskchat/store"
	"deskchat/ui"
)

// AppID matches FyneApp.toml.
const AppID = "io.deskchat.app"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(os.Args[1:], cli.Env{Context: ctx, GUI: func(dataDir string) int { return runGUI(ctx, dataDir) }})
	stop()
	os.Exit(code)
}

// simulatorRate is the Simulator's pace in the window, in tokens per second:
// $DESKCHAT_SIMULATOR_RATE, else 120, a pace people can watch. 0 sends the
// whole answer at once.
func simulatorRate() float64 {
	if v := os.Getenv("DESKCHAT_SIMULATOR_RATE"); v != "" {
		if r, err := strconv.ParseFloat(v, 64); err == nil && r >= 0 {
			return r
		}
		fmt.Fprintf(os.Stderr, "deskchat: DESKCHAT_SIMULATOR_RATE=%q is not a number of tokens per second; using 120.\n", v)
	}
	return 120
}

// runGUI opens the store and the window; it returns when the window closes,
// or when ctx ends (SIGINT, SIGTERM: the window closes as if the user had
// closed it, and streaming answers are saved).
func runGUI(ctx context.Context, dataDir string) int {
	st, err := store.Open(dataDir)
	if err != nil {
		msg := store.UserMessage(err)
		fmt.Fprintln(os.Stderr, msg)
		ui.ShowStartupError(app.NewWithID(AppID), msg)
		return cli.ExitFailure
	}
	defer st.Close()
	kr := secrets.System()
	eng := engine.New(st, engine.Options{
		Simulator: engine.Simulator{TokensPerSecond: simulatorRate()},
		Keys:      &secrets.Resolver{Keyring: kr},
		// Built when the user starts typing (ui), not while the window
		// starts up.
		LazyTokenizer: true,
	})
	a := app.NewWithID(AppID)
	context.AfterFunc(ctx, func() { fyne.Do(a.Quit) })
	ui.Run(a, ui.Deps{Engine: eng, Store: st, DataDir: dataDir, Keyring: kr,
		Open: os.Getenv("DESKCHAT_OPEN"), Ready: readyFile(os.Getenv("DESKCHAT_READY_FILE")), Soak: soakFromEnv()})
	return cli.ExitOK
}

// readyFile returns what writes "ready <unix nanoseconds>" to path when the
// window is ready for typing (scripts/bench-window.sh measures start-up
// with it); nil when path is empty.
func readyFile(path string) func() {
	if path == "" {
		return nil
	}
	return func() {
		line := fmt.Sprintf("ready %d\n", time.Now().UnixNano())
		if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
			fmt.Fprintf(os.Stderr, "deskchat: DESKCHAT_READY_FILE: %v\n", err)
		}
		if prof := os.Getenv("DESKCHAT_CPUPROFILE"); prof != "" {
			// Ten seconds of the idle window, from two seconds after
			// start-up (bench-window.sh's idle figure).
			time.AfterFunc(2*time.Second, func() { writeCPUProfile(prof, 10*time.Second) })
		}
		if prof := os.Getenv("DESKCHAT_MEMPROFILE"); prof != "" {
			// The heap two seconds after start-up, for bench-window.sh's
			// memory figure.
			time.AfterFunc(2*time.Second, func() { writeHeapProfile(prof) })
		}
	}
}

func writeCPUProfile(path string, d time.Duration) {
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err == nil {
			time.Sleep(d) // a profile of what happens meanwhile: nothing to wait for
			pprof.StopCPUProfile()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "deskchat: DESKCHAT_CPUPROFILE: %v\n", err)
	}
}

func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err == nil {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "deskchat: heap in use %d MB, held %d MB (%d MB returned), stacks %d MB, other runtime %d MB\n",
			ms.HeapInuse>>20, (ms.HeapSys-ms.HeapReleased)>>20, ms.HeapReleased>>20, ms.StackSys>>20, (ms.Sys-ms.HeapSys-ms.StackSys)>>20)
		err = pprof.WriteHeapProfile(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "deskchat: DESKCHAT_MEMPROFILE: %v\n", err)
	}
}
