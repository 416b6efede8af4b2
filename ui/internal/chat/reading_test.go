package chat

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// On a wide window a message stops at the reading width, centred; a wide
// row takes the whole width; hidden rows take no room.
func TestReadingColumnCentresMessagesAndWidensWideRows(t *testing.T) {
	test.NewTempApp(t)
	msg, wide, hidden := canvas.NewRectangle(nil), canvas.NewRectangle(nil), canvas.NewRectangle(nil)
	msg.SetMinSize(fyne.NewSize(10, 40))
	wide.SetMinSize(fyne.NewSize(10, 30))
	hidden.Hide()
	col := container.New(&ReadingColumn{Wide: map[fyne.CanvasObject]bool{wide: true}}, msg, hidden, wide)
	most := ReadingWidth()
	col.Resize(fyne.NewSize(most+200, 500))
	if p, s := msg.Position(), msg.Size(); p.X != 100 || s.Width != most || s.Height != 40 {
		t.Errorf("message at %v size %v, want x 100, %v wide", p, s, most)
	}
	if p, s := wide.Position(), wide.Size(); p.X != 0 || s.Width != most+200 || p.Y != 40+theme.Padding() {
		t.Errorf("wide row at %v size %v", p, s)
	}
	if m := col.MinSize(); m.Height != 70+theme.Padding() {
		t.Errorf("min height %v, want %v", m.Height, 70+theme.Padding())
	}
	col.Resize(fyne.NewSize(most/2, 500))
	if p, s := msg.Position(), msg.Size(); p.X != 0 || s.Width != most/2 {
		t.Errorf("on a narrow window the message is at %v size %v", p, s)
	}
}
