package ui

import (
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
	"github.com/deskchat/deskchat/ui/internal/markdown"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// settingCJKHintDismissed is the stored setting that says the bar about a
// missing CJK font was closed: it is not shown again.
const settingCJKHintDismissed = "cjk_font_hint_dismissed"

// cjkHintText is the bar's sentence.
const cjkHintText = "Chinese, Japanese and Korean text shows as boxes: no CJK font is installed. " +
	"Install the package " + look.CJKPackage + " (sudo apt install " + look.CJKPackage + ") and restart deskchat."

// installTheme gives a the app's theme (appTheme): code colours, and the
// CJK font found in dirs, if any, for CJK text once some is shown
// (fonts.go). It returns the CJK font found.
func installTheme(a fyne.App, dirs []string) look.CJKFiles {
	files := look.FindCJK(dirs)
	c := look.NewCJKFonts(files, func() {
		// Setting the theme again clears Fyne's font cache: the text
		// shown so far is drawn again with the CJK font.
		fyne.Do(func() { a.Settings().SetTheme(a.Settings().Theme()) })
	})
	markdown.UseCJK(c)
	a.Settings().SetTheme(look.NewAppTheme(a.Settings().Theme(), c))
	return files
}

// cjkHint is the bar over the window that says which package to install
// when no CJK font was found, until it is closed (for good: the closing is
// stored).
type cjkHint struct {
	obj   *fyne.Container
	label *widget.Label
	close *widget.Button
}

// addCJKHint puts the bar over the window's content, shown when files is
// empty and the bar was not closed before (read from the store first).
func (w *window) addCJKHint(files look.CJKFiles) *cjkHint {
	h := &cjkHint{label: widget.NewLabel(cjkHintText)}
	h.label.Wrapping = fyne.TextWrapWord
	h.close = widget.NewButtonWithIcon("", theme.CancelIcon(), func() {
		h.obj.Hide()
		bridge.Run(w.b, func() (struct{}, error) {
			return struct{}{}, w.st.SetSetting(settingCJKHintDismissed, "1")
		}, func(_ struct{}, err error) {
			if err != nil {
				w.showError("Could not save that the font notice was closed", err)
			}
		})
	})
	h.close.Importance = widget.LowImportance
	icon := widget.NewIcon(theme.WarningIcon())
	h.obj = container.NewBorder(nil, widget.NewSeparator(), icon, h.close, h.label)
	h.obj.Hide()
	w.win.SetContent(container.NewBorder(h.obj, nil, nil, nil, w.win.Content()))
	if files.Found() {
		return h
	}
	bridge.Run(w.b, func() (string, error) {
		return w.st.Setting(settingCJKHintDismissed)
	}, func(v string, err error) {
		// A setting that cannot be read counts as not closed: the bar
		// is a hint, shown once more at worst.
		if v == "" {
			h.obj.Show()
		}
	})
	return h
}
