package batchwin

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// windowTitle is the Batch window's title.
const windowTitle = "Batch runs — deskchat"

// Host is what the Batch window needs of the app: a Fyne app to open its
// window in, the bridge to work off the UI goroutine, the store (providers,
// runs, rows) and who answers the rows (the app's engine; a fake in tests).
type Host interface {
	App() fyne.App
	Bridge() *bridge.Bridge
	Store() *store.Store
	Asker() batch.Asker
}

// Timers are the window's time: Every ticks the live progress, After waits
// out the typing before an estimate. The bridge's in the app; a test's
// fires them itself.
type Timers interface {
	Every(d time.Duration, f func() bool) (stop func())
	After(d time.Duration, f func()) (stop func())
}

// bridgeTimers are the app's Timers.
type bridgeTimers struct{ b *bridge.Bridge }

func (t bridgeTimers) Every(d time.Duration, f func() bool) func() { return t.b.Every(d, f) }

func (t bridgeTimers) After(d time.Duration, f func()) func() {
	timer := t.b.After(d, f)
	return func() { timer.Stop() }
}

// views holds the open Batch window of each host. Only the UI goroutine
// touches it.
var views = map[Host]*View{}

// Show opens the Batch window, or brings it forward when it is open.
func Show(h Host) { Open(h, bridgeTimers{h.Bridge()}) }

// Open opens the Batch window with t as its timers (the bridge's, or a
// test's), or brings it forward when it is open, and returns it.
func Open(h Host, t Timers) *View {
	if v := views[h]; v != nil {
		v.win.RequestFocus()
		return v
	}
	v := newView(h, t)
	v.open()
	return v
}

// Of is h's open Batch window, or nil.
func Of(h Host) *View { return views[h] }

// Close closes h's Batch window if it is open, without asking (the main
// window shuts down): a run going is stopped, its finished rows kept. It
// waits up to d for the run to record that it stopped.
func Close(h Host, d time.Duration) {
	v := views[h]
	if v == nil {
		return
	}
	done := v.stopRun()
	v.win.Close()
	if done != nil {
		select {
		case <-done:
		case <-time.After(d):
		}
	}
}

// View is an open Batch window. Its widgets are exported for tests that
// look at what it shows; only the View changes them.
type View struct {
	host   Host
	st     *store.Store
	win    fyne.Window
	timers Timers
	closed bool

	form    formState
	est     estimate
	run     *running
	results *results
	runs    []store.BatchRun // the earlier runs, as last read

	// now is the time the progress's rate and ETA are worked out at.
	now func() time.Time
	// progressed, if set, is called on the run's goroutine after each
	// row (tests: the progress is read on ticks, which they fire).
	progressed func()
	// confirm asks a question (a dialog; tests answer it themselves).
	confirm func(title, message, ok string, yes func())

	Runs        *widget.Select // earlier runs
	File        *widget.Label
	Choose      *widget.Button
	Columns     *widget.Label
	Template    *widget.Entry
	Preview     *widget.Label
	Provider    *widget.Select
	Model       *widget.Entry
	System      *widget.Entry
	Concurrency *widget.Entry
	RPM, TPM    *widget.Entry
	MaxTokens   *widget.Entry
	Name        *widget.Entry
	NameNote    *widget.Label
	Estimate    *widget.Label
	Start       *widget.Button
	Pause       *widget.Button
	Cancel      *widget.Button
	Export      *widget.Button
	Progress    *widget.ProgressBar
	Status      *widget.Label
	Table       *widget.Table
}

func newView(h Host, t Timers) *View {
	v := &View{host: h, st: h.Store(), timers: t, now: time.Now}
	v.results = newResults(v)
	v.results.asking = v.asking
	v.confirm = func(title, message, ok string, yes func()) {
		l := widget.NewLabel(message)
		l.Wrapping = fyne.TextWrapWord
		d := dialog.NewCustomConfirm(title, ok, "Cancel", l, func(b bool) {
			if b {
				yes()
			}
		}, v.win)
		d.Resize(fyne.NewSize(460, 0))
		d.Show()
	}
	return v
}

// Window is the Batch window.
func (v *View) Window() fyne.Window { return v.win }

// open shows the window and reads the providers and the earlier runs.
func (v *View) open() {
	v.win = v.host.App().NewWindow(windowTitle)
	v.win.SetContent(v.build())
	v.win.Resize(fyne.NewSize(1180, 800))
	v.win.SetCloseIntercept(v.RequestClose)
	v.win.SetOnClosed(v.close)
	v.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			v.RequestClose()
		}
	})
	views[v.host] = v
	v.win.Show()
	v.loadProviders()
	v.loadRuns("")
	v.refreshButtons()
}

// RequestClose closes the window; during a run it asks first, and closing
// stops the run with its finished rows kept.
func (v *View) RequestClose() {
	if v.run == nil || v.run.ended {
		v.win.Close()
		return
	}
	name := v.run.name
	v.confirm("Stop the run?",
		"\""+name+"\" is still running. Closing the window stops it: the rows finished so far are kept, and opening it again here (or \"deskchat batch resume "+name+"\") goes on with the rest.",
		"Stop and close", func() {
			v.stopRun()
			v.win.Close()
		})
}

// close stops what the window started; the window is closing.
func (v *View) close() {
	if v.closed {
		return
	}
	v.closed = true
	v.stopRun()
	v.est.cancel()
	if views[v.host] == v {
		delete(views, v.host)
	}
}

func hint(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Importance, l.SizeName = look.HintStyle(widget.LowImportance)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// build lays the window out: what to run on the left, the estimate, the
// controls, the progress and the results on the right.
func (v *View) build() fyne.CanvasObject {
	left := v.buildForm()
	right := v.buildRunPane()
	split := container.NewHSplit(container.NewVScroll(container.NewPadded(left)), container.NewPadded(right))
	split.Offset = 0.34
	return split
}

func (v *View) buildRunPane() fyne.CanvasObject {
	v.Estimate = look.Wrapped("Choose a file to see what the run would ask and cost.", widget.MediumImportance)
	v.Start = widget.NewButtonWithIcon("Start", theme.MediaPlayIcon(), v.StartRun)
	v.Start.Importance = widget.HighImportance
	v.Pause = widget.NewButtonWithIcon("Pause", theme.MediaPauseIcon(), v.TogglePause)
	v.Cancel = widget.NewButtonWithIcon("Cancel", theme.MediaStopIcon(), v.CancelRun)
	v.Export = widget.NewButtonWithIcon("Export…", theme.DocumentSaveIcon(), v.chooseExport)
	v.Progress = widget.NewProgressBar()
	v.Progress.TextFormatter = func() string {
		if v.Progress.Max <= 0 {
			return "no rows"
		}
		return formatProgress(v.Progress.Value, v.Progress.Max)
	}
	v.Status = look.Wrapped("", widget.MediumImportance)
	buttons := container.NewHBox(v.Start, v.Pause, v.Cancel, widget.NewSeparator(), v.Export)
	top := container.NewVBox(heading("Estimate"), v.Estimate, buttons, v.Progress, v.Status)
	v.Table = v.results.build()
	table := container.New(&fitColumns{t: v.Table}, v.Table)
	return container.NewBorder(top, nil, nil, nil, table)
}
