package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
	"github.com/deskchat/deskchat/ui/settings"
)

func TestSettingsTheFirstRealProviderTakesOverFromTheSimulator(t *testing.T) {
	keyring.MockInit()
	h := newHarness(t, useSimulator)
	s := h.openSettings()
	f := h.addFromPreset("LM Studio")
	f.Model.SetText("qwen2.5-7b-instruct") // LM Studio's preset names none
	if !f.MakeDefault.Checked {
		t.Fatal("the first real provider is not offered as the default while the Simulator is")
	}
	test.Tap(f.Save)
	h.settle()
	if h.w.conf.defaultProv != "LM Studio" || h.w.conf.prefs.Provider != "LM Studio" {
		t.Errorf("default %q (prefs %q), want LM Studio", h.w.conf.defaultProv, h.w.conf.prefs.Provider)
	}
	if got := shownText(s.Form.Result); got != "Saved. New chats use LM Studio now, no longer the Simulator." {
		t.Errorf("the settings say %q", got)
	}
	// The second one is not offered: a default is chosen already.
	f = h.addFromPreset("Ollama")
	if f.MakeDefault.Checked {
		t.Error("a second provider is offered as the default")
	}
	test.Tap(f.Save)
	h.settle()
	if h.w.conf.defaultProv != "LM Studio" || shownText(s.Form.Result) != "Saved." {
		t.Errorf("after the second: default %q, the settings say %q", h.w.conf.defaultProv, shownText(s.Form.Result))
	}
	// Unticked, the first one leaves the Simulator the default.
	keyring.MockInit()
	h2 := newHarness(t, useSimulator)
	h2.openSettings()
	f = h2.addFromPreset("Ollama")
	f.MakeDefault.SetChecked(false)
	test.Tap(f.Save)
	h2.settle()
	if h2.w.conf.defaultProv != engine.SimulatorName {
		t.Errorf("declined, the default is %q", h2.w.conf.defaultProv)
	}
}

func TestSettingsARedSentenceGoesAsSoonAsItsFieldChanges(t *testing.T) {
	keyring.MockInit()
	h := newHarness(t, func(st *store.Store) {
		st.PutProvider(store.Provider{Name: "Local", Kind: store.KindCompatible, BaseURL: "http://localhost:1/v1", Model: "m"})
	})
	h.openSettings()
	f := h.addFromPreset("OpenAI")
	f.Name.SetText("")
	f.BaseURL.SetText("not a url")
	f.Model.SetText("")
	f.RPM.SetText("-3")
	test.Tap(f.Save)
	h.settle()
	marked := []string{settings.FieldName, settings.FieldBaseURL, settings.FieldKey, settings.FieldModel, settings.FieldLimits}
	for _, field := range marked {
		if errText(f, field) == "" {
			t.Fatalf("no red sentence next to %s", field)
		}
	}
	if shownText(f.Problem) != "Not saved: fix what is marked in red." {
		t.Fatalf("problem line %q", shownText(f.Problem))
	}
	changes := map[string]func(){
		settings.FieldName:    func() { test.Type(f.Name, "Work") },
		settings.FieldBaseURL: func() { test.Type(f.BaseURL, "x") },
		settings.FieldKey:     func() { f.KeySource.SetSelected(settings.SrcNone) }, // another source, nothing typed
		settings.FieldModel:   func() { test.Type(f.Model, "g") },
		settings.FieldLimits:  func() { test.Type(f.RPM, "0") },
	}
	for i, field := range marked {
		changes[field]()
		if got := errText(f, field); got != "" {
			t.Errorf("%s still says %q after it changed", field, got)
		}
		for _, other := range marked[i+1:] {
			if errText(f, other) == "" {
				t.Errorf("changing %s took away the sentence next to %s", field, other)
			}
		}
		if last := i == len(marked)-1; (shownText(f.Problem) == "") != last {
			t.Errorf("after %s the problem line says %q", field, shownText(f.Problem))
		}
	}
}

// at is the middle of o, in its canvas's coordinates.
func at(o fyne.CanvasObject) fyne.Position {
	p := fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
	return p.Add(fyne.NewPos(o.Size().Width/2, o.Size().Height/2))
}

