package transfer

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// Fuzz targets. `go test` runs their seeds; `go test -fuzz` explores:
//
//	go test -run '^$' -fuzz '^FuzzImportChatGPT$' -fuzztime 30s ./store/transfer
//
// The import targets check more than "no panic": a file Import refuses
// imports nothing (its first pass must catch everything the second would
// stumble on), and an accepted one adds exactly the conversations it reports.

func countConversations(t *testing.T, st *store.Store) int {
	t.Helper()
	convs, err := st.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	return len(convs)
}

func fuzzImport(f *testing.F, from Source, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
		f.Add([]byte(s[:len(s)/2])) // cut short
	}
	// One store per fuzzing process, shared by the inputs: opening a bbolt
	// file per input would be most of the work.
	st := openStore(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		before := countConversations(t, st)
		rep, err := Import(ctx, st, bytes.NewReader(data), ImportOptions{From: from})
		after := countConversations(t, st)
		if err != nil {
			var se *store.Error
			if !errors.As(err, &se) || se.Msg == "" {
				t.Fatalf("error without a sentence: %v", err)
			}
			if after != before {
				t.Fatalf("a refused file (%s) imported %d conversations", se.Msg, after-before)
			}
			return
		}
		if after-before != rep.Conversations {
			t.Fatalf("report says %d imported, store has %d more", rep.Conversations, after-before)
		}
		if rep.String() == "" || len(rep.Skipped) > maxSkipsKept || rep.SkippedCount < len(rep.Skipped) {
			t.Fatalf("report %+v", rep)
		}
	})
}

func seedFile(f *testing.F, name string) string {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}

func FuzzImportChatGPT(f *testing.F) {
	fuzzImport(f, ChatGPT,
		seedFile(f, "chatgpt-tree.json"),
		"["+gptConv("f1", "a", `u|root|user|{"content_type":"multimodal_text","parts":[{"content_type":"image_asset_pointer"},"hi",3,null]}`,
			`a|u|assistant|{"content_type":"text","parts":["yo"]}|"metadata":{"model_slug":"m","finish_details":{"type":"interrupted"}},"status":"in_progress"`)+"]",
		gptConv("f2", "b", `a|b|user|{"content_type":"text","parts":["loop"]}`, `b|a|assistant|{"content_type":"thoughts","thoughts":[{"content":"x"}]}`),
		`[{"id":"x","mapping":{"m":{"message":{"author":{"role":"user"},"create_time":1e300,"content":{"parts":["t"]}}}},"current_node":"m"}]`,
		`[]`, `[1,"a",{}]`,
		gptWithImages("file-service://file-X", "sediment://../x", "file-service://"),
	)
}

func FuzzImportClaude(f *testing.F) {
	fuzzImport(f, Claude,
		seedFile(f, "claude-minimal.json"),
		seedFile(f, "claude-array.json"),
		`[{"uuid":"u","name":"n","created_at":"not a time","chat_messages":[{"sender":"human","text":"","content":[{"type":"image"}]},{"sender":"robot","text":"x"}]}]`,
	)
}

