package markdown

import (
	"fmt"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/internal/hostile"
	"github.com/deskchat/deskchat/ui/internal/markdown/mdtest"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

func TestHostileLongRunsArePiecesAndCodeIsGrouped(t *testing.T) {
	test.NewTempApp(t)
	run := strings.Repeat("QUJD", 5000) // 20,000 runes without a space
	v := NewText(run)
	b := mdtest.Measure(v.Box)
	if b.Longest > pieceRunes*2 {
		t.Errorf("a run of %d bytes was handed to Fyne with a segment of %d bytes", len(run), b.Longest)
	}
	if b.Chars != textBytes {
		t.Errorf("%d characters shown, want the first page of %d", b.Chars, textBytes)
	}
	prose := strings.Repeat("a few words of prose ", 10)
	if p := NewText(prose); mdtest.Measure(p.Box).Segments != 2 {
		t.Errorf("an ordinary paragraph was cut into pieces: %d segments", mdtest.Measure(p.Box).Segments)
	}
	code := "```\n" + strings.Repeat("x := 1\n", 120) + "```"
	c := mdtest.Measure(NewText(code).Box)
	if want := (120 + CodeGroup - 1) / CodeGroup; c.Segments != want {
		t.Errorf("120 lines of code in %d segments, want %d of %d lines", c.Segments, want, CodeGroup)
	}
}

func TestShowMoreAddsPagesUpToAHardCap(t *testing.T) {
	test.NewTempApp(t)
	text := hostile.Fence(50_000)
	v := NewText(text)
	test.NewTempWindow(t, v.Box).Resize(fyne.NewSize(900, 700))
	fence := v.blocks[len(v.blocks)-1]
	for page := 1; page <= maxPages; page++ {
		want := fmt.Sprintf("Showing %s of 50,000 lines", format.Number(int64(page*codeLines)))
		if got := fence.more.label.Text; !strings.HasPrefix(got, want) {
			t.Fatalf("page %d: the line says %q, want %q", page, got, want)
		}
		if page == maxPages {
			break
		}
		test.Tap(fence.more.btn)
	}
	if fence.more.btn.Visible() || !strings.Contains(fence.more.label.Text, "Copy copies all of it") {
		t.Errorf("after %d pages Show more is still offered (%q)", maxPages, fence.more.label.Text)
	}
	if b := mdtest.Measure(v.Box); b.Chars > maxPages*codeBytes+4<<10 {
		t.Errorf("%d characters handed to widgets after every page, more than %d", b.Chars, maxPages*codeBytes)
	}
	if v.Text() != text {
		t.Error("the text changed")
	}

	// A message of many blocks shows its first page of blocks, then more.
	para := strings.Repeat("word ", 200) + "\n\n" // 1 KB blocks
	many := strings.Repeat(para, 500)
	m := NewText(many)
	before := len(m.blocks)
	if before*len(para) > MsgBytes+len(para) || m.more == nil || !m.more.obj.Visible() {
		t.Fatalf("%d blocks of %d bytes built for a %d-byte message, more bar %v", before, len(para), len(many), m.more != nil)
	}
	test.Tap(m.more.btn)
	if after := len(m.blocks); after <= before || after*len(para) > 2*MsgBytes+len(para) {
		t.Errorf("Show more built %d blocks (was %d)", after, before)
	}
	if m.Text() != many {
		t.Error("the text changed")
	}

	// Many small blocks: a page holds msgBlocks of them.
	small := strings.Repeat("- one item\n\nA line.\n\n", 5_000)
	s := NewText(small)
	if len(s.blocks) != msgBlocks || !strings.HasPrefix(s.more.label.Text, "Showing ") {
		t.Errorf("%d blocks built of 10,000, want %d and a line (%q)", len(s.blocks), msgBlocks, s.more.label.Text)
	}
	test.Tap(s.more.btn)
	if len(s.blocks) != 2*msgBlocks {
		t.Errorf("Show more: %d blocks, want %d", len(s.blocks), 2*msgBlocks)
	}
}

func TestTablesWithLongCellsOrManyRowsStayBounded(t *testing.T) {
	test.NewTempApp(t)
	long := "| a | b |\n|---|---|\n| " + strings.Repeat("x", 50_000) + " | y |\n"
	v := NewText(long)
	b := v.blocks[0]
	if b.table != nil || b.lang == nil || b.lang.Text != "table with long cells, shown as text" {
		t.Fatalf("a table with a 50,000-byte cell is not shown as text (table %v)", b.table != nil)
	}
	if got := mdtest.Measure(v.Box); got.Longest > maxSegment || got.Chars > TableBytes+1<<10 {
		t.Errorf("long cell: %+v", got)
	}

	rows := hostile.Table(3, 5_000)
	g := NewText(rows).blocks[1]
	if g.table == nil {
		t.Fatal("a 3-column table is not a grid")
	}
	if n := len(g.table.cells) - 1; n != TableCellsPage/3 {
		t.Errorf("%d rows built of a 3-column table, want a page of %d", n, TableCellsPage/3)
	}
	if want := fmt.Sprintf("Showing %d of 5,000 rows", TableCellsPage/3); !strings.HasPrefix(g.more.label.Text, want) {
		t.Errorf("the line says %q, want %q", g.more.label.Text, want)
	}
}

// maxSegment is the longest segment handed to Fyne.
const maxSegment = CodeGroup * (CodeWrap + 1)
