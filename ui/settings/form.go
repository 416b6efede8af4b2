package settings

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/providers"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// Key sources as the form names them.
const (
	SrcKeychain = "Keychain"
	SrcEnv      = "Environment variable"
	SrcCommand  = "Key command"
	SrcNone     = "No key"
)

// Fields of the provider form that can carry a sentence.
const (
	FieldName       = string(providers.FieldName)
	FieldBaseURL    = string(providers.FieldBaseURL)
	FieldAPIVersion = string(providers.FieldAPIVersion)
	FieldKey        = string(providers.FieldKey)
	FieldModel      = string(providers.FieldModel)
	FieldLimits     = string(providers.FieldLimits)
	FieldFallback   = string(providers.FieldFallback)
)

// KeyPlaceholderStored is what the key field shows when a key is stored:
// a stored key is never shown back.
const KeyPlaceholderStored = "stored in the keychain — type to replace"

// ProviderForm is the settings' form for one provider: a stored one
// (orig.Name set) or a new one made from preset.
type ProviderForm struct {
	Orig   store.Provider
	Preset engine.Preset
	Kind   string
	Models []string // what the model picker offers
	edited bool     // the user changed a field since the form opened

	Content fyne.CanvasObject

	PresetName, Hint          *widget.Label
	Name, BaseURL, APIVersion *widget.Entry
	KeySource                 *widget.Select
	KeyNote                   *widget.Label // says when the keychain cannot be used
	keychainMsg               string        // ... in these words; "": it can
	Key                       *widget.Entry // password entry: the key for the keychain
	KeyEnv                    *widget.Entry
	KeyCmd                    *widget.Entry
	KeyHint                   *widget.Label
	Model                     *widget.SelectEntry
	Fetch                     *widget.Button
	ModelsInfo                *widget.Label
	RPM, TPM, Concurrent      *widget.Entry
	Fallback                  *widget.Select
	Vision                    *VisionField // which models take images
	MakeDefault               *widget.Check
	Scroll                    *container.Scroll // the form, scrolled by the wheel also over its fields
	Test, Save, Remove        *widget.Button
	Result                    *widget.Label // Test connection's answer, "Saved."
	Problem                   *widget.Label // what went wrong that no field explains
	pointsAtFields            bool          // problem says to fix the fields marked in red
	Errs                      map[string]*widget.Label
}

const noFallback = "None"

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// leaveForm calls then once the open provider form may go: at once when
// nothing was changed in it, else after the user chose to discard the
// changes (keeping them selects the form's provider in the list again).
func (s *Dialog) leaveForm(then func()) {
	f := s.Form
	if f == nil || !f.edited {
		then()
		return
	}
	what := "the new provider"
	if f.Orig.Name != "" {
		what = f.Orig.Name
	}
	d := dialog.NewConfirm("Discard changes?", fmt.Sprintf("Your changes to %s are not saved. Discard them?", what), func(discard bool) {
		if discard {
			then()
			return
		}
		s.List.UnselectAll()
		for i, p := range s.Listed {
			if p.Name == f.Orig.Name {
				s.List.Select(i)
			}
		}
	}, s.host.Window())
	d.SetConfirmText("Discard")
	d.SetDismissText("Keep editing")
	d.Show()
}

// OpenProviderForm shows the form for orig (a stored provider), or for a
// new one made from preset when orig has no name.
func (s *Dialog) OpenProviderForm(orig store.Provider, preset engine.Preset) {
	f := s.newProviderForm(orig, preset)
	s.Form, s.Problem = f, f.Problem
	if orig.Name == "" {
		s.List.UnselectAll()
	}
	s.Detail.Objects = []fyne.CanvasObject{f.Content}
	s.Detail.Refresh()
	if s.probed {
		f.setKeychain(s.keychainErr)
	}
	if orig.Name == "" {
		s.host.Window().Canvas().Focus(f.Name)
	}
}

