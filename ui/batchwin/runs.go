package batchwin

import (
	"fmt"
	"strconv"

	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// loadRuns reads the stored runs into the earlier runs' list; selected,
// if not "", is the one shown.
func (v *View) loadRuns(selected string) {
	bridge.Run(v.host.Bridge(), v.st.Batches, func(runs []store.BatchRun, err error) {
		if v.closed {
			return
		}
		if err != nil {
			look.SetLabel(v.Status, "Could not read the earlier runs: "+sentence(err), widget.DangerImportance)
			return
		}
		v.runs = runs
		labels := make([]string, len(runs))
		for i, r := range runs {
			labels[i] = runLabel(r)
		}
		v.Runs.OnChanged = nil // the label of the run shown changes with its counts
		v.Runs.SetOptions(labels)
		v.Runs.ClearSelected()
		for i, r := range runs {
			if r.Name == selected {
				v.Runs.SetSelected(labels[i])
			}
		}
		v.Runs.OnChanged = func(label string) { v.openRunLabelled(label) }
		if len(runs) > 0 {
			v.Runs.PlaceHolder = "Open an earlier run"
		}
		v.Runs.Refresh()
	})
}

// runLabel is a run as the earlier runs' list shows it.
func runLabel(r store.BatchRun) string {
	return fmt.Sprintf("%s — %s, %s/%s rows", r.Name, r.State, format.Number(int64(r.Done)), format.Number(int64(r.Rows)))
}

// openRunLabelled opens the earlier run the list shows as label.
func (v *View) openRunLabelled(label string) {
	for _, r := range v.runs {
		if runLabel(r) == label {
			v.OpenRun(r)
			return
		}
	}
}

// OpenRun shows an earlier run: its settings in the form (Start resumes
// it if rows are left), its state and counts, its rows, and Export.
func (v *View) OpenRun(r store.BatchRun) {
	if v.Running() {
		return
	}
	v.form.filling = true
	if r.BaseURL != "" {
		v.form.baseURL = r.BaseURL
		v.Provider.ClearSelected()
		v.Provider.PlaceHolder = r.BaseURL
		v.Provider.Refresh()
	} else {
		v.form.baseURL = ""
		v.Provider.SetSelected(r.Provider)
	}
	v.Template.SetText(r.Template)
	v.Model.SetText(r.Model)
	v.System.SetText(r.System)
	v.Concurrency.SetText(strconv.Itoa(max(r.Concurrency, 1)))
	v.RPM.SetText(strconv.Itoa(r.RPM))
	v.TPM.SetText(strconv.Itoa(r.TPM))
	v.MaxTokens.SetText("")
	if r.MaxTokens > 0 {
		v.MaxTokens.SetText(strconv.Itoa(r.MaxTokens))
	}
	v.Name.SetText(r.Name)
	v.form.filling = false
	v.results.setTotal(r.Name, r.Rows, true)
	v.Progress.Max, v.Progress.Value = float64(r.Rows), float64(r.Done+r.Failed)
	v.Progress.Refresh()
	look.SetLabel(v.Status, runSummary(r), widget.MediumImportance)
	v.SetFile(r.Input)
}

// runSummary is a stored run's state, counts and cost.
func runSummary(r store.BatchRun) string {
	left := max(r.Rows-r.Done-r.Failed, 0)
	return fmt.Sprintf("%q is %s: %s done, %s failed, %s not asked yet · %s.", r.Name, r.State,
		format.Number(int64(r.Done)), format.Number(int64(r.Failed)), format.Number(int64(left)), format.Cost(r.Cost))
}
