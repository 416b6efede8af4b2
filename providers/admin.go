// Package providers is deskchat's one provider administration: the settings
// window and the command line add, change, remove and list providers and
// their keychain keys through it, so both check the same things and leave
// the store and the keychain in the same state.
//
// An Admin works on a store.Store and a secrets.Keyring:
//
//   - Check (pure) and Save / Put check a Draft the same way: name (not
//     empty, not the Simulator's, not taken, one line), kind (openai, azure,
//     compatible), base URL, model, key source (keychain, env, command, or
//     none), limits (0 or more) and fallback (a stored provider or the
//     Simulator, never itself). Bad input is a Problems error: one sentence
//     per Field, nothing stored.
//   - Save puts a new key into the keychain first and then stores the record
//     in one transaction (store.ReplaceProvider: a rename carries over to
//     fallbacks, the default and the chats). When the record cannot be
//     stored, the keychain is put back as it was.
//   - Remove deletes the record in one transaction (store.RemoveProvider:
//     fallbacks to it are cleared, another provider becomes the default when
//     it was the default), then its keychain key.
//   - SetKey stores a key in the keychain (the record then reads its key from
//     there), SetDefault chooses the default provider, List says what each
//     provider is, with its fallback, limits and key source, never its key.
//
// No error or sentence of this package contains a key.
package providers

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
)

// Admin administers the providers stored in Store, with their keys in
// Keyring. Its methods are safe for concurrent use as far as the store and
// the keyring are (both are); each one reads the store afresh.
type Admin struct {
	Store *store.Store
	// Keyring keeps the keys; nil: the OS keychain (secrets.System(),
	// go-keyring's mock after keyring.MockInit).
	Keyring secrets.Keyring
	// Forget, when set, is told the name of each provider whose key may
	// have changed (engine.Engine.ForgetKey), so the next request reads it.
	Forget func(name string)
}

// New is an Admin of st's providers with their keys in kr (nil: the OS
// keychain).
func New(st *store.Store, kr secrets.Keyring) *Admin { return &Admin{Store: st, Keyring: kr} }

func (a *Admin) keyring() secrets.Keyring {
	if a.Keyring != nil {
		return a.Keyring
	}
	return secrets.System()
}

func (a *Admin) forget(names ...string) {
	if a.Forget == nil {
		return
	}
	for _, n := range names {
		if n != "" {
			a.Forget(n)
		}
	}
}

// Default says what saving does to the default provider for new chats.
type Default int

const (
	// DefaultAuto: a new provider becomes the default when there is none,
	// or when the Simulator is and no other provider is stored (the first
	// real provider); a changed one stays the default when it was.
	DefaultAuto Default = iota
	// DefaultYes makes the provider the default.
	DefaultYes
	// DefaultNo: the provider is not the default (when it was, there is
	// no default afterwards).
	DefaultNo
)

// Draft is a provider as the user described it, before Check.
type Draft struct {
	store.Provider
	// Key is a new API key for the keychain (KeySource keychain); "" keeps
	// the key stored (under the new name after a rename).
	Key string
	// KeyLater lets a keychain provider be stored without a key: the
	// command line adds it, then set-key (SetKey) stores the key.
	KeyLater bool
	Default  Default
}

// Saved is what Save did.
type Saved struct {
	Provider store.Provider // as stored
	// Default: it is the default provider now; BecameDefault: it was not
	// before (say so).
	Default, BecameDefault bool
	// Note is a sentence about what could not be tidied up after the
	// record was stored (an old keychain key left behind); "" when none.
	Note string
}

