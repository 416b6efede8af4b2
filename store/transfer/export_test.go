package transfer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func TestExportGolden(t *testing.T) {
	st := openStore(t)
	seed(t, st, sample())
	for _, tc := range []struct {
		name string
		opts ExportOptions
	}{
		{"export.json", ExportOptions{Format: JSON}},
		{"export.md", ExportOptions{Format: Markdown}},
		{"export.html", ExportOptions{Format: HTML}},
		{"export-branches.md", ExportOptions{Format: Markdown, AllBranches: true}},
		{"export-branches.html", ExportOptions{Format: HTML, AllBranches: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exportString(t, st, tc.opts)
			path := filepath.Join("testdata", "golden", tc.name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("export differs from %s (run with -update if the change is meant):\n%s", path, got)
			}
		})
	}
}

// TestJSONRoundTripIsLossless exports and imports into an empty store: every
// conversation comes back identical, field by field.
func TestJSONRoundTripIsLossless(t *testing.T) {
	src := openStore(t)
	seed(t, src, sample())
	seed(t, src, []store.Import{{Dump: everyField()}})
	data := exportString(t, src, ExportOptions{})

	dst := openStore(t)
	rep := mustImport(t, dst, data, Auto)
	if rep.Format != Deskchat || rep.Conversations != 3 || rep.Messages != 10 || rep.Already != 0 || rep.SkippedCount != 0 {
		t.Fatalf("report %+v", rep)
	}
	equal(t, "conversations after the round trip", dumps(t, dst), dumps(t, src))

	// The same file again adds nothing; neither does importing it into the
	// store it came from.
	for _, st := range []*store.Store{dst, src} {
		if rep := mustImport(t, st, data, Deskchat); rep.Conversations != 0 || rep.Already != 3 {
			t.Errorf("re-import: %+v", rep)
		}
	}
	equal(t, "after re-imports", dumps(t, dst), dumps(t, src))
}

// everyField is a conversation with every field of the store's records set
// to something other than its zero value, found by reflection: a field added
// to store.Conversation, Message or Summary and forgotten by the export
// fails TestJSONRoundTripIsLossless.
func everyField() store.Dump {
	var d store.Dump
	fill(reflect.ValueOf(&d.Conversation).Elem(), 1)
	d.Conversation.ID = "everyfield01"
	d.Summary = new(store.Summary)
	fill(reflect.ValueOf(d.Summary).Elem(), 2)
	d.Messages = make([]store.Message, 1)
	fill(reflect.ValueOf(&d.Messages[0]).Elem(), 3)
	d.Messages[0].Role, d.Messages[0].State = store.RoleAssistant, store.StateFailed
	d.Messages[0].Tools = make([]store.ToolUse, 2)
	for i := range d.Messages[0].Tools {
		fill(reflect.ValueOf(&d.Messages[0].Tools[i]).Elem(), 4+i)
	}
	return d
}

func fill(v reflect.Value, n int) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(fmt.Sprintf("%s-%d", v.Type().Field(i).Name, n))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(10*n + i))
		case reflect.Uint64:
			f.SetUint(uint64(10*n + i))
		case reflect.Struct:
			if f.Type() == reflect.TypeOf(time.Time{}) {
				f.Set(reflect.ValueOf(t0.Add(time.Duration(n*100+i) * time.Millisecond)))
			}
		}
	}
}

func TestExportJSONShapeAndNoSecrets(t *testing.T) {
	st := openStore(t)
	seed(t, st, sample())
	if err := st.PutProvider(store.Provider{Name: "secretive", Kind: store.KindCompatible, BaseURL: "https://private.example/v1", Model: "m", KeyEnv: "MY_SECRET_KEY_VAR"}); err != nil {
		t.Fatal(err)
	}
	data := exportString(t, st, ExportOptions{})
	var file struct {
		Format        string            `json:"format"`
		Version       int               `json:"version"`
		ExportedAt    time.Time         `json:"exported_at"`
		Conversations []json.RawMessage `json:"conversations"`
	}
	if err := json.Unmarshal([]byte(data), &file); err != nil {
		t.Fatal(err)
	}
	if file.Format != "deskchat" || file.Version != 1 || !file.ExportedAt.Equal(t0.Add(48*time.Hour)) || len(file.Conversations) != 2 {
		t.Errorf("header %+v", file)
	}
	if !strings.HasPrefix(data, `{"format":"deskchat","version":1,`) {
		t.Errorf("format must come first (detection reads it): %.60s", data)
	}
	for _, secret := range []string{"MY_SECRET_KEY_VAR", "private.example", "secretive"} {
		if strings.Contains(data, secret) {
			t.Errorf("export contains provider setting %q", secret)
		}
	}
}