func (s *Dialog) newProviderForm(orig store.Provider, preset engine.Preset) *ProviderForm {
	isNew := orig.Name == ""
	f := &ProviderForm{Orig: orig, Preset: preset, Kind: orig.Kind, Errs: map[string]*widget.Label{}}
	if isNew {
		f.Kind = preset.Kind
	}
	for _, k := range []string{FieldName, FieldBaseURL, FieldAPIVersion, FieldKey, FieldModel, FieldLimits, FieldFallback} {
		f.Errs[k] = look.Wrapped("", widget.DangerImportance)
	}

	f.PresetName = widget.NewLabelWithStyle(preset.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	f.Hint = look.Wrapped(preset.Hint, widget.LowImportance)
	f.Name = widget.NewEntry()
	f.BaseURL = widget.NewEntry()
	f.BaseURL.SetPlaceHolder("http://localhost:11434/v1")
	if f.Kind == store.KindOpenAI {
		f.BaseURL.SetPlaceHolder("https://api.openai.com/v1")
	}
	f.APIVersion = widget.NewEntry()
	f.APIVersion.SetPlaceHolder(engine.DefaultAzureAPIVersion)
	f.Key = widget.NewPasswordEntry()
	f.KeyEnv = widget.NewEntry()
	f.KeyEnv.SetPlaceHolder("OPENAI_API_KEY")
	f.KeyCmd = widget.NewEntry()
	f.KeyCmd.SetPlaceHolder("pass show openai/api-key")
	f.KeyNote = look.Wrapped("", widget.WarningImportance)
	f.KeyHint = look.Wrapped("", widget.LowImportance)
	f.KeySource = widget.NewSelect(nil, nil)
	f.Model = widget.NewSelectEntry(nil)
	f.Model.SetPlaceHolder("pick or type a model")
	f.ModelsInfo = look.Wrapped("", widget.LowImportance)
	f.RPM, f.TPM, f.Concurrent = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	f.RPM.SetPlaceHolder("no limit")
	f.TPM.SetPlaceHolder("no limit")
	f.Concurrent.SetPlaceHolder("4")
	var fallbacks []string
	for _, p := range s.host.Providers() {
		if p.Name != orig.Name {
			fallbacks = append(fallbacks, p.Name)
		}
	}
	f.Fallback = widget.NewSelect(append([]string{noFallback}, fallbacks...), nil)
	f.MakeDefault = widget.NewCheck("Use for new chats", nil)
	f.Result = look.Wrapped("", widget.MediumImportance)
	f.Problem = look.Wrapped("", widget.DangerImportance)

	src := f.fill(s)
	if orig.KeySource == store.KeyFromKeychain {
		f.Key.SetPlaceHolder(KeyPlaceholderStored)
	} else {
		f.Key.SetPlaceHolder("paste the API key")
	}
	f.Model.SetOptions(f.ModelOptions())
	f.KeySource.Options = f.sourceOptions(true)
	f.KeySource.OnChanged = func(string) { f.showSource() }
	f.KeySource.SetSelected(src)

	// Editing a field takes its sentence away.
	clear := func(field string) func(string) { return func(string) { f.edited = true; f.setErr(field, "") } }
	f.Name.OnChanged = clear(FieldName)
	f.BaseURL.OnChanged = clear(FieldBaseURL)
	f.APIVersion.OnChanged = clear(FieldAPIVersion)
	f.Key.OnChanged = clear(FieldKey)
	f.KeyCmd.OnChanged = clear(FieldKey)
	f.KeyEnv.OnChanged = func(string) { f.edited = true; f.setErr(FieldKey, ""); f.showSource() }
	f.KeySource.OnChanged = func(string) { f.edited = true; f.setErr(FieldKey, ""); f.showSource() }
	f.Model.OnChanged = clear(FieldModel)
	for _, e := range []*widget.Entry{f.RPM, f.TPM, f.Concurrent} {
		e.OnChanged = clear(FieldLimits)
	}
	f.Fallback.OnChanged = clear(FieldFallback)
	f.Vision = NewVisionField(f.ModelOptions(), orig.Vision, func() { f.edited = true })

	f.Fetch = widget.NewButtonWithIcon("Fetch models", theme.ViewRefreshIcon(), func() { s.testProvider(f, true) })
	f.Test = widget.NewButtonWithIcon("Test connection", theme.MediaPlayIcon(), func() { s.testProvider(f, false) })
	f.Save = widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), func() { s.saveProvider(f) })
	f.Save.Importance = widget.HighImportance
	f.Remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { s.askRemoveProvider(f) })
	f.Remove.Importance = widget.DangerImportance
	if isNew {
		f.Remove.Hide()
	}

	f.layOut()
	return f
}

