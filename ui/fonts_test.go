package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
	"github.com/deskchat/deskchat/ui/internal/markdown"
)

func TestCJKHintShownOnceWithoutACJKFont(t *testing.T) {
	h := newHarness(t, nil)
	hint := h.w.addCJKHint(look.FindCJK([]string{fontDir(t, "DejaVuSans.ttf")}))
	h.settle()
	if !hint.obj.Visible() {
		t.Fatal("no CJK font, and no bar says so")
	}
	if !strings.Contains(hint.label.Text, "fonts-noto-cjk") {
		t.Errorf("the bar says %q: no package named", hint.label.Text)
	}
	test.Tap(hint.close)
	h.settle()
	if hint.obj.Visible() {
		t.Fatal("the bar stayed after its close button was tapped")
	}
	if v, _ := h.st.Setting(settingCJKHintDismissed); v == "" {
		t.Fatal("closing the bar was not stored")
	}

	// Closed once, never again.
	again := newHarness(t, func(st *store.Store) { st.SetSetting(settingCJKHintDismissed, "1") })
	hint = again.w.addCJKHint(look.CJKFiles{})
	again.settle()
	if hint.obj.Visible() {
		t.Error("the bar came back after it was closed")
	}
	// With a CJK font, no bar.
	with := newHarness(t, nil)
	hint = with.w.addCJKHint(look.FindCJK([]string{fontDir(t, "NotoSansCJK-Regular.ttc")}))
	with.settle()
	if hint.obj.Visible() {
		t.Error("the bar shows although a CJK font is installed")
	}
}

// TestADamagedCJKFontStillDrawsTheWindow: the app's theme with a CJK "font"
// that is an empty file; the first CJK text activates it, and the window
// draws with Fyne's fonts instead of failing.
func TestADamagedCJKFontStillDrawsTheWindow(t *testing.T) {
	a := test.NewTempApp(t)
	t.Cleanup(func() { markdown.UseCJK(nil) })
	files := installTheme(a, []string{fontDir(t, "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")})
	if !files.Found() {
		t.Fatal("the font was not found")
	}
	th, ok := a.Settings().Theme().(*look.AppTheme)
	if !ok || th.CJK() == nil {
		t.Fatalf("the app's theme is %T", a.Settings().Theme())
	}
	v := markdown.NewText("Latin first, **bold**.")
	w := test.NewTempWindow(t, v.Box)
	if th.CJK().Active() {
		t.Fatal("Latin text activated the CJK font")
	}
	v = markdown.NewText("通过**杠杆原理**和滑轮组")
	if !th.CJK().Active() {
		t.Fatal("CJK text did not activate the CJK font")
	}
	w.SetContent(v.Box)
	w.Resize(fyne.NewSize(400, 200))
	if img := w.Canvas().Capture(); img.Bounds().Dx() == 0 {
		t.Error("nothing drawn")
	}
	if r := th.Font(fyne.TextStyle{Bold: true}); r == nil || len(r.Content()) == 0 {
		t.Error("no font for bold text")
	}
}

// fontDir makes a font folder holding empty files of the given names (the
// lookup goes by name and opens nothing). look's tests have the same helper.
func fontDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
