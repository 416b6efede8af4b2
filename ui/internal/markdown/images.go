package markdown

import (
	"bytes"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
	"image"
	_ "image/gif" // decoders for image.Decode
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"weak"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Images in messages are never fetched on their own. Fyne's markdown turns
// `![x](url)` into an ImageSegment whose visual reads the URL (http.Get,
// file read) on the UI goroutine as soon as the RichText is refreshed, i.e.
// on every re-parse of a streaming block: a channel for prompt-injected
// beacons and a freeze. setMarkdown replaces each of them with an
// imageSegment, whose view is a placeholder naming the host with a "Load
// image" button; a click fetches the image through the bridge, once per URL
// per session (imageLoader). data: images up to 2 MB are decoded without a
// click (nothing leaves the machine); file: and every other scheme never load.
const (
	imageTimeout   = 10 * time.Second
	imageMaxFetch  = 10 << 20 // bytes read from a server at most
	imageMaxData   = 2 << 20  // decoded bytes of a data: image at most
	imageMaxPixels = 24 << 20 // larger images are not decoded (24 megapixels: ~100 MB of RGBA)
	imageMaxSide   = 1280     // decoded images are scaled down to fit this square
	imageCacheSize = 64 << 20 // bytes of decoded images kept per window
	imageMaxHeight = 640      // a shown image is at most this tall (it is scaled to fit)
)

// setMarkdown shows src in rt as Fyne's markdown would, except images (see
// above). rt.ParseMarkdown must never be used for message text: it refreshes
// the RichText with the ImageSegments still in it.
func setMarkdown(rt *widget.RichText, src string, host *imageHost) {
	rt.Segments = markdownSegments(src, host)
	rt.Refresh()
}

// markdownSegments is src parsed as Fyne's markdown, its images replaced by
// placeholders; nothing is built or fetched.
func markdownSegments(src string, host *imageHost) []widget.RichTextSegment {
	return blockSegments(src, true, host)
}

// blockSegments is markdownSegments for a block that may still grow (final
// false): math whose end is not decided yet shows as text (mathscan.go).
func blockSegments(src string, final bool, host *imageHost) []widget.RichTextSegment {
	text, spans := withMath(src, final)
	segs := widget.NewRichTextFromMarkdown(text).Segments // builds no visuals
	dropAddedSpaces(segs, text)
	if hasImage(segs) {
		segs = replaceImages(segs, imageRefs(text), host)
	}
	if len(spans) > 0 {
		budget := &mathBudget{}
		if host != nil {
			budget = &host.math
		}
		budget.block = 0
		segs = placeMath(segs, src, spans, budget)
	}
	return segs
}

func hasImage(segs []widget.RichTextSegment) bool {
	for _, s := range segs {
		switch s := s.(type) {
		case *widget.ImageSegment:
			return true
		case *widget.ParagraphSegment:
			if hasImage(s.Texts) {
				return true
			}
		case *widget.ListSegment:
			if hasImage(s.Items) {
				return true
			}
		}
	}
	return false
}

// replaceImages returns segs with every ImageSegment (also in the
// paragraphs and lists inside them) swapped for an imageSegment. refs holds,
// for each URI Fyne makes of a destination, the images written with it in
// order: Fyne's URI loses the destination (a data: URL becomes "data://…",
// a relative path a file under the working folder) and the alt text.
func replaceImages(segs []widget.RichTextSegment, refs map[string][]imageRef, host *imageHost) []widget.RichTextSegment {
	out := segs[:0:0]
	for _, s := range segs {
		switch s := s.(type) {
		case *widget.ImageSegment:
			key := ""
			if s.Source != nil {
				key = s.Source.String()
			}
			var ref imageRef
			if q := refs[key]; len(q) > 0 {
				ref, refs[key] = q[0], q[1:]
			} else {
				ref = newImageRef(key, s.Title)
			}
			if n := len(out); n > 0 && out[n-1].Inline() {
				// End the text's row first: RichText places a block after
				// text on the text's row, at the full width, past the edge.
				out = append(out, &widget.TextSegment{Style: widget.RichTextStyleParagraph})
			}
			out = append(out, &imageSegment{ref: ref, host: host})
			continue
		case *widget.ParagraphSegment:
			s.Texts = replaceImages(s.Texts, refs, host)
		case *widget.ListSegment:
			s.Items = replaceImages(s.Items, refs, host)
		}
		out = append(out, s)
	}
	return out
}

// imageRefs reads the images of src that Fyne's markdown shows (those not
// inside a link, heading or emphasis, which it flattens to text), keyed the
// way it turns a destination into an ImageSegment's Source
// (widget/markdown_image_notweb.go).
func imageRefs(src string) map[string][]imageRef {
	source := []byte(src)
	doc := goldmark.New().Parser().Parse(text.NewReader(source))
	refs := map[string][]imageRef{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.(type) {
		case *ast.Document, *ast.Paragraph, *ast.List, *ast.ListItem, *ast.TextBlock, *ast.Blockquote:
			return ast.WalkContinue, nil
		case *ast.Image:
		default:
			return ast.WalkSkipChildren, nil
		}
		img := n.(*ast.Image)
		dest := string(img.Destination)
		u, err := storage.ParseURI(dest)
		if err != nil {
			u = storage.NewFileURI(dest)
		}
		refs[u.String()] = append(refs[u.String()], newImageRef(dest, altText(source, img)))
		return ast.WalkSkipChildren, nil
	})
	return refs
}

