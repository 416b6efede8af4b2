package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"deskchat/ui/internal/look"
	"deskchat/ui/transfer"
)

// backupsField is the "Backups to keep" item of the Defaults tab: the
// number, its error, and the last backup's outcome.
func (w *window) backupsField(d *defaultsForm) *widget.FormItem {
	d.backupsKeep = widget.NewEntry()
	d.backupsKeep.SetText(fmt.Sprint(w.prefs.BackupsKeep))
	d.backupsErr = wrapped("", widget.DangerImportance)
	d.backupsKeep.OnChanged = func(string) { setLabel(d.backupsErr, "", widget.DangerImportance) }
	d.backupsMsg = wrapped("", widget.LowImportance)
	showBackupNote(d.backupsMsg, w.backups())
	hint := wrapped("A copy of the history is made once a day in the data folder's backups/; 0 turns them off.", widget.LowImportance)
	return widget.NewFormItem("Backups to keep", container.NewVBox(container.NewGridWrap(fyne.NewSize(120, d.backupsKeep.MinSize().Height), look.WheelThrough(d.backupsKeep, &d.scroll)), d.backupsErr, hint, d.backupsMsg))
}

// backupsToKeep reads the "Backups to keep" field; a wrong value is marked.
func (d *defaultsForm) backupsToKeep() (int, error) {
	n, err := parseWhole(d.backupsKeep.Text)
	if err != nil || strings.TrimSpace(d.backupsKeep.Text) == "" {
		err = errors.New("Backups to keep is a whole number of 0 or more (0 turns backups off).")
		setLabel(d.backupsErr, err.Error(), widget.DangerImportance)
	}
	return n, err
}

func showBackupNote(l *widget.Label, s *transfer.Backups) {
	note, failed := s.Note()
	imp := widget.LowImportance
	if failed {
		imp = widget.WarningImportance
	}
	setLabel(l, note, imp)
}
