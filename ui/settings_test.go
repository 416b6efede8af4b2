package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
	"github.com/deskchat/deskchat/ui/settings"
)

func TestSettingsAddAnOllamaProviderTestItAndChatWithIt(t *testing.T) {
	keyring.MockInit()
	srv := newProviderServer(t, "llama3.2", "qwen3")
	h := newHarness(t, useSimulator)
	h.w.newConversation()
	h.settle()
	h.openSettings()

	f := h.addFromPreset("Ollama")
	if f.Name.Text != "Ollama" || f.BaseURL.Text != "http://localhost:11434/v1" || f.Kind != store.KindCompatible {
		t.Errorf("preset filled in name %q, base URL %q, kind %q", f.Name.Text, f.BaseURL.Text, f.Kind)
	}
	if f.KeySource.Selected != settings.SrcNone || f.PresetName.Text != "Ollama" || f.Remove.Visible() {
		t.Errorf("key source %q, preset %q, Remove shown %v", f.KeySource.Selected, f.PresetName.Text, f.Remove.Visible())
	}
	// The first real provider takes over from the Simulator.
	if !f.MakeDefault.Checked {
		t.Error("the first real provider is not offered as the default while the Simulator is")
	}
	f.BaseURL.SetText(srv.URL + "/v1/")
	test.Tap(f.Test)
	if !f.Test.Disabled() {
		t.Error("Test connection stays enabled while it runs")
	}
	h.settle()
	if got := shownText(f.Result); got != "OK, 2 models" {
		t.Fatalf("Test connection says %q", got)
	}
	if !contains(f.ModelOptions(), "llama3.2") || !contains(f.ModelOptions(), "qwen3") {
		t.Errorf("model picker offers %v", f.ModelOptions())
	}
	f.Model.SetText("qwen3")
	if ps, _ := h.st.Providers(); len(ps) != 0 {
		t.Fatal("Test connection stored the provider")
	}

	test.Tap(f.Save)
	h.settle()
	p, err := h.st.Provider("Ollama")
	if err != nil {
		t.Fatal(err)
	}
	if p.BaseURL != srv.URL+"/v1" || p.Model != "qwen3" || p.Kind != store.KindCompatible || p.KeySource != "" || !contains(p.Models, "llama3.2") {
		t.Errorf("stored %+v", p)
	}
	s := h.w.overlays.settings
	if s.Form == nil || s.Form.Orig.Name != "Ollama" {
		t.Fatalf("after Save the form shows %+v", s.Form)
	}
	if got := shownText(s.Form.Result); got != "Saved. New chats use Ollama now, no longer the Simulator." {
		t.Errorf("after Save the form says %q", got)
	}
	if h.w.conf.defaultProv != "Ollama" || !s.Form.MakeDefault.Checked || s.Defaults.Provider.Selected != "Ollama" {
		t.Errorf("default %q (Defaults tab %q)", h.w.conf.defaultProv, s.Defaults.Provider.Selected)
	}
	if s.Form.PresetName.Text != "Ollama" || !s.Form.Remove.Visible() {
		t.Errorf("stored provider's form: preset %q, Remove shown %v", s.Form.PresetName.Text, s.Form.Remove.Visible())
	}
	if !strings.Contains(everyText(test.LaidOutObjects(s.List)), "Ollama") {
		t.Errorf("the list does not show the new provider")
	}
	if !contains(h.w.header.providerSel.Options, "Ollama") {
		t.Fatalf("the header's picker offers %v", h.w.header.providerSel.Options)
	}

	// The new provider answers in the chat.
	h.w.header.providerSel.SetSelected("Ollama")
	h.settle()
	if h.w.header.modelSel.Text != "qwen3" {
		t.Errorf("model picker %q", h.w.header.modelSel.Text)
	}
	h.ask("hello")
	h.settle()
	msgs := h.messages(h.w.pane.selected)
	if last := msgs[len(msgs)-1]; last.Content != "Hi from the settings test." || last.Provider != "Ollama" || last.Model != "qwen3" {
		t.Errorf("answer %q from %s/%s", last.Content, last.Provider, last.Model)
	}
}

