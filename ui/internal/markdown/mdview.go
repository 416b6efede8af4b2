package markdown

import (
	"strings"
	"sync/atomic"

	"github.com/deskchat/deskchat/ui/internal/look"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/internal/format"
)

// View shows markdown that may still be growing, one widget per block.
//
// Re-parsing one RichText per token is quadratic (ARCHITECTURE.md, UI
// rendering); here only the last block is re-parsed when text is appended.
// Blocks before it are final and never touched again. When a new block
// starts, the previous one is parsed one last time and a new widget is
// appended. A View belongs to the UI goroutine.
type View struct {
	Box    *fyne.Container // the blocks' objects, laid out by col
	col    *columnLayout
	blocks []*mdBlock
	nFinal int             // blocks[:nFinal] are final
	buf    strings.Builder // all text so far
	tail   int             // offset in buf where the open block's text begins
	done   bool
	images *imageHost // how the text's images are shown (images.go)
	// limit: blocks starting at or past this offset in buf, or past
	// pages*msgBlocks blocks, are not built (one message shows a few pages
	// at most, limits.go); hidden is where the first such block starts, or -1.
	limit, hidden int
	pages         int
	more          *moreBar // under the blocks once some are hidden
	// OnGrow is called after "Show more" made the view taller.
	OnGrow func()
}

func New() *View {
	v := &View{limit: MsgBytes, hidden: -1, pages: 1}
	v.col = &columnLayout{final: func() int { return v.nFinal }}
	v.Box = container.New(v.col)
	return v
}

// NewText shows complete text at once.
func NewText(text string) *View {
	v := New()
	v.buf.WriteString(text)
	v.update(true)
	return v
}

// cjk is the CJK fonts of the app's theme, told about markdown about to be
// shown; nil when none was found or the app did not look.
var cjk atomic.Pointer[look.CJKFonts]

// UseCJK tells every view which CJK fonts the app's theme has (nil: none),
// so that the fonts are read once CJK text is about to be shown.
func UseCJK(c *look.CJKFonts) { cjk.Store(c) }

// Again is a new view of v's text that streams again (Continue): what
// arrives is appended to it. It shares v's images (found again at once)
// and OnGrow.
func (v *View) Again() *View {
	next := New()
	next.images = v.images // before the text: its images are found again
	next.OnGrow = v.OnGrow
	next.Append(v.Text())
	return next
}

// SetVisible tells the view which part of it is on the screen, in its own
// coordinates, so that a resize re-wraps only the blocks near it (lazy.go).
func (v *View) SetVisible(visible func() (top, bottom float32, ok bool)) {
	v.col.visible = visible
}

// Stale reports whether the last layout left blocks at an old width (they
// were far from the screen).
func (v *View) Stale() bool { return v.col.stale }

// Text returns all text shown so far.
func (v *View) Text() string { return v.buf.String() }

// Append adds streamed text and re-renders only what changed. It reports
// whether blocks were added or replaced (the column's layout changed).
func (v *View) Append(s string) bool {
	if s == "" || v.done {
		return false
	}
	v.buf.WriteString(s)
	return v.update(false)
}

// Finish marks the text complete: the last block is parsed one final time.
func (v *View) Finish() bool {
	if v.done {
		return false
	}
	changed := v.update(true)
	v.done = true
	return changed
}

func (v *View) update(final bool) bool {
	if v.hidden >= 0 {
		v.more.set(v.hiddenNote(), v.pages)
		return false
	}
	text := v.buf.String()[v.tail:]
	spans := splitBlocks(text, final)
	hide := -1
	for k, sp := range spans {
		// spans[k] is block v.nFinal+k (the first may be the open one).
		if v.tail+sp.start >= v.limit || v.nFinal+k >= v.pages*msgBlocks {
			hide, spans = v.tail+sp.start, spans[:k]
			break
		}
	}
	changed := false
	for i, sp := range spans {
		src := text[sp.start:sp.end]
		last := i == len(spans)-1
		isFinal := final || !last || hide >= 0
		kind := classify(src, isFinal)
		if i == 0 && len(v.blocks) > v.nFinal {
			b := v.blocks[v.nFinal]
			if b.set(src, kind, isFinal) {
				v.Box.Objects[v.nFinal] = b.obj
				changed = true
			}
		} else {
			b := newMDBlock(src, kind, isFinal, v.imageHost())
			idx := len(v.blocks)
			b.grown = func() { v.grow(idx) }
			v.blocks = append(v.blocks, b)
			v.Box.Objects = append(v.Box.Objects, b.obj)
			changed = true
		}
		if isFinal {
			v.nFinal = len(v.blocks)
		}
	}
	if n := len(spans); n > 0 {
		// The open block's text begins at its span; once every block
		// built is final, the next begins after the last.
		if final || hide >= 0 {
			v.tail += spans[n-1].end
		} else {
			v.tail += spans[n-1].start
		}
	}
	if hide >= 0 {
		v.hide(hide)
		changed = true
	}
	if changed {
		// Lay the column out again without refreshing every block (which
		// Container.Refresh would do): only new or replaced objects need it,
		// and columnLayout only visits blocks after the last final one.
		v.Box.Layout.Layout(v.Box.Objects, v.Box.Size())
		if c := fyne.CurrentApp().Driver().CanvasForObject(v.Box); c != nil {
			c.Refresh(v.Box)
		}
	}
	return changed
}

