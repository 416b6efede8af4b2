package settings

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// What a model is said to do with images (store.Provider.Vision).
const (
	VisionBuiltIn = "As the built-in list says"
	VisionYes     = "Takes images"
	VisionNo      = "Text only"
)

// VisionField says, per model of a provider, whether it takes images: one
// model picked at a time (a provider may offer hundreds), what is set
// listed below. A model left to the built-in list has no entry; a model
// that refused an image was set to Text only by the engine, and shows so.
type VisionField struct {
	Model  *widget.SelectEntry
	Choice *widget.Select
	Set    *widget.Label // the models set either way
	// BuiltIn says what the built-in list says of the picked model, so
	// that "As the built-in list says" is not a guess.
	BuiltIn *widget.Label
	Obj     fyne.CanvasObject
	vision  map[string]bool
	// edited runs when a choice changes the provider.
	edited func()
}

// NewVisionField edits a copy of vision for the models offered.
func NewVisionField(models []string, vision map[string]bool, edited func()) *VisionField {
	v := &VisionField{vision: map[string]bool{}, edited: edited}
	for m, ok := range vision {
		v.vision[m] = ok
	}
	v.Model = widget.NewSelectEntry(nil)
	v.Model.SetPlaceHolder("pick or type a model")
	v.Choice = widget.NewSelect([]string{VisionBuiltIn, VisionYes, VisionNo}, nil)
	v.Set = look.Wrapped("", widget.LowImportance)
	v.BuiltIn = look.Wrapped("", widget.LowImportance)
	v.SetModels(models)
	v.Model.OnChanged = func(string) { v.showChoice() }
	v.Choice.OnChanged = v.choose
	v.showChoice()
	v.showSet()
	hint := look.Wrapped("Photos and screenshots go only to models that take images. A model that refuses one is set to Text only.", widget.LowImportance)
	v.Obj = container.NewVBox(container.NewGridWithColumns(2, v.Model, v.Choice), v.BuiltIn, v.Set, hint)
	return v
}

// SetModels is what the model picker offers; the first is picked when
// none is.
func (v *VisionField) SetModels(models []string) {
	opts := append([]string(nil), models...)
	for m := range v.vision {
		if !slices.Contains(opts, m) {
			opts = append(opts, m)
		}
	}
	v.Model.SetOptions(opts)
	if strings.TrimSpace(v.Model.Text) == "" && len(opts) > 0 {
		v.Model.SetText(opts[0])
	}
}

// Vision is the map to store: nil when every model follows the built-in
// list.
func (v *VisionField) Vision() map[string]bool {
	if len(v.vision) == 0 {
		return nil
	}
	out := make(map[string]bool, len(v.vision))
	for m, ok := range v.vision {
		out[m] = ok
	}
	return out
}

// showChoice shows what the picked model is set to, without it counting
// as an edit.
func (v *VisionField) showChoice() {
	choice := VisionBuiltIn
	if ok, set := v.vision[strings.TrimSpace(v.Model.Text)]; set {
		choice = VisionNo
		if ok {
			choice = VisionYes
		}
	}
	look.SetLabel(v.BuiltIn, BuiltInVision(strings.TrimSpace(v.Model.Text)), widget.LowImportance)
	f := v.Choice.OnChanged
	v.Choice.OnChanged = nil
	v.Choice.SetSelected(choice)
	v.Choice.OnChanged = f
}

func (v *VisionField) choose(choice string) {
	m := strings.TrimSpace(v.Model.Text)
	if m == "" {
		return
	}
	switch choice {
	case VisionYes:
		v.vision[m] = true
	case VisionNo:
		v.vision[m] = false
	default:
		delete(v.vision, m)
	}
	v.showSet()
	if v.edited != nil {
		v.edited()
	}
}

// showSet lists the models set either way, in order of name.
func (v *VisionField) showSet() {
	var yes, no []string
	for m, ok := range v.vision {
		if ok {
			yes = append(yes, m)
		} else {
			no = append(no, m)
		}
	}
	slices.Sort(yes)
	slices.Sort(no)
	var parts []string
	if len(yes) > 0 {
		parts = append(parts, "Take images: "+strings.Join(yes, ", ")+".")
	}
	if len(no) > 0 {
		parts = append(parts, "Text only: "+strings.Join(no, ", ")+".")
	}
	if len(parts) == 0 {
		parts = append(parts, "Every model follows the built-in list.")
	}
	look.SetLabel(v.Set, strings.Join(parts, " "), widget.LowImportance)
}

// BuiltInVision is what the built-in list says of model, as a sentence.
func BuiltInVision(model string) string {
	if model == "" {
		return ""
	}
	sees, known := tokens.Vision(model)
	switch {
	case !known:
		return "The built-in list does not know " + model + ": images are sent to it, and a refusal sets it to Text only."
	case sees:
		return "The built-in list says " + model + " takes images."
	}
	return "The built-in list says " + model + " reads text only."
}
