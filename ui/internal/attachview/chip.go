package attachview

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// Chip sizes: a chip above the composer, and one in a sent question.
var (
	ChipSize  = fyne.NewSize(280, 52)
	chipThumb = fyne.NewSize(40, 40)
)

// Detail is the chip's second line: size, pages (PDFs), then the tokens
// it is estimated to cost.
func Detail(a store.Attachment) string {
	s := format.Size(a.Size)
	if a.Pages > 0 {
		s += " · " + format.Count(a.Pages, "page", "pages")
	}
	if a.Tokens > 0 {
		s += " · " + format.Tokens(int64(a.Tokens))
	}
	return s
}

// IconOf is the icon of an attachment's kind.
func IconOf(a store.Attachment) fyne.Resource {
	switch attach.KindOf(a) {
	case attach.KindImage:
		return theme.FileImageIcon()
	case attach.KindPDF:
		return theme.FileApplicationIcon()
	}
	return theme.FileTextIcon()
}

// chip is one attachment: thumbnail or icon, name, detail line, and the
// buttons at its end (× above the composer; Save in a question).
type chip struct {
	obj    fyne.CanvasObject
	pic    *canvas.Image
	name   *widget.Label
	detail *widget.Label
	bar    *widget.ProgressBar // shown while the file is read
}

func newChip(name, detail string, icon fyne.Resource, end fyne.CanvasObject) *chip {
	c := &chip{}
	c.pic = canvas.NewImageFromResource(icon)
	c.pic.FillMode = canvas.ImageFillContain
	c.pic.SetMinSize(chipThumb)
	c.name = widget.NewLabel(name)
	c.name.Truncation = fyne.TextTruncateEllipsis
	c.name.TextStyle = fyne.TextStyle{Bold: true}
	c.name.SizeName = theme.SizeNameCaptionText
	c.detail = widget.NewLabel(detail)
	c.detail.Truncation = fyne.TextTruncateEllipsis
	c.detail.SizeName = theme.SizeNameCaptionText
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	bg.StrokeWidth = 1
	bg.CornerRadius = theme.InputRadiusSize() * 2
	c.bar = widget.NewProgressBar()
	c.bar.TextFormatter = func() string { return "" }
	c.bar.Hide()
	lines := container.New(tightVBox{}, c.name, c.detail, c.bar)
	right := fyne.CanvasObject(layout.NewSpacer())
	if end != nil {
		right = container.NewCenter(end)
	}
	body := container.NewBorder(nil, nil, container.NewCenter(c.pic), right, lines)
	c.obj = container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(4, 4, 6, 2), body))
	return c
}

// reading shows a progress bar under the name instead of the detail line.
func (c *chip) reading(on bool) {
	if on {
		c.detail.Hide()
		c.bar.Show()
	} else {
		c.bar.Hide()
		c.detail.Show()
	}
}

// setThumb shows img instead of the kind's icon.
func (c *chip) setThumb(img image.Image) {
	if img == nil {
		return
	}
	c.pic.Resource = nil
	c.pic.Image = img
	c.pic.Refresh()
}

// tightVBox stacks a chip's two lines closer than a VBox would: the labels'
// own padding is room enough.
type tightVBox struct{}

func (tightVBox) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height - theme.InnerPadding()
	}
	return s
}

func (tightVBox) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	total := tightVBox{}.MinSize(objs).Height
	y := (size.Height - total) / 2
	for _, o := range objs {
		if !o.Visible() {
			continue
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y-theme.InnerPadding()/2))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h - theme.InnerPadding()
	}
}

// tapArea makes what it wraps tappable, with the pointer cursor.
type tapArea struct {
	widget.BaseWidget
	content  fyne.CanvasObject
	onTapped func()
}

func newTapArea(content fyne.CanvasObject, onTapped func()) *tapArea {
	t := &tapArea{content: content, onTapped: onTapped}
	t.ExtendBaseWidget(t)
	return t
}

func (t *tapArea) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(t.content)
}

// Tapped implements fyne.Tappable.
func (t *tapArea) Tapped(*fyne.PointEvent) {
	if t.onTapped != nil {
		t.onTapped()
	}
}

// Cursor implements desktop.Cursorable.
func (t *tapArea) Cursor() desktop.Cursor { return desktop.PointerCursor }
