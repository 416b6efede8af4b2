package look

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"github.com/go-text/typesetting/font"
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
	got := FindCJK([]string{"/does/not/exist", noto})
	if got.regular != filepath.Join(noto, "opentype/noto/NotoSansCJK-Regular.ttc") || got.bold != filepath.Join(noto, "opentype/noto/NotoSansCJK-Bold.ttc") {
		t.Errorf("Noto Sans CJK: found %+v", got)
	}

	// A family without a bold file: bold text uses the regular one.
	wqy := fontDir(t, "truetype/wqy/wqy-microhei.ttc")
	if got := FindCJK([]string{wqy}); !got.Found() || got.bold != got.regular {
		t.Errorf("WenQuanYi: found %+v, want its one file for both weights", got)
	}
	// Noto is preferred, in whichever folder it is.
	if got := FindCJK([]string{wqy, noto}); !strings.Contains(got.regular, "NotoSansCJK") {
		t.Errorf("WenQuanYi and Noto: found %+v, want Noto", got)
	}
	latin := fontDir(t, "truetype/dejavu/DejaVuSans.ttf", "truetype/dejavu/DejaVuSans-Bold.ttf")
	if got := FindCJK([]string{latin, "/does/not/exist"}); got.Found() {
		t.Errorf("Latin fonts only: found %+v", got)
	}
	// An unreadable subfolder is passed over, the rest still read.
	locked := fontDir(t, "a/NotoSansCJK-Regular.ttc")
	if err := os.MkdirAll(filepath.Join(locked, "b"), 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(locked, "b"), 0o755) })
	if got := FindCJK([]string{locked}); !got.Found() {
		t.Errorf("a folder beside an unreadable one: found nothing")
	}
}

func TestCJKRunes(t *testing.T) {
	for _, r := range "中文汉字日本語ひらがなカタカナ한국어，。「」（）ｱ" {
		if !IsCJK(r) {
			t.Errorf("isCJK(%q) = false", r)
		}
	}
	for _, r := range "Aaé€ßж→😀 1" {
		if IsCJK(r) {
			t.Errorf("isCJK(%q) = true", r)
		}
	}
	if HasCJK("plain ASCII, é and 😀") || !HasCJK("a 中 b") || !HasCJK("한") {
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
	data, err := CJKFont(path, "SC", upper, nil)
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
	if _, err := CJKFont(path, "SC", func(rune) bool { return false }, nil); err == nil {
		t.Error("a font without CJK was cut to nothing without an error")
	}
}

func TestADamagedOrMissingCJKFontFallsBackToFynes(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "NotoSansCJK-Regular.ttc")
	os.WriteFile(junk, bytes.Repeat([]byte("ttcf garbage "), 1000), 0o644)
	for _, p := range []string{junk, filepath.Join(t.TempDir(), "gone.ttc")} {
		if _, err := CJKFont(p, "SC", KeepCJK, nil); err == nil {
			t.Errorf("%s: no error", p)
		}
		r := &CJKResource{name: "x", path: p, fallback: theme.DefaultTextFont()}
		if _, err := font.ParseTTF(bytes.NewReader(r.Content())); err != nil {
			t.Errorf("%s: the resource given to Fyne does not parse: %v", p, err)
		}
	}
}

func TestCJKFontsStartWithTheFirstCJKText(t *testing.T) {
	files := CJKFiles{regular: "/f/NotoSansCJK-Regular.ttc", bold: "/f/NotoSansCJK-Bold.ttc"}
	calls := 0
	c := NewCJKFonts(files, func() { calls++ })
	if c.font(fyne.TextStyle{Bold: true}) != nil {
		t.Fatal("a CJK font before any CJK text was shown")
	}
	c.Shown("only Latin text, **bold**")
	if calls != 0 || c.font(fyne.TextStyle{Bold: true}) != nil {
		t.Fatal("Latin text activated the CJK fonts")
	}
	c.Shown("通过**杠杆原理**和滑轮组")
	c.Shown("한국어")
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
	one := NewCJKFonts(CJKFiles{regular: "/f/wqy-microhei.ttc", bold: "/f/wqy-microhei.ttc"}, nil)
	one.Shown("中")
	if r := one.font(fyne.TextStyle{Bold: true}); r == nil || r.Name() != "wqy-microhei-SC-cjk.otf" {
		t.Errorf("bold from a one-weight family: %v", r)
	}
	th := NewAppTheme(theme.DefaultTheme(), c)
	if th.Font(fyne.TextStyle{Bold: true}).Name() != "NotoSansCJK-Bold-SC-cjk.otf" || th.Font(fyne.TextStyle{Symbol: true}) != theme.DefaultTheme().Font(fyne.TextStyle{Symbol: true}) {
		t.Error("the theme does not give the CJK fonts")
	}
}

func TestCJKRegionFollowsTheLocale(t *testing.T) {
	for locale, want := range map[string]string{"ja-JP": "JP", "ko_KR": "KR", "zh-TW": "TC", "zh-Hant": "TC", "zh-HK": "HK", "zh-CN": "SC", "en-US": "SC", "": "SC"} {
		if got := CJKRegion(locale); got != want {
			t.Errorf("%q: %s, want %s", locale, got, want)
		}
	}
}

// TestTheSystemCJKFontKeepsItsWeights needs fonts-noto-cjk (make deps-test
// installs it): the fonts built from it draw CJK in two weights and no
// Latin letter.
func TestTheSystemCJKFontKeepsItsWeights(t *testing.T) {
	files := FindCJK(FontDirs())
	if !files.Found() {
		t.Fatalf("no CJK font in %v: install %s (make deps-test)", FontDirs(), CJKPackage)
	}
	latin, err := font.ParseTTF(bytes.NewReader(theme.DefaultTextFont().Content()))
	if err != nil {
		t.Fatal(err)
	}
	var weights []float32
	for _, path := range []string{files.regular, files.bold} {
		t0 := time.Now()
		data, err := CJKFont(path, "SC", KeepCJK, theme.DefaultTextFont().Content())
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

// BenchmarkFindCJK times the start-up lookup of a CJK font in this
// system's font folders.
func BenchmarkFindCJK(b *testing.B) {
	var d time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		FindCJK(FontDirs())
		d += time.Since(t0)
	}
	b.ReportMetric(float64(d.Microseconds())/float64(b.N), "cjk_font_lookup_us@us")
}