// headingsOutsideCode returns the Markdown heading lines that a CommonMark
// reader sees as headings: not inside a fenced code block, nor inside an
// HTML block that runs to its terminator (<pre>…</pre>, <!-- … -->, …).
func headingsOutsideCode(md string) []string {
	var (
		out     []string
		ch      byte
		open    int
		htmlEnd []string
	)
	md = strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(md)
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		run := 0
		for run < len(trimmed) && (trimmed[run] == '`' || trimmed[run] == '~') && trimmed[run] == trimmed[0] {
			run++
		}
		lower := strings.ToLower(line)
		ends := func(terms []string) bool {
			for _, e := range terms {
				if strings.Contains(lower, e) {
					return true
				}
			}
			return false
		}
		switch {
		case open > 0:
			if indent < 4 && run >= open && trimmed[0] == ch && strings.TrimRight(trimmed[run:], " \t") == "" {
				open = 0
			}
			continue
		case htmlEnd != nil:
			if ends(htmlEnd) {
				htmlEnd = nil
			}
			continue
		case indent < 4 && run >= 3 && !(trimmed[0] == '`' && strings.Contains(trimmed[run:], "`")):
			ch, open = trimmed[0], run
			continue
		case indent < 4 && strings.HasPrefix(trimmed, "<"):
			t := strings.ToLower(trimmed)
			var terms []string
			for _, tag := range []string{"script", "pre", "style", "textarea"} {
				if rest, ok := strings.CutPrefix(t, "<"+tag); ok && (rest == "" || strings.ContainsAny(rest[:1], " \t>")) {
					terms = []string{"</script>", "</pre>", "</style>", "</textarea>"}
				}
			}
			switch {
			case strings.HasPrefix(t, "<!--"):
				terms = []string{"-->"}
			case strings.HasPrefix(t, "<?"):
				terms = []string{"?>"}
			case strings.HasPrefix(trimmed, "<![CDATA["):
				terms = []string{"]]>"}
			case len(t) > 2 && t[1] == '!' && t[2] >= 'a' && t[2] <= 'z':
				terms = []string{">"}
			}
			if terms != nil && !ends(terms) {
				htmlEnd = terms
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}

func TestExportMarkdownKeepsHeadingsOutOfCode(t *testing.T) {
	st := openStore(t)
	seed(t, st, sample())
	md := exportString(t, st, ExportOptions{Format: Markdown})
	want := []string{
		`# Go \<script\>alert(1)\</script\> \& friends`,
		"## User · 2024-05-01 17:37 UTC",
		"## Assistant · gpt-4o · 2024-05-01 17:37 UTC · pinned",
		"## User · 2024-05-01 17:38 UTC",
		// The superseded answer: on another branch now (see below).
		"## Assistant · gpt-4o · 2024-05-01 17:38 UTC · stopped",
		"# Failed one",
		"## System · 2024-04-30 17:37 UTC",
		"## User · 2024-04-30 17:37 UTC",
		"## Assistant · llama3 · 2024-04-30 18:37 UTC · failed",
		"## Assistant · llama3 · 2024-04-30 18:37 UTC · interrupted",
	}
	equal(t, "headings a Markdown reader sees", headingsOutsideCode(md), want)
	all := exportString(t, st, ExportOptions{Format: Markdown, AllBranches: true})
	equal(t, "headings with every branch", headingsOutsideCode(all)[:8], []string{
		want[0],
		"## Message 1 · User · 2024-05-01 17:37 UTC",
		"## Message 2 · Assistant · gpt-4o · 2024-05-01 17:37 UTC · pinned",
		"## Message 3 · User · 2024-05-01 17:38 UTC",
		"## Message 6 · Assistant · gpt-4o · 2024-05-01 17:38 UTC · stopped",
		"## Branch from message 3",
		"## Message 4 · Assistant · gpt-4o · 2024-05-01 17:38 UTC",
		"# Failed one",
	})
	for _, s := range []string{
		"`````text\nUse ```` and ``` carefully\n`````", // a fence longer than the text's
		"```go\nfmt.Println(\"<b>hi</b>\")\n```",       // code blocks as they were
		"```python\nprint('stopped mid-block')\n```\n", // an open block closed
		"> **Error:** The provider refused: rate limited.",
	} {
		if !strings.Contains(md, s) {
			t.Errorf("Markdown lacks %q", s)
		}
	}
}

func TestExportHTMLEscapesAndStyles(t *testing.T) {
	st := openStore(t)
	seed(t, st, sample())
	page := exportString(t, st, ExportOptions{Format: HTML})
	checkInert(t, page)
	for _, s := range []string{
		"<h2>Go &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends</h2>",
		`<span class="nx">fmt</span><span class="p">.</span><span class="nf">Println</span><span class="p">(</span><span class="s">&#34;&lt;b&gt;hi&lt;/b&gt;&#34;</span>`,
		"<p>Print &lt;b&gt;hi&lt;/b&gt; in Go<br>\nplease</p>", // line break kept
		"@media (prefers-color-scheme: dark)",
		"<details><summary>Reasoning</summary><div class=\"text\">\n<p>Use ```` and ``` carefully</p>",
		"<details><summary>System prompt</summary><pre>Answer with ```code``` when useful.</pre></details>",
		`<span class="s1">&#39;stopped mid-block&#39;</span><span class="p">)</span>` + "\n</span></span></code></pre>\n</div>\n</section>", // a block left open ends with its message
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %q", s)
		}
	}
	for _, s := range []string{"<script", "<b>", "http://", "https://"} {
		if strings.Contains(page, s) {
			t.Errorf("page contains %q (it must be inert and self-contained)", s)
		}
	}
}

func TestExportSelection(t *testing.T) {
	st := openStore(t)
	seed(t, st, sample())
	for _, tc := range []struct {
		name string
		ids  []string
		want []string // conversation ids in the file, in order
	}{
		{"all, newest first", nil, []string{"a1b2c3d4e5f6", "0f0f0f0f0f0f"}},
		{"one", []string{"0f0f0f0f0f0f"}, []string{"0f0f0f0f0f0f"}},
		{"several in the order asked, once each", []string{"0f0f0f0f0f0f", "a1b2c3d4e5f6", "0f0f0f0f0f0f"}, []string{"0f0f0f0f0f0f", "a1b2c3d4e5f6"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var file struct {
				Conversations []struct {
					ID string `json:"id"`
				} `json:"conversations"`
			}
			if err := json.Unmarshal([]byte(exportString(t, st, ExportOptions{Conversations: tc.ids})), &file); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range file.Conversations {
				got = append(got, c.ID)
			}
			equal(t, "ids", got, tc.want)
		})
	}
	t.Run("unknown id", func(t *testing.T) {
		var b bytes.Buffer
		_, err := Export(ctx, st, &b, ExportOptions{Conversations: []string{"a1b2c3d4e5f6", "nope"}})
		if !errors.Is(err, store.ErrNotFound) || store.UserMessage(err) != `There is no conversation "nope"; nothing was exported.` || b.Len() != 0 {
			t.Fatalf("err %v (%q), wrote %d bytes", err, store.UserMessage(err), b.Len())
		}
	})
	t.Run("unknown format", func(t *testing.T) {
		_, err := Export(ctx, st, io.Discard, ExportOptions{Format: "pdf"})
		if err == nil || !strings.Contains(store.UserMessage(err), "use json, md or html") {
			t.Fatalf("err %v", err)
		}
	})
}

func TestExportProgressAndStreaming(t *testing.T) {
	st := openStore(t)
	ims := generated(5, 400) // about 100 KB each: more than the write buffer
	seed(t, st, ims)
	var w countingWriter
	var calls [][2]int
	var written []int
	_, err := Export(ctx, st, &w, ExportOptions{Format: Markdown, Progress: func(done, total int) {
		calls = append(calls, [2]int{done, total})
		written = append(written, w.n)
	}})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "progress calls", calls, [][2]int{{0, 5}, {1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}})
	// Conversations reach the writer as they are read, not at the end.
	if written[2] == 0 || written[2] >= w.n {
		t.Errorf("bytes written at each progress call %v of %d: the export is not streamed", written, w.n)
	}
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// failingWriter accepts limit bytes, then fails like a full disk.
type failingWriter struct {
	w     io.Writer
	limit int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n, _ := f.w.Write(p[:f.limit])
		f.limit = 0
		return n, &os.PathError{Op: "write", Path: "export", Err: syscall.ENOSPC}
	}
	f.limit -= len(p)
	return f.w.Write(p)
}