// hide stops building blocks at offset at, and says so under the blocks.
func (v *View) hide(at int) {
	v.hidden = at
	if v.more == nil {
		v.more = newMoreBar(v.showMore)
	}
	v.more.set(v.hiddenNote(), v.pages)
	v.Box.Objects = append(v.Box.Objects, v.more.obj)
}

func (v *View) hiddenNote() string {
	return "Showing " + format.Size(int64(v.hidden)) + " of " + format.Size(int64(v.buf.Len()))
}

// showMore builds the blocks of one more page.
func (v *View) showMore() {
	if v.hidden < 0 || v.pages >= maxPages {
		return
	}
	v.pages++
	v.limit += MsgBytes
	v.hidden = -1
	v.Box.Objects = v.Box.Objects[:len(v.blocks)] // the bar goes; hide puts it back if needed
	v.update(v.done)
	v.grow(len(v.blocks))
}

// grow lays the view out again after blocks from the i-th on changed
// height, and tells the parent.
func (v *View) grow(i int) {
	v.col.forget(i)
	v.Box.Layout.Layout(v.Box.Objects, v.Box.Size())
	if v.OnGrow != nil {
		v.OnGrow()
	} else {
		v.Box.Refresh()
	}
}

// mdBlock is one markdown block's widget. It shows the block's first pages
// (cutBlock) and, when that is not all of it, a line saying so with "Show
// more" (limits.go).
type mdBlock struct {
	kind    blockKind
	shape   blockKind // the widget built: kind, or code for a table too wide for a grid
	src     string
	shown   string            // the part of src rendered
	asText  string            // why src, a table, is shown as text, or ""
	pages   int               // pages shown
	obj     fyne.CanvasObject // what sits in the column: body, or body and more
	body    fyne.CanvasObject
	rt      *widget.RichText // text and code blocks
	lang    *widget.Label    // a code block's language
	copyBtn *widget.Button   // copies a code block's code
	table   *tableView       // tables
	more    *moreBar         // nil until the block is shown in part
	parses  int              // how often the block's markdown was parsed
	final   bool             // the block will not grow: its code is highlighted
	lit     bool             // the code shown is highlighted
	closed  bool             // the text shown was parsed as final (its math decided)
	// grown is called after "Show more" made the block taller.
	grown  func()
	images *imageHost
}

func newMDBlock(src string, kind blockKind, final bool, images *imageHost) *mdBlock {
	b := &mdBlock{kind: kind, pages: 1, images: images, final: final}
	b.render(src)
	return b
}

// set re-renders the block with src (final: src is all of it); it reports
// true when the block's object was replaced.
func (b *mdBlock) set(src string, kind blockKind, final bool) bool {
	if kind == b.kind && src == b.src && final == b.final {
		return false
	}
	b.kind, b.final = kind, final
	return b.render(src)
}

func (b *mdBlock) build() {
	b.rt, b.table, b.lang = nil, nil, nil
	switch b.shape {
	case kindTable:
		b.table = newTableView()
		b.table.images = b.images
		b.body = b.table.obj
	case kindCode:
		b.rt = newRichText()
		bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
		bg.CornerRadius = theme.InputRadiusSize()
		b.lang = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		b.lang.Importance, b.lang.SizeName = look.HintStyle(widget.LowImportance)
		b.copyBtn = widget.NewButton("Copy", func() {
			fyne.CurrentApp().Clipboard().SetContent(codeOf(b.src))
		})
		b.copyBtn.Importance = widget.LowImportance
		bar := container.NewBorder(nil, nil, b.lang, b.copyBtn)
		b.body = container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(0, 2, 6, 6), container.NewBorder(bar, nil, nil, nil, b.rt)))
	default:
		b.rt = newRichText()
		b.body = b.rt
	}
	b.obj = b.body
	if b.more != nil {
		b.obj = container.NewVBox(b.body, b.more.obj)
	}
}

