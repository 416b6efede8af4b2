package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
)

// The keys below are made up; split so that secret scanners do not flag
// them.
var (
	keyA = "sk-" + "admin-test-key-aaaa"
	keyB = "sk-" + "admin-test-key-bbbb"
)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// newAdmin is an Admin of a new store in a temporary folder, with the
// keychain go-keyring's mock (empty).
func newAdmin(t *testing.T) (*Admin, string) {
	t.Helper()
	keyring.MockInit()
	dir := t.TempDir()
	return New(openStore(t, dir), nil), dir
}

func local(name string) Draft {
	return Draft{Provider: store.Provider{Name: name, Kind: store.KindCompatible, BaseURL: "http://localhost:11434/v1", Model: "llama3.2"}}
}

func keychainDraft(name, key string) Draft {
	d := local(name)
	d.KeySource, d.Key = store.KeyFromKeychain, key
	return d
}

func mustSave(t *testing.T, a *Admin, old string, d Draft) Saved {
	t.Helper()
	s, err := a.Save(old, d)
	if err != nil {
		t.Fatalf("save %s: %v", d.Name, err)
	}
	return s
}

func names(t *testing.T, st *store.Store) []string {
	t.Helper()
	ps, err := st.Providers()
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func keychainHas(name string) (string, bool) {
	k, err := keyring.Get(secrets.Service, name)
	return k, err == nil
}

func TestSaveRefusesBadInputFieldByFieldAndStoresNothing(t *testing.T) {
	a, _ := newAdmin(t)
	mustSave(t, a, "", local("Local"))
	neg, long := -1, strings.Repeat("n", MaxNameLen+1)
	cases := []struct {
		what  string
		edit  func(d *Draft)
		field Field
		want  string
	}{
		{"no name", func(d *Draft) { d.Name = "  " }, FieldName, "Give the provider a name."},
		{"the Simulator's name", func(d *Draft) { d.Name = "simulator" }, FieldName, "built-in provider's name"},
		{"a taken name, in another case", func(d *Draft) { d.Name = "LOCAL" }, FieldName, "There is already a provider called “Local”"},
		{"a huge name", func(d *Draft) { d.Name = long }, FieldName, "at most 100 characters"},
		{"a name over two lines", func(d *Draft) { d.Name = "a\nb" }, FieldName, "one line"},
		{"an unknown kind", func(d *Draft) { d.Kind = "anthropic" }, FieldKind, "must be openai, azure or compatible, not “anthropic”"},
		{"no base URL", func(d *Draft) { d.BaseURL = "" }, FieldBaseURL, "Enter the base URL"},
		{"not a URL", func(d *Draft) { d.BaseURL = "localhost:11434" }, FieldBaseURL, "is not a web address"},
		{"Azure's placeholder", func(d *Draft) { d.Kind, d.BaseURL = store.KindAzure, "https://YOUR-RESOURCE.openai.azure.com" }, FieldBaseURL, "in place of YOUR-RESOURCE"},
		{"no model", func(d *Draft) { d.Model = " " }, FieldModel, "Name the model new chats use"},
		{"a negative limit", func(d *Draft) { d.RequestsPerMinute = -5 }, FieldLimits, "0 or more"},
		{"negative retries", func(d *Draft) { d.MaxRetries = &neg }, FieldLimits, "0 or more"},
		{"a max output over the context", func(d *Draft) {
			d.ModelLimits = map[string]store.ModelLimits{"llama3.2": {Context: 1000, MaxOutput: 1000}}
		}, FieldLimits, "context window of llama3.2"},
		{"itself as fallback", func(d *Draft) { d.Fallback = "new" }, FieldFallback, "cannot fall back to itself"},
		{"a missing fallback", func(d *Draft) { d.Fallback = "Nowhere" }, FieldFallback, "no provider called “Nowhere”"},
		{"an unknown key source", func(d *Draft) { d.KeySource = "vault" }, FieldKey, "keychain, env or command, not “vault”"},
		{"a keychain without a key", func(d *Draft) { d.KeySource = store.KeyFromKeychain }, FieldKey, "Enter the API key"},
		{"env without a variable", func(d *Draft) { d.KeySource = store.KeyFromEnv }, FieldKey, "name of the environment variable"},
		{"a bad variable name", func(d *Draft) { d.KeyEnv = "MY KEY" }, FieldKey, "“MY KEY” is not an environment variable name"},
		{"the key as the variable", func(d *Draft) { d.KeyEnv = keyA }, FieldKey, "looks like the key itself"},
		{"the key as the command", func(d *Draft) { d.KeyCommand = keyA }, FieldKey, "looks like the key itself"},
		{"a variable and a command", func(d *Draft) { d.KeyEnv, d.KeyCommand = "K", "pass show k" }, FieldKey, "not both"},
		{"keychain and a variable", func(d *Draft) { d.KeySource, d.Key, d.KeyEnv = store.KeyFromKeychain, keyB, "K" }, FieldKey, "neither an environment variable"},
	}
	for _, c := range cases {
		d := local("new")
		c.edit(&d)
		_, err := a.Save("", d)
		var probs Problems
		if !errors.As(err, &probs) {
			t.Errorf("%s: %v, want Problems", c.what, err)
			continue
		}
		if got := probs[c.field]; !strings.Contains(got, c.want) {
			t.Errorf("%s: %s says %q, want %q (all: %v)", c.what, c.field, got, c.want, probs)
		}
		if strings.Contains(err.Error(), keyA) || strings.Contains(err.Error(), keyB) {
			t.Errorf("%s: the sentence repeats the key: %q", c.what, err)
		}
		if got := names(t, a.Store); !reflect.DeepEqual(got, []string{"Local"}) {
			t.Fatalf("%s: stored %v", c.what, got)
		}
	}
	if _, ok := keychainHas("new"); ok {
		t.Error("a refused draft left a key in the keychain")
	}
	// A huge value is refused in a sentence of bounded length.
	d := local("new")
	d.BaseURL = strings.Repeat("x", 1<<20)
	if _, err := a.Save("", d); err == nil || len(err.Error()) > 300 {
		t.Errorf("a 1 MB base URL: %d-byte sentence", len(err.Error()))
	}
}

func TestSaveTidiesUpAndDefaultsTheAzureVersion(t *testing.T) {
	a, _ := newAdmin(t)
	d := Draft{Provider: store.Provider{Name: "  Work ", Kind: store.KindAzure, BaseURL: "https://work.openai.azure.com/ ", Model: "gpt4o-deploy", KeyEnv: "AZURE_KEY"}}
	s := mustSave(t, a, "", d)
	p, err := a.Store.Provider("Work")
	if err != nil {
		t.Fatal(err)
	}
	if p.BaseURL != "https://work.openai.azure.com" || p.APIVersion != engine.DefaultAzureAPIVersion || p.KeySource != store.KeyFromEnv || !reflect.DeepEqual(p.Models, []string{"gpt4o-deploy"}) {
		t.Errorf("stored %+v", p)
	}
	if s.Provider.Name != "Work" {
		t.Errorf("saved %+v", s.Provider)
	}
}

func TestTheFirstRealProviderTakesOverFromTheSimulator(t *testing.T) {
	a, _ := newAdmin(t)
	if err := a.SetDefault(engine.SimulatorName); err != nil {
		t.Fatal(err)
	}
	s := mustSave(t, a, "", local("Ollama"))
	if !s.Default || !s.BecameDefault {
		t.Errorf("first provider: %+v, want the default now", s)
	}
	if def, _ := a.Store.Setting(store.SettingDefaultProvider); def != "Ollama" {
		t.Errorf("default %q", def)
	}
	// A second one does not take over by itself...
	if s := mustSave(t, a, "", local("Other")); s.Default || s.BecameDefault {
		t.Errorf("second provider: %+v", s)
	}
	// ... nor does a changed one lose it.
	d := local("Ollama")
	d.Model = "qwen2.5"
	if s := mustSave(t, a, "Ollama", d); !s.Default || s.BecameDefault {
		t.Errorf("edited default: %+v", s)
	}
	// DefaultYes and DefaultNo are obeyed.
	d = local("Other")
	d.Default = DefaultYes
	if s := mustSave(t, a, "Other", d); !s.BecameDefault {
		t.Errorf("DefaultYes: %+v", s)
	}
	d.Default = DefaultNo
	if s := mustSave(t, a, "Other", d); s.Default {
		t.Errorf("DefaultNo: %+v", s)
	}
	if def, _ := a.Store.Setting(store.SettingDefaultProvider); def != "" {
		t.Errorf("default %q after DefaultNo", def)
	}

	// With no default at all, a new one takes the place, as the command
	// line's add always did.
	if s := mustSave(t, a, "", local("Third")); !s.BecameDefault {
		t.Errorf("added with no default: %+v", s)
	}
	// The Simulator chosen while providers exist: a new one leaves it.
	a.SetDefault(engine.SimulatorName)
	if s := mustSave(t, a, "", local("Fourth")); s.Default {
		t.Errorf("added while the Simulator was chosen over others: %+v", s)
	}

	// Declined while the Simulator is the default: it stays.
	b, _ := newAdmin(t)
	b.SetDefault(engine.SimulatorName)
	d = local("Declined")
	d.Default = DefaultNo
	mustSave(t, b, "", d)
	if def, _ := b.Store.Setting(store.SettingDefaultProvider); def != engine.SimulatorName {
		t.Errorf("default %q after declining", def)
	}
}

func TestTheKeyGoesIntoTheKeychainOnlyAndMovesOnARename(t *testing.T) {
	a, _ := newAdmin(t)
	var forgot []string
	a.Forget = func(name string) { forgot = append(forgot, name) }
	mustSave(t, a, "", keychainDraft("Cloud", keyA))
	if k, ok := keychainHas("Cloud"); !ok || k != keyA {
		t.Fatalf("keychain holds %q", k)
	}
	// Renamed without typing the key again: the key moves.
	mustSave(t, a, "Cloud", keychainDraft("Work", ""))
	if k, ok := keychainHas("Work"); !ok || k != keyA {
		t.Errorf("under the new name: %q", k)
	}
	if _, ok := keychainHas("Cloud"); ok {
		t.Error("the key is still under the old name")
	}
	// Leaving the keychain deletes the key.
	d := local("Work")
	d.KeyEnv = "WORK_KEY"
	mustSave(t, a, "Work", d)
	if _, ok := keychainHas("Work"); ok {
		t.Error("the key stayed in the keychain after leaving it")
	}
	if !reflect.DeepEqual(forgot, []string{"Cloud", "Cloud", "Work", "Work", "Work"}) {
		t.Errorf("forgot %v", forgot)
	}
	if dbHolds(t, a.Store, keyA) {
		t.Error("the key is in the history file")
	}
}

// dbHolds reports whether the history file's bytes contain s.
func dbHolds(t *testing.T, st *store.Store, s string) bool {
	t.Helper()
	b, err := os.ReadFile(st.FilePath())
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(b, []byte(s))
}

func TestARefusingKeychainStoresNothing(t *testing.T) {
	a, _ := newAdmin(t)
	keyring.MockInitWithError(errors.New("The name org.freedesktop.secrets was not provided by any .service files"))
	defer keyring.MockInit()
	_, err := a.Save("", keychainDraft("Cloud", keyA))
	var probs Problems
	if !errors.As(err, &probs) || !strings.Contains(probs[FieldKey], "The keychain refused to store the key for Cloud") || strings.Contains(err.Error(), keyA) {
		t.Errorf("refused keychain: %v", err)
	}
	// The command line's add without a key asks the keychain first.
	d := keychainDraft("Cloud", "")
	d.KeyLater = true
	if _, err := a.Save("", d); !errors.As(err, &probs) || !strings.Contains(probs[FieldKey], "No keychain is available") {
		t.Errorf("add for set-key later: %v", err)
	}
	if got := names(t, a.Store); len(got) != 0 {
		t.Errorf("stored %v", got)
	}
	// SetKey on a provider reading its key elsewhere changes nothing.
	mustSave(t, a, "", local("Env"))
	if _, err := a.SetKey("Env", keyA); !errors.As(err, &probs) {
		t.Errorf("SetKey: %v", err)
	}
	if p, _ := a.Store.Provider("Env"); p.KeySource != "" {
		t.Errorf("Env now reads its key from %q", p.KeySource)
	}
}

// reopenReadOnly closes a's store and opens it again read-only: every write
// fails after the checks have read it, as a full disk or a damaged file
// would make them.
func reopenReadOnly(t *testing.T, a *Admin, dir string) {
	t.Helper()
	if err := a.Store.Close(); err != nil {
		t.Fatal(err)
	}
	ro, err := store.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	a.Store = ro
}

func TestAFailedStoreWritePutsTheKeychainBack(t *testing.T) {
	a, dir := newAdmin(t)
	mustSave(t, a, "", local("Env"))
	// A key already under the name (left by an older deskchat, say) comes
	// back; where there was none, none stays.
	keyring.Set(secrets.Service, "Racer", keyB)
	reopenReadOnly(t, a, dir)
	for _, c := range []struct{ name, before string }{{"Racer", keyB}, {"Fresh", ""}} {
		_, err := a.Save("", keychainDraft(c.name, keyA))
		if !errors.Is(err, store.ErrReadOnly) {
			t.Errorf("%s: %v, want the store's refusal", c.name, err)
		}
		k, ok := keychainHas(c.name)
		if c.before != "" && k != c.before {
			t.Errorf("%s: keychain holds %q, want the previous key back", c.name, k)
		}
		if c.before == "" && ok {
			t.Errorf("%s: keychain holds %q, want nothing", c.name, k)
		}
	}
	// SetKey: the key went in, the switch to the keychain failed: out again.
	if _, err := a.SetKey("Env", keyA); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("SetKey: %v", err)
	}
	if k, ok := keychainHas("Env"); ok {
		t.Errorf("SetKey left %q in the keychain", k)
	}
	// Remove fails whole: the keychain key stays with the record.
	keyring.Set(secrets.Service, "Env", keyB)
	if _, err := a.Remove("Env"); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Remove: %v", err)
	}
	if _, ok := keychainHas("Env"); !ok {
		t.Error("a failed removal deleted the key")
	}
}

