package transfer

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// Recovery is what the damaged-history screen offers; T is what opening the
// recovered history gives (the main window's dependencies).
type Recovery[T any] struct {
	// Sentence says what is wrong and names the file.
	Sentence string
	// Recover saves what can be read into a new history file and returns
	// the sentence saying what it saved and lost. It runs off the UI
	// goroutine.
	Recover func() (string, error)
	// Open opens the recovered history. It runs off the UI goroutine,
	// after Recover.
	Open func() (T, error)
}

// Damaged is the screen shown at start when the history file is damaged:
// what is wrong, Recover and Quit. It has no window of its own, so that
// tests can drive it.
type Damaged struct {
	// Content is the screen, for a window's content.
	Content  fyne.CanvasObject
	message  *widget.Label
	recoverB *widget.Button
	quitB    *widget.Button
}

// NewDamaged makes the screen for r. Recover runs r.Recover, then r.Open,
// off the UI goroutine; once both worked, opened gets what Open gave and
// Recover's sentence. A failure shows its sentence and lets the user try
// again. Quit calls quit.
func NewDamaged[T any](r Recovery[T], b *bridge.Bridge, opened func(T, string), quit func()) *Damaged {
	s := &Damaged{message: widget.NewLabel(r.Sentence)}
	s.message.Wrapping = fyne.TextWrapWord
	title := widget.NewLabelWithStyle("The history file is damaged", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.quitB = widget.NewButton("Quit", quit)
	s.recoverB = widget.NewButton("Recover", func() {
		s.recoverB.Disable()
		s.message.SetText("Saving what can be read into a new history file…")
		type outcome struct {
			opened T
			result string
		}
		bridge.Run(b, func() (outcome, error) {
			result, err := r.Recover()
			if err != nil {
				return outcome{}, err
			}
			o, err := r.Open()
			return outcome{o, result}, err
		}, func(o outcome, err error) {
			if err != nil {
				s.message.SetText(engine.UserMessage(err))
				s.recoverB.Enable()
				return
			}
			opened(o.opened, o.result)
		})
	})
	s.recoverB.Importance = widget.HighImportance
	buttons := container.NewHBox(layout.NewSpacer(), s.quitB, s.recoverB)
	s.Content = container.NewPadded(container.NewBorder(title, buttons, nil, nil, s.message))
	return s
}
