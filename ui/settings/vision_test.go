package settings

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/zalando/go-keyring"
)

func TestVisionFieldSetsEachModelOrLeavesItToTheList(t *testing.T) {
	test.NewTempApp(t)
	edits := 0
	v := NewVisionField([]string{"gpt-4o", "o3-mini"}, map[string]bool{"old-model": false}, func() { edits++ })
	if v.Model.Text != "gpt-4o" || v.Choice.Selected != VisionBuiltIn {
		t.Fatalf("first shown: %q %q", v.Model.Text, v.Choice.Selected)
	}
	v.Model.SetText("old-model")
	if v.Choice.Selected != VisionNo || edits != 0 {
		t.Fatalf("a model set to text only shows %q (edits %d)", v.Choice.Selected, edits)
	}
	v.Choice.SetSelected(VisionBuiltIn)
	v.Model.SetText("my-llava")
	v.Choice.SetSelected(VisionYes)
	got := v.Vision()
	if len(got) != 1 || !got["my-llava"] || edits != 2 {
		t.Fatalf("vision %v, edits %d", got, edits)
	}
	if v.Set.Text != "Take images: my-llava." {
		t.Errorf("listed as %q", v.Set.Text)
	}
	v.Choice.SetSelected(VisionBuiltIn)
	if v.Vision() != nil || v.Set.Text != "Every model follows the built-in list." {
		t.Errorf("all back to the list: %v, %q", v.Vision(), v.Set.Text)
	}
}

func TestAProvidersVisionIsSaved(t *testing.T) {
	keyring.MockInit()
	h := newFakeHost(t)
	h.d.Show()
	h.settle()
	test.Tap(h.d.Add)
	h.d.PresetSel.SetSelected("Ollama")
	f := h.d.Form
	f.Model.SetText("llama3.2")
	f.Vision.Model.SetText("llama3.2")
	f.Vision.Choice.SetSelected(VisionNo)
	f.Vision.Model.SetText("llava")
	f.Vision.Choice.SetSelected(VisionYes)
	test.Tap(f.Save)
	h.settle()
	p, err := h.st.Provider("Ollama")
	if err != nil || len(p.Vision) != 2 || p.Vision["llama3.2"] || !p.Vision["llava"] {
		t.Fatalf("stored vision %v, %v", p.Vision, err)
	}
	// Opened again, the form shows what is stored.
	h.d.OpenProviderForm(p, PresetOf(p))
	f = h.d.Form
	f.Vision.Model.SetText("llava")
	if f.Vision.Choice.Selected != VisionYes {
		t.Errorf("llava shows %q", f.Vision.Choice.Selected)
	}
}

func TestTheBuiltInListIsShownForThePickedModel(t *testing.T) {
	cases := map[string]string{
		"gpt-4o":        "The built-in list says gpt-4o takes images.",
		"gpt-3.5-turbo": "The built-in list says gpt-3.5-turbo reads text only.",
		"my-own-model":  "The built-in list does not know my-own-model: images are sent to it, and a refusal sets it to Text only.",
	}
	for model, want := range cases {
		if got := BuiltInVision(model); got != want {
			t.Errorf("BuiltInVision(%q) = %q, want %q", model, got, want)
		}
	}
	v := NewVisionField([]string{"gpt-4o", "gpt-3.5-turbo"}, nil, nil)
	if v.BuiltIn.Text != cases["gpt-4o"] {
		t.Errorf("the first model picked shows %q", v.BuiltIn.Text)
	}
	v.Model.SetText("gpt-3.5-turbo")
	if v.BuiltIn.Text != cases["gpt-3.5-turbo"] {
		t.Errorf("after picking gpt-3.5-turbo: %q", v.BuiltIn.Text)
	}
}
