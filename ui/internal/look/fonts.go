package look

import (
	"bytes"
	"cmp"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"github.com/go-text/typesetting/font/opentype/tables"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
)

// Chinese, Japanese and Korean text.
//
// Fyne (v2.7.1, internal/painter/font.go) draws a TextStyle with the faces
// [theme.Font(style), Fyne's own Noto Sans, emoji, a system font for the
// locale's language], and for a rune none of them has it asks fontscan for
// a system font with that rune — in the regular weight whatever the style
// (lookupRuneFont passes an empty font.Aspect). So CJK text showed where a
// CJK font is installed, but bold and headings came out regular.
//
// The theme's font (appTheme) is therefore the system's CJK font in the
// style's weight, with its character map cut down to the CJK blocks
// (keepCJK): Fyne tries it first, finds no Latin letter in it and takes
// those from its own Noto Sans as before, so Latin text looks as it did
// and CJK text keeps its weight.
//
// The font is found by file name in the standard font folders (fontDirs),
// not by running fc-match: fontconfig's tools are not installed everywhere
// a desktop is (the minimal images this app is tested on lack them), a
// process start costs more than the scan, and the few pan-CJK fonts that
// distributions ship have stable file names. Measured on a Debian system
// with fonts-noto-cjk and DejaVu: 0.15 to 0.25 ms (BenchmarkFindCJK,
// cjk_font_lookup_us).

// CJKPackage is what to install when no CJK font is found.
const CJKPackage = "fonts-noto-cjk"

// cjkFamily is one known pan-CJK font: its files for the regular and the
// bold weight, as distributions name them. A collection (.ttc) holds a face
// per region (and, for Noto and Source Han, monospaced ones).
type cjkFamily struct {
	regular, bold string
}

// knownCJK in order of preference.
var knownCJK = []cjkFamily{
	{"NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"},     // Debian, Ubuntu, Fedora, Arch
	{"NotoSansCJKsc-Regular.otf", "NotoSansCJKsc-Bold.otf"}, // Noto's separate-file release
	{"SourceHanSans-Regular.ttc", "SourceHanSans-Bold.ttc"}, // Arch adobe-source-han-sans
	{"NotoSansCJK-VF.ttc", ""},                              // Fedora's variable font
	{"wqy-microhei.ttc", ""},                                // fonts-wqy-microhei
	{"wqy-zenhei.ttc", ""},                                  // fonts-wqy-zenhei
	{"DroidSansFallbackFull.ttf", ""},                       // fonts-droid-fallback
}

// CJKFiles is the CJK font found: its regular and bold files ("" when
// none; bold is regular's when the family has no bold file).
type CJKFiles struct {
	regular, bold string
}

func (f CJKFiles) Found() bool { return f.regular != "" }

// FindCJK looks for a known CJK font in dirs and their subfolders; it opens
// no file. Folders that do not exist or cannot be read are passed over.
func FindCJK(dirs []string) CJKFiles {
	seen := map[string]string{} // lower-case file name → path (the first found)
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				if e != nil && e.IsDir() && path != d {
					return fs.SkipDir
				}
				return nil
			}
			if !e.IsDir() {
				k := strings.ToLower(e.Name())
				if _, ok := seen[k]; !ok {
					seen[k] = path
				}
			}
			return nil
		})
	}
	for _, f := range knownCJK {
		r, ok := seen[strings.ToLower(f.regular)]
		if !ok {
			continue
		}
		b := seen[strings.ToLower(f.bold)]
		if f.bold == "" || b == "" {
			b = r
		}
		return CJKFiles{regular: r, bold: b}
	}
	return CJKFiles{}
}

