package attachview

import (
	"errors"
	"fmt"
	"image"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// The cells of a question's thumbnails.
var thumbCell = fyne.NewSize(168, 128)

// Files shows a sent question's attachments and opens them: images full
// size in their own window, other files with the system's app (through a
// copy in the temporary folder) or saved where the user says.
type Files struct {
	App    fyne.App
	Win    fyne.Window // the main window, for the Save dialog
	B      *bridge.Bridge
	Thumbs *Thumbs
	// Blob reads an attachment's bytes (store.Store.Blob).
	Blob func(sha string) ([]byte, error)
	// Failed shows a sentence for what could not be done.
	Failed func(what, sentence string)
	// Dir is the folder files are copied to before the system's app opens
	// them; "" is a deskchat folder in the system's temporary folder.
	Dir string
}

// StripWidth is the width the attachments' strip takes on one row, for
// the question's bubble to be at least that wide (up to its cap).
func StripWidth(atts []store.Attachment) float32 {
	var imgs, files float32
	for _, a := range atts {
		if attach.KindOf(a) == attach.KindImage {
			imgs += thumbCell.Width + theme.Padding()
		} else {
			files = ChipSize.Width
		}
	}
	return max(imgs, files)
}

// Strip is a question's attachments: its images' thumbnails, then a chip
// for each other file.
func (f *Files) Strip(atts []store.Attachment) fyne.CanvasObject {
	imgs := container.NewGridWrap(thumbCell)
	others := container.NewGridWrap(ChipSize)
	for _, a := range atts {
		if attach.KindOf(a) == attach.KindImage {
			imgs.Add(f.thumb(a))
		} else {
			others.Add(f.fileChip(a))
		}
	}
	box := container.NewVBox()
	if len(imgs.Objects) > 0 {
		box.Add(imgs)
	}
	if len(others.Objects) > 0 {
		box.Add(others)
	}
	return box
}

// thumb is an image's thumbnail, drawn at its proportions within the cell
// before it is loaded (no jump when it arrives); tapping it opens the image.
func (f *Files) thumb(a store.Attachment) fyne.CanvasObject {
	pic := canvas.NewImageFromResource(theme.FileImageIcon())
	pic.FillMode = canvas.ImageFillContain
	pic.ScaleMode = canvas.ImageScaleSmooth
	w, h := fitIn(a.Width, a.Height, thumbCell)
	pic.SetMinSize(fyne.NewSize(w, h))
	frame := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	frame.CornerRadius = theme.InputRadiusSize()
	frame.SetMinSize(fyne.NewSize(w, h))
	f.Thumbs.Get(a, func(img image.Image, err error) {
		if err != nil {
			pic.Resource = theme.BrokenImageIcon()
			pic.Refresh()
			return
		}
		pic.Resource, pic.Image = nil, img
		pic.Refresh()
	})
	tip := newTapArea(container.NewStack(frame, pic), func() { f.OpenImage(a) })
	return container.NewCenter(tip)
}

// fitIn is an image of w×h scaled to fit in cell (a square cell when its
// size is not known).
func fitIn(w, h int, cell fyne.Size) (float32, float32) {
	if w <= 0 || h <= 0 {
		return cell.Height, cell.Height
	}
	s := min(cell.Width/float32(w), cell.Height/float32(h))
	return max(16, float32(w)*s), max(16, float32(h)*s)
}

// fileChip is a file's chip: tapping it opens the file, Save saves it.
func (f *Files) fileChip(a store.Attachment) fyne.CanvasObject {
	save := widget.NewButtonWithIcon("", theme.DocumentSaveIcon(), func() { f.SaveFile(a) })
	save.Importance = widget.LowImportance
	c := newChip(a.Name, Detail(a), IconOf(a), save)
	return newTapArea(c.obj, func() { f.OpenFile(a) })
}

// load reads an attachment's bytes: those it carries, else its blob.
func (f *Files) load(a store.Attachment) ([]byte, error) {
	if a.Data != nil {
		return a.Data, nil
	}
	return f.Blob(a.SHA256)
}

// Sentence says why an attachment could not be read back.
func Sentence(a store.Attachment, err error) string {
	if errors.Is(err, store.ErrBlobMissing) {
		return fmt.Sprintf("%s is no longer in the history (it was recovered from a damaged file without it).", a.Name)
	}
	var ae *attach.Error
	if errors.As(err, &ae) {
		if ae.Name == "" { // decoding a stored image names no file
			return fmt.Sprintf("%s could not be read; it may be damaged.", a.Name)
		}
		return ae.Sentence
	}
	return fmt.Sprintf("%s could not be read: %v.", a.Name, err)
}

// OpenImage shows an image full size (fitted to the screen) in its own
// window; Esc closes it.
func (f *Files) OpenImage(a store.Attachment) {
	bridge.Run(f.B, func() (image.Image, error) {
		data, err := f.load(a)
		if err != nil {
			return nil, err
		}
		return decode(data)
	}, func(img image.Image, err error) {
		if err != nil {
			f.Failed("Could not open the image", Sentence(a, err))
			return
		}
		b := img.Bounds()
		win := f.App.NewWindow(fmt.Sprintf("%s — %d×%d", a.Name, b.Dx(), b.Dy()))
		pic := canvas.NewImageFromImage(img)
		pic.FillMode = canvas.ImageFillContain
		pic.ScaleMode = canvas.ImageScaleSmooth
		win.SetContent(pic)
		w, h := fitIn(b.Dx(), b.Dy(), fyne.NewSize(1200, 860))
		if b.Dx() < 1200 && b.Dy() < 860 {
			w, h = float32(b.Dx()), float32(b.Dy())
		}
		win.Resize(fyne.NewSize(max(w, 200), max(h, 150)))
		win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
			if k.Name == fyne.KeyEscape {
				win.Close()
			}
		})
		win.Show()
	})
}

