// Command deskchat is a native desktop LLM chat client. Without a subcommand
// it opens the window; subcommands (ask, list, show, providers) run the same
// engine and store headless. See README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/deskchat/deskchat/cli"
	"github.com/deskchat/deskchat/engine"
	_ "github.com/deskchat/deskchat/internal/localefix" // before Fyne's package initialisation
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/tools"
	"github.com/deskchat/deskchat/ui"
)

// AppID matches FyneApp.toml.
const AppID = "io.deskchat.app"

// version and commit are stamped by `make build` (-ldflags -X
// main.version=... -X main.commit=..., from git describe and git rev-parse);
// left empty, `deskchat --version` reads the Go build information.
var version, commit string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(os.Args[1:], cli.Env{Context: ctx, Version: version, Commit: commit,
		GUI: func(dataDir string) int { return runGUI(ctx, dataDir) }})
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
// closed it, and streaming answers are saved). A damaged history file gets
// a window that offers to recover it (ui/damaged.go).
func runGUI(ctx context.Context, dataDir string) int {
	if !displayReady() {
		fmt.Fprintln(os.Stderr, noDisplay)
		return cli.ExitFailure
	}
	// A window whose UI goroutine is busy cannot run the quit below; the
	// promise is that SIGINT/SIGTERM end deskchat within quitGrace anyway.
	// Answers still streaming then keep what their last flush saved (at
	// most 250 ms old), as after a crash.
	context.AfterFunc(ctx, func() {
		time.AfterFunc(quitGrace, func() {
			fmt.Fprintln(os.Stderr, "deskchat: the window did not close in time; exiting (streaming answers keep what was saved).")
			os.Exit(cli.ExitFailure)
		})
	})
	st, err := store.Open(dataDir)
	if store.IsDamaged(err) {
		return runDamaged(ctx, dataDir, store.UserMessage(err))
	}
	if err != nil {
		msg := store.UserMessage(err)
		fmt.Fprintln(os.Stderr, msg)
		ui.ShowStartupError(app.NewWithID(AppID), msg)
		return cli.ExitFailure
	}
	defer st.Close()
	a := app.NewWithID(AppID)
	context.AfterFunc(ctx, func() { fyne.Do(a.Quit) })
	ui.Run(a, windowDeps(st, dataDir))
	return cli.ExitOK
}

// windowDeps builds the engine and what the window needs around st.
func windowDeps(st *store.Store, dataDir string) ui.Deps {
	kr := secrets.System()
	// The tool servers the history names; started on first use, stopped
	// when the window closes (ui.Run).
	servers, _ := st.ToolServers()
	toolbox := tools.New(servers, tools.Options{Secret: tools.Keychain(kr), Remember: tools.Remembering(st)})
	eng := engine.New(st, engine.Options{
		Toolbox:   toolbox,
		Simulator: engine.Simulator{TokensPerSecond: simulatorRate()},
		Keys:      &secrets.Resolver{Keyring: kr},
		// Built when the user starts typing (ui), not while the window
		// starts up.
		LazyTokenizer: true,
	})
	return ui.Deps{Engine: eng, Store: st, DataDir: dataDir, Keyring: kr, Tools: toolbox,
		Open: os.Getenv("DESKCHAT_OPEN"), Ready: readyFile(os.Getenv("DESKCHAT_READY_FILE")), Soak: soakFromEnv()}
}

// runDamaged shows what is wrong with the history file and offers to
// recover it (the code of `deskchat recover`); once recovered, the window
// opens on the new history.
func runDamaged(ctx context.Context, dataDir, sentence string) int {
	fmt.Fprintln(os.Stderr, sentence)
	a := app.NewWithID(AppID)
	context.AfterFunc(ctx, func() { fyne.Do(a.Quit) })
	var opened *store.Store
	recovered := ui.RunDamaged(a, ui.Damaged{
		Sentence: sentence,
		Recover: func() (string, error) {
			rep, err := store.Recover(dataDir, time.Now())
			if err != nil {
				return "", err
			}
			fmt.Fprintln(os.Stderr, rep.Sentence())
			return rep.Sentence(), nil
		},
		Open: func() (ui.Deps, error) {
			st, err := store.Open(dataDir)
			if err != nil {
				return ui.Deps{}, err
			}
			opened = st
			return windowDeps(st, dataDir), nil
		},
	})
	if opened != nil {
		opened.Close()
	}
	if !recovered {
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// quitGrace bounds how long deskchat takes to exit after SIGINT or SIGTERM.
const quitGrace = 2 * time.Second

const noDisplay = "deskchat needs a graphical session; for the command line see `deskchat --help`."

// displayReady reports whether a window can be opened. Without a display,
// GLFW's Init logs the failure and returns no error (go-gl/glfw treats a
// platform error as a log line) and Fyne panics at its first window; so
// initialise GLFW here, on the main thread Fyne has locked, silencing that
// log line, and ask it for a monitor, which panics with NotInitialized when
// Init failed. Fyne's own Init later is then a no-op.
func displayReady() (ok bool) {
	out := log.Writer()
	log.SetOutput(io.Discard)
	defer log.SetOutput(out)
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	if err := glfw.Init(); err != nil {
		return false
	}
	glfw.GetPrimaryMonitor()
	return true
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
		if prof := os.Getenv("DESKCHAT_CPUPROFILE"); prof != "" && os.Getenv("DESKCHAT_SOAK") == "" {
			// Ten seconds of the idle window, from two seconds after
			// start-up (bench-window.sh's idle figure). Not in a soak:
			// its profiles are started by signals (main_soak.go), and
			// this one, running at the time, made the first fail.
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