func TestSettingsKeepTheKeyInTheKeychainOnly(t *testing.T) {
	keyring.MockInit()
	const key = "sk-test-SECRET-4242"
	srv := newProviderServer(t, "gpt-4o-mini")
	h := newHarness(t, useSimulator)
	h.openSettings()
	f := h.addFromPreset("OpenAI")
	if f.KeySource.Selected != settings.SrcKeychain || f.Key.Hidden || !f.Key.Password {
		t.Fatalf("OpenAI's key: source %q, masked entry shown %v", f.KeySource.Selected, !f.Key.Hidden && f.Key.Password)
	}
	f.BaseURL.SetText(srv.URL + "/v1")

	// No key typed: refused next to the key field.
	test.Tap(f.Save)
	h.settle()
	if got := errText(f, settings.FieldKey); !strings.Contains(got, "Enter the API key") {
		t.Fatalf("an empty key is explained as %q", got)
	}
	test.Type(f.Key, key)
	if errText(f, settings.FieldKey) != "" {
		t.Error("typing the key did not take the sentence away")
	}
	test.Tap(f.Save)
	h.settle()
	if got, err := keyring.Get(secrets.Service, "OpenAI"); err != nil || got != key {
		t.Fatalf("keychain holds %q, %v", got, err)
	}
	p, err := h.st.Provider("OpenAI")
	if err != nil || p.KeySource != store.KeyFromKeychain {
		t.Fatalf("stored %+v, %v", p, err)
	}
	if dbContains(t, h.st, key) {
		t.Error("the key is in the database")
	}
	if data, err := os.ReadFile(h.st.FilePath()); err != nil || bytes.Contains(data, []byte(key)) {
		t.Errorf("the key is in the database file (read error %v)", err)
	}

	// The stored key is never shown back, and the test uses it.
	f = h.w.overlays.settings.Form
	if f.Orig.Name != "OpenAI" || f.Key.Text != "" || f.Key.PlaceHolder != settings.KeyPlaceholderStored {
		t.Fatalf("stored key's field: %q, placeholder %q", f.Key.Text, f.Key.PlaceHolder)
	}
	srv.set(func(s *providerServer) { s.keys = []string{"sk-another"} }) // the server now refuses it
	test.Tap(f.Test)
	h.settle()
	if got := shownText(f.Result); !strings.Contains(got, "rejected the API key (401)") {
		t.Fatalf("a refused key is explained as %q", got)
	}
	if srv.lastAuth() != "Bearer "+key {
		t.Errorf("Test connection sent %q", srv.lastAuth())
	}
	all := everyText(h.topDialog()) + everyText(test.LaidOutObjects(h.w.win.Content()))
	if strings.Contains(all, key) {
		t.Error("the key is shown in the window")
	}

	// The engine reads the stored key; replacing it makes it read the new one.
	ctx := context.Background()
	if k, err := h.eng.APIKey(ctx, p); err != nil || k != key {
		t.Fatalf("engine key %q, %v", k, err)
	}
	test.Type(f.Key, "sk-another")
	test.Tap(f.Test)
	h.settle()
	if got := shownText(f.Result); got != "OK, 1 model" {
		t.Fatalf("with the typed key Test connection says %q", got)
	}
	test.Tap(h.w.overlays.settings.Form.Save)
	h.settle()
	if k, _ := h.eng.APIKey(ctx, p); k != "sk-another" {
		t.Errorf("the engine still uses the old key after Save")
	}
	if got, _ := keyring.Get(secrets.Service, "OpenAI"); got != "sk-another" {
		t.Errorf("keychain holds %q", got)
	}
}