func TestRemovingAFallbackOfTwoOthersUnhooksBoth(t *testing.T) {
	a, _ := newAdmin(t)
	mustSave(t, a, "", keychainDraft("Main", keyA))
	for _, n := range []string{"B", "C"} {
		d := local(n)
		d.Fallback = "Main"
		mustSave(t, a, "", d)
	}
	r, err := a.Remove("Main")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Unhooked, []string{"B", "C"}) || r.Note != "" {
		t.Errorf("removed %+v", r)
	}
	for _, n := range []string{"B", "C"} {
		if p, _ := a.Store.Provider(n); p.Fallback != "" {
			t.Errorf("%s still falls back to %q", n, p.Fallback)
		}
	}
	if _, ok := keychainHas("Main"); ok {
		t.Error("Main's key is still in the keychain")
	}
	if _, err := a.Remove("Main"); err == nil || store.UserMessage(err) != `There is no provider called "Main".` {
		t.Errorf("removing twice: %v", err)
	}
	if _, err := a.Remove(engine.SimulatorName); err == nil || !strings.Contains(err.Error(), "built in") {
		t.Errorf("removing the Simulator: %v", err)
	}
}

func TestRemovingTheDefaultMakesAnotherOneTheDefault(t *testing.T) {
	a, _ := newAdmin(t)
	mustSave(t, a, "", local("Alpha"))
	mustSave(t, a, "", local("Zed"))
	d := local("Main")
	d.Fallback, d.Default = "Zed", DefaultYes
	mustSave(t, a, "", d)
	a.Store.SetSetting(store.SettingDefaultModel, "llama3.2")

	r, err := a.Remove("Main")
	if err != nil {
		t.Fatal(err)
	}
	if !r.WasDefault || r.Default != "Zed" || r.DefaultSentence() != "Zed is the default provider for new chats now." {
		t.Errorf("removed %+v: %q", r, r.DefaultSentence())
	}
	if set, _ := a.Store.Settings(); set[store.SettingDefaultProvider] != "Zed" || set[store.SettingDefaultModel] != "" {
		t.Errorf("settings %v", set)
	}
	if r, _ := a.Remove("Zed"); r.Default != "Alpha" {
		t.Errorf("then %+v", r)
	}
	r, _ = a.Remove("Alpha")
	if !r.WasDefault || r.Default != "" || !strings.HasPrefix(r.DefaultSentence(), "No provider is left to be the default") {
		t.Errorf("the last one: %+v %q", r, r.DefaultSentence())
	}
	// With no provider left, the next one added is the default again.
	if s := mustSave(t, a, "", local("Lone")); !s.BecameDefault {
		t.Errorf("added after the last: %+v", s)
	}
	mustSave(t, a, "", local("Spare"))
	if r, _ := a.Remove("Spare"); r.WasDefault || r.DefaultSentence() != "" {
		t.Errorf("not the default: %+v", r)
	}
}