func TestSettingsTheWheelScrollsTheFormOverItsFields(t *testing.T) {
	keyring.MockInit()
	h := newHarness(t, func(st *store.Store) {
		st.PutProvider(store.Provider{Name: "Azure", Kind: store.KindAzure, BaseURL: "https://r.openai.azure.com", Model: "d", APIVersion: "2024-10-21", KeyEnv: "AZ"})
	})
	s := h.openSettings()
	f := s.Form
	if f == nil || f.Scroll.Content.MinSize().Height <= f.Scroll.Size().Height {
		t.Fatal("the form fits the dialog: nothing to scroll")
	}
	c := h.w.win.Canvas()
	for _, e := range []fyne.CanvasObject{f.Name, f.BaseURL, f.APIVersion} {
		f.Scroll.ScrollToTop()
		test.Scroll(c, at(e), 0, -40)
		if f.Scroll.Offset.Y <= 0 {
			t.Errorf("the wheel over %s did not scroll the form", e.(*widget.Entry).Text)
		}
	}
	// The relay takes the wheel only: the driver finds taps, presses,
	// drags, hovers and the text cursor by these interfaces, so they
	// still reach the field below it.
	var relay fyne.CanvasObject = look.NewWheelRelay(&f.Scroll)
	for what, is := range map[string]bool{
		"Tappable":          implements[fyne.Tappable](relay),
		"SecondaryTappable": implements[fyne.SecondaryTappable](relay),
		"DoubleTappable":    implements[fyne.DoubleTappable](relay),
		"Draggable":         implements[fyne.Draggable](relay),
		"Focusable":         implements[fyne.Focusable](relay),
		"Mouseable":         implements[desktop.Mouseable](relay),
		"Hoverable":         implements[desktop.Hoverable](relay),
		"Cursorable":        implements[desktop.Cursorable](relay),
	} {
		if is {
			t.Errorf("the wheel relay is %s: it would take that from the field", what)
		}
	}
	// Over a limit, lower down, too.
	f.Scroll.ScrollToBottom()
	bottom := f.Scroll.Offset.Y
	test.Scroll(c, at(f.RPM), 0, 40)
	if f.Scroll.Offset.Y >= bottom {
		t.Errorf("the wheel over a limit did not scroll the form up (%v, was %v)", f.Scroll.Offset.Y, bottom)
	}

	// The Defaults tab's fields too.
	s.Tabs.SelectIndex(1)
	d := s.Defaults
	if d.Scroll.Content.MinSize().Height <= d.Scroll.Size().Height {
		t.Fatal("the Defaults tab fits the dialog: nothing to scroll")
	}
	d.Scroll.ScrollToTop()
	test.Scroll(c, at(d.Temperature), 0, -40)
	if d.Scroll.Offset.Y <= 0 {
		t.Error("the wheel over Temperature did not scroll the Defaults tab")
	}
}

func TestSettingsUseForNewChatsIsInSightAtTheDefaultSize(t *testing.T) {
	keyring.MockInit()
	h := newHarness(t, func(st *store.Store) {
		st.PutProvider(store.Provider{Name: "Azure", Kind: store.KindAzure, BaseURL: "https://r.openai.azure.com", Model: "d", APIVersion: "2024-10-21", KeySource: store.KeyFromCommand, KeyCommand: "pass show az"})
	})
	s := h.openSettings()
	check := func(what string, f *settings.ProviderForm) {
		t.Helper()
		if f == nil {
			t.Fatalf("%s: no form", what)
		}
		box := f.MakeDefault
		p := fyne.CurrentApp().Driver().AbsolutePositionForObject(box)
		sp := fyne.CurrentApp().Driver().AbsolutePositionForObject(f.Scroll)
		cs := h.w.win.Canvas().Size()
		if !box.Visible() || box.Size().Height == 0 {
			t.Errorf("%s: the box is not shown", what)
		}
		if p.Y < sp.Y+f.Scroll.Size().Height || p.Y+box.Size().Height > cs.Height || p.X+box.Size().Width > cs.Width {
			t.Errorf("%s: the box at %v (%v) is not below the scrolled form (ends at %v) inside the window %v", what, p, box.Size(), sp.Y+f.Scroll.Size().Height, cs)
		}
		if isIn(f.Scroll.Content, box) {
			t.Errorf("%s: the box scrolls with the form", what)
		}
	}
	check("the longest stored form (Azure, key command)", s.Form)
	check("a new provider's form", h.addFromPreset("Azure OpenAI"))
}

func implements[T any](o any) bool {
	_, ok := o.(T)
	return ok
}

// isIn reports whether o is inside tree.
func isIn(tree, o fyne.CanvasObject) bool {
	if tree == o {
		return true
	}
	switch t := tree.(type) {
	case *fyne.Container:
		for _, c := range t.Objects {
			if isIn(c, o) {
				return true
			}
		}
	case *container.Scroll:
		return isIn(t.Content, o)
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(t).Objects() {
			if isIn(c, o) {
				return true
			}
		}
	}
	return false
}
