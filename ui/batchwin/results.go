package batchwin

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// The results table reads the stored rows a page at a time, only the pages
// shown, and keeps a few: a run of 100,000 rows scrolls in the memory of a
// few hundred.
const (
	pageSize = 100
	maxPages = 6
)

// Columns of the results table: the first three of fixed widths, the
// answer and the error share the rest (fitColumns).
var (
	columnNames  = []string{"#", "Row", "State", "Answer", "Error"}
	columnWidths = []float32{64, 120, 80}
)

// answerShare is the answer's part of the width the fixed columns leave.
const answerShare = 0.55

// States a row shows that the store does not hold.
const (
	stateWaiting = "waiting"
	stateAsking  = "asking"
	stateReading = "…"
)

// results is the results table's model: the run it shows and its pages.
type results struct {
	v      *View
	name   string // the run shown
	total  int    // its rows
	stored bool   // the run is in the store (there is something to export)
	pages  map[int]*page
	used   []int // page numbers, least recently used first
	// read reads stored rows (the store's BatchRows; tests count it).
	read func(name string, from, n int) ([]store.BatchRow, error)
	// asking tells whether row i, not stored, is being asked.
	asking func(i int) bool
}

// page is one page of stored rows: those present, in index order.
type page struct {
	rows    []store.BatchRow
	stale   bool // rows may have finished since it was read
	loading bool
	failed  bool
}

func newResults(v *View) *results {
	return &results{v: v, pages: map[int]*page{}, read: v.st.BatchRows}
}