// Save checks d and stores it in place of the provider called old ("" adds
// a new one): the key in the keychain first, then the record. On a rename
// the keychain key moves with it; leaving the keychain deletes the key.
// When the record cannot be stored, the keychain is put back as it was.
// Bad input is a Problems error, and so are a keychain that refuses the key
// (FieldKey) and a name taken meanwhile (FieldName); other errors are the
// store's (*store.Error).
func (a *Admin) Save(old string, d Draft) (Saved, error) {
	stored, err := a.Store.Providers()
	if err != nil {
		return Saved{}, err
	}
	def, err := a.Store.Setting(store.SettingDefaultProvider)
	if err != nil {
		return Saved{}, err
	}
	if old != "" && !hasName(stored, old) {
		return Saved{}, &store.Error{Op: "save provider", Msg: fmt.Sprintf("There is no provider called %q any more.", old), Err: store.ErrNotFound}
	}
	p, probs := Check(d, stored, old)
	if probs != nil {
		return Saved{}, probs
	}
	isDefault := d.Default == DefaultYes
	if d.Default == DefaultAuto {
		if old == "" {
			isDefault = def == "" || (def == engine.SimulatorName && len(stored) == 0)
		} else {
			isDefault = def == old
		}
	}
	kr := a.keyring()
	renamed := old != "" && old != p.Name
	hadKeychain := keychainBefore(stored, old)
	undo, err := a.keyFirst(kr, old, p, d.Key, d.KeyLater, renamed && hadKeychain)
	if err != nil {
		return Saved{}, err
	}
	if err := a.Store.ReplaceProvider(old, p, isDefault); err != nil {
		undo()
		if errors.Is(err, store.ErrExists) {
			return Saved{}, Problems{FieldName: fmt.Sprintf("There is already a provider called “%s”: choose another name.", p.Name)}
		}
		return Saved{}, err
	}
	a.forget(old, p.Name)
	out := Saved{Provider: p, Default: isDefault, BecameDefault: isDefault && def != p.Name && (def != old || old == "")}
	if hadKeychain && (renamed || p.KeySource != store.KeyFromKeychain) {
		if err := secrets.Delete(kr, old); err != nil {
			out.Note = sentence(err)
		}
	}
	return out, nil
}

// keyFirst puts p's key into the keychain before its record is stored:
// key when set, else (move) the key stored under old. undo puts the keychain
// back as it was; it is a no-op when nothing was written.
func (a *Admin) keyFirst(kr secrets.Keyring, old string, p store.Provider, key string, later, move bool) (undo func(), err error) {
	undo = func() {}
	if p.KeySource != store.KeyFromKeychain {
		return undo, nil
	}
	key = strings.TrimSpace(key)
	if key == "" && move {
		k, gerr := get(kr, old)
		if gerr != nil {
			return undo, Problems{FieldKey: fmt.Sprintf("The key of %s could not be read from the keychain to move it: enter it again.", old)}
		}
		key = k
	}
	if key == "" {
		if later {
			// Stored without a key: say now, not at the first question,
			// when the keychain cannot take one.
			if err := secrets.Probe(kr); err != nil {
				return undo, Problems{FieldKey: sentence(err)}
			}
		}
		return undo, nil
	}
	prev, perr := get(kr, p.Name)
	if errors.Is(perr, secrets.ErrTimeout) {
		return undo, Problems{FieldKey: fmt.Sprintf("The keychain did not answer within %s: nothing was saved.", format.Duration(secrets.KeychainTimeout))}
	}
	if err := secrets.Save(kr, p.Name, key); err != nil {
		return undo, Problems{FieldKey: sentence(err)}
	}
	return func() { restore(kr, p.Name, prev, perr == nil) }, nil
}

// restore puts name's keychain entry back: prev when there was one, else
// none. A keychain that refuses now cannot be helped; it refused nothing a
// moment ago.
func restore(kr secrets.Keyring, name, prev string, had bool) {
	if had {
		secrets.Save(kr, name, prev)
		return
	}
	secrets.Delete(kr, name)
}

// Put adds d, or replaces the provider with d's name: the command line's
// "providers add", which has always replaced a provider of the same name.
func (a *Admin) Put(d Draft) (Saved, error) {
	old := ""
	if _, err := a.Store.Provider(strings.TrimSpace(d.Name)); err == nil {
		old = strings.TrimSpace(d.Name)
	}
	return a.Save(old, d)
}

