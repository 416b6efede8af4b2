package settings

import (
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

func TestThemeWrapperForcesTheVariant(t *testing.T) {
	test.NewTempApp(t) // the built-in theme reads the app's settings
	base := theme.DefaultTheme()
	dark := look.Forced(base, theme.VariantDark)
	light := look.Forced(base, theme.VariantLight)
	bg := theme.ColorNameBackground
	if dark.Color(bg, theme.VariantLight) != base.Color(bg, theme.VariantDark) {
		t.Error("the dark wrapper draws a light background")
	}
	if light.Color(bg, theme.VariantDark) != base.Color(bg, theme.VariantLight) {
		t.Error("the light wrapper draws a dark background")
	}
	if dark.Color(bg, 0) == light.Color(bg, 0) {
		t.Error("light and dark backgrounds are the same")
	}
	for _, c := range []string{"", look.ThemeLight, look.ThemeDark} {
		if look.ThemeChoice(look.ThemeLabel(c)) != c {
			t.Errorf("theme %q does not round-trip through its label", c)
		}
	}
}

func TestPrefsRoundTripThroughSettings(t *testing.T) {
	temp := float32(0.7)
	p := Prefs{Provider: "Local", Model: "m", SystemPrompt: "Be brief.", Temperature: &temp, MaxTokens: 100, Theme: look.ThemeLight}
	got := PrefsFrom(p.Settings())
	if got.Provider != p.Provider || got.Model != p.Model || got.SystemPrompt != p.SystemPrompt || got.Temperature == nil || *got.Temperature != temp || got.MaxTokens != 100 || got.Theme != look.ThemeLight {
		t.Errorf("round trip %+v", got)
	}
	if kv := (Prefs{}).Settings(); kv[store.SettingTemperature] != "" || kv[store.SettingMaxTokens] != "" || len(kv) != 7 {
		t.Errorf("empty prefs as settings: %v (every key must be there, empty, to delete it)", kv)
	}
	bad := PrefsFrom(map[string]string{store.SettingTemperature: "hot", store.SettingMaxTokens: "-3", store.SettingTheme: "purple"})
	if bad.Temperature != nil || bad.MaxTokens != 0 || bad.Theme != "" {
		t.Errorf("unparseable settings gave %+v", bad)
	}
}