// fill puts the stored provider (or, for a new one, its preset) into the
// fields and returns the key source to choose.
func (f *ProviderForm) fill(s *Dialog) string {
	src := SrcNone
	orig, preset := f.Orig, f.Preset
	if orig.Name == "" {
		f.Name.SetText(s.freeName(preset.Name))
		f.BaseURL.SetText(preset.BaseURL)
		f.APIVersion.SetText(preset.APIVersion)
		f.KeyEnv.SetText(preset.KeyEnv)
		if preset.NeedsKey {
			src = SrcKeychain
		}
		f.Models = append([]string(nil), preset.Models...)
		if len(f.Models) > 0 {
			f.Model.SetText(f.Models[0])
		}
		f.Fallback.SetSelected(noFallback)
		// The first real provider takes over from the Simulator (or from
		// none): someone who adds one means to use it.
		f.MakeDefault.SetChecked(s.host.DefaultProvider() == "" || (s.host.DefaultProvider() == engine.SimulatorName && len(s.host.Providers()) == 0))
	} else {
		f.Name.SetText(orig.Name)
		f.BaseURL.SetText(orig.BaseURL)
		f.APIVersion.SetText(orig.APIVersion)
		f.KeyEnv.SetText(orig.KeyEnv)
		f.KeyCmd.SetText(orig.KeyCommand)
		src = sourceLabel(orig)
		if src == SrcEnv && orig.KeyEnv == "" {
			f.KeyEnv.SetText("OPENAI_API_KEY") // what an OpenAI provider without a source reads
		}
		f.Models = append([]string(nil), orig.Models...)
		f.Model.SetText(orig.Model)
		f.RPM.SetText(itoaBlank(orig.RequestsPerMinute))
		f.TPM.SetText(itoaBlank(orig.TokensPerMinute))
		f.Concurrent.SetText(itoaBlank(orig.MaxConcurrent))
		if orig.Fallback != "" {
			if !slices.Contains(f.Fallback.Options, orig.Fallback) {
				f.Fallback.Options = append(f.Fallback.Options, orig.Fallback)
			}
			f.Fallback.SetSelected(orig.Fallback)
		} else {
			f.Fallback.SetSelected(noFallback)
		}
		f.MakeDefault.SetChecked(orig.Name == s.host.DefaultProvider())
	}
	return src
}

// layOut arranges the form's widgets: the fields in a scroll, the default
// box, the result lines and the buttons below it.
func (f *ProviderForm) layOut() {
	// The wheel scrolls the form also over the text fields (see look.WheelThrough).
	wheel := func(o fyne.CanvasObject) fyne.CanvasObject { return look.WheelThrough(o, &f.Scroll) }
	field := func(o fyne.CanvasObject, key string, extra ...fyne.CanvasObject) fyne.CanvasObject {
		objs := append([]fyne.CanvasObject{o}, extra...)
		return container.NewVBox(append(objs, f.Errs[key])...)
	}
	limit := func(label string, e *widget.Entry) fyne.CanvasObject {
		l := widget.NewLabel(label)
		l.Importance, l.SizeName = look.HintStyle(widget.LowImportance)
		l.Truncation = fyne.TextTruncateEllipsis
		return container.NewVBox(l, wheel(e))
	}
	items := []*widget.FormItem{
		widget.NewFormItem("Preset", container.NewVBox(f.PresetName, f.Hint)),
		widget.NewFormItem("Name", field(wheel(f.Name), FieldName)),
		widget.NewFormItem("Base URL", field(wheel(f.BaseURL), FieldBaseURL)),
	}
	if f.Kind == store.KindAzure {
		items = append(items, widget.NewFormItem("API version", field(wheel(f.APIVersion), FieldAPIVersion)))
	}
	modelLabel := "Model"
	if f.Kind == store.KindAzure {
		modelLabel = "Deployment"
	}
	items = append(items,
		widget.NewFormItem("API key", field(container.NewBorder(nil, nil,
			container.NewGridWrap(fyne.NewSize(200, f.KeySource.MinSize().Height), f.KeySource), nil,
			wheel(container.NewStack(f.Key, f.KeyEnv, f.KeyCmd))), FieldKey, f.KeyHint, f.KeyNote)),
		widget.NewFormItem(modelLabel, field(container.NewBorder(nil, nil, nil, f.Fetch, wheel(f.Model)), FieldModel, f.ModelsInfo)),
		widget.NewFormItem("Limits", field(container.NewGridWithColumns(3,
			limit("Requests / min", f.RPM), limit("Tokens / min", f.TPM), limit("Streams at once", f.Concurrent)), FieldLimits)),
		widget.NewFormItem("Fallback", field(f.Fallback, FieldFallback, look.Wrapped("Answers when this provider fails before its first word.", widget.LowImportance))),
		widget.NewFormItem("Images", wheel(f.Vision.Obj)),
	)
	form := widget.NewForm(items...)
	buttons := container.NewHBox(f.Test, layout.NewSpacer(), f.Remove, f.Save)
	// "Use for new chats" sits by Save, outside the scroll: at the end of
	// the form it was below the fold of the dialog's default size.
	f.Scroll = container.NewVScroll(container.NewPadded(form))
	f.Content = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), f.MakeDefault, f.Result, f.Problem, buttons), nil, nil, f.Scroll)
}