// render shows src's first pages; it reports true when b.obj was replaced.
// Text past the pages shown costs nothing to render while it streams in.
func (b *mdBlock) render(src string) bool {
	b.src = src
	c := cutBlock(src, b.kind, b.pages)
	shape := b.kind
	if c.asText != "" {
		shape = kindCode
	}
	replaced := false
	if b.obj == nil || shape != b.shape {
		b.shape, b.shown = shape, ""
		b.build()
		replaced = true
	}
	if c.note != "" && b.more == nil {
		b.more = newMoreBar(b.showMore)
		b.obj = container.NewVBox(b.body, b.more.obj)
		replaced = true
	}
	if b.more != nil {
		b.more.set(c.note, b.pages)
	}
	lit := b.final && b.shape == kindCode && c.asText == ""
	closed := b.final || b.shape != kindText || !strings.ContainsAny(c.shown, `$\\`)
	if c.shown == b.shown && c.asText == b.asText && lit == b.lit && closed == b.closed && b.parses > 0 {
		return replaced
	}
	b.lit, b.closed = lit, closed
	b.shown, b.asText = c.shown, c.asText
	b.parses++
	cjk.Load().Shown(c.shown)
	if b.table != nil {
		b.table.set(parseTable(c.shown))
		return replaced
	}
	switch {
	case c.asText != "":
		b.rt.Segments = codeSegments(wideTable(c.shown))
	case lit:
		b.rt.Segments = highlightSegments(codeOf(c.shown), codeLang(src))
	case b.shape == kindCode:
		b.rt.Segments = codeSegments(codeOf(c.shown))
	default:
		// Parsed apart from the widget: ParseMarkdown would lay the long
		// segments out once before splitLong cuts them.
		b.rt.Segments = splitLong(blockSegments(c.shown, b.final, b.images))
	}
	b.rt.Refresh()
	if b.lang != nil {
		l := codeLang(src)
		if c.asText != "" {
			l = c.asText
		}
		if l != b.lang.Text {
			b.lang.SetText(l)
		}
	}
	return replaced
}

// showMore shows one more page of the block.
func (b *mdBlock) showMore() {
	if b.pages >= maxPages {
		return
	}
	b.pages++
	b.render(b.src)
	if b.grown != nil {
		b.grown()
	}
}

// codeLang is a fenced code block's language ("" when it names none).
func codeLang(src string) string {
	first, _, _ := strings.Cut(src, "\n")
	first = strings.TrimSpace(first)
	info := strings.TrimLeft(first, "`~")
	if len(info) == len(first) {
		return "" // an indented block
	}
	lang, _, _ := strings.Cut(strings.TrimSpace(info), " ")
	return lang
}

// codeOf is a code block's code: without its fences (or, for an indented
// block, its indentation).
func codeOf(src string) string {
	lines := strings.Split(strings.TrimRight(src, "\n"), "\n")
	if len(lines) == 0 {
		return ""
	}
	if ch, n, ok := fenceOpen(lines[0]); ok {
		lines = lines[1:]
		if k := len(lines) - 1; k >= 0 && isFenceClose(lines[k], ch, n) {
			lines = lines[:k]
		}
		return strings.Join(lines, "\n")
	}
	for i, l := range lines {
		if strings.HasPrefix(l, "\t") {
			lines[i] = l[1:]
		} else {
			lines[i] = strings.TrimPrefix(l, "    ")
		}
	}
	return strings.Join(lines, "\n")
}

func newRichText() *widget.RichText {
	rt := widget.NewRichText()
	rt.Wrapping = fyne.TextWrapWord
	return rt
}

// tableView renders a pipe table as a grid of cells, each a RichText parsed
// from the cell's markdown. Only cells whose text changed are re-parsed.
type tableView struct {
	obj   fyne.CanvasObject
	box   *fyne.Container // header row, separator, body rows
	cols  int
	cells [][]*widget.RichText
	text  [][]string

	images *imageHost
}