func altText(source []byte, n ast.Node) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			b.Write(t.Value(source))
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// imageKind says what may be done with an image's address.
type imageKind int

const (
	imageRemote imageKind = iota // http or https: loaded on a click
	imageData                    // data: decoded without a click, up to imageMaxData
	imageNever                   // file:, relative paths, other schemes
)

// imageRef is one image as written in a message.
type imageRef struct {
	url  string // the destination as written
	key  string // what the loader knows the image by: url, or its hash when long
	alt  string
	kind imageKind
	host string // remote: the host name shown in the placeholder
	// local: the address names a file on this computer (file: or a path).
	local bool
	// never says why an image is not loaded (imageNever, or a data: image
	// that is too big or malformed).
	never string
	data  []byte // imageData: the decoded payload
}

func newImageRef(dest, alt string) imageRef {
	dest = strings.TrimSpace(dest)
	r := imageRef{url: dest, key: dest, alt: shorten(strings.TrimSpace(alt), 60)}
	if len(dest) > 256 { // a data: URL of up to ~2.7 MB: kept once per image, hashed
		sum := sha256.Sum256([]byte(dest))
		r.key = "sha256:" + hex.EncodeToString(sum[:])
	}
	if len(dest) >= 5 && strings.EqualFold(dest[:5], "data:") {
		r.kind = imageData
		r.data, r.never = dataURL(dest)
		return r
	}
	u, err := url.Parse(dest)
	r.kind = imageNever
	switch {
	case err != nil || (u.Scheme == "" && u.Host != ""):
		r.never = "Not loaded: the address is not a full web address."
	case strings.EqualFold(u.Scheme, "file") || u.Scheme == "":
		// A path: Fyne would read it, relative to the working folder.
		r.local = true
		r.never = "Not loaded: deskchat never opens files on this computer from a message."
	case (strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")) && u.Hostname() != "":
		r.kind, r.host = imageRemote, u.Hostname()
	default:
		r.never = fmt.Sprintf("Not loaded: only http and https images can be loaded (this one is %s:).", shorten(strings.ToLower(u.Scheme), 16))
	}
	return r
}

// dataURL decodes a data: URL's payload, or says why it will not be shown.
func dataURL(s string) ([]byte, string) {
	meta, payload, ok := strings.Cut(s[5:], ",")
	if !ok {
		return nil, "Not shown: the embedded image is malformed."
	}
	if strings.HasSuffix(strings.ToLower(meta), ";base64") {
		payload = strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, payload)
		if n := base64.StdEncoding.DecodedLen(len(payload)); n > imageMaxData+3 {
			return nil, tooBigData(n)
		}
		b, err := base64.StdEncoding.DecodeString(payload)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(payload, "="))
		}
		if err != nil {
			return nil, "Not shown: the embedded image is malformed."
		}
		if len(b) > imageMaxData {
			return nil, tooBigData(len(b))
		}
		return b, ""
	}
	if len(payload) > 3*imageMaxData {
		return nil, tooBigData(len(payload))
	}
	b, err := url.PathUnescape(payload)
	if err != nil {
		return nil, "Not shown: the embedded image is malformed."
	}
	if len(b) > imageMaxData {
		return nil, tooBigData(len(b))
	}
	return []byte(b), ""
}

