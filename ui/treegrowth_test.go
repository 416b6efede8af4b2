package ui

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// countTree counts the objects under o that Fyne walks each frame: the
// shown ones, through widgets' renderers (a hidden object's are skipped).
func countTree(o fyne.CanvasObject) int {
	if !o.Visible() {
		return 0
	}
	n := 1
	var kids []fyne.CanvasObject
	switch x := o.(type) {
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	case *fyne.Container:
		kids = x.Objects
	}
	for _, k := range kids {
		n += countTree(k)
	}
	return n
}

// Every frame walks the window's whole tree of objects (Fyne's minimum-size
// pass and its painter), so the tree must not grow with a long session:
// answer 100 walks what answer 40 walked, within a few objects (the status
// line of the last answer differs).
func TestTheWindowsTreeStaysTheSameSizeOverALongSession(t *testing.T) {
	h := newHarness(t, useSimulator)
	var at40 int
	for i := 1; i <= 100; i++ {
		h.ask(fmt.Sprintf("Question %d of the session", i))
		h.liveAnswer(nil)
		h.settle()
		switch i {
		case 40:
			at40 = countTree(h.w.win.Content())
		case 100:
			at100 := countTree(h.w.win.Content())
			if d := at100 - at40; d > at40/50 || d < -at40/50 {
				t.Errorf("the window's tree holds %d objects after 100 answers and %d after 40: it grows with the session", at100, at40)
			}
			t.Logf("objects walked each frame: %d after 40 answers, %d after 100", at40, at100)
		}
	}
}
