package batchwin

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// formState is what the form holds beside its widgets.
type formState struct {
	path     string     // the input, absolute
	first    *batch.Row // its first row, once read
	inputErr string     // why the input cannot run, "" when it can
	readGen  int        // input reads started; only the latest one is shown
	provs    []store.Provider
	defProv  string
	// baseURL is the endpoint of an earlier run made with --base-url: the
	// provider list cannot show it, so it stays until another provider is
	// chosen.
	baseURL string
	// filling is set while an earlier run's settings are put in the form:
	// its entries' OnChanged do not each ask for an estimate.
	filling bool
}

// previewLimit bounds the first prompt shown under the template.
const previewLimit = 2000

func (v *View) buildForm() fyne.CanvasObject {
	v.Runs = widget.NewSelect(nil, func(label string) { v.openRunLabelled(label) })
	v.Runs.PlaceHolder = "No earlier runs"

	v.File = widget.NewLabel("No file chosen")
	v.File.Truncation = fyne.TextTruncateEllipsis
	v.Choose = widget.NewButtonWithIcon("Choose…", theme.FolderOpenIcon(), v.chooseFile)
	v.Columns = hint("A .csv file whose first row names the fields, or a .jsonl file of one object per line.")

	v.Template = widget.NewMultiLineEntry()
	v.Template.SetPlaceHolder("Classify this ticket as bug, question or praise: {{text}}")
	v.Template.Wrapping = fyne.TextWrapWord
	v.Template.SetMinRowsVisible(3)
	v.Template.OnChanged = func(string) { v.showPreview(); v.changed() }
	v.Preview = look.Wrapped("", widget.MediumImportance)

	v.Provider = widget.NewSelect(nil, func(string) { v.providerChosen() })
	v.Model = widget.NewEntry()
	v.System = widget.NewMultiLineEntry()
	v.System.Wrapping = fyne.TextWrapWord
	v.System.SetPlaceHolder("None")
	v.System.SetMinRowsVisible(2)
	v.Concurrency = numberEntry(strconv.Itoa(batch.DefaultConcurrency))
	v.RPM = numberEntry("0")
	v.TPM = numberEntry("0")
	v.MaxTokens = numberEntry("")
	// What the run sends when left empty (batch.Options): the limit set
	// for the provider's model, else DefaultMaxTokens — the estimate's
	// figure.
	v.MaxTokens.SetPlaceHolder(fmt.Sprintf("the provider's, else %d", batch.DefaultMaxTokens))
	v.Name = widget.NewEntry()
	v.Name.SetPlaceHolder("the file's name")
	v.NameNote = hint("Running again under the same name goes on where the run stopped.")
	for _, e := range []*widget.Entry{v.Model, v.System, v.Concurrency, v.RPM, v.TPM, v.MaxTokens, v.Name} {
		e.OnChanged = func(string) { v.changed() }
	}

	limits := widget.NewForm(
		widget.NewFormItem("At once", v.Concurrency),
		widget.NewFormItem("Requests/min", v.RPM),
		widget.NewFormItem("Tokens/min", v.TPM),
		widget.NewFormItem("Max tokens", v.MaxTokens),
	)
	who := widget.NewForm(
		widget.NewFormItem("Provider", v.Provider),
		widget.NewFormItem("Model", v.Model),
		widget.NewFormItem("System", v.System),
	)
	return container.NewVBox(
		heading("Batch run"),
		widget.NewForm(widget.NewFormItem("Earlier runs", v.Runs)),
		widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, v.Choose, v.File),
		v.Columns,
		widget.NewLabelWithStyle("Template", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		v.Template,
		v.Preview,
		widget.NewSeparator(),
		who,
		hint("A limit of 0 a minute leaves only the provider's own."),
		limits,
		widget.NewForm(widget.NewFormItem("Name", v.Name)),
		v.NameNote,
	)
}

func numberEntry(text string) *widget.Entry {
	e := widget.NewEntry()
	e.SetText(text)
	return e
}

// chooseFile asks for the input file.
func (v *View) chooseFile() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		path := r.URI().Path()
		r.Close()
		v.SetFile(path)
	}, v.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".csv", ".jsonl", ".ndjson"}))
	d.Resize(fyne.NewSize(900, 620))
	d.Show()
}

// SetFile makes path the input: its columns and first row are read off the
// UI goroutine, the name defaults to its base name, and the estimate is
// redone.
func (v *View) SetFile(path string) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs // a run resumed from elsewhere finds it
	}
	v.form.path, v.form.first, v.form.inputErr = path, nil, ""
	v.File.SetText(filepath.Base(path) + "  —  " + filepath.Dir(path))
	v.Columns.SetText("Reading the file…")
	v.Name.SetPlaceHolder(defaultName(path))
	v.showPreview()
	v.form.readGen++
	gen := v.form.readGen
	bridge.Run(v.host.Bridge(), func() (batch.Row, error) { return firstRow(path) }, func(row batch.Row, err error) {
		if v.closed || gen != v.form.readGen {
			return
		}
		if err != nil {
			v.form.inputErr = sentence(err)
			look.SetLabel(v.Columns, v.form.inputErr, widget.DangerImportance)
		} else {
			v.form.first = &row
			look.SetLabel(v.Columns, "Columns: "+strings.Join(row.Names, ", "), widget.LowImportance)
		}
		v.showPreview()
		v.refreshButtons()
	})
	v.changedNow()
}

