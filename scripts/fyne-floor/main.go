// Command fyne-floor is the smallest Fyne window with a focused text box:
// scripts/bench-window.sh measures its idle CPU and memory beside
// deskchat's, as the floor the toolkit sets on this machine. When
// DESKCHAT_READY_FILE is set it writes "ready <unix-nanos>" there once the
// window is shown, as deskchat does.
package main

import (
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("io.deskchat.floor")
	w := a.NewWindow("fyne-floor")
	entry := widget.NewMultiLineEntry()
	w.SetContent(container.NewBorder(widget.NewLabel("The smallest Fyne window with a text box."), nil, nil, nil, entry))
	w.Resize(fyne.NewSize(1100, 720))
	if path := os.Getenv("DESKCHAT_READY_FILE"); path != "" {
		go fyne.Do(func() {
			w.Canvas().Focus(entry)
			line := fmt.Sprintf("ready %d\n", time.Now().UnixNano())
			if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		})
	}
	w.ShowAndRun()
}