func tooBigData(n int) string {
	return fmt.Sprintf("Not shown: embedded images over 2 MB are not shown (this one is %.1f MB).", float64(n)/(1<<20))
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// imageSegment stands for an image in a RichText: a block whose visual is
// an imageView. It holds no loaded data; what was loaded lives in the
// window's imageLoader, so a re-parsed block finds it again.
type imageSegment struct {
	ref  imageRef
	host *imageHost
}

var _ widget.RichTextSegment = (*imageSegment)(nil)

func (s *imageSegment) Inline() bool { return false }

func (s *imageSegment) Textual() string {
	if s.ref.alt != "" {
		return "Image " + s.ref.alt
	}
	return "Image"
}

func (s *imageSegment) Visual() fyne.CanvasObject { return newImageView(s.ref, s.host) }

// Update has nothing to apply: a segment's image never changes.
func (s *imageSegment) Update(fyne.CanvasObject)  {}
func (s *imageSegment) Select(_, _ fyne.Position) {}
func (s *imageSegment) SelectedText() string      { return "" }
func (s *imageSegment) Unselect()                 {}

// imageHost connects an mdView's images to the window's loader. Messages
// are built before the window hands them its loader (newMessageView, then
// window.newView), so views made meanwhile wait in pending.
type imageHost struct {
	loader  *Loader
	pending []*ImageView
	math    mathBudget // the view's math (math.go), shared as its images are
}

// use attaches the window's loader; waiting views look it up at once.
func (h *imageHost) use(l *Loader) {
	h.loader = l
	views := h.pending
	h.pending = nil
	for _, v := range views {
		v.sync()
	}
}

// UseLoader gives the view's images the window's loader: a view is built
// before the window hands it its loader, and its images wait until then.
func (v *View) UseLoader(l *Loader) { v.imageHost().use(l) }

func (v *View) imageHost() *imageHost {
	if v.images == nil {
		v.images = &imageHost{}
	}
	return v.images
}

// Relayout forgets the column's measured blocks: an image inside a final
// block changed its height.
func (v *View) Relayout() { v.col.cached = 0 }

// ImageView shows one image of a message: a placeholder (naming the host,
// with "Load image" for a web image, or saying why it is not loaded), or the
// image scaled to fit the message's width. Its state is read from the
// window's loader each time it changes, so every view of one URL agrees.
type ImageView struct {
	widget.BaseWidget
	ref     imageRef
	host    *imageHost
	watched bool            // known to the loader, which syncs it when its image lands
	built   bool            // shown once: later changes lay the chat out again
	box     *fyne.Container // what is shown
	shown   string          // a key of what box shows, so sync rebuilds only on change
}

func newImageView(ref imageRef, host *imageHost) *ImageView {
	v := &ImageView{ref: ref, host: host, box: container.NewStack()}
	v.ExtendBaseWidget(v)
	if host != nil && host.loader == nil && ref.kind != imageNever {
		host.pending = append(host.pending, v)
	}
	v.sync()
	v.built = true
	return v
}

// Loaded reports whether the view shows its image (not a placeholder).
func (v *ImageView) Loaded() bool { return v.shown == "image" }

// Alt is the image's alt text (shortened to 60 runes).
func (v *ImageView) Alt() string { return v.ref.alt }

func (v *ImageView) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(v.box) }

func (v *ImageView) loader() *Loader {
	if v.host == nil {
		return nil
	}
	return v.host.loader
}