// CJKRegion is the region whose glyph forms a collection's face is chosen
// for (the same character is drawn differently in China, Japan, Korea,
// Taiwan): the user's locale's, simplified Chinese otherwise.
func CJKRegion(locale string) string {
	l := strings.ToLower(strings.ReplaceAll(locale, "_", "-"))
	switch {
	case strings.HasPrefix(l, "ja"):
		return "JP"
	case strings.HasPrefix(l, "ko"):
		return "KR"
	case strings.HasPrefix(l, "zh-hk") || strings.HasPrefix(l, "zh-mo"):
		return "HK"
	case strings.HasPrefix(l, "zh-tw") || strings.Contains(l, "hant"):
		return "TC"
	}
	return "SC"
}

// CJKFont builds, from a font file, the font the theme gives Fyne: the face
// of the collection for region, its character map cut to the runes keep
// accepts.
//
// The cut font keeps the space characters too: go-text's shaper keeps a
// space in the run of the text before it (shaping/input.go,
// ignoreFaceChange: "we assume that all fonts have the ASCII space"), so a
// space after CJK text is drawn with this font. Fyne takes a row's height
// from the font that has the space, now this one: its line metrics (and
// its space's advance) are made those of latin, the Latin
// font the style draws with otherwise, so that rows keep their height.
func CJKFont(path, region string, keep func(rune) bool, latin []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	lds, err := ot.NewLoaders(f)
	if err != nil {
		return nil, err
	}
	ld := pickFace(lds, region)
	var out []ot.Table
	var space uint32 // the space's glyph
	for _, tag := range ld.Tables() {
		raw, err := ld.RawTable(tag)
		if err != nil {
			return nil, err
		}
		if tag == ot.MustNewTag("cmap") {
			if raw, space, err = cutCmap(raw, keep); err != nil {
				return nil, err
			}
		}
		out = append(out, ot.Table{Tag: tag, Content: raw})
	}
	if latin != nil {
		if err := matchMetrics(out, latin, space); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b ot.Table) int { return cmp.Compare(a.Tag, b.Tag) })
	return ot.WriteTTF(out), nil
}

// pickFace is the face of a collection whose family names region ("Noto
// Sans CJK SC"), not a monospaced one ("Noto Sans Mono CJK SC"); else the
// first face not monospaced, else the first.
func pickFace(lds []*ot.Loader, region string) *ot.Loader {
	var first *ot.Loader
	for _, ld := range lds {
		fam := faceFamily(ld)
		if strings.Contains(fam, "Mono") {
			continue
		}
		if strings.HasSuffix(fam, " "+region) {
			return ld
		}
		if first == nil {
			first = ld
		}
	}
	if first == nil {
		first = lds[0]
	}
	return first
}

func faceFamily(ld *ot.Loader) string {
	raw, err := ld.RawTable(ot.MustNewTag("name"))
	if err != nil {
		return ""
	}
	names, _, err := tables.ParseName(raw)
	if err != nil {
		return ""
	}
	if f := names.Name(16); f != "" { // the typographic family: without the weight
		return f
	}
	return names.Name(1)
}

// cutCmap returns a 'cmap' table mapping only the runes of raw's keep
// accepts, as one format 12 subtable (Unicode, full repertoire).
// It also returns the glyph of the space.
func cutCmap(raw []byte, keep func(rune) bool) ([]byte, uint32, error) {
	parsed, _, err := tables.ParseCmap(raw)
	if err != nil {
		return nil, 0, err
	}
	cm, _, err := font.ProcessCmap(parsed, 0)
	if err != nil {
		return nil, 0, err
	}
	type group struct{ start, end, gid uint32 }
	var runes []rune
	gids := map[rune]uint32{}
	for it := cm.Iter(); it.Next(); {
		r, g := it.Char()
		if keep(r) {
			runes = append(runes, r)
			gids[r] = uint32(g)
		}
	}
	if len(runes) == 0 {
		return nil, 0, errors.New("the font has no CJK characters")
	}
	slices.Sort(runes)
	var groups []group
	for _, r := range runes {
		g := gids[r]
		if n := len(groups); n > 0 && groups[n-1].end+1 == uint32(r) && groups[n-1].gid+uint32(r)-groups[n-1].start == g {
			groups[n-1].end = uint32(r)
			continue
		}
		groups = append(groups, group{uint32(r), uint32(r), g})
	}
	// cmap header, one encoding record (Windows, UCS-4) and the subtable.
	sub := 16 + 12*len(groups)
	b := make([]byte, 0, 12+sub)
	b = be16(b, 0, 1)
	b = be16(b, 3, 10)
	b = be32(b, 12)
	b = be16(b, 12, 0)
	b = be32(b, uint32(sub), 0, uint32(len(groups)))
	for _, g := range groups {
		b = be32(b, g.start, g.end, g.gid)
	}
	return b, gids[' '], nil
}