func TestSettingsWithoutAKeychainOfferTheOtherSources(t *testing.T) {
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	t.Setenv("DESKCHAT_TEST_KEY", "sk-env-1")
	srv := newProviderServer(t, "gpt-4o-mini")
	srv.keys = []string{"sk-env-1", "sk-cmd-2"}
	h := newHarness(t, useSimulator)
	h.w.showSettings()
	f := h.addFromPreset("OpenAI") // opened before the probe answers
	h.settle()

	want := secrets.Probe(secrets.System())
	if want == nil {
		t.Fatal("the mock keychain works")
	}
	if got := shownText(f.KeyNote); got != want.Error() || !strings.Contains(got, "No keychain is available") {
		t.Errorf("the form says %q about the keychain", got)
	}
	if contains(f.KeySource.Options, settings.SrcKeychain) || f.KeySource.Selected != settings.SrcEnv || f.KeyEnv.Text != "OPENAI_API_KEY" {
		t.Fatalf("key sources %v, chosen %q (%q)", f.KeySource.Options, f.KeySource.Selected, f.KeyEnv.Text)
	}
	f.BaseURL.SetText(srv.URL + "/v1")

	f.KeyEnv.SetText("DESKCHAT_TEST_KEY")
	if got := shownText(f.KeyHint); got != "DESKCHAT_TEST_KEY is set." {
		t.Errorf("env hint %q", got)
	}
	test.Tap(f.Test)
	h.settle()
	if got := shownText(f.Result); got != "OK, 1 model" || srv.lastAuth() != "Bearer sk-env-1" {
		t.Fatalf("environment key: %q, sent %q", got, srv.lastAuth())
	}

	f.KeySource.SetSelected(settings.SrcCommand)
	f.KeyCmd.SetText("printf 'sk-cmd-2\\n'")
	test.Tap(f.Test)
	h.settle()
	if got := shownText(f.Result); got != "OK, 1 model" || srv.lastAuth() != "Bearer sk-cmd-2" {
		t.Fatalf("command key: %q, sent %q", got, srv.lastAuth())
	}
	test.Tap(f.Save)
	h.settle()
	p, err := h.st.Provider("OpenAI")
	if err != nil || p.KeySource != store.KeyFromCommand || p.KeyCommand != "printf 'sk-cmd-2\\n'" || p.KeyEnv != "" {
		t.Fatalf("stored %+v, %v", p, err)
	}
	if dbContains(t, h.st, "sk-cmd-2\"") || dbContains(t, h.st, "sk-env-1") {
		t.Error("a key is in the database")
	}
}

func TestSettingsARefusingKeychainStoresNothing(t *testing.T) {
	keyring.MockInit()
	h := newHarness(t, useSimulator)
	h.openSettings()
	f := h.addFromPreset("DeepSeek")
	if f.KeySource.Selected != settings.SrcKeychain {
		t.Fatalf("key source %q", f.KeySource.Selected)
	}
	test.Type(f.Key, "sk-refused")
	keyring.MockInitWithError(errors.New("the collection is locked"))
	test.Tap(f.Save)
	h.settle()
	if got := errText(f, settings.FieldKey); !strings.Contains(got, "The keychain refused to store the key for DeepSeek") || strings.Contains(got, "sk-refused") {
		t.Fatalf("next to the key: %q", got)
	}
	if got := shownText(f.Problem); got != "Not saved: see above." {
		t.Errorf("problem line %q", got)
	}
	if names := storedProviders(t, h.st); len(names) != 0 {
		t.Errorf("stored %v although the key was refused", names)
	}
}

