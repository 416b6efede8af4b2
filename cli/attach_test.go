package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// writePNG writes a w×h PNG at path and returns its bytes.
func writePNG(t *testing.T, path string, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lastParts returns the content of the last message of the server's last
// request as parts (nil when it is a string).
func lastParts(t *testing.T, cs *chatServer) []map[string]any {
	t.Helper()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.msgs) == 0 {
		t.Fatal("the server saw no request")
	}
	msgs := cs.msgs[len(cs.msgs)-1]
	last, _ := msgs[len(msgs)-1].(map[string]any)
	arr, _ := last["content"].([]any)
	var out []map[string]any
	for _, p := range arr {
		m, _ := p.(map[string]any)
		out = append(out, m)
	}
	return out
}

// TestAskAttachSendsTheFilesAndShowListsThem: the real deskchat, in a
// child process, sends a picture and a text file with the prompt and the
// piped text: the question's text, then the image as a data: URL, then the
// file fenced and named. "show" lists the files; "show --json" gives each
// one's name, mime, size and sha256.
func TestAskAttachSendsTheFilesAndShowListsThem(t *testing.T) {
	srv := newChatServer(t, "A red dot.")
	dir, files := t.TempDir(), t.TempDir()
	pic := filepath.Join(files, "dot.png")
	picBytes := writePNG(t, pic, 40, 30)
	notes := filepath.Join(files, "notes.md")
	os.WriteFile(notes, []byte("# Notes\nthe dot is red\n"), 0o600)

	r := pipeChild(t, strings.NewReader("piped words\n"), "ask", "what is this?", "--attach", pic, "--attach", notes,
		"--base-url", srv.URL, "--model", "gpt-4o", "--data-dir", dir)
	if r.code != ExitOK || r.stdout != "A red dot.\n" {
		t.Fatalf("ask: %d %q %q", r.code, r.stdout, r.stderr)
	}
	parts := lastParts(t, srv)
	if len(parts) != 3 {
		t.Fatalf("%d parts: %v", len(parts), parts)
	}
	if parts[0]["type"] != "text" || parts[0]["text"] != "what is this?\n\npiped words\n" {
		t.Errorf("text part %v", parts[0])
	}
	iu, _ := parts[1]["image_url"].(map[string]any)
	url, _ := iu["url"].(string)
	b64, ok := strings.CutPrefix(url, "data:image/jpeg;base64,")
	data, err := base64.StdEncoding.DecodeString(b64)
	if parts[1]["type"] != "image_url" || iu["detail"] != "high" || !ok || err != nil {
		t.Fatalf("image part %.200v", parts[1])
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err != nil || cfg.Width != 40 || cfg.Height != 30 {
		t.Errorf("the image decodes to %v (%v)", cfg, err)
	}
	if want := attach.Prompt("notes.md", "# Notes\nthe dot is red\n"); parts[2]["type"] != "text" || parts[2]["text"] != want {
		t.Errorf("file part %v, want %q", parts[2], want)
	}

	r = run(t, nil, "", "list", "--json", "--data-dir", dir)
	var convs []map[string]any
	json.Unmarshal([]byte(r.stdout), &convs)
	id := convs[0]["id"].(string)
	r = run(t, nil, "", "show", id, "--data-dir", dir)
	want := fmt.Sprintf("[attached: dot.png, %s, 40×30]\n[attached: notes.md, %s]\n", format.Size(int64(len(picBytes))), format.Size(23))
	if r.code != ExitOK || !strings.Contains(r.stdout, "what is this?\n\npiped words\n\n\n"+want) {
		t.Errorf("show:\n%s", r.stdout)
	}
	r = run(t, nil, "", "show", "--json", id, "--data-dir", dir)
	var msgs []struct {
		Role        string           `json:"role"`
		Attachments []map[string]any `json:"attachments"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &msgs); err != nil || len(msgs) != 2 {
		t.Fatalf("show --json: %v\n%s", err, r.stdout)
	}
	a := msgs[0].Attachments
	if len(a) != 2 || a[0]["name"] != "dot.png" || a[0]["mime"] != "image/png" || a[0]["size"] != float64(len(picBytes)) || a[0]["sha256"] != store.SHA256(picBytes) ||
		a[1]["name"] != "notes.md" || a[1]["sha256"] != store.SHA256([]byte("# Notes\nthe dot is red\n")) {
		t.Errorf("attachments %v", a)
	}
	if msgs[1].Attachments != nil {
		t.Errorf("the answer lists %v", msgs[1].Attachments)
	}
	if strings.Contains(r.stdout, base64.StdEncoding.EncodeToString(picBytes[:30])) {
		t.Error("show --json prints the file's bytes")
	}
}

// TestAskAttachWithoutAPrompt: the files alone are the question when
// stdin is not a pipe (here /dev/null).
func TestAskAttachWithoutAPrompt(t *testing.T) {
	srv := newChatServer(t, "A picture.")
	pic := filepath.Join(t.TempDir(), "p.png")
	writePNG(t, pic, 8, 8)
	r := pipeChild(t, nil, "ask", "--attach", pic, "--base-url", srv.URL, "--model", "gpt-4o", "--data-dir", t.TempDir())
	if r.code != ExitOK {
		t.Fatalf("%d %q", r.code, r.stderr)
	}
	if parts := lastParts(t, srv); len(parts) != 1 || parts[0]["type"] != "image_url" {
		t.Errorf("sent %v", parts)
	}
}

// TestAskAttachRefusalsAreOneSentence: a file that cannot go (missing, a
// folder, binary, a damaged image, too many) is a usage error: one line
// naming it, exit 2, nothing sent and no history made.
func TestAskAttachRefusalsAreOneSentence(t *testing.T) {
	srv := newChatServer(t, "never")
	files := t.TempDir()
	bin := filepath.Join(files, "prog.bin")
	os.WriteFile(bin, []byte("\x7fELF\x02\x01\x01\x00\x00\x00binary\x00\x00"), 0o600)
	broken := filepath.Join(files, "broken.png")
	os.WriteFile(broken, []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRdamaged"), 0o600)
	var many []string
	for i := range attach.MaxFiles + 1 {
		p := filepath.Join(files, fmt.Sprintf("n%d.txt", i))
		os.WriteFile(p, []byte("note"), 0o600)
		many = append(many, "--attach", p)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"missing", []string{"--attach", filepath.Join(files, "nope.png")}, "nope.png"},
		{"a folder", []string{"--attach", files}, "folder"},
		{"binary", []string{"--attach", bin}, "prog.bin"},
		{"damaged image", []string{"--attach", broken}, "broken.png"},
		{"too many", many, "at most 20 files"},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		r := run(t, nil, "", append([]string{"ask", "look", "--base-url", srv.URL, "--model", "gpt-4o", "--data-dir", dir}, c.args...)...)
		if r.code != ExitUsage || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "%!") {
			t.Errorf("%s: %d %q", c.name, r.code, r.stderr)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: the data folder was made", c.name)
		}
	}
	if n := srv.requests(); n != 0 {
		t.Errorf("the server saw %d requests", n)
	}
}

// TestAskAttachToAModelThatCannotSee: the failure is one sentence on
// stderr, exit 1, and the question keeps its file in the history.
func TestAskAttachToAModelThatCannotSee(t *testing.T) {
	srv := newChatServer(t, "never")
	dir := t.TempDir()
	pic := filepath.Join(t.TempDir(), "p.png")
	writePNG(t, pic, 8, 8)
	r := run(t, nil, "", "ask", "what is it", "--attach", pic, "--base-url", srv.URL, "--model", "gpt-3.5-turbo", "--data-dir", dir)
	if r.code != ExitFailure || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "gpt-3.5-turbo cannot read images") {
		t.Fatalf("%d %q", r.code, r.stderr)
	}
	if srv.requests() != 0 {
		t.Errorf("%d requests", srv.requests())
	}
	st, err := store.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	convs, _ := st.Conversations()
	msgs, _ := st.Messages(convs[0].ID)
	if len(msgs) != 2 || len(msgs[0].Attachments) != 1 || msgs[1].State != store.StateFailed {
		t.Errorf("stored %+v", msgs)
	}
}
