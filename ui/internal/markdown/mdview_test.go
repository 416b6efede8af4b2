package markdown

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/deskchat/deskchat/engine"
)

// tokens cuts text into pieces of a few bytes, the way answers arrive.
func tokens(text string) []string {
	var out []string
	for len(text) > 0 {
		n := 4
		if n > len(text) {
			n = len(text)
		}
		out = append(out, text[:n])
		text = text[n:]
	}
	return out
}

func blockText(b *mdBlock) string {
	if b.rt != nil {
		return b.rt.String()
	}
	var sb strings.Builder
	for _, row := range b.table.cells {
		for _, c := range row {
			sb.WriteString(c.String() + "|")
		}
	}
	return sb.String()
}

func TestStreamingReparsesOnlyTheLastBlock(t *testing.T) {
	test.NewTempApp(t)
	text := engine.SimulatedMarkdown("blocks", 600)
	v := New()
	toks := tokens(text)
	var frozen []*mdBlock
	for i, tok := range toks {
		v.Append(tok)
		// Every block but the last is final: same widget, parsed for the last
		// time when the next block began.
		for j, b := range frozen {
			if v.blocks[j] != b {
				t.Fatalf("token %d: final block %d was replaced", i, j)
			}
		}
		if n := v.nFinal; n > len(frozen) {
			frozen = append(frozen, v.blocks[len(frozen):n]...)
		}
	}
	v.Finish()
	var parses int
	for _, b := range v.blocks {
		parses += b.parses
	}
	if parses > len(toks)+2*len(v.blocks) {
		t.Errorf("%d parses for %d tokens in %d blocks: earlier blocks were re-parsed", parses, len(toks), len(v.blocks))
	}
	// The streamed view ends up the same as rendering the whole text at once.
	whole := NewText(text)
	if len(whole.blocks) != len(v.blocks) {
		t.Fatalf("%d blocks streamed, %d at once", len(v.blocks), len(whole.blocks))
	}
	for i := range whole.blocks {
		if whole.blocks[i].kind != v.blocks[i].kind || blockText(whole.blocks[i]) != blockText(v.blocks[i]) {
			t.Errorf("block %d differs: %s %q vs %s %q", i, v.blocks[i].kind, blockText(v.blocks[i]), whole.blocks[i].kind, blockText(whole.blocks[i]))
		}
	}
	if v.Text() != text {
		t.Error("text lost while streaming")
	}
}

// assertStacked checks that the column's blocks do not overlap and that each
// is as tall as its text needs at the column's width.
func assertStacked(t *testing.T, v *View) {
	t.Helper()
	objs := v.Box.Objects
	for i, o := range objs {
		if o.Size().Width != v.Box.Size().Width {
			t.Fatalf("block %d is %v wide in a %v column", i, o.Size().Width, v.Box.Size().Width)
		}
		if min := o.MinSize().Height; o.Size().Height < min {
			t.Fatalf("block %d is %v tall but needs %v", i, o.Size().Height, min)
		}
		if i > 0 {
			prev := objs[i-1]
			if o.Position().Y < prev.Position().Y+prev.Size().Height {
				t.Fatalf("block %d (y %v) overlaps block %d (y %v, h %v)", i, o.Position().Y, i-1, prev.Position().Y, prev.Size().Height)
			}
		}
	}
}

func TestColumnLayoutStacksBlocksAtAnyWidth(t *testing.T) {
	test.NewTempApp(t)
	text := engine.SimulatedMarkdown("layout", 800)
	for _, streamed := range []bool{false, true} {
		var v *View
		if streamed {
			v = New()
		} else {
			v = NewText(text)
		}
		w := test.NewTempWindow(t, container.NewVScroll(v.Box))
		w.Resize(fyne.NewSize(700, 500))
		if streamed {
			for _, tok := range tokens(text) {
				v.Append(tok)
				v.Box.Resize(fyne.NewSize(v.Box.Size().Width, v.Box.MinSize().Height))
			}
			v.Finish()
		}
		v.Box.Resize(fyne.NewSize(v.Box.Size().Width, v.Box.MinSize().Height))
		assertStacked(t, v)
		tall := v.Box.MinSize().Height
		// Narrower: text wraps into more lines, blocks grow and move down.
		w.Resize(fyne.NewSize(350, 500))
		v.Box.Resize(fyne.NewSize(v.Box.Size().Width, v.Box.MinSize().Height))
		assertStacked(t, v)
		if v.Box.MinSize().Height <= tall {
			t.Errorf("streamed=%v: the column did not grow when narrowed (%v then %v)", streamed, tall, v.Box.MinSize().Height)
		}
	}
}

func TestCodeOf(t *testing.T) {
	for _, tc := range []struct{ src, code, lang string }{
		{"```go\nx := 1\n```", "x := 1", "go"},
		{"~~~~ python extra\nprint(1)\n\n~~~~\n", "print(1)\n", "python"},
		{"```\nunclosed\nstill", "unclosed\nstill", ""},
		{"    indented\n\tindented too", "indented\nindented too", ""},
	} {
		if got := codeOf(tc.src); got != tc.code {
			t.Errorf("codeOf(%q) = %q, want %q", tc.src, got, tc.code)
		}
		if got := codeLang(tc.src); got != tc.lang {
			t.Errorf("codeLang(%q) = %q, want %q", tc.src, got, tc.lang)
		}
	}
}
