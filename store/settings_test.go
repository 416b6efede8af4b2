package store

import (
	"errors"
	"testing"
)

func TestSetSettingsWritesAllOrNothing(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	if err := s.SetSetting(SettingTheme, "light"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSettings(map[string]string{SettingTheme: "dark", SettingSystemPrompt: "Be brief.", SettingMaxTokens: ""}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if got[SettingTheme] != "dark" || got[SettingSystemPrompt] != "Be brief." {
		t.Errorf("settings %v", got)
	}
	if _, ok := got[SettingMaxTokens]; ok {
		t.Errorf("an empty value was stored: %v", got)
	}

	// An empty value deletes; a bad key fails the whole write.
	if err := s.SetSettings(map[string]string{SettingTheme: ""}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Setting(SettingTheme); v != "" {
		t.Errorf("theme %q after deleting it", v)
	}
	err = s.SetSettings(map[string]string{SettingTheme: "light", SettingTemperature: "0.5", "": "x"})
	if err == nil {
		t.Fatal("a setting with an empty key was accepted")
	}
	after, _ := s.Settings()
	if len(after) != 1 || after[SettingSystemPrompt] != "Be brief." {
		t.Errorf("a failed SetSettings wrote part of its keys: %v", after)
	}
}

func TestReplaceProviderRenamesAndCarriesReferences(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	for _, p := range []Provider{
		{Name: "Local", Kind: KindCompatible, BaseURL: "http://localhost:11434/v1", Model: "llama3.2"},
		{Name: "Cloud", Kind: KindOpenAI, Model: "gpt-4o", Fallback: "Local"},
	} {
		if err := s.PutProvider(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetSettings(map[string]string{SettingDefaultProvider: "Local", SettingDefaultModel: "llama3.2"}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Provider("Local")
	chat, err := s.CreateConversation(Conversation{Title: "uses Local", Provider: "Local", Model: "llama3.2"})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := s.CreateConversation(Conversation{Title: "uses Cloud", Provider: "Cloud", Model: "gpt-4o"})

	// A rename onto an existing name changes nothing.
	err = s.ReplaceProvider("Local", Provider{Name: "Cloud", Kind: KindCompatible, Model: "x"}, true)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto an existing provider: %v", err)
	}
	if UserMessage(err) != `There is already a provider called "Cloud".` {
		t.Errorf("sentence %q", UserMessage(err))
	}
	if p, _ := s.Provider("Cloud"); p.Kind != KindOpenAI {
		t.Errorf("Cloud was overwritten: %+v", p)
	}

	if err := s.ReplaceProvider("Local", Provider{Name: "Ollama", Kind: KindCompatible, BaseURL: "http://localhost:11434/v1", Model: "qwen3"}, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Provider("Local"); err == nil {
		t.Error("the old name is still stored")
	}
	p, err := s.Provider("Ollama")
	if err != nil {
		t.Fatal(err)
	}
	if p.Model != "qwen3" || !p.CreatedAt.Equal(before.CreatedAt) {
		t.Errorf("renamed record %+v (created %v, was %v)", p, p.CreatedAt, before.CreatedAt)
	}
	if c, _ := s.Provider("Cloud"); c.Fallback != "Ollama" {
		t.Errorf("Cloud falls back to %q, want the new name", c.Fallback)
	}
	set, _ := s.Settings()
	if set[SettingDefaultProvider] != "Ollama" || set[SettingDefaultModel] != "llama3.2" {
		t.Errorf("default after rename: %v", set)
	}
	if c, _ := s.Conversation(chat.ID); c.Provider != "Ollama" || c.Model != "llama3.2" || !c.UpdatedAt.Equal(chat.UpdatedAt) {
		t.Errorf("conversation after rename: %+v", c)
	}
	if c, _ := s.Conversation(other.ID); c.Provider != "Cloud" {
		t.Errorf("another provider's conversation: %+v", c)
	}

	// No longer the default: the default (and its model) are cleared.
	if err := s.ReplaceProvider("Ollama", p, false); err != nil {
		t.Fatal(err)
	}
	set, _ = s.Settings()
	if set[SettingDefaultProvider] != "" || set[SettingDefaultModel] != "" {
		t.Errorf("default still set: %v", set)
	}
	// Making another provider the default drops the old default's model.
	s.SetSettings(map[string]string{SettingDefaultProvider: "Ollama", SettingDefaultModel: "qwen3"})
	c, _ := s.Provider("Cloud")
	if err := s.ReplaceProvider("Cloud", c, true); err != nil {
		t.Fatal(err)
	}
	set, _ = s.Settings()
	if set[SettingDefaultProvider] != "Cloud" || set[SettingDefaultModel] != "" {
		t.Errorf("default %v", set)
	}
	if err := s.ReplaceProvider("Gone", Provider{Name: "New"}, false); !errors.Is(err, ErrNotFound) {
		t.Errorf("renaming a missing provider: %v", err)
	}
	// Creating never replaces.
	if err := s.ReplaceProvider("", Provider{Name: "Cloud", Kind: KindCompatible}, false); !errors.Is(err, ErrExists) {
		t.Errorf("creating over an existing provider: %v", err)
	}
	if err := s.ReplaceProvider("", Provider{Name: "Fresh", Kind: KindCompatible, BaseURL: "http://x", Model: "m"}, false); err != nil {
		t.Fatal(err)
	}
	if f, err := s.Provider("Fresh"); err != nil || f.CreatedAt.IsZero() || f.V != recordVersion {
		t.Errorf("created %+v, %v", f, err)
	}
}

func TestRemoveProviderClearsReferences(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	s.PutProvider(Provider{Name: "A", Kind: KindCompatible, BaseURL: "http://a", Model: "m"})
	s.PutProvider(Provider{Name: "B", Kind: KindCompatible, BaseURL: "http://b", Model: "m", Fallback: "A"})
	s.SetSettings(map[string]string{SettingDefaultProvider: "A", SettingDefaultModel: "m"})
	c, _ := s.CreateConversation(Conversation{Title: "uses A", Provider: "A", Model: "m"})
	s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "kept"})
	r, err := s.RemoveProvider("A")
	if err != nil {
		t.Fatal(err)
	}
	if r.Provider.Name != "A" || !r.WasDefault || r.Default != "B" {
		t.Errorf("removal %+v: want A's record, and B the default now", r)
	}
	if got, _ := s.Conversation(c.ID); got.Provider != "" || got.Model != "" {
		t.Errorf("conversation still uses the removed provider: %+v", got)
	}
	if msgs, _ := s.Messages(c.ID); len(msgs) != 1 || msgs[0].Content != "kept" {
		t.Errorf("messages %+v", msgs)
	}
	ps, _ := s.Providers()
	if len(ps) != 1 || ps[0].Name != "B" || ps[0].Fallback != "" {
		t.Errorf("providers %+v", ps)
	}
	if set, _ := s.Settings(); len(set) != 1 || set[SettingDefaultProvider] != "B" {
		t.Errorf("settings %v: want B the default, without A's model", set)
	}
	if _, err := s.RemoveProvider("A"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing twice: %v", err)
	}
}

func TestRemovingTheDefaultProviderChoosesTheNextOne(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	for _, p := range []Provider{{Name: "A"}, {Name: "M"}, {Name: "Z", Fallback: "M"}} {
		p.Kind, p.BaseURL, p.Model = KindCompatible, "http://x", "m"
		if err := s.PutProvider(p); err != nil {
			t.Fatal(err)
		}
	}
	s.SetSettings(map[string]string{SettingDefaultProvider: "Z", SettingDefaultModel: "z-model"})
	// Z's fallback answered for it already: it takes over, not the first by name.
	if r, err := s.RemoveProvider("Z"); err != nil || !r.WasDefault || r.Default != "M" {
		t.Fatalf("removing Z: %+v, %v", r, err)
	}
	if set, _ := s.Settings(); set[SettingDefaultProvider] != "M" || set[SettingDefaultModel] != "" {
		t.Errorf("settings after Z: %v", set)
	}
	// Without a fallback, the first by name.
	if r, _ := s.RemoveProvider("M"); r.Default != "A" {
		t.Errorf("removing M: %+v", r)
	}
	// Removing another than the default leaves the default alone.
	s.PutProvider(Provider{Name: "B", Kind: KindCompatible, BaseURL: "http://x", Model: "m"})
	if r, _ := s.RemoveProvider("B"); r.WasDefault || r.Default != "A" {
		t.Errorf("removing B: %+v", r)
	}
	// The last one: none is left.
	if r, _ := s.RemoveProvider("A"); !r.WasDefault || r.Default != "" {
		t.Errorf("removing the last: %+v", r)
	}
	if set, _ := s.Settings(); set[SettingDefaultProvider] != "" {
		t.Errorf("default after the last: %v", set)
	}
}
