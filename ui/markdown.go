package ui

// imagesChanged lays the shown chat out again after an image appeared or a
// placeholder changed (markdown.Loader.Changed): the columns forget the
// heights they measured.
func (w *window) imagesChanged() {
	for _, cv := range w.pane.chats {
		for _, v := range cv.views {
			v.Md.Relayout()
			v.Reasoning.Relayout()
		}
	}
	if cv := w.pane.chats[w.pane.selected]; cv != nil {
		cv.scroll.Refresh()
	}
}
