package transfer

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// An exported page opened in a real browser: headless Chromium (Debian's
// chromium, installed by `make deps-test`) loads it from disk and takes a
// screenshot. Every address in the messages points at a test server that
// counts the requests it gets: the export must cause none. A control page
// with the same image and no Content-Security-Policy must cause one, or the
// count proves nothing (a browser that fetched nothing at all).

const chromiumBin = "/usr/bin/chromium"

// hits counts a test server's requests by path.
type hits struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *hits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.n[r.URL.Path]++
	h.mu.Unlock()
	w.Header().Set("Content-Type", "image/png")
	w.Write([]byte("not really a png"))
}

func (h *hits) count() (total int, paths []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for p, n := range h.n {
		total += n
		paths = append(paths, p)
	}
	return total, paths
}

// screenshot opens page (a file) in headless Chromium and returns the PNG
// it took. Options are Chromium's flags added to the usual ones.
func screenshot(t *testing.T, name, page string, options ...string) image.Image {
	t.Helper()
	if _, err := os.Stat(chromiumBin); err != nil {
		t.Fatalf("%s is not installed; `make deps-test` installs it (Debian package chromium)", chromiumBin)
	}
	dir := t.TempDir()
	shot := filepath.Join(dir, "shot.png")
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1000,2600",
		"--virtual-time-budget=3000", "--screenshot=" + shot}, options...)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumBin, append(args, "file://"+page)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out.String())
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, out.String())
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("DESKCHAT_SHOT_DIR"); keep != "" {
		// For a person to look at: `DESKCHAT_SHOT_DIR=/tmp go test -run Chromium`.
		b, _ := os.ReadFile(shot)
		os.WriteFile(filepath.Join(keep, "export-"+name+".png"), b, 0o644)
	}
	return img
}

// redSquare is a 40x40 red PNG as a data: URL.
func redSquare(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+3] = 255, 255
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

// redPixels counts the pixels of img that are pure red, give or take
// colour management.
func redPixels(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			if c.R > 230 && c.G < 30 && c.B < 30 {
				n++
			}
		}
	}
	return n
}

// colours counts the distinct colours of img (up to 1,000): a page drawn
// with text, code colours and tables has many; a blank one has one.
func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= 1000 {
				return len(seen)
			}
		}
	}
	return len(seen)
}

func TestChromiumOpensAnExportWithoutARequest(t *testing.T) {
	h := &hits{n: map[string]int{}}
	srv := httptest.NewServer(h)
	defer srv.Close()
	u := srv.URL
	d := richDump(u + "/markdown-image.png")
	d.Messages = append(d.Messages, store.Message{Seq: 3, Role: store.RoleAssistant, State: store.StateDone, CreatedAt: t0,
		Content: strings.Join([]string{
			`<img src="` + u + `/raw-img.png">`,
			`<script src="` + u + `/script.js"></script>`,
			`<link rel="stylesheet" href="` + u + `/style.css">`,
			`<style>body{background:url(` + u + `/css-url.png)}</style>`,
			`<iframe src="` + u + `/iframe.html"></iframe>`,
			`<video src="` + u + `/video.mp4" autoplay></video>`,
			`<object data="` + u + `/object.bin"></object>`,
			"",
			"![ref image][r] and " + u + "/autolink.png and <" + u + "/angle.png>",
			"",
			"[r]: " + u + "/reference.png",
			"",
			"A red square kept inside the file: ![red](" + redSquare(t) + ")",
		}, "\n")})
	st := openStore(t)
	seed(t, st, []store.Import{{Dump: d}})
	dir := t.TempDir()
	page := filepath.Join(dir, "export.html")
	if _, err := ExportFile(ctx, st, page, ExportOptions{Format: HTML, Time: t0}); err != nil {
		t.Fatal(err)
	}

	img := screenshot(t, "light", page)
	if n, paths := h.count(); n != 0 {
		t.Fatalf("opening the export made %d requests: %v", n, paths)
	}
	if c := colours(img); c < 20 {
		t.Errorf("the screenshot has %d colours: is the page blank?", c)
	}
	if n := redPixels(img); n < 40*40 {
		t.Errorf("the screenshot has %d red pixels: the data: image (40x40) was not drawn", n)
	}
	screenshot(t, "dark", page, "--force-dark-mode", "--blink-settings=preferredColorScheme=0")
	if n, paths := h.count(); n != 0 {
		t.Fatalf("opening the export in dark mode made %d requests: %v", n, paths)
	}

	// The control: the same browser, flags and server fetch an image on a
	// page that allows it.
	control := filepath.Join(dir, "control.html")
	if err := os.WriteFile(control, []byte(`<!DOCTYPE html><html><body><img src="`+u+`/control.png"></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	screenshot(t, "control", control)
	if n, paths := h.count(); n != 1 || paths[0] != "/control.png" {
		t.Fatalf("the control page made %d requests (%v), want 1: the browser fetches nothing, the test proves nothing", n, paths)
	}
}