func TestSettingsBadInputIsExplainedNextToTheField(t *testing.T) {
	keyring.MockInit()
	srv := newProviderServer(t)
	srv.status, srv.ctype, srv.body = http.StatusOK, "text/html", "<html><body>Welcome to my router</body></html>"
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		if err := st.PutProvider(store.Provider{Name: "Existing", Kind: store.KindCompatible, BaseURL: "http://localhost:9/v1", Model: "m"}); err != nil {
			t.Fatal(err)
		}
	})
	h.openSettings()
	f := h.addFromPreset("Custom")
	if f.Name.Text != "Custom" || f.BaseURL.Text != "" {
		t.Errorf("Custom preset: %q %q", f.Name.Text, f.BaseURL.Text)
	}

	f.Name.SetText("existing")
	f.BaseURL.SetText("not a url")
	f.Model.SetText("m")
	f.RPM.SetText("-1")
	f.TPM.SetText("abc")
	f.Concurrent.SetText("2")
	test.Tap(f.Save)
	h.settle()
	for field, want := range map[string]string{
		settings.FieldName:    "There is already a provider called “Existing”",
		settings.FieldBaseURL: "“not a url” is not a web address: it should start with http:// or https://",
		settings.FieldLimits:  "check requests per minute and tokens per minute",
	} {
		if got := errText(f, field); !strings.Contains(got, want) {
			t.Errorf("next to %s: %q, want %q", field, got, want)
		}
	}
	if errText(f, settings.FieldModel) != "" || errText(f, settings.FieldKey) != "" {
		t.Errorf("sentences next to good fields: %q %q", errText(f, settings.FieldModel), errText(f, settings.FieldKey))
	}
	if got := shownText(f.Problem); got != "Not saved: fix what is marked in red." {
		t.Errorf("problem line %q", got)
	}
	// Test connection explains the address too, and asks nothing.
	test.Tap(f.Test)
	h.settle()
	if got := shownText(f.Result); got != "Fix what is marked in red first." {
		t.Errorf("Test connection with a bad URL says %q", got)
	}

	// A model list endpoint that returns a web page.
	f.BaseURL.SetText(srv.URL + "/v1")
	if errText(f, settings.FieldBaseURL) != "" {
		t.Error("editing the base URL did not take its sentence away")
	}
	test.Tap(f.Fetch)
	h.settle()
	if got := shownText(f.ModelsInfo); !strings.Contains(got, "answered, but not with a model list: check the base URL") {
		t.Errorf("garbage model list, next to the models: %q", got)
	}
	test.Tap(f.Test)
	h.settle()
	if got := shownText(f.Result); !strings.Contains(got, "not with a model list") {
		t.Errorf("garbage model list, Test connection: %q", got)
	}

	// A key command that fails.
	f.KeySource.SetSelected(settings.SrcCommand)
	f.KeyCmd.SetText("echo vault is sealed >&2; exit 3")
	test.Tap(f.Test)
	h.settle()
	if got := errText(f, settings.FieldKey); got != "The key command failed (exit status 3): vault is sealed." {
		t.Errorf("failing key command: %q", got)
	}
	// An environment variable name that is not one.
	f.KeySource.SetSelected(settings.SrcEnv)
	f.KeyEnv.SetText("MY KEY")
	test.Tap(f.Save)
	h.settle()
	if got := errText(f, settings.FieldKey); !strings.Contains(got, "“MY KEY” is not an environment variable name") {
		t.Errorf("bad variable name: %q", got)
	}

	// A provider cannot fall back to itself.
	f.KeySource.SetSelected(settings.SrcNone)
	f.Name.SetText("Local")
	f.RPM.SetText("60")
	f.TPM.SetText("")
	f.Fallback.SetSelected("Existing")
	f.Fallback.Selected = "Local" // as if it were offered
	test.Tap(f.Save)
	h.settle()
	if got := errText(f, settings.FieldFallback); !strings.Contains(got, "cannot fall back to itself") {
		t.Errorf("self fallback: %q", got)
	}
	if names := storedProviders(t, h.st); len(names) != 1 {
		t.Fatalf("stored %v after refused saves", names)
	}

	// Fixed, it saves, and no sentence is left.
	f.Fallback.SetSelected("Existing")
	test.Tap(f.Save)
	h.settle()
	p, err := h.st.Provider("Local")
	if err != nil {
		t.Fatal(err)
	}
	if p.RequestsPerMinute != 60 || p.TokensPerMinute != 0 || p.MaxConcurrent != 2 || p.Fallback != "Existing" {
		t.Errorf("stored %+v", p)
	}
	for field := range f.Errs {
		if got := errText(f, field); got != "" {
			t.Errorf("%s still says %q", field, got)
		}
	}
	// Its form does not offer itself as a fallback.
	if f := h.w.overlays.settings.Form; f.Orig.Name != "Local" || contains(f.Fallback.Options, "Local") || f.Fallback.Selected != "Existing" {
		t.Errorf("fallback options %v, chosen %q", f.Fallback.Options, f.Fallback.Selected)
	}
}