// sync shows what is known of the image now.
func (v *ImageView) sync() {
	l := v.loader()
	var e *imageEntry
	loading := false
	if l != nil {
		if !v.watched && v.ref.kind != imageNever {
			v.watched = true
			l.watch(v)
		}
		e = l.cache.get(v.ref.key)
		loading = l.loading[v.ref.key]
	}
	switch {
	case e != nil && e.img != nil:
		v.showImage(e.img)
	case e != nil:
		v.showNote("failed", v.headline(), e.sentence, nil)
	case v.ref.never != "":
		v.showNote("never", v.headline(), v.ref.never, nil)
	case loading:
		if v.ref.kind == imageData {
			v.showNote("data", v.headline(), "", nil)
			break
		}
		b := widget.NewButtonWithIcon("Loading…", theme.DownloadIcon(), nil)
		b.Disable()
		v.showNote("loading", v.headline(), "", b)
	case v.ref.kind == imageData:
		v.showNote("data", v.headline(), "", nil)
		if l != nil {
			l.load(v) // decoded without a click: nothing leaves the machine
		}
	default:
		b := widget.NewButtonWithIcon("Load image", theme.DownloadIcon(), v.load)
		if l == nil {
			b.Disable()
		}
		v.showNote("remote", v.headline(), "", b)
	}
}

// load is the "Load image" button.
func (v *ImageView) load() {
	if l := v.loader(); l != nil {
		l.load(v)
	}
}

func (v *ImageView) headline() string {
	what := "Image"
	if v.ref.kind == imageData {
		what = "Embedded image"
	}
	if v.ref.alt != "" {
		what += " “" + v.ref.alt + "”"
	}
	switch {
	case v.ref.kind == imageRemote:
		return what + " from " + v.ref.host
	case v.ref.local:
		return what + " from a file on this computer"
	}
	return what
}

// showNote shows the placeholder: an icon, the headline, an optional
// sentence under it and an optional button.
func (v *ImageView) showNote(key, headline, sentence string, btn *widget.Button) {
	key += "\x00" + headline + "\x00" + sentence
	if btn != nil {
		key += fmt.Sprintf("\x00%s\x00%v", btn.Text, btn.Disabled())
	}
	if key == v.shown {
		return
	}
	v.shown = key
	// Outlined like a table (mdview.go): a frame where the image would be.
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	bg.StrokeWidth = 1
	bg.CornerRadius = theme.InputRadiusSize()
	title := widget.NewLabel(headline)
	title.Truncation = fyne.TextTruncateEllipsis
	// The two lines sit closer than labels do on their own.
	lines := container.New(layout.NewCustomPaddedVBoxLayout(-theme.InnerPadding()), title)
	if sentence != "" {
		why := widget.NewLabel(sentence)
		why.Truncation = fyne.TextTruncateEllipsis
		why.Importance, why.SizeName = look.HintStyle(widget.MediumImportance)
		lines.Add(why)
		title.Importance = widget.LowImportance
	}
	var right fyne.CanvasObject
	if btn != nil {
		right = container.NewCenter(btn)
	}
	icon := widget.NewIcon(theme.MediaPhotoIcon())
	row := container.NewBorder(nil, nil, container.NewCenter(icon), right, lines)
	v.box.Objects = []fyne.CanvasObject{bg, container.New(layout.NewCustomPaddedLayout(0, 0, 6, 6), row)}
	v.changed()
}

func (v *ImageView) showImage(img image.Image) {
	if v.shown == "image" {
		return
	}
	v.shown = "image"
	c := canvas.NewImageFromImage(img)
	c.FillMode = canvas.ImageFillContain
	c.ScaleMode = canvas.ImageScaleSmooth
	b := img.Bounds()
	v.box.Objects = []fyne.CanvasObject{container.New(&imageFit{v: v, w: float32(b.Dx()), h: float32(b.Dy())}, c)}
	v.changed()
}

