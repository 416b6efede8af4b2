package ui

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/engine"
	"deskchat/internal/secrets"
	"deskchat/providers"
	"deskchat/store"
	"deskchat/ui/internal/look"
)

// Key sources as the form names them.
const (
	srcKeychain = "Keychain"
	srcEnv      = "Environment variable"
	srcCommand  = "Key command"
	srcNone     = "No key"
)

// Fields of the provider form that can carry a sentence.
const (
	fieldName       = string(providers.FieldName)
	fieldBaseURL    = string(providers.FieldBaseURL)
	fieldAPIVersion = string(providers.FieldAPIVersion)
	fieldKey        = string(providers.FieldKey)
	fieldModel      = string(providers.FieldModel)
	fieldLimits     = string(providers.FieldLimits)
	fieldFallback   = string(providers.FieldFallback)
)

// keyPlaceholderStored is what the key field shows when a key is stored:
// a stored key is never shown back.
const keyPlaceholderStored = "stored in the keychain — type to replace"

// providerForm is the settings' form for one provider: a stored one
// (orig.Name set) or a new one made from preset.
type providerForm struct {
	orig   store.Provider
	preset engine.Preset
	kind   string
	models []string // what the model picker offers
	edited bool     // the user changed a field since the form opened

	content fyne.CanvasObject

	presetName, hint          *widget.Label
	name, baseURL, apiVersion *widget.Entry
	keySource                 *widget.Select
	keyNote                   *widget.Label // says when the keychain cannot be used
	keychainMsg               string        // ... in these words; "": it can
	key                       *widget.Entry // password entry: the key for the keychain
	keyEnv                    *widget.Entry
	keyCmd                    *widget.Entry
	keyHint                   *widget.Label
	model                     *widget.SelectEntry
	fetch                     *widget.Button
	modelsInfo                *widget.Label
	rpm, tpm, concurrent      *widget.Entry
	fallback                  *widget.Select
	makeDefault               *widget.Check
	scroll                    *container.Scroll // the form, scrolled by the wheel also over its fields
	test, save, remove        *widget.Button
	result                    *widget.Label // Test connection's answer, "Saved."
	problem                   *widget.Label // what went wrong that no field explains
	pointsAtFields            bool          // problem says to fix the fields marked in red
	errs                      map[string]*widget.Label
}

const noFallback = "None"

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func wrapped(text string, imp widget.Importance) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	l.Importance, l.SizeName = hintStyle(imp)
	if text == "" {
		l.Hide()
	}
	return l
}

// hintStyle draws a hint (LowImportance) in the text colour at caption
// size: Fyne's low importance is the disabled colour, too faint to read.
func hintStyle(imp widget.Importance) (widget.Importance, fyne.ThemeSizeName) {
	if imp == widget.LowImportance {
		return widget.MediumImportance, theme.SizeNameCaptionText
	}
	return imp, theme.SizeNameText
}

