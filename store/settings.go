package store

import (
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// Setting keys of the defaults for new conversations and of the look
// (with SettingDefaultProvider and SettingDefaultModel).
const (
	SettingSystemPrompt = "system_prompt" // system prompt of new conversations
	SettingTemperature  = "temperature"   // decimal, e.g. "0.7"; unset: the provider's default
	SettingMaxTokens    = "max_tokens"    // whole number; unset: the model's default
	SettingTheme        = "theme"         // "light" or "dark"; unset: follow the system
)

// SetSettings stores every key's value in one transaction; an empty value
// deletes the key. Either all of them are written or none.
func (s *Store) SetSettings(kv map[string]string) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSettings)
		for k, v := range kv {
			if k == "" {
				return fmt.Errorf("setting with an empty key")
			}
			var err error
			if v == "" {
				err = b.Delete([]byte(k))
			} else {
				err = b.Put([]byte(k), []byte(v))
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("set settings", err)
}

// Settings returns every stored setting, read in one transaction.
func (s *Store) Settings() (map[string]string, error) {
	out := map[string]string{}
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSettings).ForEach(func(k, v []byte) error {
			out[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		return nil, wrap("list settings", err)
	}
	return out, nil
}

// ReplaceProvider stores p in one transaction: as a new provider when old
// is "", else in place of the provider called old (p.Name: no rename). On a
// rename the old record goes, p keeps its creation time, and the other
// providers' fallbacks and the conversations that use it follow the new
// name (messages keep the name they were answered by). isDefault makes p the default
// provider for new conversations; otherwise a default that named p (or old)
// is cleared, with its model. It fails, changing nothing, with an error
// wrapping ErrExists when another provider is already called p.Name, and
// with ErrNotFound when old is missing.
func (s *Store) ReplaceProvider(old string, p Provider, isDefault bool) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" {
		return &Error{Op: "replace provider", Msg: "A provider needs a name.", Err: ErrNotFound}
	}
	create := old == ""
	if create {
		old = p.Name
	}
	p.V = recordVersion
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketProviders)
		if !create {
			v := b.Get([]byte(old))
			if v == nil {
				return &Error{Op: "replace provider", Msg: fmt.Sprintf("There is no provider called %q any more.", old), Err: fmt.Errorf("provider %q: %w", old, ErrNotFound)}
			}
			var prev Provider
			if err := json.Unmarshal(v, &prev); err != nil {
				return err
			}
			p.CreatedAt = prev.CreatedAt
		}
		if (create || old != p.Name) && b.Get([]byte(p.Name)) != nil {
			return &Error{Op: "replace provider", Msg: fmt.Sprintf("There is already a provider called %q.", p.Name), Err: fmt.Errorf("provider %q: %w", p.Name, ErrExists)}
		}
		if old != p.Name {
			if err := b.Delete([]byte(old)); err != nil {
				return err
			}
			if err := repointFallbacks(b, old, p.Name); err != nil {
				return err
			}
			if err := repointConversations(tx, old, p.Name); err != nil {
				return err
			}
		}
		if create || p.CreatedAt.IsZero() {
			p.CreatedAt = s.now().UTC()
		}
		if err := putJSON(b, []byte(p.Name), p); err != nil {
			return err
		}
		settings := tx.Bucket(bucketSettings)
		def := string(settings.Get([]byte(SettingDefaultProvider)))
		switch {
		case isDefault && def != p.Name:
			if err := settings.Put([]byte(SettingDefaultProvider), []byte(p.Name)); err != nil {
				return err
			}
			if def != old {
				return settings.Delete([]byte(SettingDefaultModel)) // it was another provider's model
			}
		case !isDefault && (def == old || def == p.Name):
			if err := settings.Delete([]byte(SettingDefaultProvider)); err != nil {
				return err
			}
			return settings.Delete([]byte(SettingDefaultModel))
		}
		return nil
	})
	return wrap("replace provider", err)
}

