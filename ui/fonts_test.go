package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-text/typesetting/font"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/store"
)

// fontDir makes a font folder holding empty files of the given names (the
// lookup goes by name and opens nothing).
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

func TestFindCJKInTheFontFolders(t *testing.T) {
	noto := fontDir(t, "opentype/noto/NotoSansCJK-Regular.ttc", "opentype/noto/NotoSansCJK-Bold.ttc", "truetype/dejavu/DejaVuSans.ttf")
	got := findCJK([]string{"/does/not/exist", noto})
	if got.regular != filepath.Join(noto, "opentype/noto/NotoSansCJK-Regular.ttc") || got.bold != filepath.Join(noto, "opentype/noto/NotoSansCJK-Bold.ttc") {
		t.Errorf("Noto Sans CJK: found %+v", got)
	}

	// A family without a bold file: bold text uses the regular one.
	wqy := fontDir(t, "truetype/wqy/wqy-microhei.ttc")
	if got := findCJK([]string{wqy}); !got.found() || got.bold != got.regular {
		t.Errorf("WenQuanYi: found %+v, want its one file for both weights", got)
	}
	// Noto is preferred, in whichever folder it is.
	if got := findCJK([]string{wqy, noto}); !strings.Contains(got.regular, "NotoSansCJK") {
		t.Errorf("WenQuanYi and Noto: found %+v, want Noto", got)
	}
	latin := fontDir(t, "truetype/dejavu/DejaVuSans.ttf", "truetype/dejavu/DejaVuSans-Bold.ttf")
	if got := findCJK([]string{latin, "/does/not/exist"}); got.found() {
		t.Errorf("Latin fonts only: found %+v", got)
	}
	// An unreadable subfolder is passed over, the rest still read.
	locked := fontDir(t, "a/NotoSansCJK-Regular.ttc")
	if err := os.MkdirAll(filepath.Join(locked, "b"), 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(locked, "b"), 0o755) })
	if got := findCJK([]string{locked}); !got.found() {
		t.Errorf("a folder beside an unreadable one: found nothing")
	}
}

func TestCJKRunes(t *testing.T) {
	for _, r := range "中文汉字日本語ひらがなカタカナ한국어，。「」（）ｱ" {
		if !isCJK(r) {
			t.Errorf("isCJK(%q) = false", r)
		}
	}
	for _, r := range "Aaé€ßж→😀 1" {
		if isCJK(r) {
			t.Errorf("isCJK(%q) = true", r)
		}
	}
	if hasCJK("plain ASCII, é and 😀") || !hasCJK("a 中 b") || !hasCJK("한") {
		t.Error("hasCJK is wrong")
	}
}