// setLabel shows text in l (hiding l when text is empty).
func setLabel(l *widget.Label, text string, imp widget.Importance) {
	l.Importance, l.SizeName = hintStyle(imp)
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// openProviderForm shows the form for orig (a stored provider), or for a
// new one made from preset when orig has no name.
// leaveForm calls then once the open provider form may go: at once when
// nothing was changed in it, else after the user chose to discard the
// changes (keeping them selects the form's provider in the list again).
func (w *window) leaveForm(then func()) {
	s := w.settingsState()
	f := s.form
	if f == nil || !f.edited {
		then()
		return
	}
	what := "the new provider"
	if f.orig.Name != "" {
		what = f.orig.Name
	}
	d := dialog.NewConfirm("Discard changes?", fmt.Sprintf("Your changes to %s are not saved. Discard them?", what), func(discard bool) {
		if discard {
			then()
			return
		}
		s.list.UnselectAll()
		for i, p := range s.listed {
			if p.Name == f.orig.Name {
				s.list.Select(i)
			}
		}
	}, w.win)
	d.SetConfirmText("Discard")
	d.SetDismissText("Keep editing")
	d.Show()
}

func (w *window) openProviderForm(orig store.Provider, preset engine.Preset) {
	s := w.settingsState()
	f := w.newProviderForm(orig, preset)
	s.form, s.problem = f, f.problem
	if orig.Name == "" {
		s.list.UnselectAll()
	}
	s.detail.Objects = []fyne.CanvasObject{f.content}
	s.detail.Refresh()
	if s.probed {
		f.setKeychain(s.keychainErr)
	}
	if orig.Name == "" {
		w.win.Canvas().Focus(f.name)
	}
}

func (w *window) newProviderForm(orig store.Provider, preset engine.Preset) *providerForm {
	isNew := orig.Name == ""
	f := &providerForm{orig: orig, preset: preset, kind: orig.Kind, errs: map[string]*widget.Label{}}
	if isNew {
		f.kind = preset.Kind
	}
	for _, k := range []string{fieldName, fieldBaseURL, fieldAPIVersion, fieldKey, fieldModel, fieldLimits, fieldFallback} {
		f.errs[k] = wrapped("", widget.DangerImportance)
	}

	f.presetName = widget.NewLabelWithStyle(preset.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	f.hint = wrapped(preset.Hint, widget.LowImportance)
	f.name = widget.NewEntry()
	f.baseURL = widget.NewEntry()
	f.baseURL.SetPlaceHolder("http://localhost:11434/v1")
	if f.kind == store.KindOpenAI {
		f.baseURL.SetPlaceHolder("https://api.openai.com/v1")
	}
	f.apiVersion = widget.NewEntry()
	f.apiVersion.SetPlaceHolder(engine.DefaultAzureAPIVersion)
	f.key = widget.NewPasswordEntry()
	f.keyEnv = widget.NewEntry()
	f.keyEnv.SetPlaceHolder("OPENAI_API_KEY")
	f.keyCmd = widget.NewEntry()
	f.keyCmd.SetPlaceHolder("pass show openai/api-key")
	f.keyNote = wrapped("", widget.WarningImportance)
	f.keyHint = wrapped("", widget.LowImportance)
	f.keySource = widget.NewSelect(nil, nil)
	f.model = widget.NewSelectEntry(nil)
	f.model.SetPlaceHolder("pick or type a model")
	f.modelsInfo = wrapped("", widget.LowImportance)
	f.rpm, f.tpm, f.concurrent = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.rpm.SetPlaceHolder("no limit")
	f.tpm.SetPlaceHolder("no limit")
	f.concurrent.SetPlaceHolder("4")
	var fallbacks []string
	for _, p := range w.providers {
		if p.Name != orig.Name {
			fallbacks = append(fallbacks, p.Name)
		}
	}
	f.fallback = widget.NewSelect(append([]string{noFallback}, fallbacks...), nil)
	f.makeDefault = widget.NewCheck("Use for new chats", nil)
	f.result = wrapped("", widget.MediumImportance)
	f.problem = wrapped("", widget.DangerImportance)

	src := f.fill(w)
	if orig.KeySource == store.KeyFromKeychain {
		f.key.SetPlaceHolder(keyPlaceholderStored)
	} else {
		f.key.SetPlaceHolder("paste the API key")
	}
	f.model.SetOptions(f.modelOptions())
	f.keySource.Options = f.sourceOptions(true)
	f.keySource.OnChanged = func(string) { f.showSource() }
	f.keySource.SetSelected(src)

	// Editing a field takes its sentence away.
	clear := func(field string) func(string) { return func(string) { f.edited = true; f.setErr(field, "") } }
	f.name.OnChanged = clear(fieldName)
	f.baseURL.OnChanged = clear(fieldBaseURL)
	f.apiVersion.OnChanged = clear(fieldAPIVersion)
	f.key.OnChanged = clear(fieldKey)
	f.keyCmd.OnChanged = clear(fieldKey)
	f.keyEnv.OnChanged = func(string) { f.edited = true; f.setErr(fieldKey, ""); f.showSource() }
	f.keySource.OnChanged = func(string) { f.edited = true; f.setErr(fieldKey, ""); f.showSource() }
	f.model.OnChanged = clear(fieldModel)
	for _, e := range []*widget.Entry{f.rpm, f.tpm, f.concurrent} {
		e.OnChanged = clear(fieldLimits)
	}
	f.fallback.OnChanged = clear(fieldFallback)

	f.fetch = widget.NewButtonWithIcon("Fetch models", theme.ViewRefreshIcon(), func() { w.testProvider(f, true) })
	f.test = widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), func() { w.testProvider(f, false) })
	f.save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { w.saveProvider(f) })
	f.save.Importance = widget.HighImportance
	f.remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { w.askRemoveProvider(f) })
	f.remove.Importance = widget.DangerImportance
	if isNew {
		f.remove.Hide()
	}

	f.layOut()
	return f
}