// matchMetrics gives the font of tabs (sorted by tag) the line metrics of
// the font latin ('hhea' and 'OS/2' ascender, descender and line gap) and
// latin's space advance for its glyph space, scaled to its units per em.
func matchMetrics(tabs []ot.Table, latin []byte, space uint32) error {
	ld, err := ot.NewLoader(bytes.NewReader(latin))
	if err != nil {
		return err
	}
	get := func(tag string) []byte {
		i := slices.IndexFunc(tabs, func(t ot.Table) bool { return t.Tag == ot.MustNewTag(tag) })
		if i < 0 {
			return nil
		}
		return tabs[i].Content
	}
	lHead, _ := ld.RawTable(ot.MustNewTag("head"))
	lHhea, _ := ld.RawTable(ot.MustNewTag("hhea"))
	lOS2, _ := ld.RawTable(ot.MustNewTag("OS/2"))
	head, hhea, os2, hmtx := get("head"), get("hhea"), get("OS/2"), get("hmtx")
	if len(lHead) < 20 || len(head) < 20 || len(lHhea) < 36 || len(hhea) < 36 {
		return errors.New("a font has no usable head or hhea table")
	}
	scale := func(v int16) int16 {
		return int16(int32(v) * int32(u16(head, 18)) / max(1, int32(u16(lHead, 18))))
	}
	for _, off := range []int{4, 6, 8} { // ascender, descender, lineGap
		put16(hhea, off, uint16(scale(int16(u16(lHhea, off)))))
	}
	if len(lOS2) >= 78 && len(os2) >= 78 {
		// sTypoAscender, sTypoDescender, sTypoLineGap, usWinAscent, usWinDescent
		for _, off := range []int{68, 70, 72, 74, 76} {
			put16(os2, off, uint16(scale(int16(u16(lOS2, off)))))
		}
		const useTypo = 1 << 7 // fsSelection: USE_TYPO_METRICS
		put16(os2, 62, u16(os2, 62)&^useTypo|u16(lOS2, 62)&useTypo)
	}
	// The space's advance, for spaces after CJK text.
	if lf, err := font.ParseTTF(bytes.NewReader(latin)); err == nil {
		if g, ok := lf.NominalGlyph(' '); ok {
			adv := scale(int16(lf.HorizontalAdvance(g)))
			if n := int(u16(hhea, 34)); space != 0 && int(space) < n && len(hmtx) >= 4*n {
				put16(hmtx, 4*int(space), uint16(adv))
			}
		}
	}
	return nil
}

func u16(b []byte, off int) uint16 { return uint16(b[off])<<8 | uint16(b[off+1]) }

func put16(b []byte, off int, v uint16) { b[off], b[off+1] = byte(v>>8), byte(v) }

func be16(b []byte, vs ...uint16) []byte {
	for _, v := range vs {
		b = append(b, byte(v>>8), byte(v))
	}
	return b
}