func newTableView() *tableView {
	t := &tableView{box: container.NewVBox()}
	border := canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	border.StrokeColor = theme.Color(theme.ColorNameSeparator)
	border.StrokeWidth = 1
	border.CornerRadius = theme.InputRadiusSize()
	t.obj = container.NewStack(border, container.New(layout.NewCustomPaddedLayout(2, 2, 6, 6), t.box))
	return t
}

func (t *tableView) set(header []string, rows [][]string) {
	cols := len(header)
	if cols == 0 {
		cols = 1
	}
	if cols != t.cols {
		t.cols, t.cells, t.text = cols, nil, nil
		t.box.Objects = nil
	}
	all := append([][]string{header}, rows...)
	for i, row := range all {
		if i >= len(t.cells) {
			t.addRow(i == 0)
		}
		for c := 0; c < cols; c++ {
			s := ""
			if c < len(row) {
				s = row[c]
			}
			if t.text[i][c] == s {
				continue
			}
			t.text[i][c] = s
			rt := t.cells[i][c]
			segs := markdownSegments(s, t.images)
			if i == 0 {
				boldSegments(segs)
			}
			rt.Segments = splitLong(segs)
			rt.Refresh()
		}
	}
}

func (t *tableView) addRow(header bool) {
	cells := make([]*widget.RichText, t.cols)
	objs := make([]fyne.CanvasObject, t.cols)
	for c := range cells {
		cells[c] = newRichText()
		objs[c] = cells[c]
	}
	t.cells = append(t.cells, cells)
	t.text = append(t.text, make([]string, t.cols))
	t.box.Add(container.NewGridWithColumns(t.cols, objs...))
	if header {
		t.box.Add(widget.NewSeparator())
	}
}

func boldSegments(segs []widget.RichTextSegment) {
	for _, s := range segs {
		switch s := s.(type) {
		case *widget.TextSegment:
			s.Style.TextStyle.Bold = true
		case *widget.ParagraphSegment:
			boldSegments(s.Texts)
		}
	}
}

// columnLayout stacks blocks like a VBox, but remembers the place of final
// blocks: their height cannot change until the width does, so laying the
// column out after a token costs the same at the end of a long answer as at
// its start (a VBox asks every block for its MinSize each time).
type columnLayout struct {
	final func() int // objects[:final()] will not change any more

	width  float32   // the width the cache is valid for
	bottom []float32 // bottom[i]: y just below object i, for cached objects
	minW   []float32 // minW[i]: the widest MinSize of objects[:i+1]
	cached int       // objects[:cached] are placed and measured
	lazy             // objects far from the screen keep their width (lazy.go)
}

func (l *columnLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if size.Width != l.width {
		l.width, l.cached = size.Width, 0
	}
	l.begin()
	l.measure(objs, true, size.Width)
}

func (l *columnLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return l.measure(objs, false, l.width)
}

// measure walks the objects not cached yet, placing them when place is set,
// and returns the column's minimum size.
func (l *columnLayout) measure(objs []fyne.CanvasObject, place bool, width float32) fyne.Size {
	if l.cached > len(objs) {
		l.cached = 0
	}
	pad := theme.Padding()
	var y, w float32
	if l.cached > 0 {
		y, w = l.bottom[l.cached-1]+pad, l.minW[l.cached-1]
	}
	final := l.final()
	l.bottom, l.minW = l.bottom[:l.cached], l.minW[:l.cached]
	for i := l.cached; i < len(objs); i++ {
		o := objs[i]
		stale := place && o.Size().Width != width && l.far(o, y)
		if place && o.Size().Width != width && !stale {
			// A wrapped text's height depends on its width: give it the
			// width first, then ask.
			o.Resize(fyne.NewSize(width, o.Size().Height))
		}
		min := l.minSize(i, o, i < final)
		if place {
			o.Move(fyne.NewPos(0, y))
			if !stale {
				o.Resize(fyne.NewSize(width, min.Height))
			}
		}
		y += min.Height
		w = fyne.Max(w, min.Width)
		if place && i < final && i == len(l.bottom) && !stale {
			l.bottom, l.minW = append(l.bottom, y), append(l.minW, w)
			l.cached = i + 1
		}
		y += pad
	}
	if len(objs) > 0 {
		y -= pad
	}
	return fyne.NewSize(w, y)
}
