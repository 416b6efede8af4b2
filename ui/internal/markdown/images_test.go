package markdown

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/markdown/mdtest"
	"hash/crc32"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// hugePNG is a valid PNG header claiming w×h pixels, with no pixels.
func hugePNG(w, h uint32) []byte {
	b := mdtest.PNG(1, 1)
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// loaderRig is a loader on a bridge whose posts the test runs, for images
// shown outside a window.
type loaderRig struct {
	t *testing.T
	l *Loader
	q chan func()
}

func newLoaderRig(t *testing.T) *loaderRig {
	test.NewTempApp(t)
	r := &loaderRig{t: t, q: make(chan func(), 1024)}
	b := bridge.New()
	b.Post = func(f func()) { r.q <- f }
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	r.l = NewLoader(b, ctx)
	return r
}

// view shows markdown holding one image and returns its view once it no
// longer waits for the loader.
func (r *loaderRig) view(md string) *ImageView {
	r.t.Helper()
	host := &imageHost{}
	host.use(r.l)
	rt := newRichText()
	setMarkdown(rt, md, host)
	views := imageViewsIn(rt)
	if len(views) != 1 {
		r.t.Fatalf("%d image views for %q", len(views), md)
	}
	return views[0]
}

func (r *loaderRig) settle(v *ImageView) {
	r.t.Helper()
	deadline := time.After(20 * time.Second)
	for len(r.l.loading) > 0 {
		select {
		case f := <-r.q:
			f()
		case <-deadline:
			r.t.Fatal("timed out waiting for the loader")
		}
	}
}

func TestLoadedImagesAreBoundedInSizeKindAndPixels(t *testing.T) {
	srv := mdtest.NewImageServer(t, false)
	r := newLoaderRig(t)
	for _, tc := range []struct{ path, want string }{
		{"/big.png", "larger than 10 MB"},
		{"/big-chunked.png", "larger than 10 MB"},
		{"/page.html", "not a PNG, JPEG, GIF or WebP image"},
		{"/missing.png", "answered 404 Not Found"},
		{"/fine.png", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			v := r.view("![x](" + srv.URL + tc.path + ")")
			test.Tap(mdtest.Button(test.LaidOutObjects(v), "Load image"))
			r.settle(v)
			got := viewText(v)
			if tc.want == "" {
				if !v.Loaded() {
					t.Fatalf("a small PNG shows %q", got)
				}
				return
			}
			if !strings.Contains(got, tc.want) || strings.Contains(got, "secret reason") {
				t.Errorf("shows %q, want %q", got, tc.want)
			}
		})
	}
	if n := srv.Hits.Load(); n != 5 {
		t.Errorf("%d requests for 5 images", n)
	}
	// A bomb: a few bytes claiming 100,000 × 100,000 pixels is not decoded.
	bomb := base64.StdEncoding.EncodeToString(hugePNG(100000, 100000))
	v := r.view("![bomb](data:image/png;base64," + bomb + ")")
	r.settle(v)
	if got := viewText(v); !strings.Contains(got, "too large (100000 × 100000 pixels)") {
		t.Errorf("a pixel bomb shows %q", got)
	}
}

func TestDataImagesRenderInlineUpTo2MB(t *testing.T) {
	r := newLoaderRig(t)
	small := r.view("![dot](data:image/png;base64," + base64.StdEncoding.EncodeToString(mdtest.PNG(300, 100)) + ")")
	r.settle(small)
	if !small.Loaded() {
		t.Fatalf("a small data: image shows %q", viewText(small))
	}
	// Scaled to fit: in a 150-wide message the 300×100 image is 150×50.
	small.Resize(fyne.NewSize(150, 10))
	if s := small.MinSize(); s.Height != 50 {
		t.Errorf("at width 150 the image is %v tall, want 50", s.Height)
	}
	big := make([]byte, 2<<20+100)
	bigView := r.view("![big](data:image/png;base64," + base64.StdEncoding.EncodeToString(big) + ")")
	r.settle(bigView)
	if got := viewText(bigView); !strings.Contains(got, "over 2 MB") {
		t.Errorf("a 2 MB+ data: image shows %q", got)
	}
	junk := r.view("![junk](data:text/plain,hello)")
	r.settle(junk)
	if got := viewText(junk); !strings.Contains(got, "not a PNG") {
		t.Errorf("a data: text shows %q", got)
	}
	if r.l.Started != 2 { // small and junk; big never started
		t.Errorf("%d decodes started, want 2", r.l.Started)
	}
}

func TestImageCacheIsBoundedInBytes(t *testing.T) {
	c := newImageCache(3 * 100 * 100 * 4)
	img := image.NewRGBA(image.Rect(0, 0, 100, 100))
	img.Set(0, 0, color.White)
	for i := range 5 {
		c.put(fmt.Sprint(i), imageEntry{img: img})
	}
	if c.size > c.max || c.get("0") != nil || c.get("1") != nil || c.get("4") == nil {
		t.Errorf("cache holds %d bytes (max %d); oldest kept: %v", c.size, c.max, c.get("0") != nil)
	}
}

// imageViewsIn returns the image views under o, laid out.
func imageViewsIn(o fyne.CanvasObject) []*ImageView {
	var out []*ImageView
	for _, c := range test.LaidOutObjects(o) {
		if v, ok := c.(*ImageView); ok {
			out = append(out, v)
		}
	}
	return out
}

func viewText(v *ImageView) string { return mdtest.Text(test.LaidOutObjects(v.box)) }