func FuzzImportDeskchat(f *testing.F) {
	st, err := store.Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	if _, err := st.ImportConversations(sample()); err != nil {
		f.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := Export(ctx, st, &b, ExportOptions{Time: t0}); err != nil {
		f.Fatal(err)
	}
	im, _ := withAttachments(f)
	if _, err := st.ImportConversations([]store.Import{im}); err != nil {
		f.Fatal(err)
	}
	var withFiles bytes.Buffer
	if _, err := Export(ctx, st, &withFiles, ExportOptions{Time: t0, Conversations: []string{im.Conversation.ID}}); err != nil {
		f.Fatal(err)
	}
	st.Close()
	fuzzImport(f, Deskchat, b.String(), withFiles.String(),
		strings.Replace(withFiles.String(), `"data":"`, `"data":"!`, 1),
		`{"format":"deskchat","version":1,"conversations":[{"id":"a1","messages":[{"seq":1,"role":"user","attachments":[{"name":"x","sha256":"`+emptySHA256+`"},{"sha256":"`+emptySHA256+`","data":"","missing":true},{}]}]}]}`,
		`{"format":"deskchat","version":1,"conversations":[{"id":"x y","messages":[]},{"id":"ok","messages":[{"seq":2,"role":"user"},{"seq":1,"role":"user"}]}]}`,
		`{"format":"deskchat","version":1,"conversations":[{"id":"ok2","created_at":"bad","messages":[{"seq":1,"role":"user","state":"streaming"}]}]}`,
	)
}

// fuzzDump is one conversation built from fuzzed text.
func fuzzDump(title, content, reasoning, model string) store.Dump {
	return store.Dump{
		Conversation: store.Conversation{ID: "fuzz01", Title: title, Provider: model, Model: model, SystemPrompt: reasoning, CreatedAt: t0, UpdatedAt: t0},
		Messages: []store.Message{
			{Seq: 1, Role: store.RoleUser, Content: content, State: store.StateDone, CreatedAt: t0,
				Attachments: []store.Attachment{{Name: title, Mime: model, Size: int64(len(content)), SHA256: reasoning}}},
			{Seq: 2, Role: store.RoleAssistant, Content: content, Reasoning: reasoning, Model: model, State: store.State(model), Error: title, CreatedAt: t0},
			{Seq: 3, Role: store.Role(title), Content: "after", State: store.StateDone, CreatedAt: t0},
		},
	}
}

func render(t *testing.T, f Format, d store.Dump) string {
	var b bytes.Buffer
	o := &out{w: bufio.NewWriter(&b)}
	doc, err := newDocument(f, o, t0, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	doc.begin([]store.Conversation{d.Conversation, {ID: "other", Title: d.Conversation.Title}})
	doc.conversation(d, false)
	doc.end()
	if err := o.w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var textSeeds = [][4]string{
	{"Go <script>alert(1)</script>", "Here:\n\n```go\nx := `<b>`\n```\n", "think ``` hard", "gpt-4o"},
	{"", "```python\nunclosed", "", ""},
	{"a & b \" ' >", "<!-- open comment\n# not a heading", "~~~\n```", "m<"},
	{"t\r\nt", "<pre>\n## x\r```\r<textarea>", "<![CDATA[", "</section>"},
	{"\xff\xfe", "````\n```\n````\n", "\x00", "\u2028"},
	{"img", "![a](https://x.example/a.png) <img src=x onerror=alert(1)> [j](&#106;avascript:alert(1)) <javascript:x>", "<iframe src=//x>", "m"},
	{"t", "| a | <b onclick=x> |\n|---|---|\n| `x` | ![i](data:image/png;base64,AA) |\n\n```go\nfunc x() {}\n```\n```nope\n<x>\n```", "- [ ] <svg onload=x>", "m"},
}

// FuzzExportHTML: whatever the text, the page holds only the elements of
// allowedElements, no event handler attribute, no link that runs script and
// no address it would fetch (see checkInert); deskchat's own part of it
// (title, headings) is intact.
func FuzzExportHTML(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, title, content, reasoning, model string) {
		page := render(t, HTML, fuzzDump(title, content, reasoning, model))
		checkInert(t, page)
		if !strings.Contains(page, "<h2>"+esc(oneLine(title))) && !strings.Contains(page, "<h2>Untitled conversation</h2>") {
			t.Fatalf("the conversation's heading is not in the page")
		}
		if !strings.HasSuffix(page, "</article>\n</body>\n</html>\n") {
			t.Fatalf("page not closed: %q", page[max(0, len(page)-60):])
		}
	})
}

// FuzzExportMarkdown: whatever a message holds, the headings deskchat
// writes stay headings to a CommonMark reader: no fence or HTML block from
// a message (or a title, model, reasoning) swallows what follows.
func FuzzExportMarkdown(f *testing.F) {
	for _, s := range textSeeds {
		f.Add(s[0], s[1], s[2], s[3])
	}
	f.Fuzz(func(t *testing.T, name, content, reasoning, model string) {
		d := fuzzDump(name, content, reasoning, model)
		md := render(t, Markdown, d)
		want := []string{"# " + mdEscape(title(d.Conversation))}
		for _, m := range d.Messages {
			want = append(want, "## "+messageHeading(m))
		}
		got := headingsOutsideCode(md)
		i := 0
		for _, h := range got {
			if i < len(want) && h == want[i] {
				i++
			}
		}
		if i < len(want) {
			t.Fatalf("heading %q is not a heading in:\n%s\n(headings seen: %q)", want[i], md, got)
		}
	})
}
