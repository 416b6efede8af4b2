package batchwin

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// chooseExport asks where to write the run's rows.
func (v *View) chooseExport() {
	name := v.results.name
	if name == "" {
		return
	}
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		path := w.URI().Path()
		w.Close()
		v.ExportTo(path)
	}, v.win)
	d.SetFileName(name + ".csv")
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".jsonl"}))
	d.Resize(fyne.NewSize(900, 620))
	d.Show()
}

// ExportTo writes the shown run's stored rows to path, CSV or JSONL by its
// extension, in input order, off the UI goroutine.
func (v *View) ExportTo(path string) {
	name := v.results.name
	if name == "" {
		return
	}
	look.SetLabel(v.Status, "Exporting to "+filepath.Base(path)+"…", widget.LowImportance)
	st := v.st
	bridge.Run(v.host.Bridge(), func() (store.BatchRun, error) { return exportRun(st, name, path) }, func(run store.BatchRun, err error) {
		if v.closed {
			return
		}
		if err != nil {
			look.SetLabel(v.Status, "Could not export: "+err.Error(), widget.DangerImportance)
			return
		}
		look.SetLabel(v.Status, fmt.Sprintf("Exported %d done and %d failed rows of %q to %s.", run.Done, run.Failed, name, path), widget.SuccessImportance)
	})
}

// exportError is a sentence about a file that cannot be written.
type exportError struct{ sentence string }

func (e *exportError) Error() string { return e.sentence }

// exportRun writes run name to path; a file half written is removed.
func exportRun(st *store.Store, name, path string) (store.BatchRun, error) {
	run, err := st.Batch(name)
	if err != nil {
		return run, &exportError{sentence(err)}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return run, &exportError{fmt.Sprintf("%s cannot be written (%s).", path, reason(err))}
	}
	err = batch.Export(st, name, batch.NewWriter(f, batch.FormatOf(path)))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		var pe *os.PathError
		if errors.As(err, &pe) {
			return run, &exportError{fmt.Sprintf("%s cannot be written (%s).", path, reason(err))}
		}
		return run, &exportError{sentence(err)}
	}
	return run, nil
}

// reason is a file error's cause in words.
func reason(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such folder"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return "the disk refused it"
}
