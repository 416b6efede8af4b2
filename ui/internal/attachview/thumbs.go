package attachview

import (
	"container/list"
	"fmt"
	"image"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// ThumbSide is the longest side of a thumbnail, in pixels: chips draw it at
// 40 and a question's thumbnails at up to 160 (the image is kept sharp on a
// 2× screen at chip size, and drawn smaller for messages' larger ones only
// when the source is small).
const ThumbSide = 320

// DefaultThumbs is how many thumbnails Thumbs keeps: at ThumbSide, about
// 400 KB each, 64 of them about 26 MB at most.
const DefaultThumbs = 64

// Thumbs is a bounded cache of thumbnails by the image's sha256, least
// recently used first out. Thumbnails are made on the bridge; Get and Put
// run on the UI goroutine only, so that it needs no lock.
type Thumbs struct {
	b   *bridge.Bridge
	max int
	// Blob reads an attachment's bytes when the attachment has none with
	// it (a message read back from the store): store.Store.Blob.
	Blob func(sha string) ([]byte, error)

	order   *list.List               // of *thumbEntry, most recent first
	bySHA   map[string]*list.Element // into order
	waiting map[string][]func(image.Image, error)
}

type thumbEntry struct {
	sha string
	img image.Image
}

// NewThumbs is an empty cache of at most max thumbnails (DefaultThumbs when
// max <= 0) made on b.
func NewThumbs(b *bridge.Bridge, max int, blob func(sha string) ([]byte, error)) *Thumbs {
	if max <= 0 {
		max = DefaultThumbs
	}
	return &Thumbs{b: b, max: max, Blob: blob, order: list.New(), bySHA: map[string]*list.Element{}, waiting: map[string][]func(image.Image, error){}}
}

// Len is how many thumbnails are kept.
func (t *Thumbs) Len() int { return t.order.Len() }

// Cached returns a's thumbnail if it is kept.
func (t *Thumbs) Cached(sha string) (image.Image, bool) {
	if e, ok := t.bySHA[sha]; ok {
		t.order.MoveToFront(e)
		return e.Value.(*thumbEntry).img, true
	}
	return nil, false
}

// Put keeps a thumbnail made elsewhere (while a file was being read).
func (t *Thumbs) Put(sha string, img image.Image) {
	if img == nil || sha == "" {
		return
	}
	if e, ok := t.bySHA[sha]; ok {
		e.Value.(*thumbEntry).img = img
		t.order.MoveToFront(e)
		return
	}
	t.bySHA[sha] = t.order.PushFront(&thumbEntry{sha: sha, img: img})
	for t.order.Len() > t.max {
		last := t.order.Back()
		t.order.Remove(last)
		delete(t.bySHA, last.Value.(*thumbEntry).sha)
	}
}

// Get calls done on the UI goroutine with a's thumbnail: at once when it
// is kept, else once it is made from a's bytes (or its blob) on the bridge.
// Several asks for one image while it is being made share the work.
func (t *Thumbs) Get(a store.Attachment, done func(image.Image, error)) {
	if img, ok := t.Cached(a.SHA256); ok {
		done(img, nil)
		return
	}
	if w, ok := t.waiting[a.SHA256]; ok {
		t.waiting[a.SHA256] = append(w, done)
		return
	}
	t.waiting[a.SHA256] = []func(image.Image, error){done}
	data, blob := a.Data, t.Blob
	bridge.Run(t.b, func() (image.Image, error) {
		if data == nil {
			var err error
			if data, err = blob(a.SHA256); err != nil {
				return nil, err
			}
		}
		return thumbnail(data)
	}, func(img image.Image, err error) {
		if err == nil {
			t.Put(a.SHA256, img)
		}
		dones := t.waiting[a.SHA256]
		delete(t.waiting, a.SHA256)
		for _, d := range dones {
			d(img, err)
		}
	})
}

// thumbnail makes a thumbnail; a decoder's panic on a damaged file is an
// error, not a crash.
func thumbnail(data []byte) (img image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("the image is damaged")
		}
	}()
	return attach.Thumbnail(data, ThumbSide)
}