// changed redraws the view; its height may have changed, so the loader
// has the chat laid out again.
func (v *ImageView) changed() {
	if !v.built {
		return
	}
	v.box.Refresh()
	v.Refresh()
	if l := v.loader(); l != nil {
		l.changedSoon()
	}
}

// imageFit places an image at its natural size, scaled down to the view's
// width and to imageMaxHeight, keeping its shape.
type imageFit struct {
	v    *ImageView
	w, h float32 // the image's size in pixels
}

func (f *imageFit) size(width float32) fyne.Size {
	if width <= 0 || width > f.w {
		width = f.w
	}
	h := f.h * width / f.w
	if h > imageMaxHeight {
		width, h = width*imageMaxHeight/h, imageMaxHeight
	}
	return fyne.NewSize(width, h)
}

func (f *imageFit) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	s := f.size(size.Width)
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(s)
	}
}

// MinSize is as tall as the image is at the view's width, and narrow, so
// that a table cell holding an image does not widen its table.
func (f *imageFit) MinSize([]fyne.CanvasObject) fyne.Size {
	s := f.size(f.v.Size().Width)
	return fyne.NewSize(fyne.Min(s.Width, 48), s.Height)
}

// imageEntry is what became of one URL: an image or a sentence saying why
// there is none.
type imageEntry struct {
	img      image.Image
	sentence string
}

// Loader fetches and decodes the images of one window's messages, at
// most once per URL while the entry is cached. It belongs to the UI
// goroutine; the work runs on the bridge.
type Loader struct {
	b      *bridge.Bridge
	ctx    context.Context // the window's: closing it stops fetches
	Client *http.Client
	// Timeout returns a channel that fires when a fetch has taken too long
	// (imageTimeout); tests fire it themselves.
	Timeout func() <-chan time.Time
	cache   *imageCache
	loading map[string]bool // URLs under way
	// views are the views of each URL not yet collected: a streaming block
	// makes new ones every frame, so the loader must not keep them alive.
	views   map[string][]weak.Pointer[ImageView]
	Started int // fetches and decodes started (tests read it)
	// Changed lays the chats out again; changedSoon calls it at most once a
	// frame.
	Changed func()
	pending *time.Timer
}

func NewLoader(b *bridge.Bridge, ctx context.Context) *Loader {
	return &Loader{
		b:   b,
		ctx: ctx,
		Client: &http.Client{CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			return nil
		}},
		Timeout: func() <-chan time.Time { return time.After(imageTimeout) },
		cache:   newImageCache(imageCacheSize),
		loading: map[string]bool{},
		views:   map[string][]weak.Pointer[ImageView]{},
	}
}

// load starts fetching (or decoding) v's image unless it is known or under
// way already.
func (l *Loader) load(v *ImageView) {
	ref := v.ref
	if ref.kind == imageNever || l.cache.get(ref.key) != nil {
		v.sync()
		return
	}
	if l.loading[ref.key] {
		v.sync()
		return
	}
	l.loading[ref.key] = true
	l.Started++
	bridge.RunWithin(l.b, l.ctx, l.Timeout(), func(ctx context.Context) imageEntry {
		if ref.kind == imageData {
			return decodeImage(ref.data)
		}
		return fetchImage(ctx, l.Client, ref)
	}, func(e imageEntry) {
		delete(l.loading, ref.key)
		l.cache.put(ref.key, e)
		for _, p := range l.views[ref.key] {
			if w := p.Value(); w != nil {
				w.sync()
			}
		}
	})
	v.sync()
}

// watch remembers v, weakly, among the views of its URL; collected views
// are dropped whenever the list has doubled.
func (l *Loader) watch(v *ImageView) {
	ps := l.views[v.ref.key]
	if len(ps) >= 8 && len(ps) == cap(ps) {
		live := ps[:0]
		for _, p := range ps {
			if p.Value() != nil {
				live = append(live, p)
			}
		}
		clear(ps[len(live):])
		ps = live
	}
	l.views[v.ref.key] = append(ps, weak.Make(v))
}