// fill puts the stored provider (or, for a new one, its preset) into the
// fields and returns the key source to choose.
func (f *providerForm) fill(w *window) string {
	src := srcNone
	orig, preset := f.orig, f.preset
	if orig.Name == "" {
		f.name.SetText(w.freeName(preset.Name))
		f.baseURL.SetText(preset.BaseURL)
		f.apiVersion.SetText(preset.APIVersion)
		f.keyEnv.SetText(preset.KeyEnv)
		if preset.NeedsKey {
			src = srcKeychain
		}
		f.models = append([]string(nil), preset.Models...)
		if len(f.models) > 0 {
			f.model.SetText(f.models[0])
		}
		f.fallback.SetSelected(noFallback)
		// The first real provider takes over from the Simulator (or from
		// none): someone who adds one means to use it.
		f.makeDefault.SetChecked(w.defaultProv == "" || (w.defaultProv == engine.SimulatorName && len(w.providers) == 0))
	} else {
		f.name.SetText(orig.Name)
		f.baseURL.SetText(orig.BaseURL)
		f.apiVersion.SetText(orig.APIVersion)
		f.keyEnv.SetText(orig.KeyEnv)
		f.keyCmd.SetText(orig.KeyCommand)
		src = sourceLabel(orig)
		if src == srcEnv && orig.KeyEnv == "" {
			f.keyEnv.SetText("OPENAI_API_KEY") // what an OpenAI provider without a source reads
		}
		f.models = append([]string(nil), orig.Models...)
		f.model.SetText(orig.Model)
		f.rpm.SetText(itoaBlank(orig.RequestsPerMinute))
		f.tpm.SetText(itoaBlank(orig.TokensPerMinute))
		f.concurrent.SetText(itoaBlank(orig.MaxConcurrent))
		if orig.Fallback != "" {
			if !contains(f.fallback.Options, orig.Fallback) {
				f.fallback.Options = append(f.fallback.Options, orig.Fallback)
			}
			f.fallback.SetSelected(orig.Fallback)
		} else {
			f.fallback.SetSelected(noFallback)
		}
		f.makeDefault.SetChecked(orig.Name == w.defaultProv)
	}
	return src
}

// layOut arranges the form's widgets: the fields in a scroll, the default
// box, the result lines and the buttons below it.
func (f *providerForm) layOut() {
	// The wheel scrolls the form also over the text fields (see wheelRelay).
	wheel := func(o fyne.CanvasObject) fyne.CanvasObject { return look.WheelThrough(o, &f.scroll) }
	field := func(o fyne.CanvasObject, key string, extra ...fyne.CanvasObject) fyne.CanvasObject {
		objs := append([]fyne.CanvasObject{o}, extra...)
		return container.NewVBox(append(objs, f.errs[key])...)
	}
	limit := func(label string, e *widget.Entry) fyne.CanvasObject {
		l := widget.NewLabel(label)
		l.Importance, l.SizeName = hintStyle(widget.LowImportance)
		l.Truncation = fyne.TextTruncateEllipsis
		return container.NewVBox(l, wheel(e))
	}
	items := []*widget.FormItem{
		widget.NewFormItem("Preset", container.NewVBox(f.presetName, f.hint)),
		widget.NewFormItem("Name", field(wheel(f.name), fieldName)),
		widget.NewFormItem("Base URL", field(wheel(f.baseURL), fieldBaseURL)),
	}
	if f.kind == store.KindAzure {
		items = append(items, widget.NewFormItem("API version", field(wheel(f.apiVersion), fieldAPIVersion)))
	}
	modelLabel := "Model"
	if f.kind == store.KindAzure {
		modelLabel = "Deployment"
	}
	items = append(items,
		widget.NewFormItem("API key", field(container.NewBorder(nil, nil,
			container.NewGridWrap(fyne.NewSize(200, f.keySource.MinSize().Height), f.keySource), nil,
			wheel(container.NewStack(f.key, f.keyEnv, f.keyCmd))), fieldKey, f.keyHint, f.keyNote)),
		widget.NewFormItem(modelLabel, field(container.NewBorder(nil, nil, nil, f.fetch, wheel(f.model)), fieldModel, f.modelsInfo)),
		widget.NewFormItem("Limits", field(container.NewGridWithColumns(3,
			limit("Requests / min", f.rpm), limit("Tokens / min", f.tpm), limit("Streams at once", f.concurrent)), fieldLimits)),
		widget.NewFormItem("Fallback", field(f.fallback, fieldFallback, wrapped("Answers when this provider fails before its first word.", widget.LowImportance))),
	)
	form := widget.NewForm(items...)
	buttons := container.NewHBox(f.test, layout.NewSpacer(), f.remove, f.save)
	// "Use for new chats" sits by Save, outside the scroll: at the end of
	// the form it was below the fold of the dialog's default size.
	f.scroll = container.NewVScroll(container.NewPadded(form))
	f.content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), f.makeDefault, f.result, f.problem, buttons), nil, nil, f.scroll)
}