func TestSettingsRenameMovesTheKeyAndAFailedSavePutsTheKeychainBack(t *testing.T) {
	keyring.MockInit()
	keyring.Set(secrets.Service, "Cloud", "sk-cloud")
	h := newHarness(t, func(st *store.Store) {
		if err := st.PutProvider(store.Provider{Name: "Cloud", Kind: store.KindOpenAI, Model: "gpt-4o", KeySource: store.KeyFromKeychain}); err != nil {
			t.Fatal(err)
		}
		st.SetSetting(store.SettingDefaultProvider, "Cloud")
		st.CreateConversation(store.Conversation{Title: "with Cloud", Provider: "Cloud", Model: "gpt-4o"})
	})
	s := h.openSettings()
	f := s.Form
	if f == nil || f.Orig.Name != "Cloud" {
		t.Fatal("the default provider is not shown when the settings open")
	}
	if !f.MakeDefault.Checked || !strings.Contains(everyText(test.LaidOutObjects(s.List)), "default") {
		t.Error("the default provider is not marked")
	}
	f.Name.SetText("Work")
	test.Tap(f.Save)
	h.settle()
	if got, err := keyring.Get(secrets.Service, "Work"); err != nil || got != "sk-cloud" {
		t.Errorf("the key under the new name: %q, %v", got, err)
	}
	if _, err := keyring.Get(secrets.Service, "Cloud"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("the key under the old name: %v", err)
	}
	if names := storedProviders(t, h.st); len(names) != 1 || names[0] != "Work" {
		t.Errorf("stored %v", names)
	}
	if h.w.conf.defaultProv != "Work" || s.Defaults.Provider.Selected != "Work" {
		t.Errorf("default provider %q (Defaults tab %q) after the rename", h.w.conf.defaultProv, s.Defaults.Provider.Selected)
	}
	if c, _ := h.w.current(); c.Provider != "Work" || h.w.header.providerSel.Selected != "Work" {
		t.Errorf("the chat that used Cloud now uses %q (picker %q)", c.Provider, h.w.header.providerSel.Selected)
	}

	// A provider stored behind the dialog's back: the save reads the
	// providers afresh and refuses the name before the keychain is touched
	// (the rollback after a failed record is providers' test
	// TestAFailedStoreWritePutsTheKeychainBack).
	for _, c := range []struct{ name, before string }{{"Racer", "sk-old"}, {"Racer2", ""}} {
		if err := h.st.PutProvider(store.Provider{Name: c.name, Kind: store.KindCompatible, BaseURL: "http://x/v1", Model: "m"}); err != nil {
			t.Fatal(err)
		}
		if c.before != "" {
			keyring.Set(secrets.Service, c.name, c.before)
		}
		f := h.addFromPreset("OpenRouter")
		f.Name.SetText(c.name)
		test.Type(f.Key, "sk-new")
		test.Tap(f.Save)
		h.settle()
		if got := errText(f, settings.FieldName); got != fmt.Sprintf("There is already a provider called “%s”: choose another name.", c.name) {
			t.Errorf("%s: next to the name: %q", c.name, got)
		}
		got, err := keyring.Get(secrets.Service, c.name)
		if c.before != "" && got != c.before {
			t.Errorf("%s: keychain holds %q, want the previous key back", c.name, got)
		}
		if c.before == "" && !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("%s: keychain holds %q, want no key", c.name, got)
		}
		if p, _ := h.st.Provider(c.name); p.Kind != store.KindCompatible || p.KeySource != "" {
			t.Errorf("%s was overwritten: %+v", c.name, p)
		}
	}
}