// SetKey stores key in the keychain for the provider called name; a
// provider that read its key elsewhere reads it from the keychain from now
// on (switched). When that change cannot be stored, the keychain is put
// back as it was.
func (a *Admin) SetKey(name, key string) (switched bool, err error) {
	if name == engine.SimulatorName {
		return false, Problems{FieldKey: "The Simulator needs no key."}
	}
	p, err := a.Store.Provider(name)
	if err != nil {
		return false, err
	}
	if strings.TrimSpace(key) == "" {
		return false, Problems{FieldKey: "Enter the API key."}
	}
	kr := a.keyring()
	if err := secrets.Probe(kr); err != nil {
		return false, Problems{FieldKey: sentence(err)}
	}
	prev, perr := get(kr, name)
	if errors.Is(perr, secrets.ErrTimeout) {
		return false, Problems{FieldKey: fmt.Sprintf("The keychain did not answer within %s: nothing was saved.", format.Duration(secrets.KeychainTimeout))}
	}
	if err := secrets.Save(kr, name, key); err != nil {
		return false, Problems{FieldKey: sentence(err)}
	}
	defer a.forget(name)
	if p.KeySource == store.KeyFromKeychain {
		return false, nil
	}
	def, err := a.Store.Setting(store.SettingDefaultProvider)
	if err == nil {
		p.KeySource, p.KeyEnv, p.KeyCommand = store.KeyFromKeychain, "", ""
		err = a.Store.ReplaceProvider(name, p, def == name)
	}
	if err != nil {
		restore(kr, name, prev, perr == nil)
		return false, err
	}
	return true, nil
}

// Removed is what Remove did.
type Removed struct {
	Provider store.Provider // the record removed
	// WasDefault: it was the default provider; Default is the default
	// now ("" none).
	WasDefault bool
	Default    string
	// Unhooked are the providers that fell back to it and now fall back
	// to none.
	Unhooked []string
	// Note is a sentence about its keychain key left behind; "" when none.
	Note string
}

// DefaultSentence says what became of the default provider, "" when the
// removed one was not the default.
func (r Removed) DefaultSentence() string {
	switch {
	case !r.WasDefault:
		return ""
	case r.Default != "":
		return fmt.Sprintf("%s is the default provider for new chats now.", r.Default)
	}
	return "No provider is left to be the default: add one, or choose the Simulator, for new chats."
}

// Remove deletes the provider called name in one store transaction (the
// fallbacks to it cleared, another default chosen when it was the default)
// and then its keychain key. A key the keychain refuses to delete is a Note,
// not an error: the provider is gone.
func (a *Admin) Remove(name string) (Removed, error) {
	if name == engine.SimulatorName {
		return Removed{}, Problems{FieldName: "The Simulator is built in and cannot be removed."}
	}
	stored, err := a.Store.Providers()
	if err != nil {
		return Removed{}, err
	}
	r, err := a.Store.RemoveProvider(name)
	if err != nil {
		return Removed{}, err
	}
	out := Removed{Provider: r.Provider, WasDefault: r.WasDefault, Default: r.Default}
	for _, p := range stored {
		if p.Fallback == name && p.Name != name {
			out.Unhooked = append(out.Unhooked, p.Name)
		}
	}
	if r.Provider.KeySource == store.KeyFromKeychain {
		if err := secrets.Delete(a.keyring(), name); err != nil {
			out.Note = "Its key is still in the keychain. " + sentence(err)
		}
	}
	a.forget(name)
	return out, nil
}

// SetDefault makes the provider called name (a stored one, or the
// Simulator) the default for new chats, with its own model.
func (a *Admin) SetDefault(name string) error {
	if name != engine.SimulatorName {
		if _, err := a.Store.Provider(name); err != nil {
			return err
		}
	}
	def, err := a.Store.Setting(store.SettingDefaultProvider)
	if err != nil || def == name {
		return err
	}
	return a.Store.SetSettings(map[string]string{store.SettingDefaultProvider: name, store.SettingDefaultModel: ""})
}

// get reads name's key from kr, giving up after secrets.KeychainTimeout
// (secrets.ErrTimeout): a stuck D-Bus call must not hang a save. The
// secrets package bounds its own calls the same way, but has no bounded
// read of a raw keychain entry to export.
func get(kr secrets.Keyring, name string) (string, error) {
	type result struct {
		key string
		err error
	}
	c := make(chan result, 1) // the call given up on still ends, into the buffer
	go func() {
		k, err := kr.Get(secrets.Service, name)
		c <- result{k, err}
	}()
	t := time.NewTimer(secrets.KeychainTimeout)
	defer t.Stop()
	select {
	case r := <-c:
		return r.key, r.err
	case <-t.C:
		return "", secrets.ErrTimeout
	}
}

func hasName(ps []store.Provider, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}

// sentence is what the user reads for err.
func sentence(err error) string {
	var se *secrets.Error
	if errors.As(err, &se) {
		return se.Sentence
	}
	var st *store.Error
	if errors.As(err, &st) && st.Msg != "" {
		return st.Msg
	}
	return err.Error()
}
