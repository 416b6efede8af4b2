package attachview

import (
	"fmt"
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// Tray is the chips above the composer: the files that will go with the
// next question, those still being read (a progress bar), and the sentence
// of the last file refused. It is hidden while it holds nothing.
type Tray struct {
	Obj    fyne.CanvasObject
	grid   *fyne.Container // the chips
	note   *widget.Label   // the last refusal
	items  []*Item
	thumbs *Thumbs
	// Changed runs when the tray's height may have changed.
	Changed func()
}

// Item is one chip of the tray.
type Item struct {
	A       store.Attachment // Name only, while the file is read
	Reading bool
	Remove  *widget.Button
	chip    *chip
	tray    *Tray
	gone    bool // removed while it was being read
}

// NewTray is an empty tray whose thumbnails are kept in thumbs.
func NewTray(thumbs *Thumbs) *Tray {
	t := &Tray{thumbs: thumbs}
	t.grid = container.NewGridWrap(ChipSize)
	t.note = look.Wrapped("", widget.DangerImportance)
	t.note.Hide()
	t.Obj = container.NewVBox(t.grid, t.note)
	t.Obj.Hide()
	return t
}

// Items are the tray's chips, in the order they were added.
func (t *Tray) Items() []*Item { return t.items }

// Attachments are the files read and ready to go, in order.
func (t *Tray) Attachments() []store.Attachment {
	var out []store.Attachment
	for _, it := range t.items {
		if !it.Reading {
			out = append(out, it.A)
		}
	}
	return out
}

// Reading returns the name of a file still being read, or "".
func (t *Tray) Reading() string {
	for _, it := range t.items {
		if it.Reading {
			return it.A.Name
		}
	}
	return ""
}

// Note is the sentence shown under the chips ("" when none).
func (t *Tray) Note() string {
	if !t.note.Visible() {
		return ""
	}
	return t.note.Text
}

// Refuse shows a sentence under the chips (a file refused), until the next
// file is added or the question is sent.
func (t *Tray) Refuse(sentence string) {
	t.note.SetText(sentence)
	look.Show(t.note, sentence != "")
	t.update()
}

// Room reports whether n more files may be added, else shows why not.
func (t *Tray) Room(n int) bool {
	if err := attach.CheckCount(len(t.items) + n); err != nil {
		t.Refuse(err.Error())
		return false
	}
	return true
}

// Start adds a chip for a file about to be read, with a progress bar.
func (t *Tray) Start(name string) *Item {
	it := &Item{A: store.Attachment{Name: name}, Reading: true, tray: t}
	it.Remove = widget.NewButtonWithIcon("", theme.CancelIcon(), func() { t.remove(it) })
	it.Remove.Importance = widget.LowImportance
	it.chip = newChip(name, "", theme.FileIcon(), it.Remove)
	it.chip.reading(true)
	t.items = append(t.items, it)
	t.grid.Add(it.chip.obj)
	t.Refuse("")
	return it
}

// Add adds a chip for a file already read, and its thumbnail if it has one.
func (t *Tray) Add(a store.Attachment, thumb image.Image) *Item {
	it := t.Start(a.Name)
	it.Done(a, thumb, nil)
	return it
}

// Progress shows how much of the file has been read (0 to 1).
func (it *Item) Progress(f float64) {
	if it.Reading && !it.gone {
		it.chip.bar.SetValue(f)
	}
}

// Done ends the reading: the chip shows the attachment, or goes and the
// tray says why (err is one sentence, an *attach.Error). A file that is
// attached already is not added twice.
func (it *Item) Done(a store.Attachment, thumb image.Image, err error) {
	t := it.tray
	if it.gone {
		return
	}
	if err != nil {
		t.remove(it)
		t.Refuse(err.Error())
		return
	}
	for _, o := range t.items {
		if o != it && !o.Reading && o.A.SHA256 == a.SHA256 {
			t.remove(it)
			t.Refuse(fmt.Sprintf("%s is attached already.", a.Name))
			return
		}
	}
	it.A, it.Reading = a, false
	it.chip.name.SetText(a.Name)
	it.chip.detail.SetText(Detail(a))
	it.chip.reading(false)
	it.chip.pic.Resource = IconOf(a)
	it.chip.pic.Refresh()
	if thumb != nil {
		t.thumbs.Put(a.SHA256, thumb)
		it.chip.setThumb(thumb)
	} else if attach.KindOf(a) == attach.KindImage {
		t.thumbs.Get(a, func(img image.Image, err error) {
			if err == nil {
				it.chip.setThumb(img)
			}
		})
	}
	t.update()
}

// remove takes a chip away (×); a file still being read is dropped when
// its reading ends.
func (t *Tray) remove(it *Item) {
	for i, o := range t.items {
		if o == it {
			t.items = append(t.items[:i], t.items[i+1:]...)
			break
		}
	}
	it.gone = true
	t.grid.Remove(it.chip.obj)
	t.update()
}

// Clear empties the tray (the question was sent with its files).
func (t *Tray) Clear() {
	for _, it := range t.items {
		it.gone = true
	}
	t.items = nil
	t.grid.RemoveAll()
	t.Refuse("")
}

// Set puts attachments back in the tray (a question that could not be
// sent gives its files back).
func (t *Tray) Set(atts []store.Attachment) {
	t.Clear()
	for _, a := range atts {
		t.Add(a, nil)
	}
}

func (t *Tray) update() {
	look.Show(t.Obj, len(t.items) > 0 || t.note.Visible())
	t.grid.Refresh()
	if t.Changed != nil {
		t.Changed()
	}
}
