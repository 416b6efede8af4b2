package transfer

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	_ "golang.org/x/image/webp"

	"github.com/deskchat/deskchat/store"
)

// The images of a ChatGPT export. A question's picture is a part of its
// "multimodal_text" content: {"content_type":"image_asset_pointer",
// "asset_pointer":"file-service://file-AbC…" (or "sediment://file_0000…"),
// "width":…,"height":…}; the export's zip holds the file itself, named
// after the pointer's id ("file-AbC…-IMG_1234.jpeg", "file_0000…-<uuid>.png",
// at the top or in a folder such as dalle-generations/), and the message's
// metadata.attachments may give the name it was uploaded under. An image
// found is imported as an attachment; one not in the archive (a bare
// conversations.json, or an export without its files) stays a placeholder
// such as "[image]". Each file read is bounded (maxAttachmentBytes, and
// archive/zip refuses an entry that holds more than it declares), and read
// once per conversation however many messages show it.

// gptAssets finds the files of a ChatGPT export by their pointer ids: the
// entries of its zip archive, or the files beside a conversations.json
// imported from an unpacked export.
type gptAssets struct {
	names []string // base names, sorted
	files []asset  // in the same order
}

type asset struct {
	size int64
	open func() (io.ReadCloser, error)
}

// maxAssets bounds the files an import indexes.
const maxAssets = 200_000

// assetName reports whether a file's base name may be an export's asset.
func assetName(base string) bool {
	return strings.HasPrefix(base, "file-") || strings.HasPrefix(base, "file_")
}

func (g *gptAssets) add(base string, a asset) {
	if len(g.names) < maxAssets && assetName(base) {
		g.names = append(g.names, base)
		g.files = append(g.files, a)
	}
}

func (g *gptAssets) sort() {
	sort.Sort(byName{g})
}

type byName struct{ g *gptAssets }

func (b byName) Len() int           { return len(b.g.names) }
func (b byName) Less(i, j int) bool { return b.g.names[i] < b.g.names[j] }
func (b byName) Swap(i, j int) {
	b.g.names[i], b.g.names[j] = b.g.names[j], b.g.names[i]
	b.g.files[i], b.g.files[j] = b.g.files[j], b.g.files[i]
}

// zipAssets indexes the asset entries of a zip archive.
func zipAssets(zr *zip.Reader) *gptAssets {
	g := new(gptAssets)
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		g.add(path.Base(strings.ReplaceAll(f.Name, "\\", "/")), asset{size: int64(min(f.UncompressedSize64, 1<<62)), open: func() (io.ReadCloser, error) {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			return struct {
				io.Reader
				io.Closer
			}{&capReader{r: rc, left: int64(min(f.UncompressedSize64, 1<<62))}, rc}, nil
		}})
	}
	g.sort()
	return g
}

// dirAssets indexes the asset files in dir and its immediate subfolders
// (dalle-generations/, user-…/): an unpacked export. Only regular files
// count, not links.
func dirAssets(dir string) *gptAssets {
	g := new(gptAssets)
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		entries, err := os.ReadDir(d)
		if err != nil {
			return
		}
		for _, e := range entries {
			p := filepath.Join(d, e.Name())
			switch {
			case e.IsDir() && depth == 0:
				walk(p, 1)
			case e.Type().IsRegular() && assetName(e.Name()):
				fi, err := e.Info()
				if err != nil {
					continue
				}
				g.add(e.Name(), asset{size: fi.Size(), open: func() (io.ReadCloser, error) { return os.Open(p) }})
			}
		}
	}
	walk(dir, 0)
	g.sort()
	return g
}

// find returns the file of the pointer id (file-AbC…), and its base name.
func (g *gptAssets) find(id string) (asset, string, bool) {
	if g == nil || id == "" {
		return asset{}, "", false
	}
	for i := sort.SearchStrings(g.names, id); i < len(g.names) && strings.HasPrefix(g.names[i], id); i++ {
		if rest := g.names[i][len(id):]; rest == "" || rest[0] == '-' || rest[0] == '.' {
			return g.files[i], g.names[i], true
		}
	}
	return asset{}, "", false
}

// pointerID is the file id of an asset pointer: "file-AbC" of
// "file-service://file-AbC", or "" when it is not one.
func pointerID(p string) string {
	_, id, ok := strings.Cut(p, "://")
	if !ok || len(id) > 200 || !assetName(id) {
		return ""
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return ""
		}
	}
	return id
}

// gptImagePart is an image part of a ChatGPT message.
type gptImagePart struct {
	AssetPointer string `json:"asset_pointer"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
}

// errNotImage: the file a pointer names is not an image deskchat reads.
var errNotImage = errors.New("not a PNG, JPEG, GIF or WebP image")

// image reads the image part p as an attachment; names are the names the
// message's files were uploaded under, by id. The conversation's cache
// keeps each file read once.
func (g *gptConversation) image(p gptImagePart, names map[string]string) (store.Attachment, error) {
	id := pointerID(p.AssetPointer)
	if a, ok := g.cache[id]; ok {
		return a, nil
	}
	f, base, ok := g.assets().find(id)
	if !ok {
		return store.Attachment{}, errAssetMissing
	}
	if f.size > maxAttachmentBytes {
		return store.Attachment{}, fmt.Errorf("%w: %d bytes", ErrTooLarge, f.size)
	}
	rc, err := f.open()
	if err != nil {
		return store.Attachment{}, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxAttachmentBytes+1))
	if err != nil {
		return store.Attachment{}, err
	}
	if int64(len(data)) > maxAttachmentBytes {
		return store.Attachment{}, ErrTooLarge
	}
	mime := http.DetectContentType(data)
	switch mime {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
	default:
		return store.Attachment{}, errNotImage
	}
	w, h := p.Width, p.Height
	if w <= 0 || h <= 0 {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return store.Attachment{}, fmt.Errorf("%w: %w", errNotImage, err)
		}
		w, h = cfg.Width, cfg.Height
	}
	name := names[id]
	if name == "" {
		name = strings.TrimLeft(strings.TrimPrefix(base, id), "-")
		if name == "" || strings.HasPrefix(name, ".") {
			name = base
		}
	}
	name = shorten(oneLine(name), maxAttachmentName)
	if path.Ext(name) == "" {
		name += extensionOf(mime)
	}
	a := store.Attachment{Name: name, Mime: mime, Size: int64(len(data)), SHA256: store.SHA256(data), Width: w, Height: h,
		Tokens: imageTokens(w, h), Data: data}
	if g.cache == nil {
		g.cache = make(map[string]store.Attachment)
	}
	g.cache[id] = a
	return a, nil
}

// errAssetMissing: the export does not hold the file a pointer names.
var errAssetMissing = errors.New("not in the export")

// imageTokens is OpenAI's estimate for an image of w×h sent with detail
// "high": fitted within 2048×2048, then its short side to at most 768,
// 85 tokens plus 170 per 512-pixel tile. The same as attach.Fit and
// attach.ImageTokens, which this package cannot import (store knows
// nothing of the engine, whose tokenizer attach uses).
func imageTokens(w, h int) int {
	if w <= 0 || h <= 0 {
		return 85
	}
	scale := 1.0
	if m := max(w, h); m > 2048 {
		scale = 2048 / float64(m)
	}
	if s := float64(min(w, h)) * scale; s > 768 {
		scale *= 768 / s
	}
	fw, fh := max(1, int(float64(w)*scale+0.5)), max(1, int(float64(h)*scale+0.5))
	return 85 + 170*((fw+511)/512)*((fh+511)/512)
}