// defaultName is a run's name when none is given: the file's base name
// without its extension, as on the command line.
func defaultName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

// firstRow reads path's first row.
func firstRow(path string) (batch.Row, error) {
	in, err := batch.Open(path)
	if err != nil {
		return batch.Row{}, err
	}
	defer in.Close()
	row, err := in.Next()
	if errors.Is(err, io.EOF) {
		return batch.Row{}, &batch.InputError{Sentence: path + " has no rows."}
	}
	return row, err
}

// showPreview fills the template from the first row, or says why it
// cannot.
func (v *View) showPreview() {
	text := v.Template.Text
	switch {
	case v.form.first == nil:
		look.SetLabel(v.Preview, "", widget.LowImportance)
		v.Preview.Hide()
		return
	case strings.TrimSpace(text) == "":
		look.SetLabel(v.Preview, "Type the prompt; {{field}} is replaced by the row's field.", widget.LowImportance)
		v.Preview.Show()
		return
	}
	v.Preview.Show()
	t, err := batch.ParseTemplate(text)
	if err != nil {
		look.SetLabel(v.Preview, plainSentence(err), widget.DangerImportance)
		return
	}
	prompt, err := t.Fill(*v.form.first)
	if err != nil {
		look.SetLabel(v.Preview, sentence(err), widget.DangerImportance)
		return
	}
	if len(prompt) > previewLimit {
		prompt = prompt[:previewLimit] + "…"
	}
	look.SetLabel(v.Preview, "First row's prompt: "+prompt, widget.MediumImportance)
}

// loadProviders reads the stored providers and the default one.
func (v *View) loadProviders() {
	type provs struct {
		list []store.Provider
		def  string
	}
	bridge.Run(v.host.Bridge(), func() (provs, error) {
		list, err := v.st.Providers()
		if err != nil {
			return provs{}, err
		}
		def, _ := v.st.Setting(store.SettingDefaultProvider)
		return provs{list, def}, nil
	}, func(p provs, err error) {
		if v.closed {
			return
		}
		if err != nil {
			look.SetLabel(v.Status, "Could not read your providers: "+sentence(err), widget.DangerImportance)
		}
		v.form.provs, v.form.defProv = p.list, p.def
		names := []string{}
		for _, pr := range p.list {
			names = append(names, pr.Name)
		}
		names = append(names, engine.SimulatorName)
		v.Provider.SetOptions(names)
		if v.Provider.Selected == "" {
			def := p.def
			if def == "" {
				def = names[0]
			}
			v.Provider.SetSelected(def)
		}
	})
}

// providerChosen puts the provider's model in the model entry.
func (v *View) providerChosen() {
	if v.form.filling {
		return
	}
	v.form.baseURL = ""
	name := v.Provider.Selected
	model := ""
	if name == engine.SimulatorName {
		model = engine.SimulatorConfig().Model
	}
	for _, p := range v.form.provs {
		if p.Name == name {
			model = p.Model
		}
	}
	v.Model.SetText(model)
	v.changed()
}

// spec is the run the form describes, or the sentence saying what is
// wrong with it.
func (v *View) spec() (batch.Spec, string) {
	s := batch.Spec{Provider: v.Provider.Selected, Model: strings.TrimSpace(v.Model.Text), System: v.System.Text}
	if v.form.baseURL != "" {
		s.Provider, s.BaseURL = "", v.form.baseURL
	}
	var bad string
	num := func(e *widget.Entry, what string, lo, hi int) int {
		t := strings.TrimSpace(e.Text)
		if t == "" {
			return 0
		}
		n, err := strconv.Atoi(strings.ReplaceAll(t, ",", ""))
		if (err != nil || n < lo || n > hi) && bad == "" {
			bad = fmt.Sprintf("%s takes a whole number from %d to %s.", what, lo, strconv.Itoa(hi))
		}
		return n
	}
	s.Concurrency = num(v.Concurrency, "At once", 1, 1024)
	if s.Concurrency == 0 && bad == "" {
		s.Concurrency = batch.DefaultConcurrency
	}
	num(v.RPM, "Requests/min", 0, 1_000_000)
	num(v.TPM, "Tokens/min", 0, 1_000_000_000)
	s.MaxTokens = num(v.MaxTokens, "Max tokens", 0, 10_000_000)
	return s, bad
}

// limits are the form's RPM and TPM (0: none), once spec found them good.
func (v *View) limits() (rpm, tpm int) {
	rpm, _ = strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(v.RPM.Text), ",", ""))
	tpm, _ = strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(v.TPM.Text), ",", ""))
	return rpm, tpm
}

// runName is the name the run goes by.
func (v *View) runName() string {
	if n := strings.TrimSpace(v.Name.Text); n != "" {
		return n
	}
	if v.form.path == "" {
		return ""
	}
	return defaultName(v.form.path)
}

// plainSentence is err's own text as a sentence: for the errors that are
// written for the user (the template's, the provider choice's).
func plainSentence(err error) string {
	s := err.Error()
	if s == "" {
		return ""
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// sentence is err as the user reads it: an input's sentence, else the
// engine's words for it (never a key, never a Go error's dump).
func sentence(err error) string {
	var ie *batch.InputError
	if errors.As(err, &ie) {
		return ie.Sentence
	}
	s := engine.UserMessage(err)
	if s != "" && !strings.HasSuffix(s, ".") {
		s += "."
	}
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}