func TestSettingsRemoveAProviderDeletesItsKey(t *testing.T) {
	keyring.MockInit()
	keyring.Set(secrets.Service, "Cloud", "sk-remove-me")
	var conv string
	h := newHarness(t, func(st *store.Store) {
		st.PutProvider(store.Provider{Name: "Cloud", Kind: store.KindOpenAI, Model: "gpt-4o", KeySource: store.KeyFromKeychain})
		st.PutProvider(store.Provider{Name: "Backup", Kind: store.KindCompatible, BaseURL: "http://x/v1", Model: "m", Fallback: "Cloud"})
		st.SetSetting(store.SettingDefaultProvider, "Cloud")
		c, _ := st.CreateConversation(store.Conversation{Title: "kept", Provider: "Cloud", Model: "gpt-4o"})
		conv = c.ID
		st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: "still here"})
	})
	s := h.openSettings()
	f := s.Form
	if f == nil || f.Orig.Name != "Cloud" {
		t.Fatal("Cloud's form is not shown")
	}
	test.Tap(f.Remove)
	if txt := everyText(h.topDialog()); !strings.Contains(txt, "delete its API key from the keychain") || !strings.Contains(txt, "keep their messages") {
		t.Errorf("confirmation says %q", txt)
	}
	h.tapDialogButton("No")
	h.settle()
	if _, err := h.st.Provider("Cloud"); err != nil {
		t.Fatal("declining removed the provider")
	}
	test.Tap(f.Remove)
	h.tapDialogButton("Yes")
	h.settle()
	if _, err := h.st.Provider("Cloud"); err == nil {
		t.Fatal("Cloud is still stored")
	}
	if _, err := keyring.Get(secrets.Service, "Cloud"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("Cloud's key is still in the keychain (%v)", err)
	}
	if b, _ := h.st.Provider("Backup"); b.Fallback != "" {
		t.Errorf("Backup still falls back to %q", b.Fallback)
	}
	if msgs := h.messages(conv); len(msgs) != 1 || msgs[0].Content != "still here" {
		t.Errorf("the chat that used Cloud has %+v", msgs)
	}
	if c, _ := h.st.Conversation(conv); c.Provider != "" {
		t.Errorf("the chat still names the removed provider %q", c.Provider)
	}
	// Cloud was the default: the one left takes over.
	if s.Form != nil || len(s.Listed) != 1 || h.w.conf.defaultProv != "Backup" {
		t.Errorf("after removing: form %v, listed %d, default %q (want Backup)", s.Form != nil, len(s.Listed), h.w.conf.defaultProv)
	}
	if txt := everyText(test.LaidOutObjects(s.Detail)); !strings.Contains(txt, "Removed Cloud. Backup is the default provider for new chats now.") {
		t.Errorf("after removing, the settings say %q", txt)
	}
}

func TestSettingsDefaultsPersistAndApplyAtOnce(t *testing.T) {
	keyring.MockInit()
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		st.PutProvider(store.Provider{Name: "Local", Kind: store.KindCompatible, BaseURL: "http://x/v1", Model: "m1", Models: []string{"m1", "m2"}})
	})
	base := h.w.app.Settings().Theme()
	s := h.openSettings()
	d := s.Defaults
	if d.Provider.Selected != engine.SimulatorName || !contains(d.Provider.Options, "Local") {
		t.Fatalf("provider picker %q of %v", d.Provider.Selected, d.Provider.Options)
	}
	d.Provider.SetSelected("Local")
	if d.Model.Text != "m1" || !contains(d.Models, "m2") {
		t.Errorf("model picker %q of %v", d.Model.Text, d.Models)
	}
	d.Model.SetText("m2")
	d.System.SetText("Answer in French.")
	d.MaxTokens.SetText("512")

	// The theme switches at once, before anything else is saved.
	d.Theme.SetSelected("Dark")
	vt, ok := h.w.app.Settings().Theme().(*look.VariantTheme)
	if !ok || vt.Variant() != theme.VariantDark {
		t.Fatalf("app theme %T after choosing Dark", h.w.app.Settings().Theme())
	}
	if theme.Color(theme.ColorNameBackground) != base.Color(theme.ColorNameBackground, theme.VariantDark) {
		t.Error("the background is not the dark one")
	}
	h.settle()
	if v, _ := h.st.Setting(store.SettingTheme); v != look.ThemeDark {
		t.Errorf("stored theme %q", v)
	}

	d.Temperature.SetText("3")
	test.Tap(d.Save)
	h.settle()
	if got := shownText(d.TempErr); !strings.Contains(got, "from 0 to 2") {
		t.Errorf("temperature 3: %q", got)
	}
	if v, _ := h.st.Setting(store.SettingDefaultProvider); v != engine.SimulatorName {
		t.Fatalf("a refused save stored the provider %q", v)
	}
	d.Temperature.SetText("0,4")
	d.MaxTokens.SetText("many")
	test.Tap(d.Save)
	h.settle()
	if got := shownText(d.MaxErr); !strings.Contains(got, "whole number") {
		t.Errorf("max tokens \"many\": %q", got)
	}
	d.MaxTokens.SetText("512")
	test.Tap(d.Save)
	h.settle()
	if got := shownText(d.Result); !strings.HasPrefix(got, "Saved") {
		t.Errorf("result %q", got)
	}
	kv, err := h.st.Settings()
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		store.SettingDefaultProvider: "Local", store.SettingDefaultModel: "m2", store.SettingSystemPrompt: "Answer in French.",
		store.SettingTemperature: "0.4", store.SettingMaxTokens: "512", store.SettingTheme: look.ThemeDark,
	} {
		if kv[k] != want {
			t.Errorf("stored %s = %q, want %q", k, kv[k], want)
		}
	}
	// Applied: the window's defaults, new chats and requests use them.
	p := h.w.conf.prefs
	if p.Provider != "Local" || p.Model != "m2" || p.SystemPrompt != "Answer in French." || p.Temperature == nil || *p.Temperature != 0.4 || p.MaxTokens != 512 {
		t.Errorf("window prefs %+v", p)
	}
	if c := h.w.newConversationRecord(); c.Provider != "Local" || c.Model != "m2" || c.SystemPrompt != "Answer in French." {
		t.Errorf("a new chat would start as %+v", c)
	}
	if o := h.w.withPrefs(engine.SendOptions{Provider: "Local"}); o.Temperature == nil || *o.Temperature != 0.4 || o.MaxTokens != 512 {
		t.Errorf("send options %+v", o)
	}
	if h.w.conf.defaultProv != "Local" || !strings.Contains(everyText(test.LaidOutObjects(s.List)), "default") {
		t.Errorf("the default provider is %q", h.w.conf.defaultProv)
	}

	// The data folder is shown and opens in the file manager.
	var opened *url.URL
	s.OpenURL = func(u *url.URL) error { opened = u; return nil }
	dir := h.w.dataFolder()
	if d.DataDir.Text != dir {
		t.Errorf("data folder shows %q, want %q", d.DataDir.Text, dir)
	}
	test.Tap(d.OpenDir)
	if opened == nil || opened.Scheme != "file" || opened.Path != dir {
		t.Errorf("opened %v", opened)
	}

	// A new window on the same store starts with them, in the dark.
	look.ApplyTheme(h.w.app, "")
	w2 := newWindow(h.w.app, Deps{Engine: h.eng, Store: h.st}, h.w.b)
	t.Cleanup(func() { w2.shutdown(time.Second) })
	h.settle()
	if w2.conf.prefs.Provider != "Local" || w2.conf.prefs.Model != "m2" || w2.conf.prefs.MaxTokens != 512 || w2.conf.prefs.Temperature == nil || w2.conf.prefs.Theme != look.ThemeDark {
		t.Errorf("new window's prefs %+v", w2.conf.prefs)
	}
	if vt, ok := h.w.app.Settings().Theme().(*look.VariantTheme); !ok || vt.Variant() != theme.VariantDark {
		t.Errorf("the new window did not apply the dark theme")
	}

	// Follow system gives the app its own theme back.
	d.Theme.SetSelected("Follow system")
	h.settle()
	if _, forced := h.w.app.Settings().Theme().(*look.VariantTheme); forced {
		t.Error("Follow system still forces a variant")
	}
	if v, _ := h.st.Setting(store.SettingTheme); v != "" {
		t.Errorf("stored theme %q", v)
	}
}

