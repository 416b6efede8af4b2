package settings

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// Prefs are the defaults set in the settings dialog, as loaded from the
// store (the host reads them with the providers).
type Prefs struct {
	Provider, Model string   // for new conversations
	SystemPrompt    string   // for new conversations
	Temperature     *float32 // nil: the provider's default
	MaxTokens       int      // 0: the model's default
	Theme           string   // "", "light" or "dark"
	BackupsKeep     int      // automatic backups kept; 0: off
}

// PrefsFrom reads the defaults out of the stored settings. A value that does
// not parse (written by hand, say) counts as unset.
func PrefsFrom(kv map[string]string) Prefs {
	p := Prefs{
		Provider:     kv[store.SettingDefaultProvider],
		Model:        kv[store.SettingDefaultModel],
		SystemPrompt: kv[store.SettingSystemPrompt],
		BackupsKeep:  store.BackupsKeep(kv),
	}
	if t, err := parseTemperature(kv[store.SettingTemperature]); err == nil {
		p.Temperature = t
	}
	if n, err := parseWhole(kv[store.SettingMaxTokens]); err == nil {
		p.MaxTokens = n
	}
	if th := kv[store.SettingTheme]; th == look.ThemeLight || th == look.ThemeDark {
		p.Theme = th
	}
	return p
}

// Settings returns p as the settings to store; empty values delete.
func (p Prefs) Settings() map[string]string {
	kv := map[string]string{
		store.SettingDefaultProvider: p.Provider,
		store.SettingDefaultModel:    p.Model,
		store.SettingSystemPrompt:    p.SystemPrompt,
		store.SettingTemperature:     "",
		store.SettingMaxTokens:       "",
		store.SettingTheme:           p.Theme,
		store.SettingBackupsKeep:     strconv.Itoa(p.BackupsKeep),
	}
	if p.Temperature != nil {
		kv[store.SettingTemperature] = strconv.FormatFloat(float64(*p.Temperature), 'f', -1, 32)
	}
	if p.MaxTokens > 0 {
		kv[store.SettingMaxTokens] = strconv.Itoa(p.MaxTokens)
	}
	return kv
}

// parseTemperature reads a temperature as typed: "" is unset; a decimal
// comma is accepted.
func parseTemperature(s string) (*float32, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 32)
	if err != nil || f < 0 || f > 2 {
		return nil, errors.New("The temperature is a number from 0 to 2, for example 0.7 (empty: the provider's default).")
	}
	t := float32(f)
	return &t, nil
}

// parseWhole reads a whole number of 0 or more as typed; "" is 0.
func parseWhole(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a whole number of 0 or more", s)
	}
	return n, nil
}

// Conversation is a new conversation as the defaults make it: the default
// provider and model, and the default system prompt.
func (p Prefs) Conversation() store.Conversation {
	c := store.Conversation{SystemPrompt: p.SystemPrompt}
	if p.Provider != "" {
		c.Provider, c.Model = p.Provider, p.Model
	}
	return c
}

// Apply fills in the default temperature and longest answer where opts
// leaves them unset.
func (p Prefs) Apply(opts engine.SendOptions) engine.SendOptions {
	if opts.Temperature == nil && p.Temperature != nil {
		t := *p.Temperature
		opts.Temperature = &t
	}
	if opts.MaxTokens == 0 {
		opts.MaxTokens = p.MaxTokens
	}
	return opts
}
