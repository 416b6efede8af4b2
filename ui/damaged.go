package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"deskchat/engine"
	"deskchat/ui/internal/bridge"
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
	s := newDamagedScreen(d, bridge.New(), func(deps Deps, result string) {
		main = newWindow(a, deps, bridge.New())
		main.win.Show()
		main.win.SetMaster()
		main.showDialog(dialog.NewInformation("History recovered", result, main.win))
		win.Close()
	}, win.Close)
	win.SetContent(s.content)
	win.Resize(fyne.NewSize(520, 200))
	win.CenterOnScreen()
	win.ShowAndRun()
	if main != nil {
		main.shutdown(2 * time.Second)
	}
	return main != nil
}

// damagedScreen is RunDamaged's content, apart from its window so that
// tests can drive it.
type damagedScreen struct {
	content  fyne.CanvasObject
	message  *widget.Label
	recoverB *widget.Button
	quitB    *widget.Button
}

func newDamagedScreen(d Damaged, b *bridge.Bridge, opened func(Deps, string), quit func()) *damagedScreen {
	s := &damagedScreen{message: widget.NewLabel(d.Sentence)}
	s.message.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle("The history file is damaged", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.quitB = widget.NewButton("Quit", quit)
	s.recoverB = widget.NewButton("Recover", func() {
		s.recoverB.Disable()
		s.message.SetText("Saving what can be read into a new history file…")
		type outcome struct {
			deps   Deps
			result string
		}
		bridge.Run(b, func() (outcome, error) {
			result, err := d.Recover()
			if err != nil {
				return outcome{}, err
			}
			deps, err := d.Open()
			return outcome{deps, result}, err
		}, func(o outcome, err error) {
			if err != nil {
				s.message.SetText(engine.UserMessage(err))
				s.recoverB.Enable()
				return
			}
			opened(o.deps, o.result)
		})
	})
	s.recoverB.Importance = widget.HighImportance
	buttons := container.NewHBox(layout.NewSpacer(), s.quitB, s.recoverB)
	s.content = container.NewPadded(container.NewBorder(title, buttons, nil, nil, s.message))
	return s
}