func TestFirstRunAddAProviderOpensTheSettings(t *testing.T) {
	keyring.MockInit()
	h := newHarness(t, nil)
	if h.w.overlays.welcome == nil {
		t.Fatal("no first-run dialog")
	}
	h.tapDialogButton("Add a provider…")
	h.settle()
	s := h.w.overlays.settings
	if s == nil || !s.Open || s.PresetSel == nil {
		t.Fatal("Add a provider did not open the settings at the preset question")
	}
	if txt := everyText(h.topDialog()); !strings.Contains(txt, "Which service do you want to add?") {
		t.Errorf("top dialog says %q", txt)
	}
	want := []string{"OpenAI", "Azure OpenAI", "Ollama", "LM Studio", "OpenRouter", "DeepSeek", "Groq", "Gemini", "Anthropic", "Custom"}
	if strings.Join(s.PresetSel.Options, ",") != strings.Join(want, ",") {
		t.Errorf("presets %v", s.PresetSel.Options)
	}
	s.PresetSel.SetSelected("Azure OpenAI")
	f := s.Form
	if f == nil || f.Kind != store.KindAzure || f.APIVersion.Text == "" || !strings.Contains(f.Hint.Text, "deployment") {
		t.Fatalf("Azure form %+v", f)
	}
	if !strings.Contains(everyText(test.LaidOutObjects(s.Detail)), "Deployment") {
		t.Error("the Azure form does not call the model a deployment")
	}
	// The preset's placeholder address is not saved.
	f.KeySource.SetSelected(settings.SrcEnv)
	test.Tap(f.Save)
	h.settle()
	if got := errText(f, settings.FieldBaseURL); !strings.Contains(got, "in place of YOUR-RESOURCE") {
		t.Errorf("placeholder base URL: %q", got)
	}
	if names := storedProviders(t, h.st); len(names) != 0 {
		t.Errorf("stored %v", names)
	}
}