// stuck is a keychain whose calls never answer until release is closed, like
// a stuck D-Bus.
type stuck struct{ release chan struct{} }

func (s stuck) Get(string, string) (string, error) { <-s.release; return "", keyring.ErrNotFound }
func (s stuck) Set(string, string, string) error   { <-s.release; return nil }
func (s stuck) Delete(string, string) error        { <-s.release; return nil }

func TestAStuckKeychainIsGivenUpOn(t *testing.T) {
	a, _ := newAdmin(t)
	old := secrets.KeychainTimeout
	secrets.KeychainTimeout = 20 * time.Millisecond
	defer func() { secrets.KeychainTimeout = old }()
	kr := stuck{make(chan struct{})}
	defer close(kr.release)
	a.Keyring = kr
	_, err := a.Save("", keychainDraft("Cloud", keyA))
	var probs Problems
	if !errors.As(err, &probs) || !strings.Contains(probs[FieldKey], "did not answer") {
		t.Errorf("save: %v", err)
	}
	if got := names(t, a.Store); len(got) != 0 {
		t.Errorf("stored %v", got)
	}
}

// lockedDelete is a keychain that stores and reads but refuses deletes.
type lockedDelete struct{ secrets.Keyring }

func (lockedDelete) Delete(string, string) error { return errors.New("the collection is locked") }

