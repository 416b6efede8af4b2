package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"

	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/transfer"
)

// Damaged is what the window needs when the history file is damaged (or is
// no history file at all). main.go builds it.
type Damaged struct {
	// Sentence says what is wrong and names the file.
	Sentence string
	// Recover saves what can be read into a new history file (the same
	// code as `deskchat recover`) and returns the sentence saying what it
	// saved and lost. It runs off the UI goroutine.
	Recover func() (string, error)
	// Open opens the recovered history: the main window's Deps. It runs
	// off the UI goroutine, after Recover.
	Open func() (Deps, error)
}

// RunDamaged shows d.Sentence with Recover and Quit. Recover runs
// d.Recover, then opens the main window on the recovered history and shows
// what was saved. It returns when the app ends: true when the history was
// recovered.
func RunDamaged(a fyne.App, d Damaged) bool {
	a.SetIcon(Icon)
	win := a.NewWindow(appTitle)
	var main *window
	s := transfer.NewDamaged(transfer.Recovery[Deps](d), bridge.New(), func(deps Deps, result string) {
		main = newWindow(a, deps, bridge.New())
		main.win.Show()
		main.win.SetMaster()
		main.showDialog(dialog.NewInformation("History recovered", result, main.win))
		win.Close()
	}, win.Close)
	win.SetContent(s.Content)
	win.Resize(fyne.NewSize(520, 200))
	win.CenterOnScreen()
	win.ShowAndRun()
	if main != nil {
		main.shutdown(2 * time.Second)
	}
	return main != nil
}