// decode decodes an image for the viewer; a decoder's panic on a damaged
// file is an error, not a crash.
func decode(data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the image is damaged")
		}
	}()
	return attach.Decode(data)
}

// OpenFile opens a copy of the file, in the temporary folder, with the
// system's app for its kind.
func (f *Files) OpenFile(a store.Attachment) {
	bridge.Run(f.B, func() (string, error) {
		data, err := f.load(a)
		if err != nil {
			return "", err
		}
		return f.copyOut(a, data)
	}, func(path string, err error) {
		if err != nil {
			f.Failed("Could not open the file", Sentence(a, err))
			return
		}
		u := &url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
		if err := f.App.OpenURL(u); err != nil {
			f.Failed("Could not open the file", fmt.Sprintf("No app opened %s: %v.", a.Name, err))
		}
	})
}

// copyOut writes data under the folder for opened files, in a folder named
// by its hash (two files of one name do not overwrite each other), and
// returns its path.
func (f *Files) copyOut(a store.Attachment, data []byte) (string, error) {
	dir := f.Dir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "deskchat-attachments")
	}
	sub := a.SHA256
	if len(sub) > 16 {
		sub = sub[:16]
	}
	dir = filepath.Join(dir, sub)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	path := filepath.Join(dir, SafeName(a.Name))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// SafeName is a file name that stays in its folder: no separators, no
// "..", not empty.
func SafeName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		return "attachment"
	}
	return name
}

// SaveFile asks where to save the file and writes it there.
func (f *Files) SaveFile(a store.Attachment) {
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return // cancelled
		}
		bridge.Run(f.B, func() (struct{}, error) {
			data, err := f.load(a)
			if err == nil {
				_, err = wc.Write(data)
			}
			if cerr := wc.Close(); err == nil {
				err = cerr
			}
			return struct{}{}, err
		}, func(_ struct{}, err error) {
			if err != nil {
				f.Failed("Could not save the file", Sentence(a, err))
			}
		})
	}, f.Win)
	d.SetFileName(SafeName(a.Name))
	d.Show()
}