func itoaBlank(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// freeName is name, or name followed by the first number that makes it
// unused.
func (w *window) freeName(name string) string {
	taken := func(n string) bool {
		if strings.EqualFold(n, engine.SimulatorName) {
			return true
		}
		for _, p := range w.providers {
			if strings.EqualFold(p.Name, n) {
				return true
			}
		}
		return false
	}
	if !taken(name) {
		return name
	}
	for i := 2; ; i++ {
		if n := fmt.Sprintf("%s %d", name, i); !taken(n) {
			return n
		}
	}
}

// sourceLabel is where a stored provider's key comes from, as the form
// names it.
func sourceLabel(p store.Provider) string {
	switch p.KeySource {
	case store.KeyFromKeychain:
		return srcKeychain
	case store.KeyFromEnv:
		return srcEnv
	case store.KeyFromCommand:
		return srcCommand
	}
	if p.KeyEnv != "" || p.Kind == store.KindOpenAI {
		return srcEnv // records from before key sources: KeyEnv, or OPENAI_API_KEY
	}
	return srcNone
}

// sourceOptions are the key sources offered; the keychain only when it
// works, or when this provider's key is already there.
func (f *providerForm) sourceOptions(keychainOK bool) []string {
	if keychainOK || f.orig.KeySource == store.KeyFromKeychain {
		return []string{srcKeychain, srcEnv, srcCommand, srcNone}
	}
	return []string{srcEnv, srcCommand, srcNone}
}

// setKeychain takes secrets.Probe's answer: when the keychain cannot be
// used, it says so and offers the other sources.
func (f *providerForm) setKeychain(perr error) {
	if perr == nil {
		f.keychainMsg = ""
		f.keySource.Options = f.sourceOptions(true)
		f.keySource.Refresh()
		f.showSource()
		return
	}
	f.keychainMsg = settingsSentence(perr)
	f.keySource.Options = f.sourceOptions(false)
	if f.keySource.Selected == srcKeychain && !contains(f.keySource.Options, srcKeychain) {
		if strings.TrimSpace(f.keyEnv.Text) == "" {
			f.keyEnv.SetText(f.preset.KeyEnv)
		}
		f.keySource.SetSelected(srcEnv)
	}
	f.keySource.Refresh()
	f.showSource()
}

// showSource shows the field for the chosen key source and what to know
// about it.
func (f *providerForm) showSource() {
	src := f.keySource.Selected
	f.key.Hidden, f.keyEnv.Hidden, f.keyCmd.Hidden = src != srcKeychain, src != srcEnv, src != srcCommand
	for _, e := range []*widget.Entry{f.key, f.keyEnv, f.keyCmd} {
		e.Refresh()
	}
	// Why the keychain is missing matters to whoever needs a key.
	note := ""
	if src != srcNone || f.preset.NeedsKey {
		note = f.keychainMsg
	}
	setLabel(f.keyNote, note, widget.WarningImportance)
	hint, imp := "", widget.LowImportance
	switch src {
	case srcKeychain:
		hint = "Kept in the system keychain, never in deskchat's files."
	case srcEnv:
		v := strings.TrimSpace(f.keyEnv.Text)
		switch {
		case v == "":
		case !envName.MatchString(v):
		case os.Getenv(v) == "":
			hint, imp = v+" is not set in deskchat's environment: set it before you start deskchat.", widget.WarningImportance
		default:
			hint = v + " is set."
		}
	case srcCommand:
		hint = "deskchat runs this command with sh -c when it first needs the key (for at most 5 s) and keeps what it prints in memory only."
	case srcNone:
		if f.preset.NeedsKey {
			hint, imp = f.preset.Name+" needs an API key: without one, it refuses requests.", widget.WarningImportance
		} else {
			hint = "For servers that need no key, like a local Ollama or LM Studio."
		}
	}
	setLabel(f.keyHint, hint, imp)
}

// modelOptions is what the model picker offers: the known models and the
// one typed.
func (f *providerForm) modelOptions() []string {
	out := append([]string(nil), f.models...)
	if m := strings.TrimSpace(f.model.Text); m != "" && !contains(out, m) {
		out = append([]string{m}, out...)
	}
	return out
}

// offerModels puts a fetched model list in the picker; an empty model
// field gets the first one.
func (f *providerForm) offerModels(models []string) {
	f.models = models
	if strings.TrimSpace(f.model.Text) == "" && len(models) > 0 {
		f.model.SetText(models[0])
	}
	f.model.SetOptions(f.modelOptions())
}

func (f *providerForm) setErr(field, text string) {
	if l := f.errs[field]; l != nil && (l.Text != text || l.Visible() != (text != "")) {
		setLabel(l, text, widget.DangerImportance)
	}
	if text != "" || !f.pointsAtFields {
		return
	}
	for _, l := range f.errs {
		if l.Visible() {
			return
		}
	}
	// The last red sentence went: "fix what is marked in red" has
	// nothing left to point at.
	f.pointsAtFields = false
	setLabel(f.problem, "", widget.DangerImportance)
}

// notSaved says why the form was not saved: text, which points at the red
// sentences next to the fields when fields is set.
func (f *providerForm) notSaved(text string, fields bool) {
	setLabel(f.problem, text, widget.DangerImportance)
	f.pointsAtFields = fields && text != ""
}

func (f *providerForm) showErrs(errs map[string]string) {
	for k := range f.errs {
		f.setErr(k, errs[k])
	}
}

func (f *providerForm) busy(on bool) {
	for _, b := range []*widget.Button{f.test, f.fetch, f.save, f.remove} {
		if on {
			b.Disable()
		} else {
			b.Enable()
		}
	}
}

// draft reads the form: the provider it describes (as providers.Check
// tidies it up), the key typed for the keychain, and the sentence for each
// field to fix. stored are the providers stored now. The checks are the
// command line's (providers.Check); only reading numbers out of the text
// fields is the form's own.
func (f *providerForm) draft(stored []store.Provider) (store.Provider, string, map[string]string) {
	p := f.orig
	p.Name = f.name.Text
	p.Kind = f.kind
	p.Preset = f.preset.Name
	p.BaseURL = f.baseURL.Text
	p.APIVersion = f.apiVersion.Text
	p.Model = f.model.Text
	p.Models = f.modelOptions()
	p.KeySource, p.KeyEnv, p.KeyCommand = "", "", ""
	key := ""
	switch f.keySource.Selected {
	case srcKeychain:
		p.KeySource = store.KeyFromKeychain
		key = strings.TrimSpace(f.key.Text)
	case srcEnv:
		p.KeySource, p.KeyEnv = store.KeyFromEnv, f.keyEnv.Text
	case srcCommand:
		p.KeySource, p.KeyCommand = store.KeyFromCommand, f.keyCmd.Text
	}
	var bad []string
	for _, l := range []struct {
		what string
		e    *widget.Entry
		to   *int
	}{{"requests per minute", f.rpm, &p.RequestsPerMinute}, {"tokens per minute", f.tpm, &p.TokensPerMinute}, {"streams at once", f.concurrent, &p.MaxConcurrent}} {
		n, err := parseWhole(l.e.Text)
		if err != nil {
			bad = append(bad, l.what)
			continue
		}
		*l.to = n
	}
	p.Fallback = f.fallback.Selected
	if p.Fallback == noFallback {
		p.Fallback = ""
	}

	p, probs := providers.Check(providers.Draft{Provider: p, Key: key}, stored, f.orig.Name)
	errs := map[string]string{}
	for field, text := range probs {
		errs[string(field)] = text
	}
	if len(bad) > 0 {
		errs[fieldLimits] = fmt.Sprintf("Limits are whole numbers of 0 or more (empty or 0: no limit); check %s.", strings.Join(bad, " and "))
	}
	if errs[fieldModel] != "" {
		errs[fieldModel] += " Fetch models lists what the provider offers."
	}
	return p, key, errs
}

// fieldError is an error that belongs next to one of the form's fields.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// settingsSentence is what the settings show for err.
func settingsSentence(err error) string {
	var pe *engine.ProviderError
	if errors.As(err, &pe) {
		return pe.Sentence
	}
	var se *secrets.Error
	if errors.As(err, &se) {
		return se.Sentence
	}
	return sentence(err)
}