func (r *results) build() *widget.Table {
	t := widget.NewTable(
		func() (int, int) { return r.total, len(columnNames) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(id widget.TableCellID, o fyne.CanvasObject) { r.update(id, o.(*widget.Label)) })
	t.ShowHeaderRow = true
	t.CreateHeader = func() fyne.CanvasObject {
		return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	t.UpdateHeader = func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(columnNames) {
			o.(*widget.Label).SetText(columnNames[id.Col])
		}
	}
	for i, w := range columnWidths {
		t.SetColumnWidth(i, w)
	}
	t.OnSelected = func(id widget.TableCellID) {
		t.UnselectAll()
		r.showRow(id.Row)
	}
	return t
}

// showRow shows row i whole: its fields, the answer and the error, which
// the table cuts to their first line.
func (r *results) showRow(i int) {
	row, state := r.row(i)
	if row == nil {
		return
	}
	var b strings.Builder
	for k, n := range row.Names {
		fmt.Fprintf(&b, "%s: %s\n", n, row.Values[k])
	}
	b.WriteString("\n")
	if row.Error != "" {
		fmt.Fprintf(&b, "Error: %s\n\n", row.Error)
	}
	b.WriteString(row.Answer)
	text := widget.NewLabel(b.String())
	text.Wrapping = fyne.TextWrapWord
	text.Selectable = true
	title := fmt.Sprintf("Row %d — %s", i+1, state)
	if row.Provider != "" {
		title += fmt.Sprintf(" (%s, %s)", row.Provider, row.Model)
	}
	d := dialog.NewCustom(title, "Close", container.NewVScroll(text), r.v.win)
	d.Resize(fyne.NewSize(640, 480))
	d.Show()
}

// fitColumns lays the results table out at its full size, giving the
// answer and error columns the width the others leave, so that every
// column shows without scrolling sideways.
type fitColumns struct {
	t     *widget.Table
	width float32
}

func (f *fitColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if size.Width != f.width {
		f.width = size.Width
		rest := size.Width - theme.ScrollBarSize() - 2*theme.Padding()
		for _, w := range columnWidths {
			rest -= w + theme.Padding()
		}
		rest = max(rest-theme.Padding(), 2*minTextColumn)
		f.t.SetColumnWidth(3, rest*answerShare)
		f.t.SetColumnWidth(4, rest*(1-answerShare))
	}
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (f *fitColumns) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[0].MinSize() }

// minTextColumn is the narrowest the answer and error columns get.
const minTextColumn = 120

// setTotal shows run name of total rows; another run's pages are dropped.
func (r *results) setTotal(name string, total int, stored bool) {
	if name != r.name {
		r.pages, r.used = map[int]*page{}, nil
	}
	r.name, r.total, r.stored = name, total, stored
	r.invalidate() // the run may have been stored since
}

// invalidate has the pages shown read again: rows have finished.
func (r *results) invalidate() {
	for _, p := range r.pages {
		p.stale = true
	}
	r.v.Table.Refresh()
}

// Cell is what the table shows at row i, column col (tests).
func (r *results) Cell(i, col int) string {
	row, state := r.row(i)
	return cellText(i, col, row, state)
}

// update fills one cell.
func (r *results) update(id widget.TableCellID, l *widget.Label) {
	row, state := r.row(id.Row)
	l.Importance = widget.MediumImportance
	if id.Col == 2 && state == store.BatchRowFailed {
		l.Importance = widget.DangerImportance
	}
	if id.Col == 0 {
		l.Alignment = fyne.TextAlignTrailing
	}
	l.SetText(cellText(id.Row, id.Col, row, state))
}

func cellText(i, col int, row *store.BatchRow, state string) string {
	switch col {
	case 0:
		return strconv.Itoa(i + 1)
	case 2:
		return state
	}
	if row == nil {
		return ""
	}
	switch col {
	case 1:
		for k, n := range row.Names {
			if strings.EqualFold(n, "id") {
				return firstLine(row.Values[k])
			}
		}
		if len(row.Values) > 0 {
			return firstLine(row.Values[0])
		}
	case 3:
		return firstLine(row.Answer)
	case 4:
		return firstLine(row.Error)
	}
	return ""
}

// firstLine is s's first non-empty line, cut to what a cell can show.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i]) + " …"
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// row is stored row i and its state, reading its page when it is not
// held (or stale).
func (r *results) row(i int) (*store.BatchRow, string) {
	n := i / pageSize
	p := r.pages[n]
	if p == nil || (p.stale && !p.loading) {
		r.load(n)
		p = r.pages[n]
	}
	r.touch(n)
	if p.rows == nil && p.loading {
		return nil, stateReading
	}
	k := sort.Search(len(p.rows), func(k int) bool { return p.rows[k].Index >= i })
	if k < len(p.rows) && p.rows[k].Index == i {
		return &p.rows[k], p.rows[k].State
	}
	if r.asking != nil && r.asking(i) {
		return nil, stateAsking
	}
	return nil, stateWaiting
}

// load reads page n off the UI goroutine.
func (r *results) load(n int) {
	p := r.pages[n]
	if p == nil {
		p = &page{}
		r.pages[n] = p
		r.evict()
	}
	if !r.stored {
		p.stale, p.rows = false, []store.BatchRow{}
		return
	}
	p.loading, p.stale = true, false
	name, from := r.name, n*pageSize
	bridge.Run(r.v.host.Bridge(), func() ([]store.BatchRow, error) {
		rows, err := r.read(name, from, pageSize)
		for k, row := range rows { // BatchRows goes past the page's end when rows are missing
			if row.Index >= from+pageSize {
				rows = rows[:k]
				break
			}
		}
		return rows, err
	}, func(rows []store.BatchRow, err error) {
		if r.name != name || r.pages[n] != p {
			return // another run, or the page was let go
		}
		p.loading = false
		if err != nil {
			p.failed = true
			return
		}
		if rows == nil {
			rows = []store.BatchRow{}
		}
		p.rows = rows
		if !r.v.closed {
			r.v.Table.Refresh()
		}
	})
}

// touch makes page n the most recently used.
func (r *results) touch(n int) {
	if k := slices.Index(r.used, n); k >= 0 {
		if k == len(r.used)-1 {
			return
		}
		r.used = slices.Delete(r.used, k, k+1)
	}
	r.used = append(r.used, n)
}

// evict lets go of the least recently used pages beyond maxPages.
func (r *results) evict() {
	for len(r.pages) > maxPages && len(r.used) > 0 {
		delete(r.pages, r.used[0])
		r.used = r.used[1:]
	}
}

// Pages is how many pages of rows the table holds (tests).
func (r *results) Pages() int { return len(r.pages) }
