package chat

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// readingChars is the widest a line of text gets, in characters of average
// width: on a wide window the messages stay in a column of about this width,
// centred, as in a book; longer lines are hard to follow back to their start.
const readingChars = 88

// ReadingWidth is a message's widest: readingChars of body text, plus a
// message's own padding.
func ReadingWidth() float32 {
	const pangram = "the quick brown fox jumps over a lazy dog; " // letters in about their share of English text
	sample := strings.Repeat(pangram, readingChars/len(pangram)+1)[:readingChars]
	text := fyne.MeasureText(sample, theme.TextSize(), fyne.TextStyle{}).Width
	return text + 2*theme.InnerPadding() + 2*8 // RichText's and the bubble's padding (the message view)
}

// ReadingColumn lays the chat's rows out one under the other, as a VBox
// does; a message is at most ReadingWidth wide, centred, the wide rows
// (comparisons) take the whole width.
type ReadingColumn struct {
	// Wide are the rows that take the whole width.
	Wide map[fyne.CanvasObject]bool
}

func (l *ReadingColumn) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	most := ReadingWidth()
	var y float32
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		x, w := float32(0), size.Width
		if !l.Wide[o] && w > most {
			x, w = (w-most)/2, most
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(x, y))
		o.Resize(fyne.NewSize(w, h))
		y += h + theme.Padding()
	}
}

func (l *ReadingColumn) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var min fyne.Size
	n := 0
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		min.Width = fyne.Max(min.Width, m.Width)
		min.Height += m.Height
		n++
	}
	if n > 1 {
		min.Height += float32(n-1) * theme.Padding()
	}
	return min
}