func itoaBlank(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

// freeName is name, or name followed by the first number that makes it
// unused.
func (s *Dialog) freeName(name string) string {
	taken := func(n string) bool {
		if strings.EqualFold(n, engine.SimulatorName) {
			return true
		}
		for _, p := range s.host.Providers() {
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
		return SrcKeychain
	case store.KeyFromEnv:
		return SrcEnv
	case store.KeyFromCommand:
		return SrcCommand
	}
	if p.KeyEnv != "" || p.Kind == store.KindOpenAI {
		return SrcEnv // records from before key sources: KeyEnv, or OPENAI_API_KEY
	}
	return SrcNone
}

// sourceOptions are the key sources offered; the keychain only when it
// works, or when this provider's key is already there.
func (f *ProviderForm) sourceOptions(keychainOK bool) []string {
	if keychainOK || f.Orig.KeySource == store.KeyFromKeychain {
		return []string{SrcKeychain, SrcEnv, SrcCommand, SrcNone}
	}
	return []string{SrcEnv, SrcCommand, SrcNone}
}

// setKeychain takes secrets.Probe's answer: when the keychain cannot be
// used, it says so and offers the other sources.
func (f *ProviderForm) setKeychain(perr error) {
	if perr == nil {
		f.keychainMsg = ""
		f.KeySource.Options = f.sourceOptions(true)
		f.KeySource.Refresh()
		f.showSource()
		return
	}
	f.keychainMsg = settingsSentence(perr)
	f.KeySource.Options = f.sourceOptions(false)
	if f.KeySource.Selected == SrcKeychain && !slices.Contains(f.KeySource.Options, SrcKeychain) {
		if strings.TrimSpace(f.KeyEnv.Text) == "" {
			f.KeyEnv.SetText(f.Preset.KeyEnv)
		}
		f.KeySource.SetSelected(SrcEnv)
	}
	f.KeySource.Refresh()
	f.showSource()
}

// showSource shows the field for the chosen key source and what to know
// about it.
func (f *ProviderForm) showSource() {
	src := f.KeySource.Selected
	f.Key.Hidden, f.KeyEnv.Hidden, f.KeyCmd.Hidden = src != SrcKeychain, src != SrcEnv, src != SrcCommand
	for _, e := range []*widget.Entry{f.Key, f.KeyEnv, f.KeyCmd} {
		e.Refresh()
	}
	// Why the keychain is missing matters to whoever needs a key.
	note := ""
	if src != SrcNone || f.Preset.NeedsKey {
		note = f.keychainMsg
	}
	look.SetLabel(f.KeyNote, note, widget.WarningImportance)
	hint, imp := "", widget.LowImportance
	switch src {
	case SrcKeychain:
		hint = "Kept in the system keychain, never in deskchat's files."
	case SrcEnv:
		v := strings.TrimSpace(f.KeyEnv.Text)
		switch {
		case v == "":
		case !envName.MatchString(v):
		case os.Getenv(v) == "":
			hint, imp = v+" is not set in deskchat's environment: set it before you start deskchat.", widget.WarningImportance
		default:
			hint = v + " is set."
		}
	case SrcCommand:
		hint = "deskchat runs this command with sh -c when it first needs the key (for at most 5 s) and keeps what it prints in memory only."
	case SrcNone:
		if f.Preset.NeedsKey {
			hint, imp = f.Preset.Name+" needs an API key: without one, it refuses requests.", widget.WarningImportance
		} else {
			hint = "For servers that need no key, like a local Ollama or LM Studio."
		}
	}
	look.SetLabel(f.KeyHint, hint, imp)
}

// ModelOptions is what the model picker offers: the known models and the
// one typed.
func (f *ProviderForm) ModelOptions() []string {
	out := append([]string(nil), f.Models...)
	if m := strings.TrimSpace(f.Model.Text); m != "" && !slices.Contains(out, m) {
		out = append([]string{m}, out...)
	}
	return out
}

// offerModels puts a fetched model list in the picker; an empty model
// field gets the first one.
func (f *ProviderForm) offerModels(models []string) {
	f.Models = models
	if strings.TrimSpace(f.Model.Text) == "" && len(models) > 0 {
		f.Model.SetText(models[0])
	}
	f.Model.SetOptions(f.ModelOptions())
	f.Vision.SetModels(f.ModelOptions())
}

func (f *ProviderForm) setErr(field, text string) {
	if l := f.Errs[field]; l != nil && (l.Text != text || l.Visible() != (text != "")) {
		look.SetLabel(l, text, widget.DangerImportance)
	}
	if text != "" || !f.pointsAtFields {
		return
	}
	for _, l := range f.Errs {
		if l.Visible() {
			return
		}
	}
	// The last red sentence went: "fix what is marked in red" has
	// nothing left to point at.
	f.pointsAtFields = false
	look.SetLabel(f.Problem, "", widget.DangerImportance)
}

// notSaved says why the form was not saved: text, which points at the red
// sentences next to the fields when fields is set.
func (f *ProviderForm) notSaved(text string, fields bool) {
	look.SetLabel(f.Problem, text, widget.DangerImportance)
	f.pointsAtFields = fields && text != ""
}

func (f *ProviderForm) showErrs(errs map[string]string) {
	for k := range f.Errs {
		f.setErr(k, errs[k])
	}
}

func (f *ProviderForm) busy(on bool) {
	for _, b := range []*widget.Button{f.Test, f.Fetch, f.Save, f.Remove} {
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
func (f *ProviderForm) draft(stored []store.Provider) (store.Provider, string, map[string]string) {
	p := f.Orig
	p.Name = f.Name.Text
	p.Kind = f.Kind
	p.Preset = f.Preset.Name
	p.BaseURL = f.BaseURL.Text
	p.APIVersion = f.APIVersion.Text
	p.Model = f.Model.Text
	p.Models = f.ModelOptions()
	p.KeySource, p.KeyEnv, p.KeyCommand = "", "", ""
	key := ""
	switch f.KeySource.Selected {
	case SrcKeychain:
		p.KeySource = store.KeyFromKeychain
		key = strings.TrimSpace(f.Key.Text)
	case SrcEnv:
		p.KeySource, p.KeyEnv = store.KeyFromEnv, f.KeyEnv.Text
	case SrcCommand:
		p.KeySource, p.KeyCommand = store.KeyFromCommand, f.KeyCmd.Text
	}
	var bad []string
	for _, l := range []struct {
		what string
		e    *widget.Entry
		to   *int
	}{{"requests per minute", f.RPM, &p.RequestsPerMinute}, {"tokens per minute", f.TPM, &p.TokensPerMinute}, {"streams at once", f.Concurrent, &p.MaxConcurrent}} {
		n, err := parseWhole(l.e.Text)
		if err != nil {
			bad = append(bad, l.what)
			continue
		}
		*l.to = n
	}
	p.Fallback = f.Fallback.Selected
	if p.Fallback == noFallback {
		p.Fallback = ""
	}
	p.Vision = f.Vision.Vision()

	p, probs := providers.Check(providers.Draft{Provider: p, Key: key}, stored, f.Orig.Name)
	errs := map[string]string{}
	for field, text := range probs {
		errs[string(field)] = text
	}
	if len(bad) > 0 {
		errs[FieldLimits] = fmt.Sprintf("Limits are whole numbers of 0 or more (empty or 0: no limit); check %s.", strings.Join(bad, " and "))
	}
	if errs[FieldModel] != "" {
		errs[FieldModel] += " Fetch models lists what the provider offers."
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
	return engine.UserMessage(err)
}