func (l *Loader) changedSoon() {
	if l.Changed == nil || l.pending != nil {
		return
	}
	l.pending = l.b.After(bridge.FrameInterval, func() {
		l.pending = nil
		l.Changed()
	})
}

// fetchImage reads a web image, bounded in time (the context) and size.
func fetchImage(ctx context.Context, client *http.Client, ref imageRef) imageEntry {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.url, nil)
	if err != nil {
		return imageEntry{sentence: "Not loaded: the address is not a valid web address."}
	}
	req.Header.Set("Accept", "image/png,image/jpeg,image/gif,image/webp")
	resp, err := client.Do(req)
	if err != nil {
		return imageEntry{sentence: fetchFailed(ctx, ref)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The status code only: the server's reason phrase is its own text.
		return imageEntry{sentence: fmt.Sprintf("Not loaded: %s answered %d %s.", ref.host, resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	if resp.ContentLength > imageMaxFetch {
		return imageEntry{sentence: tooBigFetch}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, imageMaxFetch+1))
	if err != nil {
		return imageEntry{sentence: fetchFailed(ctx, ref)}
	}
	if len(data) > imageMaxFetch {
		return imageEntry{sentence: tooBigFetch}
	}
	return decodeImage(data)
}

const tooBigFetch = "Not shown: the image is larger than 10 MB."

func fetchFailed(ctx context.Context, ref imageRef) string {
	switch {
	case errors.Is(context.Cause(ctx), bridge.ErrTimedOut):
		return fmt.Sprintf("Not loaded: the image did not arrive within %s.", format.Duration(imageTimeout))
	case ctx.Err() != nil:
		return "Not loaded: loading was stopped."
	}
	return fmt.Sprintf("Not loaded: %s could not be reached.", ref.host)
}

// decodeImage decodes PNG, JPEG, GIF (its first frame) or WebP, refusing
// images whose pixels would not fit in memory, and scales big ones down.
func decodeImage(data []byte) imageEntry {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	switch {
	case err != nil || !(format == "png" || format == "jpeg" || format == "gif" || format == "webp"):
		return imageEntry{sentence: "Not shown: this is not a PNG, JPEG, GIF or WebP image."}
	case cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > imageMaxPixels:
		return imageEntry{sentence: fmt.Sprintf("Not shown: the image is too large (%d × %d pixels).", cfg.Width, cfg.Height)}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return imageEntry{sentence: "Not shown: the image data is damaged."}
	}
	return imageEntry{img: scaleDown(img, imageMaxSide)}
}

// scaleDown fits img into a side×side square: the view never shows more,
// and the cache then holds at most side²×4 bytes per image.
func scaleDown(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= side && h <= side {
		return img
	}
	if w >= h {
		w, h = side, max(1, h*side/w)
	} else {
		w, h = max(1, w*side/h), side
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}

// imageCache keeps what became of each URL, least recently used first out
// once the decoded images pass max bytes. An evicted image shows its
// placeholder again.
type imageCache struct {
	max, size int
	order     *list.List // of *cacheItem, most recent first
	items     map[string]*list.Element
}

type cacheItem struct {
	url   string
	entry imageEntry
	size  int
}

func newImageCache(max int) *imageCache {
	return &imageCache{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *imageCache) get(url string) *imageEntry {
	el, ok := c.items[url]
	if !ok {
		return nil
	}
	c.order.MoveToFront(el)
	return &el.Value.(*cacheItem).entry
}

func (c *imageCache) put(url string, e imageEntry) {
	if el, ok := c.items[url]; ok {
		c.size -= el.Value.(*cacheItem).size
		c.order.Remove(el)
	}
	size := len(url) + len(e.sentence)
	if e.img != nil {
		b := e.img.Bounds()
		size += b.Dx() * b.Dy() * 4
	}
	c.items[url] = c.order.PushFront(&cacheItem{url: url, entry: e, size: size})
	c.size += size
	for c.size > c.max && c.order.Len() > 1 {
		el := c.order.Back()
		it := el.Value.(*cacheItem)
		c.order.Remove(el)
		delete(c.items, it.url)
		c.size -= it.size
	}
}