func TestAKeyTheKeychainKeepsIsANoteNotAFailure(t *testing.T) {
	a, _ := newAdmin(t)
	mustSave(t, a, "", keychainDraft("Cloud", keyA))
	a.Keyring = lockedDelete{secrets.System()}
	r, err := a.Remove("Cloud")
	if err != nil {
		t.Fatal(err)
	}
	if r.Note != "Its key is still in the keychain. The keychain refused to delete the key for Cloud: the collection is locked." {
		t.Errorf("note %q", r.Note)
	}
	if got := names(t, a.Store); len(got) != 0 {
		t.Errorf("stored %v", got)
	}
}

func TestSetKeySwitchesTheSourceAndKeepsTheDefault(t *testing.T) {
	a, _ := newAdmin(t)
	d := local("Groq")
	d.KeyEnv, d.Default = "GROQ_API_KEY", DefaultYes
	mustSave(t, a, "", d)
	switched, err := a.SetKey("Groq", keyA)
	if err != nil || !switched {
		t.Fatalf("SetKey: %v, %v", switched, err)
	}
	if p, _ := a.Store.Provider("Groq"); p.KeySource != store.KeyFromKeychain || p.KeyEnv != "" {
		t.Errorf("stored %+v", p)
	}
	if def, _ := a.Store.Setting(store.SettingDefaultProvider); def != "Groq" {
		t.Errorf("default %q", def)
	}
	if switched, err := a.SetKey("Groq", keyB); err != nil || switched {
		t.Errorf("again: %v, %v", switched, err)
	}
	if k, _ := keychainHas("Groq"); k != keyB {
		t.Errorf("keychain %q", k)
	}
	for _, c := range []struct{ name, key, want string }{
		{engine.SimulatorName, keyA, "needs no key"},
		{"Groq", " \n", "Enter the API key"},
		{"Nobody", keyA, `There is no provider called "Nobody".`},
	} {
		if _, err := a.SetKey(c.name, c.key); err == nil || !strings.Contains(store.UserMessage(err)+err.Error(), c.want) {
			t.Errorf("SetKey(%s): %v", c.name, err)
		}
	}
}