func TestSettingsAHangingKeyCommandIsStopped(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the key command's 5 s bound")
	}
	keyring.MockInit()
	srv := newProviderServer(t, "m")
	h := newHarness(t, useSimulator)
	h.openSettings()
	f := h.addFromPreset("Groq")
	f.BaseURL.SetText(srv.URL + "/v1")
	f.KeySource.SetSelected(settings.SrcCommand)
	f.KeyCmd.SetText("sleep 60")
	start := time.Now()
	test.Tap(f.Test)
	h.settle()
	if got := errText(f, settings.FieldKey); got != "The key command did not finish within 5 s and was stopped." {
		t.Errorf("hanging key command: %q", got)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("Test connection took %s", d)
	}
	if got := shownText(f.Result); got != "Could not get the key: see above." {
		t.Errorf("result %q", got)
	}
	if srv.lastAuth() != "" {
		t.Error("the provider was asked without a key")
	}
}

func TestSettingsAskBeforeDroppingUnsavedChanges(t *testing.T) {
	keyring.MockInit()
	h := newHarness(t, func(st *store.Store) {
		for _, name := range []string{"Alpha", "Beta"} {
			if err := st.PutProvider(store.Provider{Name: name, Kind: store.KindCompatible, BaseURL: "http://localhost:11434/v1", Model: "m"}); err != nil {
				t.Fatal(err)
			}
		}
	})
	s := h.openSettings()
	s.List.Select(0)
	h.settle()
	if s.Form == nil || s.Form.Orig.Name != "Alpha" {
		t.Fatal("Alpha's form is not open")
	}
	// Unchanged: choosing another provider just opens it.
	s.List.Select(1)
	h.settle()
	if s.Form.Orig.Name != "Beta" {
		t.Fatalf("form of %q, want Beta", s.Form.Orig.Name)
	}
	s.Form.BaseURL.SetText("http://localhost:1234/v1")
	s.List.Select(0)
	h.settle()
	if !strings.Contains(everyText(h.topDialog()), "Your changes to Beta are not saved") {
		t.Fatalf("no question before dropping the changes: %q", everyText(h.topDialog()))
	}
	h.tapDialogButton("Keep editing")
	h.settle()
	if s.Form.Orig.Name != "Beta" || s.Form.BaseURL.Text != "http://localhost:1234/v1" {
		t.Fatalf("after Keep editing: form of %q with %q", s.Form.Orig.Name, s.Form.BaseURL.Text)
	}
	s.List.Select(0)
	h.settle()
	h.tapDialogButton("Discard")
	h.settle()
	if s.Form.Orig.Name != "Alpha" {
		t.Errorf("after Discard: form of %q, want Alpha", s.Form.Orig.Name)
	}
	if p, _ := h.st.Provider("Beta"); p.BaseURL != "http://localhost:11434/v1" {
		t.Errorf("Beta was changed in the store: %q", p.BaseURL)
	}
}

func TestSettingsRememberThePresetAProviderWasMadeFrom(t *testing.T) {
	keyring.MockInit()
	h := newHarness(t, nil)
	s := h.openSettings()
	f := h.addFromPreset("Ollama")
	f.Name.SetText("Box under the desk") // neither the preset's name nor its address
	f.BaseURL.SetText("http://192.168.1.20:8080/v1")
	f.Model.SetText("llama3.2")
	test.Tap(f.Save)
	h.settle()
	p, err := h.st.Provider("Box under the desk")
	if err != nil || p.Preset != "Ollama" {
		t.Fatalf("stored %+v, %v", p, err)
	}
	s.List.UnselectAll()
	h.w.overlays.settings.OpenProviderForm(p, settings.PresetOf(p))
	if got := s.Form.PresetName.Text; got != "Ollama" {
		t.Errorf("the form says it was made from %q", got)
	}
}