func be32(b []byte, vs ...uint32) []byte {
	for _, v := range vs {
		b = append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return b
}

// IsCJK is a rune of the blocks a CJK font is for: ideographs, kana,
// hangul, bopomofo, and CJK and full-width punctuation.
func IsCJK(r rune) bool {
	switch {
	case r >= 0x3000 && r <= 0x303F, // CJK symbols and punctuation
		r >= 0x3200 && r <= 0x33FF, // enclosed CJK letters, compatibility
		r >= 0xFE30 && r <= 0xFE4F, // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFFEF: // half-width and full-width forms
		return true
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Bopomofo)
}

// KeepCJK is what the theme's CJK font maps: CJK, and the spaces (see
// cjkFont).
func KeepCJK(r rune) bool { return IsCJK(r) || unicode.Is(unicode.Zs, r) }

// CJKFonts gives the theme the CJK font found, once text with CJK has been
// shown (active): a parsed CJK face takes about 16 MB for each text style
// Fyne draws, which a window showing no CJK should not pay.
type CJKFonts struct {
	files  CJKFiles
	region string
	active atomic.Bool
	// activate is called once, when text with CJK is first shown: it makes
	// Fyne load its fonts again (setting the theme clears its font cache).
	activate func()
}

func NewCJKFonts(files CJKFiles, activate func()) *CJKFonts {
	if !files.Found() {
		return nil
	}
	return &CJKFonts{files: files, region: CJKRegion(lang.SystemLocale().String()), activate: activate}
}

// Shown is told text about to be shown; the first text with a CJK rune
// activates the fonts.
func (c *CJKFonts) Shown(text string) {
	if c == nil || c.active.Load() || !HasCJK(text) {
		return
	}
	if c.active.CompareAndSwap(false, true) && c.activate != nil {
		c.activate()
	}
}

// HasCJK reports whether s holds a CJK rune; it decodes only past a byte
// that can start one (all CJK runes take three or four bytes in UTF-8).
func HasCJK(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0xE1 {
			continue
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		if IsCJK(r) {
			return true
		}
	}
	return false
}

// font is the resource for style, or nil: regular and bold text get one,
// italic and monospaced text are left to Fyne's own fallback (fontscan),
// which finds the same fonts in the regular weight (the only one CJK fonts
// have for them) and shares one parsed face among styles. A face of ours
// costs 16 MB for each style it is given to (measured: a window showing
// CJK text +73 MB RSS with faces for regular, italic, bold and monospaced
// text, against +11 MB for Fyne's fallback alone; +48 MB as it is, for a
// chat with regular, bold and italic CJK). Regular text needs
// ours all the same: Fyne sets a text's baseline by the font of its first
// run, and the fallback's CJK font sits 1-2 px lower than Noto Sans, so
// bold CJK (ours, with Latin metrics) stood above the plain CJK around it.
func (c *CJKFonts) font(style fyne.TextStyle) fyne.Resource {
	if c == nil || style.Symbol || style.Monospace || style.Italic && !style.Bold || !c.active.Load() {
		return nil
	}
	r := &CJKResource{path: c.files.regular, region: c.region, fallback: theme.DefaultTextFont()}
	if style.Bold {
		r.path, r.fallback = c.files.bold, theme.DefaultTextBoldFont()
	}
	r.name = strings.TrimSuffix(filepath.Base(r.path), filepath.Ext(r.path)) + "-" + c.region
	return r
}

// CJKResource is a CJK font as the theme gives it to Fyne. Its Content is
// built each time Fyne asks (once per text style, after which Fyne keeps
// the parsed face): kept, it would hold 17 MB per style besides the face.
type CJKResource struct {
	name, path, region string
	// fallback is given when the font cannot be built (removed since it
	// was found, say): Fyne must be given a font it can parse.
	fallback fyne.Resource
}

func (r *CJKResource) Name() string { return r.name + "-cjk.otf" }

func (r *CJKResource) Content() []byte {
	data, err := CJKFont(r.path, r.region, KeepCJK, r.fallback.Content())
	if err != nil {
		fyne.LogError("could not use the CJK font "+r.path, err)
		return r.fallback.Content()
	}
	return data
}

// Active reports whether CJK text has been shown, so that the fonts are in use.
func (c *CJKFonts) Active() bool { return c.active.Load() }
