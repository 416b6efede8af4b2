package ui

import (
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/chat"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// tapAction points at message v, as a person does before its actions show,
// checks that they did, and taps b.
func tapAction(t *testing.T, v *chat.Message, b fyne.Tappable) {
	t.Helper()
	v.Hover.MouseIn(&desktop.MouseEvent{})
	if !v.Actions.Visible() {
		t.Fatal("pointing at the message did not show its actions")
	}
	test.Tap(b)
}

func TestHoverShowsAMessagesActionsAndUnhoverHidesThem(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("one")
	h.settle()
	h.ask("two")
	h.settle()
	cv := h.shown()
	q, last := cv.views[0], cv.views[3]
	// The last message shows its actions without the pointer: the keyboard
	// reaches them (Tab), and the chat's end is where they are wanted.
	if !last.Actions.Visible() || !last.Regen.Visible() || !last.CopyBtn.Visible() {
		t.Fatalf("last answer: actions %v, Regenerate %v, Copy %v", last.Actions.Visible(), last.Regen.Visible(), last.CopyBtn.Visible())
	}
	if q.Actions.Visible() {
		t.Fatal("an earlier question shows its actions without being pointed at")
	}
	height := q.Obj.MinSize().Height
	q.Hover.MouseIn(&desktop.MouseEvent{})
	if !q.Actions.Visible() || !q.CopyBtn.Visible() || !q.EditBtn.Visible() || q.Regen.Visible() {
		t.Fatalf("hovered question: actions %v, Copy %v, Edit %v, Regenerate %v", q.Actions.Visible(), q.CopyBtn.Visible(), q.EditBtn.Visible(), q.Regen.Visible())
	}
	if got := q.Obj.MinSize().Height; got != height {
		t.Errorf("pointing at a message changed its height %v → %v: the chat would jump", height, got)
	}
	// The pointer moves from the message onto its Copy button: Fyne says
	// the message is left, then the button entered, in one event.
	q.Hover.MouseOut()
	q.CopyBtn.MouseIn(&desktop.MouseEvent{})
	if !q.Actions.Visible() {
		t.Fatal("the actions vanished under the pointer on its way to Copy")
	}
	q.CopyBtn.MouseOut()
	if q.Actions.Visible() {
		t.Fatal("the actions stay after the pointer left the message")
	}
	// Another message pointed at: only its actions show.
	q.Hover.MouseIn(&desktop.MouseEvent{})
	q.Hover.MouseOut()
	cv.views[1].Hover.MouseIn(&desktop.MouseEvent{})
	if q.Actions.Visible() || !cv.views[1].Actions.Visible() {
		t.Errorf("question shows %v, first answer shows %v", q.Actions.Visible(), cv.views[1].Actions.Visible())
	}
	// A new exchange: the old last answer hides its actions, the new one shows them.
	cv.views[1].Hover.MouseOut()
	h.ask("three")
	h.settle()
	if last.Actions.Visible() || !cv.views[5].Actions.Visible() {
		t.Errorf("after a new answer: old last %v, new last %v", last.Actions.Visible(), cv.views[5].Actions.Visible())
	}
}

// TestPointingAtALinkInsideKeepsTheActions: Fyne hovers only the innermost
// hoverable object, so a pointer on a link or a code block's Copy leaves
// the message as far as Fyne says; its actions stay until another message
// is pointed at.
func TestPointingAtALinkInsideKeepsTheActions(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("one")
	h.settle()
	h.ask("two")
	h.settle()
	cv := h.shown()
	a := cv.views[1] // an earlier answer: its actions show only when pointed at
	mid := fyne.NewPos(a.Hover.Size().Width/2, a.Hover.Size().Height/2)
	a.Hover.MouseIn(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(1, 1)}})
	a.Hover.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: mid}})
	a.Hover.MouseOut() // onto a link in the middle of the answer
	if !a.Actions.Visible() {
		t.Fatal("the actions vanished when the pointer went onto something inside the answer")
	}
	cv.views[2].Hover.MouseIn(&desktop.MouseEvent{})
	if a.Actions.Visible() || !cv.views[2].Actions.Visible() {
		t.Fatalf("after pointing at the next question: answer %v, question %v", a.Actions.Visible(), cv.views[2].Actions.Visible())
	}
	// Out by its edge: gone at once.
	q := cv.views[2]
	q.Hover.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(q.Hover.Size().Width/2, 2)}})
	q.Hover.MouseOut()
	if q.Actions.Visible() {
		t.Error("the actions stay after the pointer left the question by its top edge")
	}
}

func TestQuestionsAreBubblesOnTheRightAndAnswersTakeTheWidth(t *testing.T) {
	h := newHarness(t, useSimulator)
	h.ask("short question")
	h.settle()
	cv := h.shown()
	cv.scroll.Refresh()
	q, a := cv.views[0], cv.views[1]
	d := fyne.CurrentApp().Driver()
	qPos, qBox := d.AbsolutePositionForObject(q.Bg), d.AbsolutePositionForObject(q.Obj)
	if q.Bg.Size().Width >= q.Obj.Size().Width/2 {
		t.Errorf("a short question's bubble is %v wide in a %v wide chat", q.Bg.Size().Width, q.Obj.Size().Width)
	}
	if right, want := qPos.X+q.Bg.Size().Width, qBox.X+q.Obj.Size().Width; right < want-1 || right > want+1 {
		t.Errorf("the bubble ends at %v, the chat at %v: not on the right", right, want)
	}
	if c := q.Bg.FillColor; c == color.Transparent || look.ContrastRatio(c, theme.Color(theme.ColorNameBackground)) < 1.05 {
		t.Errorf("the question's bubble %v is not told from the page", c)
	}
	if a.Bg.FillColor != color.Transparent {
		t.Errorf("an answer has a bubble of %v", a.Bg.FillColor)
	}
	if a.Bg.Size().Width < a.Obj.Size().Width-1 {
		t.Errorf("the answer is %v wide in a %v wide chat", a.Bg.Size().Width, a.Obj.Size().Width)
	}
}

// TestTheBubbleFollowsTheTheme: a question drawn in the light theme takes
// the dark theme's bubble once the theme changes.
func TestTheBubbleFollowsTheTheme(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.DefaultTheme()) // the test theme has one variant
	look.ApplyTheme(a, look.ThemeLight)
	v := chat.NewMessage(store.Message{Role: store.RoleUser, Content: "hi", State: store.StateDone})
	w := test.NewTempWindow(t, v.Obj)
	light := v.Bg.FillColor
	look.ApplyTheme(a, look.ThemeDark)
	v.Obj.Refresh()
	w.Canvas().Refresh(v.Obj)
	if v.Bg.FillColor == light || look.Luminance(v.Bg.FillColor) > 0.2 {
		t.Errorf("after the dark theme the bubble is %v (light: %v)", v.Bg.FillColor, light)
	}
}
