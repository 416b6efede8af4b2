package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"deskchat/store"
	"deskchat/ui/internal/look"
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

// TestNoGapBetweenStyledCJKRuns: Fyne's markdown put a space after text
// followed by bold; Chinese has none.
func TestNoGapBetweenStyledCJKRuns(t *testing.T) {
	type run struct {
		text string
		bold bool
	}
	texts := func(segs []widget.RichTextSegment) (out []run) {
		for _, s := range segs {
			if ts, ok := s.(*widget.TextSegment); ok && ts.Text != "" {
				out = append(out, run{ts.Text, ts.Style.TextStyle.Bold})
			}
		}
		return out
	}
	got := texts(markdownSegments("通过**杠杆原理**和滑轮组", nil))
	want := []run{{"通过", false}, {"杠杆原理", true}, {"和滑轮组", false}}
	if len(got) != len(want) {
		t.Fatalf("segments %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("segment %d: %v, want %v", i, got[i], want[i])
		}
	}
	// Spaces that are in the source stay, and so does the one standing
	// for a line break.
	for src, want := range map[string]string{
		"a **b** c":          "a b c",
		"file**s** and more": "files and more",
		"one\n**two**":       "one two",
		"日本語の*斜体*と`コード`です": "日本語の斜体とコードです",
	} {
		var b strings.Builder
		for _, r := range texts(markdownSegments(src, nil)) {
			b.WriteString(r.text)
		}
		if b.String() != want {
			t.Errorf("%q shows %q, want %q", src, b.String(), want)
		}
	}

	// Drawn: each run starts where the one before ends.
	test.NewTempApp(t)
	rt := newRichText()
	rt.Segments = markdownSegments("通过**杠杆原理**和滑轮组", nil)
	w := test.NewTempWindow(t, rt)
	w.Resize(fyne.NewSize(600, 200))
	var drawn []*canvas.Text
	for _, o := range test.TempWidgetRenderer(t, rt).Objects() {
		if tx, ok := o.(*canvas.Text); ok && tx.Text != "" {
			drawn = append(drawn, tx)
		}
	}
	if len(drawn) != 3 {
		t.Fatalf("%d texts drawn, want 3", len(drawn))
	}
	for i := 1; i < len(drawn); i++ {
		end := drawn[i-1].Position().X + drawn[i-1].MinSize().Width
		if gap := drawn[i].Position().X - end; gap > 0.5 || gap < -0.5 || drawn[i].Position().Y != drawn[0].Position().Y {
			t.Errorf("%q starts %.1f after %q ends", drawn[i].Text, gap, drawn[i-1].Text)
		}
	}
}

// TestADamagedCJKFontStillDrawsTheWindow: the app's theme with a CJK "font"
// that is an empty file; the first CJK text activates it, and the window
// draws with Fyne's fonts instead of failing.
func TestADamagedCJKFontStillDrawsTheWindow(t *testing.T) {
	a := test.NewTempApp(t)
	t.Cleanup(func() { shownCJK.Store(nil) })
	files := installTheme(a, []string{fontDir(t, "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")})
	if !files.Found() {
		t.Fatal("the font was not found")
	}
	th, ok := a.Settings().Theme().(*look.AppTheme)
	if !ok || th.CJK() == nil {
		t.Fatalf("the app's theme is %T", a.Settings().Theme())
	}
	v := NewText("Latin first, **bold**.")
	w := test.NewTempWindow(t, v.Box)
	if th.CJK().Active() {
		t.Fatal("Latin text activated the CJK font")
	}
	v = NewText("通过**杠杆原理**和滑轮组")
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
