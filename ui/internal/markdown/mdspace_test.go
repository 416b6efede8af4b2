package markdown

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

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