func TestExportFileIsAtomic(t *testing.T) {
	st := openStore(t)
	seed(t, st, generated(6, 300))
	const old = "the previous export\n"

	type result struct {
		dir, path string
		err       error
	}
	run := func(t *testing.T, prepare func(dir string) string, ctx context.Context, wrap func(io.Writer) io.Writer) result {
		t.Helper()
		dir := t.TempDir()
		path := prepare(dir)
		_, err := exportFile(ctx, st, path, ExportOptions{Format: HTML}, wrap)
		return result{dir, path, err}
	}
	existing := func(dir string) string {
		p := filepath.Join(dir, "history.html")
		if err := os.WriteFile(p, []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// onlyFile checks that the folder holds just the named file (no
	// temporary left) with the given content, or nothing when want is "".
	onlyFile := func(t *testing.T, r result, want string) {
		t.Helper()
		entries, _ := os.ReadDir(r.dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if want == "" {
			if len(names) != 0 {
				t.Fatalf("left behind: %v", names)
			}
			return
		}
		if len(names) != 1 || names[0] != filepath.Base(r.path) {
			t.Fatalf("folder holds %v, want only %s", names, filepath.Base(r.path))
		}
		got, _ := os.ReadFile(r.path)
		if want != "*" && string(got) != want {
			t.Fatalf("%s holds %.80q, want %.80q", r.path, got, want)
		}
	}

	t.Run("success replaces the old file", func(t *testing.T) {
		r := run(t, existing, ctx, nil)
		if r.err != nil {
			t.Fatal(r.err)
		}
		onlyFile(t, r, "*")
		got, _ := os.ReadFile(r.path)
		if !strings.HasPrefix(string(got), "<!DOCTYPE html>") || !strings.HasSuffix(string(got), "</html>\n") {
			t.Errorf("not a whole page: %.40q … %q", got, got[max(0, len(got)-20):])
		}
		if fi, _ := os.Stat(r.path); fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
	})
	t.Run("disk full", func(t *testing.T) {
		r := run(t, existing, ctx, func(w io.Writer) io.Writer { return &failingWriter{w: w, limit: 100 << 10} })
		if !errors.Is(r.err, syscall.ENOSPC) || store.UserMessage(r.err) != "Cannot write "+r.path+": the disk is full; the file already there was left as it was." {
			t.Fatalf("err %v: %q", r.err, store.UserMessage(r.err))
		}
		onlyFile(t, r, old)
	})
	t.Run("disk full, no file before", func(t *testing.T) {
		r := run(t, func(dir string) string { return filepath.Join(dir, "new.html") }, ctx, func(w io.Writer) io.Writer { return &failingWriter{w: w, limit: 10} })
		if !strings.HasSuffix(store.UserMessage(r.err), "the disk is full; nothing was exported.") {
			t.Fatalf("err %v: %q", r.err, store.UserMessage(r.err))
		}
		onlyFile(t, r, "")
	})
	t.Run("cancelled midway", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		dir := t.TempDir()
		path := existing(dir)
		_, err := exportFile(cctx, st, path, ExportOptions{Progress: func(done, _ int) {
			if done == 3 {
				cancel()
			}
		}}, nil)
		if !errors.Is(err, context.Canceled) || store.UserMessage(err) != "Stopped; the file already there was left as it was." {
			t.Fatalf("err %v: %q", err, store.UserMessage(err))
		}
		onlyFile(t, result{dir, path, err}, old)
	})
	t.Run("missing folder", func(t *testing.T) {
		r := run(t, func(dir string) string { return filepath.Join(dir, "no", "such", "x.json") }, ctx, nil)
		if want := "The folder " + filepath.Join(r.dir, "no", "such") + " does not exist; nothing was exported."; store.UserMessage(r.err) != want {
			t.Fatalf("err %v: %q", r.err, store.UserMessage(r.err))
		}
		onlyFile(t, r, "")
	})
	t.Run("folder is a file", func(t *testing.T) {
		r := run(t, func(dir string) string {
			os.WriteFile(filepath.Join(dir, "plain"), nil, 0o644)
			return filepath.Join(dir, "plain", "x.json")
		}, ctx, nil)
		if !strings.Contains(store.UserMessage(r.err), "is not a folder; nothing was exported.") {
			t.Fatalf("err %v: %q", r.err, store.UserMessage(r.err))
		}
	})
	t.Run("destination is a folder", func(t *testing.T) {
		r := run(t, func(dir string) string { return dir }, ctx, nil)
		if !strings.Contains(store.UserMessage(r.err), "is a folder; give the export a file name.") {
			t.Fatalf("err %v: %q", r.err, store.UserMessage(r.err))
		}
	})
	t.Run("read-only folder", func(t *testing.T) {
		dir := t.TempDir()
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(ro, 0o700) })
		if f, err := os.CreateTemp(ro, "probe"); err == nil {
			// Root ignores modes; sysfs refuses new files to everyone.
			f.Close()
			os.Remove(f.Name())
			ro = "/sys"
			if f, err := os.CreateTemp(ro, "probe"); err == nil {
				f.Close()
				os.Remove(f.Name())
				t.Skip("no folder here refuses this user")
			}
		}
		name := "deskchat-export-test.md"
		_, err := exportFile(ctx, st, filepath.Join(ro, name), ExportOptions{Format: Markdown}, nil)
		msg := store.UserMessage(err)
		if !strings.HasPrefix(msg, "Cannot write in the folder "+ro+": ") || !strings.HasSuffix(msg, "; nothing was exported.") {
			t.Fatalf("err %v: %q", err, msg)
		}
		if ro != "/sys" && !strings.Contains(msg, "permission denied") {
			t.Errorf("sentence %q does not say why", msg)
		}
		if left, _ := filepath.Glob(filepath.Join(ro, "*"+name+"*")); len(left) != 0 {
			t.Fatalf("left behind %v", left)
		}
	})
}

func TestExportToBrokenWriter(t *testing.T) {
	st := openStore(t)
	seed(t, st, generated(3, 300))
	_, err := Export(ctx, st, &failingWriter{w: io.Discard, limit: 1000}, ExportOptions{})
	if !errors.Is(err, syscall.ENOSPC) || store.UserMessage(err) != "The export could not be written: the disk is full." {
		t.Fatalf("err %v: %q", err, store.UserMessage(err))
	}
}

func TestExportEmptyStore(t *testing.T) {
	st := openStore(t)
	for _, f := range []Format{JSON, Markdown, HTML} {
		out := exportString(t, st, ExportOptions{Format: f})
		if f == JSON {
			if rep := mustImport(t, openStore(t), out, Auto); rep.String() != "Nothing to import: the file holds no conversations." {
				t.Errorf("empty export re-imported: %s", rep)
			}
		}
		if f == HTML && !strings.Contains(out, "No conversations.") {
			t.Errorf("empty page: %s", out)
		}
	}
}