// latinFont writes Fyne's own Noto Sans to a file: a real font to cut.
func latinFont(t *testing.T, res fyne.Resource) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "NotoSans.ttf")
	if err := os.WriteFile(p, res.Content(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTheCutFontMapsOnlyTheRunesKept(t *testing.T) {
	path := latinFont(t, theme.DefaultTextBoldFont())
	upper := func(r rune) bool { return r >= 'A' && r <= 'Z' }
	data, err := cjkFont(path, "SC", upper, nil)
	if err != nil {
		t.Fatal(err)
	}
	cut, err := font.ParseTTF(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the cut font does not parse: %v", err)
	}
	orig, err := font.ParseTTF(bytes.NewReader(theme.DefaultTextBoldFont().Content()))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range "AMZ" {
		g, ok := cut.NominalGlyph(r)
		want, _ := orig.NominalGlyph(r)
		if !ok || g != want {
			t.Errorf("%q: glyph %d, %v; want %d", r, g, ok, want)
		}
	}
	for _, r := range "az09 " {
		if _, ok := cut.NominalGlyph(r); ok {
			t.Errorf("%q is still mapped", r)
		}
	}
	if cut.Describe().Aspect.Weight != orig.Describe().Aspect.Weight {
		t.Error("the cut font lost its weight")
	}
	// Nothing kept: an error, not an empty font.
	if _, err := cjkFont(path, "SC", func(rune) bool { return false }, nil); err == nil {
		t.Error("a font without CJK was cut to nothing without an error")
	}
}

func TestADamagedOrMissingCJKFontFallsBackToFynes(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "NotoSansCJK-Regular.ttc")
	os.WriteFile(junk, bytes.Repeat([]byte("ttcf garbage "), 1000), 0o644)
	for _, p := range []string{junk, filepath.Join(t.TempDir(), "gone.ttc")} {
		if _, err := cjkFont(p, "SC", keepCJK, nil); err == nil {
			t.Errorf("%s: no error", p)
		}
		r := &cjkResource{name: "x", path: p, fallback: theme.DefaultTextFont()}
		if _, err := font.ParseTTF(bytes.NewReader(r.Content())); err != nil {
			t.Errorf("%s: the resource given to Fyne does not parse: %v", p, err)
		}
	}
}

func TestCJKFontsStartWithTheFirstCJKText(t *testing.T) {
	files := cjkFiles{regular: "/f/NotoSansCJK-Regular.ttc", bold: "/f/NotoSansCJK-Bold.ttc"}
	calls := 0
	c := newCJKFonts(files, func() { calls++ })
	if c.font(fyne.TextStyle{Bold: true}) != nil {
		t.Fatal("a CJK font before any CJK text was shown")
	}
	c.shown("only Latin text, **bold**")
	if calls != 0 || c.font(fyne.TextStyle{Bold: true}) != nil {
		t.Fatal("Latin text activated the CJK fonts")
	}
	c.shown("通过**杠杆原理**和滑轮组")
	c.shown("한국어")
	if calls != 1 {
		t.Fatalf("activated %d times, want once", calls)
	}
	for _, tc := range []struct {
		style fyne.TextStyle
		name  string
	}{
		{fyne.TextStyle{}, "NotoSansCJK-Regular-SC-cjk.otf"},
		{fyne.TextStyle{Bold: true}, "NotoSansCJK-Bold-SC-cjk.otf"},
		{fyne.TextStyle{Bold: true, Italic: true}, "NotoSansCJK-Bold-SC-cjk.otf"},
	} {
		if r := c.font(tc.style); r == nil || r.Name() != tc.name {
			t.Errorf("%+v: %v, want %s", tc.style, r, tc.name)
		}
	}
	// Italic and monospaced text are left to Fyne's own fallback.
	for _, st := range []fyne.TextStyle{{Italic: true}, {Monospace: true}, {Monospace: true, Bold: true}, {Symbol: true}} {
		if r := c.font(st); r != nil {
			t.Errorf("%+v: %s, want Fyne's own", st, r.Name())
		}
	}
	// A family without a bold file: its one file for both.
	one := newCJKFonts(cjkFiles{regular: "/f/wqy-microhei.ttc", bold: "/f/wqy-microhei.ttc"}, nil)
	one.shown("中")
	if r := one.font(fyne.TextStyle{Bold: true}); r == nil || r.Name() != "wqy-microhei-SC-cjk.otf" {
		t.Errorf("bold from a one-weight family: %v", r)
	}
	th := newAppTheme(theme.DefaultTheme(), c)
	if th.Font(fyne.TextStyle{Bold: true}).Name() != "NotoSansCJK-Bold-SC-cjk.otf" || th.Font(fyne.TextStyle{Symbol: true}) != theme.DefaultTheme().Font(fyne.TextStyle{Symbol: true}) {
		t.Error("the theme does not give the CJK fonts")
	}
}

func TestCJKRegionFollowsTheLocale(t *testing.T) {
	for locale, want := range map[string]string{"ja-JP": "JP", "ko_KR": "KR", "zh-TW": "TC", "zh-Hant": "TC", "zh-HK": "HK", "zh-CN": "SC", "en-US": "SC", "": "SC"} {
		if got := cjkRegion(locale); got != want {
			t.Errorf("%q: %s, want %s", locale, got, want)
		}
	}
}

// TestTheSystemCJKFontKeepsItsWeights needs fonts-noto-cjk (make deps-test
// installs it): the fonts built from it draw CJK in two weights and no
// Latin letter.
func TestTheSystemCJKFontKeepsItsWeights(t *testing.T) {
	files := findCJK(fontDirs())
	if !files.found() {
		t.Fatalf("no CJK font in %v: install %s (make deps-test)", fontDirs(), cjkPackage)
	}
	latin, err := font.ParseTTF(bytes.NewReader(theme.DefaultTextFont().Content()))
	if err != nil {
		t.Fatal(err)
	}
	var weights []float32
	for _, path := range []string{files.regular, files.bold} {
		t0 := time.Now()
		data, err := cjkFont(path, "SC", keepCJK, theme.DefaultTextFont().Content())
		if err != nil {
			t.Fatal(err)
		}
		f, err := font.ParseTTF(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: built in %v", filepath.Base(path), time.Since(t0))
		for _, r := range "中日한あ，" {
			if _, ok := f.NominalGlyph(r); !ok {
				t.Errorf("%s has no %q", path, r)
			}
		}
		if _, ok := f.NominalGlyph('A'); ok {
			t.Errorf("%s still maps Latin letters", path)
		}
		// Rows keep the height of Latin text.
		got, _ := f.FontHExtents()
		want, _ := latin.FontHExtents()
		if got.Ascender/float32(f.Upem()) != want.Ascender/float32(latin.Upem()) || got.Descender/float32(f.Upem()) != want.Descender/float32(latin.Upem()) {
			t.Errorf("%s: line extents %+v, want Latin's %+v", path, got, want)
		}
		g, ok := f.NominalGlyph(' ')
		lg, _ := latin.NominalGlyph(' ')
		em, lem := f.HorizontalAdvance(g)/float32(f.Upem()), latin.HorizontalAdvance(lg)/float32(latin.Upem())
		if !ok || em-lem > 0.002 || lem-em > 0.002 {
			t.Errorf("%s: the space is %.3f em wide (mapped: %v), want Latin's %.3f", path, em, ok, lem)
		}
		weights = append(weights, float32(f.Describe().Aspect.Weight))
	}
	if files.bold != files.regular && weights[1] <= weights[0] {
		t.Errorf("weights %v: bold is not bolder", weights)
	}
}

func TestCJKHintShownOnceWithoutACJKFont(t *testing.T) {
	h := newHarness(t, nil)
	hint := h.w.addCJKHint(findCJK([]string{fontDir(t, "DejaVuSans.ttf")}))
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
	hint = again.w.addCJKHint(cjkFiles{})
	again.settle()
	if hint.obj.Visible() {
		t.Error("the bar came back after it was closed")
	}
	// With a CJK font, no bar.
	with := newHarness(t, nil)
	hint = with.w.addCJKHint(findCJK([]string{fontDir(t, "NotoSansCJK-Regular.ttc")}))
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

// BenchmarkFindCJK times the start-up lookup of a CJK font in this
// system's font folders.
func BenchmarkFindCJK(b *testing.B) {
	var d time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		findCJK(fontDirs())
		d += time.Since(t0)
	}
	b.ReportMetric(float64(d.Microseconds())/float64(b.N), "cjk_font_lookup_us@us")
}

// TestADamagedCJKFontStillDrawsTheWindow: the app's theme with a CJK "font"
// that is an empty file; the first CJK text activates it, and the window
// draws with Fyne's fonts instead of failing.
func TestADamagedCJKFontStillDrawsTheWindow(t *testing.T) {
	a := test.NewTempApp(t)
	t.Cleanup(func() { shownCJK.Store(nil) })
	files := installTheme(a, []string{fontDir(t, "NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")})
	if !files.found() {
		t.Fatal("the font was not found")
	}
	th, ok := a.Settings().Theme().(*appTheme)
	if !ok || th.cjk == nil {
		t.Fatalf("the app's theme is %T", a.Settings().Theme())
	}
	v := newMDViewText("Latin first, **bold**.")
	w := test.NewTempWindow(t, v.box)
	if th.cjk.active.Load() {
		t.Fatal("Latin text activated the CJK font")
	}
	v = newMDViewText("通过**杠杆原理**和滑轮组")
	if !th.cjk.active.Load() {
		t.Fatal("CJK text did not activate the CJK font")
	}
	w.SetContent(v.box)
	w.Resize(fyne.NewSize(400, 200))
	if img := w.Canvas().Capture(); img.Bounds().Dx() == 0 {
		t.Error("nothing drawn")
	}
	if r := th.Font(fyne.TextStyle{Bold: true}); r == nil || len(r.Content()) == 0 {
		t.Error("no font for bold text")
	}
}