func TestSetDefault(t *testing.T) {
	a, _ := newAdmin(t)
	mustSave(t, a, "", local("A"))
	a.Store.SetSetting(store.SettingDefaultModel, "llama3.2")
	if err := a.SetDefault("Nobody"); err == nil {
		t.Error("an unknown provider became the default")
	}
	if err := a.SetDefault(engine.SimulatorName); err != nil {
		t.Fatal(err)
	}
	if set, _ := a.Store.Settings(); set[store.SettingDefaultProvider] != engine.SimulatorName || set[store.SettingDefaultModel] != "" {
		t.Errorf("settings %v: the old provider's model must go", set)
	}
}

func TestListSaysEverythingButTheKey(t *testing.T) {
	a, dir := newAdmin(t)
	three, retries := 3, 1
	d := keychainDraft("Cloud", keyA)
	d.Kind, d.BaseURL, d.Model = store.KindOpenAI, "", "gpt-4o"
	d.MaxConcurrent, d.RequestsPerMinute, d.MaxRetries, d.Fallback = three, 60, &retries, engine.SimulatorName
	mustSave(t, a, "", d)
	c := local("Cmd")
	c.KeyCommand = "echo " + keyB // a careless key command
	c.Default = DefaultYes
	mustSave(t, a, "", c)
	reopenReadOnly(t, a, dir) // listing only reads
	list, err := a.List()
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(list)
	for _, k := range []string{keyA, keyB} {
		if bytes.Contains(out, []byte(k)) {
			t.Errorf("the list holds a key: %s", out)
		}
	}
	var got []map[string]any
	json.Unmarshal(out, &got)
	if len(got) != 2 || got[0]["name"] != "Cloud" || got[0]["fallback"] != engine.SimulatorName || got[0]["key_source"] != "keychain" ||
		got[1]["key_from"] != "command" || got[1]["default"] != true || got[0]["default"] != false {
		t.Fatalf("list %s", out)
	}
	lim := got[0]["limits"].(map[string]any)
	if lim["max_concurrent"] != 3.0 || lim["requests_per_minute"] != 60.0 || lim["max_retries"] != 1.0 || lim["max_queued"] != 0.0 {
		t.Errorf("limits %v", lim)
	}
}

func TestKeyFrom(t *testing.T) {
	for _, c := range []struct {
		p    store.Provider
		want string
	}{
		{store.Provider{KeySource: store.KeyFromKeychain}, "keychain"},
		{store.Provider{KeySource: store.KeyFromEnv, KeyEnv: "K"}, "$K"},
		{store.Provider{KeySource: store.KeyFromCommand, KeyCommand: "pass x"}, "command"},
		{store.Provider{KeyEnv: "OLD"}, "$OLD"},
		{store.Provider{Kind: store.KindOpenAI}, "$OPENAI_API_KEY"},
		{store.Provider{Kind: store.KindCompatible}, ""},
		{store.Provider{KeySource: "vault"}, "vault?"},
	} {
		if got := KeyFrom(c.p); got != c.want {
			t.Errorf("%+v: %q, want %q", c.p, got, c.want)
		}
	}
}
