// Package ui is deskchat's window: a sidebar of conversations, the chat pane
// and the composer. It is the only package that imports Fyne. Work that
// touches the disk or the network runs on goroutines started by the bridge
// (bridge.go); widgets are only touched on the UI goroutine.
package ui

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/assets"
	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
	"github.com/deskchat/deskchat/ui/transfer"
)

// Deps is what the window works with. main.go builds them.
type Deps struct {
	Engine  *engine.Engine
	Store   *store.Store
	DataDir string
	// Open is the conversation to show first; "": the newest.
	Open string
	// Ready, if set, is called on the UI goroutine once the window shows
	// its first chat with the composer focused (start-up measurements).
	Ready func()
	// Keyring holds the providers' API keys (the OS keychain; its mock in
	// tests). nil: secrets.System().
	Keyring secrets.Keyring
	// Tools runs the MCP servers' tools (package tools; the engine's
	// Toolbox); the window closes it on exit. nil: no tool servers.
	Tools Toolbox
	// Soak, if set, makes the window ask questions by itself once it is
	// ready (scripts/soak-window.sh).
	Soak *Soak
	// Remote, if set, lets the commands of the command line reload and
	// raise the window (ui/remote.go).
	Remote *Remote
}

// appTitle is the window title; the smoke test finds the window by it.
const appTitle = "deskchat"

// Icon is the application icon.
var Icon = fyne.NewStaticResource("icon.png", assets.IconPNG)

// Run opens the main window and returns when it is closed. Answers still
// streaming are stopped and given up to two seconds to save their text;
// then the backup due, if any, is made (ui/transfer).
func Run(a fyne.App, d Deps) {
	a.SetIcon(Icon)
	cjk := installTheme(a, look.FontDirs())
	w := newWindow(a, d, bridge.New())
	if look.LookForCJK {
		w.addCJKHint(cjk)
	}
	if d.Ready != nil {
		w.start.ready = d.Ready
	}
	w.start.soaking = d.Soak
	playScene(w)
	w.backups().Start(transfer.FirstCheck, transfer.CheckEvery)
	d.Remote.attach(w)
	showAndRun(w.win)
	d.Remote.attach(nil)
	w.shutdown(2 * time.Second)
	w.backups().AtExit()
}

// showAndRun shows win and runs the app until it quits. Fyne 2.7's event
// loop can poll events once more after a window has started to close, and a
// pointer event then dereferences the closed window's handle
// (fyne-io/fyne#5981: a nil pointer in processMouseMoved). Once win is
// closing, such a panic is the end of the run, not a crash: the caller still
// saves the answers that were streaming. Before that, a panic stays a panic.
func showAndRun(win fyne.Window) {
	var closing atomic.Bool
	win.SetOnClosed(func() { closing.Store(true) })
	defer func() {
		if r := recover(); r != nil {
			if !closing.Load() {
				panic(r)
			}
			fyne.LogError("the window's event loop failed while closing", fmt.Errorf("%v", r))
		}
	}()
	win.ShowAndRun()
}

// ShowStartupError shows a window with one sentence explaining why deskchat
// cannot start (the data file is held by another deskchat, say) and returns
// when it is closed.
func ShowStartupError(a fyne.App, sentence string) {
	a.SetIcon(Icon)
	w := a.NewWindow(appTitle)
	w.SetContent(startupErrorContent(sentence, w.Close))
	w.Resize(fyne.NewSize(460, 160))
	w.CenterOnScreen()
	w.ShowAndRun()
}

func startupErrorContent(sentence string, quit func()) fyne.CanvasObject {
	msg := widget.NewLabel(sentence)
	msg.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle("deskchat cannot start", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	return container.NewPadded(container.NewBorder(title, container.NewHBox(layout.NewSpacer(), widget.NewButton("Quit", quit)), nil, nil, msg))
}

// sentence is what a user reads for err: never a Go error dump.
func sentence(err error) string {
	var ae *attach.Error // a file refused or not found: its own sentence
	if errors.As(err, &ae) {
		return ae.Sentence
	}
	return engine.UserMessage(err)
}
