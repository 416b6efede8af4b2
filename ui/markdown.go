package ui

import "fmt"

// imagesChanged lays the shown chat out again after an image appeared or a
// placeholder changed (markdown.Loader.Changed): the columns forget the
// heights they measured.
func (w *window) imagesChanged() {
	for _, cv := range w.chats {
		for _, v := range cv.views {
			v.md.Relayout()
			v.reasoning.Relayout()
		}
	}
	if cv := w.chats[w.selected]; cv != nil {
		cv.scroll.Refresh()
	}
}

// thousands writes n with thousands separators: 50,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