// Removal is what RemoveProvider did.
type Removal struct {
	Provider Provider // the record removed
	// WasDefault: it was the default provider. Default is the default
	// provider now: unchanged when it was not; else the removed one's
	// fallback when that is a stored provider, else the first remaining
	// provider by name, else "" (none is left).
	WasDefault bool
	Default    string
}

// RemoveProvider deletes the provider called name in one transaction: the
// other providers' fallbacks to it are cleared, and when it was the default
// provider another one becomes the default (see Removal), with its own
// model. Conversations that used it keep their messages and go on with the
// default provider.
func (s *Store) RemoveProvider(name string) (Removal, error) {
	var r Removal
	err := s.update(func(tx *bolt.Tx) error {
		r = Removal{}
		b := tx.Bucket(bucketProviders)
		v := b.Get([]byte(name))
		if v == nil {
			return &Error{Op: "remove provider", Msg: fmt.Sprintf("There is no provider called %q.", name), Err: fmt.Errorf("provider %q: %w", name, ErrNotFound)}
		}
		if err := json.Unmarshal(v, &r.Provider); err != nil {
			return err
		}
		if err := b.Delete([]byte(name)); err != nil {
			return err
		}
		if err := repointFallbacks(b, name, ""); err != nil {
			return err
		}
		if err := repointConversations(tx, name, ""); err != nil {
			return err
		}
		settings := tx.Bucket(bucketSettings)
		r.Default = string(settings.Get([]byte(SettingDefaultProvider)))
		if r.Default != name {
			return nil
		}
		r.WasDefault = true
		r.Default = successor(b, r.Provider.Fallback)
		if err := settings.Delete([]byte(SettingDefaultModel)); err != nil {
			return err
		}
		if r.Default == "" {
			return settings.Delete([]byte(SettingDefaultProvider))
		}
		return settings.Put([]byte(SettingDefaultProvider), []byte(r.Default))
	})
	if err != nil {
		return Removal{}, wrap("remove provider", err)
	}
	return r, nil
}

// successor is the provider in b that becomes the default when the default
// goes: fallback when it is stored (it answered for the removed one
// already), else the first by name (bbolt keeps keys in byte order, the
// order Providers sorts by), else "".
func successor(b *bolt.Bucket, fallback string) string {
	if fallback != "" && b.Get([]byte(fallback)) != nil {
		return fallback
	}
	if k, _ := b.Cursor().First(); k != nil {
		return string(k)
	}
	return ""
}

// repointFallbacks makes the providers in b that fall back to from fall back
// to to ("" clears the fallback).
func repointFallbacks(b *bolt.Bucket, from, to string) error {
	type change struct {
		key []byte
		p   Provider
	}
	var changes []change
	err := b.ForEach(func(k, v []byte) error {
		var p Provider
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		if p.Fallback == from {
			p.Fallback = to
			if p.Fallback == p.Name {
				p.Fallback = ""
			}
			changes = append(changes, change{append([]byte(nil), k...), p})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes { // not inside ForEach: bbolt forbids changing a bucket while iterating it
		if err := putJSON(b, c.key, c.p); err != nil {
			return err
		}
	}
	return nil
}

// repointConversations makes the conversations that use provider from use
// to instead; to == "" clears their provider and model (they then use the
// default provider). Their UpdatedAt stays: the sidebar's order is the
// user's activity, not ours.
func repointConversations(tx *bolt.Tx, from, to string) error {
	b := tx.Bucket(bucketConversations)
	var changed []Conversation
	err := b.ForEach(func(_, v []byte) error {
		var c Conversation
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		if c.Provider == from {
			c.Provider = to
			if to == "" {
				c.Model = ""
			}
			changed = append(changed, c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changed {
		if err := putJSON(b, []byte(c.ID), c); err != nil {
			return err
		}
	}
	return nil
}
