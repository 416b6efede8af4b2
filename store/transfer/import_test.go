package transfer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/deskchat/deskchat/store"
)

type wantMsg struct {
	role    store.Role
	content string
	model   string
	state   store.State
	at      time.Time
}

func checkMessages(t *testing.T, got []store.Message, want []wantMsg) {
	t.Helper()
	if len(got) != len(want) {
		for _, m := range got {
			t.Logf("%d %s %q", m.Seq, m.Role, m.Content)
		}
		t.Fatalf("%d messages, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Seq != uint64(i+1) || g.Role != w.role || g.Content != w.content || g.Model != w.model || g.State != w.state || (!w.at.IsZero() && !g.CreatedAt.Equal(w.at)) {
			t.Errorf("message %d: %d %s %q model %q state %s at %s\nwant %s %q model %q state %s at %s", i+1,
				g.Seq, g.Role, g.Content, g.Model, g.State, g.CreatedAt, w.role, w.content, w.model, w.state, w.at)
		}
	}
}

func only(t *testing.T, st *store.Store) store.Dump {
	t.Helper()
	all := dumps(t, st)
	if len(all) != 1 {
		t.Fatalf("%d conversations, want 1", len(all))
	}
	for _, d := range all {
		return d
	}
	panic("unreachable")
}

// parentsOf is "seq<parent" for each message of d.
func parentsOf(d store.Dump) string {
	var parts []string
	for _, m := range d.Messages {
		parts = append(parts, fmt.Sprintf("%d<%d", m.Seq, m.Parent))
	}
	return strings.Join(parts, " ")
}

func TestImportChatGPTFixture(t *testing.T) {
	st := openStore(t)
	data := readFile(t, "chatgpt-tree.json")
	rep := mustImport(t, st, data, Auto)
	if got := rep.String(); got != "Imported 1 conversation (11 messages)." || rep.Format != ChatGPT {
		t.Fatalf("report %q %+v", got, rep)
	}
	d := only(t, st)
	c := d.Conversation
	if c.Title != "Assist user with summary" || c.Model != "text-davinci-002-render-sha" ||
		!c.CreatedAt.Equal(time.UnixMicro(1714585031148505)) || !c.UpdatedAt.Equal(time.UnixMicro(1714585060879308)) {
		t.Errorf("conversation %+v", c)
	}
	const model = "text-davinci-002-render-sha"
	joke := "Sure, here's one for you:\n\nWhy don't scientists trust atoms?\n\nBecause they make up everything!"
	// Every branch, oldest first, parents before children; the root and
	// the hidden system message left out, their children moved up.
	story := d.Messages[5].Content
	checkMessages(t, d.Messages, []wantMsg{
		{store.RoleUser, "hi there", "", store.StateDone, time.UnixMicro(1714585031150442)},
		{store.RoleAssistant, "Hello! How can I assist you today?", model, store.StateDone, time.UnixMicro(1714585031757056)},
		{store.RoleUser, "so cool bro", "", store.StateDone, time.UnixMicro(1714585034306995)},
		{store.RoleAssistant, "Thanks! What brings you here today?", model, store.StateDone, time.UnixMicro(1714585034755907)},
		{store.RoleUser, "tell me a story", "", store.StateDone, time.UnixMicro(1714585037569860)},
		{store.RoleAssistant, story, model, store.StateStopped, time.UnixMicro(1714585045606752)}, // interrupted by the user
		{store.RoleUser, "hi again", "", store.StateDone, time.UnixMicro(1714585050906034)},
		{store.RoleAssistant, "Hey! Welcome back. What's on your mind?", model, store.StateDone, time.UnixMicro(1714585051690729)},
		{store.RoleUser, "tell me a joke", "", store.StateDone, time.UnixMicro(1714585055908847)},
		{store.RoleAssistant, joke, model, store.StateDone, time.UnixMicro(1714585056580956)},
		{store.RoleAssistant, joke, model, store.StateDone, time.UnixMicro(1714585060598792)},
	})
	if !strings.HasPrefix(story, "Sure! Here's a short story for you:") {
		t.Errorf("story %q", story)
	}
	// Two edits of the second question, two answers to the joke.
	if got, want := parentsOf(d), "1<0 2<1 3<2 4<3 5<4 6<5 7<2 8<7 9<8 10<9 11<9"; got != want {
		t.Errorf("parents %s\n   want %s", got, want)
	}
	// current_node is the second joke: the active path.
	if c.Leaf != 11 {
		t.Errorf("leaf %d, want 11", c.Leaf)
	}
	var path []string
	for _, m := range activePath(d.Messages, c.Leaf) {
		path = append(path, d.Messages[m.Seq-1].Content[:min(8, len(m.Content))])
	}
	if got := strings.Join(path, "|"); got != "hi there|Hello! H|hi again|Hey! Wel|tell me |Sure, he" {
		t.Errorf("active path %s", got)
	}
	if d.Messages[1].Finish != "stop" {
		t.Errorf("finish %q", d.Messages[1].Finish)
	}

	again := mustImport(t, st, data, ChatGPT)
	if again.String() != "Imported 0 conversations (0 messages); 1 already imported." {
		t.Errorf("second import: %s", again)
	}
	if n := len(dumps(t, st)); n != 1 {
		t.Errorf("%d conversations after importing twice", n)
	}
}

func TestImportClaude(t *testing.T) {
	t.Run("one object", func(t *testing.T) {
		st := openStore(t)
		rep := mustImport(t, st, readFile(t, "claude-minimal.json"), Auto)
		if rep.Format != Claude || rep.Conversations != 1 || rep.Messages != 1 {
			t.Fatalf("report %+v", rep)
		}
		d := only(t, st)
		if d.Conversation.Title != "Origin capability matrix" || !d.Conversation.CreatedAt.Equal(time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("conversation %+v", d.Conversation)
		}
		checkMessages(t, d.Messages, []wantMsg{{store.RoleUser, "Prove the parser claim.", "", store.StateDone, time.Date(2026, 8, 1, 10, 0, 1, 0, time.UTC)}})
		if rep := mustImport(t, st, readFile(t, "claude-minimal.json"), Claude); rep.Already != 1 || rep.Conversations != 0 {
			t.Errorf("second import %+v", rep)
		}
	})
	t.Run("array", func(t *testing.T) {
		st := openStore(t)
		rep := mustImport(t, st, readFile(t, "claude-array.json"), Auto)
		if got := rep.String(); got != `Imported 1 conversation (3 messages); 1 skipped: "conversation 2" — it has no messages.` {
			t.Fatalf("report %q", got)
		}
		d := only(t, st)
		if d.Conversation.Title != "Parsing <dates> in Go" {
			t.Errorf("title %q", d.Conversation.Title)
		}
		checkMessages(t, d.Messages, []wantMsg{
			{store.RoleUser, "[attachment: notes.txt]\n\nHow do I parse an RFC 3339 date?", "", store.StateDone, time.Date(2024, 6, 2, 9, 15, 3, 118245000, time.UTC)},
			{store.RoleAssistant, "Use `time.Parse`:\n\n```go\nt, err := time.Parse(time.RFC3339, s)\n```\n\n[tool use: web_search]\n\n[tool result]", "", store.StateDone, time.Date(2024, 6, 2, 9, 15, 9, 774512000, time.UTC)},
			{store.RoleUser, "Thanks!", "", store.StateDone, time.Time{}},
		})
		if d.Messages[1].Reasoning != "The user wants time.Parse." {
			t.Errorf("reasoning %q", d.Messages[1].Reasoning)
		}
	})
}

// gptConv builds a ChatGPT conversation from nodes "id:parent:role:json-content[:extra]".
func gptConv(id, current string, nodes ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"id":%q,"title":"t-%s","create_time":1700000000.5,"update_time":1700000100,"current_node":%q,"mapping":{`, id, id, current)
	b.WriteString(`"root":{"id":"root","message":null,"parent":null}`)
	for i, n := range nodes {
		f := strings.SplitN(n, "|", 5)
		extra := ""
		if len(f) == 5 {
			extra = "," + f[4]
		}
		fmt.Fprintf(&b, `,%q:{"id":%q,"parent":%q,"message":{"author":{"role":%q},"create_time":%d,"content":%s%s}}`, f[0], f[0], f[1], f[2], 1700000001+i, f[3], extra)
	}
	b.WriteString("}}")
	return b.String()
}

func TestImportChatGPTMessageKinds(t *testing.T) {
	text := func(s string) string { return `{"content_type":"text","parts":[` + fmt.Sprintf("%q", s) + `]}` }
	for _, tc := range []struct {
		name string
		conv string
		want []wantMsg
		skip string // the reason it is skipped
	}{
		{"images and audio become placeholders", gptConv("c1", "a",
			`u|root|user|{"content_type":"multimodal_text","parts":[{"content_type":"image_asset_pointer","asset_pointer":"file-service://x","width":10},"What is this?"]}`,
			`a|u|assistant|{"content_type":"text","parts":["A cat."]}|"metadata":{"model_slug":"gpt-4o"},"recipient":"all"`),
			[]wantMsg{{store.RoleUser, "[image]\n\nWhat is this?", "", store.StateDone, time.Unix(1700000001, 0)}, {store.RoleAssistant, "A cat.", "gpt-4o", store.StateDone, time.Time{}}}, ""},
		{"context, hidden, tools and thoughts", gptConv("c2", "a",
			`ctx|root|user|{"content_type":"user_editable_context","user_profile":"x","user_instructions":"y"}|"metadata":{"is_visually_hidden_from_conversation":true}`,
			`sys|ctx|system|{"content_type":"text","parts":[""]}`,
			`u|sys|user|`+text("search it"),
			`th|u|assistant|{"content_type":"thoughts","thoughts":[{"summary":"s","content":"I should search."}]}`,
			`call|th|assistant|{"content_type":"code","language":"unknown","text":"search(\"x\")"}|"recipient":"browser"`,
			`out|call|tool|{"content_type":"tether_browsing_display","result":"..."}`,
			`a|out|assistant|`+text("Found it.")+`|"metadata":{"model_slug":"o3","finish_details":{"type":"max_tokens"}}`),
			[]wantMsg{{store.RoleUser, "search it", "", store.StateDone, time.Time{}}, {store.RoleAssistant, "Found it.", "o3", store.StateDone, time.Time{}}}, ""},
		{"interrupted answer", gptConv("c3", "a", `u|root|user|`+text("q"), `a|u|assistant|`+text("half")+`|"status":"in_progress","metadata":{"finish_details":{"type":"interrupted"}}`),
			[]wantMsg{{store.RoleUser, "q", "", store.StateDone, time.Time{}}, {store.RoleAssistant, "half", "", store.StateStopped, time.Time{}}}, ""},
		{"no current node: the latest message", gptConv("c4", "", `u|root|user|`+text("q"), `a|u|assistant|`+text("first")),
			[]wantMsg{{store.RoleUser, "q", "", store.StateDone, time.Time{}}, {store.RoleAssistant, "first", "", store.StateDone, time.Time{}}}, ""},
		{"a cycle in the parents ends", gptConv("c5", "b", `a|b|user|`+text("one"), `b|a|assistant|`+text("two")),
			[]wantMsg{{store.RoleUser, "one", "", store.StateDone, time.Time{}}, {store.RoleAssistant, "two", "", store.StateDone, time.Time{}}}, ""},
		{"only hidden messages", gptConv("c6", "s", `s|root|system|`+text("secret")+`|"metadata":{"is_visually_hidden_from_conversation":true}`), nil, "it has no messages"},
		{"no mapping", `{"id":"c7","title":"t-c7"}`, nil, `it has no messages (no "mapping")`},
		{"no id", `{"title":"t-c8","mapping":{}}`, nil, "it has no id"},
		{"wrong type", `{"id":"c9","title":"t-c9","create_time":"yesterday","mapping":{}}`, nil, `its "create_time" is a string where a number was expected`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			rep := mustImport(t, st, "["+tc.conv+"]", ChatGPT)
			if tc.skip != "" {
				title := "t-" + strings.SplitN(tc.conv[strings.Index(tc.conv, `"title":"t-`)+11:], `"`, 2)[0]
				if want := fmt.Sprintf("Imported 0 conversations (0 messages); 1 skipped: %q — %s.", title, tc.skip); rep.String() != want {
					t.Fatalf("report %q\n  want %q", rep, want)
				}
				return
			}
			checkMessages(t, only(t, st).Messages, tc.want)
		})
	}
}

func TestImportDetection(t *testing.T) {
	export := exportString(t, func() *store.Store { st := openStore(t); seed(t, st, sample()); return st }(), ExportOptions{})
	gpt, claude := readFile(t, "chatgpt-tree.json"), readFile(t, "claude-array.json")
	notExport := "This file is not a ChatGPT, Claude or deskchat export: expected a JSON array of conversations."
	for _, tc := range []struct {
		name string
		data string
		from Source
		want Source // the format detected, or
		msg  string // the sentence of the error
	}{
		{"deskchat", export, Auto, Deskchat, ""},
		{"chatgpt", gpt, Auto, ChatGPT, ""},
		{"claude", claude, Auto, Claude, ""},
		{"claude object", readFile(t, "claude-minimal.json"), Auto, Claude, ""},
		{"chatgpt object", gptConv("x", "u", `u|root|user|{"content_type":"text","parts":["hi"]}`), Auto, ChatGPT, ""},
		{"with a byte order mark", "\xEF\xBB\xBF" + gpt, Auto, ChatGPT, ""},
		{"asked right", gpt, ChatGPT, ChatGPT, ""},
		{"asked wrong", gpt, Claude, "", "This file is a ChatGPT export, not a Claude one; nothing was imported."},
		{"asked chatgpt for ours", export, ChatGPT, "", "This file is a deskchat export, not a ChatGPT one; nothing was imported."},
		{"empty list", " [ ] ", Auto, Auto, ""},
		{"empty object", "{}", Auto, "", notExport},
		{"list of numbers", "[1,2,3]", Auto, "", notExport},
		{"list of other objects", `[{"a":1}]`, Auto, "", notExport},
		{"a string", `"conversations"`, Auto, "", notExport},
		{"other format", `{"format":"librechat","conversations":[]}`, Auto, "", `This file is a "librechat" export, which deskchat cannot import; it imports its own, ChatGPT and Claude exports.`},
		{"newer deskchat", `{"format":"deskchat","version":2,"conversations":[]}`, Auto, "", "This file was exported by a newer deskchat (format version 2); update deskchat to import it."},
		{"deskchat without list", `{"format":"deskchat","version":1,"conversations":{}}`, Auto, "", notExport},
		{"empty file", "", Auto, "", "The file is empty; nothing was imported."},
		{"only spaces", " \n\t ", Auto, "", "The file is empty; nothing was imported."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			rep, err := importString(t, st, tc.data, tc.from)
			if tc.msg != "" {
				if err == nil || store.UserMessage(err) != tc.msg {
					t.Fatalf("err %v\n  sentence %q\n  want     %q", err, store.UserMessage(err), tc.msg)
				}
				if n := len(dumps(t, st)); n != 0 {
					t.Fatalf("imported %d conversations", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v: %s", err, store.UserMessage(err))
			}
			if rep.Format != tc.want {
				t.Fatalf("format %q, want %q", rep.Format, tc.want)
			}
		})
	}
}

func TestImportDamagedFileImportsNothing(t *testing.T) {
	st := openStore(t)
	var big bytes.Buffer // many batches' worth, so that a single pass would have stored some
	if err := writeChatGPT(&big, 300, 20, 200); err != nil {
		t.Fatal(err)
	}
	export := func() string {
		src := openStore(t)
		seed(t, src, generated(50, 20))
		return exportString(t, src, ExportOptions{})
	}()
	gpt := readFile(t, "chatgpt-tree.json")
	deep := `[{"id":"d","title":"deep","mapping":{},"x":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}]"
	for _, tc := range []struct {
		name, data, msg string
	}{
		{"truncated chatgpt", gpt[:len(gpt)/2], "This file is damaged or incomplete (the file ends in the middle of a string at line 215); nothing was imported."},
		{"truncated at the very end", big.String()[:big.Len()-1], "This file is damaged or incomplete (the file ends in the middle of the export at line 1); nothing was imported."},
		{"truncated deskchat", export[:len(export)-10], "This file is damaged or incomplete (the file ends in the middle of a string at line 1100); nothing was imported."},
		{"garbage after the end", gpt + "\n]", "This file is damaged or incomplete (more data after the end of the export at line 431); nothing was imported."},
		{"not json", "<html>hello</html>", "This file is damaged or incomplete (unexpected character '<' at line 1); nothing was imported."},
		{"missing comma", `[{"id":"a"} {"id":"b"}]`, "This file is damaged or incomplete (expected ',' or ']' at line 1); nothing was imported."},
		{"control character", "[{\"id\":\"a\x01\"}]", "This file is damaged or incomplete (a control character (0x01) inside a string at line 1); nothing was imported."},
		{"nested too deeply", deep, "This file is damaged or incomplete (nested too deeply (more than 512 levels) at line 1); nothing was imported."},
		{"binary", "\x00\x01\x02", "This file is damaged or incomplete (unexpected byte 0x00 at line 1); nothing was imported."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := importString(t, st, tc.data, Auto)
			if !errors.Is(err, ErrDamaged) || store.UserMessage(err) != tc.msg {
				t.Fatalf("err %v\n  sentence %q\n  want     %q", err, store.UserMessage(err), tc.msg)
			}
			if n := len(dumps(t, st)); n != 0 {
				t.Fatalf("a damaged file imported %d conversations", n)
			}
		})
	}
}

func TestImportSkipsBadConversations(t *testing.T) {
	st := openStore(t)
	good := func(id string) string {
		return gptConv(id, "a", `u|root|user|{"content_type":"text","parts":["q"]}`, `a|u|assistant|{"content_type":"text","parts":["a"]}`)
	}
	data := "[" + strings.Join([]string{
		good("g1"),
		`{"id":"b1","title":42,"mapping":{}}`,
		`"just a string"`,
		good("g2"),
		`{"id":"b3","title":"Bad parts","mapping":{"m":{"message":{"author":{"role":"user"},"content":{"parts":"nope"}}}},"current_node":"m"}`,
	}, ",") + "]"
	rep := mustImport(t, st, data, ChatGPT)
	want := `Imported 2 conversations (4 messages); 3 skipped: "conversation 2" — its "title" is a number where text was expected, ` +
		`"conversation 3" — it is a string, not a conversation, "Bad parts" — its "mapping.message.content.parts" is a string where a list was expected.`
	if rep.String() != want {
		t.Fatalf("report\n got %q\nwant %q", rep, want)
	}
	if n := len(dumps(t, st)); n != 2 {
		t.Fatalf("%d conversations", n)
	}
}

func TestImportInvalidUTF8IsReplaced(t *testing.T) {
	st := openStore(t)
	rep := mustImport(t, st, "["+gptConv("u8", "u", "u|root|user|{\"content_type\":\"text\",\"parts\":[\"caf\xe9 \xff ok\"]}")+"]", Auto)
	if rep.Conversations != 1 {
		t.Fatalf("report %+v", rep)
	}
	if got := only(t, st).Messages[0].Content; got != "caf\uFFFD \uFFFD ok" {
		t.Fatalf("content %q", got)
	}
}

func TestImportSkipsConversationsTooLargeToHold(t *testing.T) {
	defer func(old int64) { maxConversationBytes = old }(maxConversationBytes)
	maxConversationBytes = 4 << 10
	big := gptConv("huge", "u", `u|root|user|{"content_type":"text","parts":["`+strings.Repeat("x", 5<<10)+`"]}`)
	small := gptConv("small", "u", `u|root|user|{"content_type":"text","parts":["fits"]}`)
	for _, tc := range []struct{ name, data, want string }{
		{"in a list", "[" + small + "," + big + "," + small + "]", `Imported 1 conversation (1 message); 1 skipped: "conversation 2" — it is too large to import (0 MB; the limit is 0 MB); 1 already imported.`},
		{"alone", big, `Imported 0 conversations (0 messages); 1 skipped: "conversation 1" — it is too large to import (0 MB; the limit is 0 MB).`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if rep := mustImport(t, openStore(t), tc.data, Auto); rep.String() != tc.want {
				t.Fatalf("report\n got %q\nwant %q", rep, tc.want)
			}
		})
	}
}

func TestImportCancelKeepsBatchesAndResumes(t *testing.T) {
	var file bytes.Buffer
	if err := writeChatGPT(&file, 600, 10, 100); err != nil {
		t.Fatal(err)
	}
	size := file.Len()
	st := openStore(t)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rep, err := Import(cctx, st, bytes.NewReader(file.Bytes()), ImportOptions{Progress: func(done, total int) {
		if done > size+size/2 { // halfway through the second pass
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(store.UserMessage(err), "Stopped after importing ") {
		t.Fatalf("err %v: %q", err, store.UserMessage(err))
	}
	stored := len(dumps(t, st))
	if stored == 0 || stored >= 600 || stored != rep.Conversations {
		t.Fatalf("%d stored, report %+v", stored, rep)
	}
	rest := mustImport(t, st, file.String(), Auto)
	if rest.Conversations != 600-stored || rest.Already != stored || len(dumps(t, st)) != 600 {
		t.Fatalf("resumed: %+v", rest)
	}

	// Cancelled while checking: nothing at all.
	empty := openStore(t)
	cctx, cancel = context.WithCancel(ctx)
	_, err = Import(cctx, empty, bytes.NewReader(file.Bytes()), ImportOptions{Progress: func(done, total int) { cancel() }})
	if !errors.Is(err, context.Canceled) || store.UserMessage(err) != "Stopped; nothing was imported." || len(dumps(t, empty)) != 0 {
		t.Fatalf("cancelled in the first pass: %v %q", err, store.UserMessage(err))
	}
}

func TestImportProgress(t *testing.T) {
	var file bytes.Buffer
	if err := writeChatGPT(&file, 50, 10, 2000); err != nil {
		t.Fatal(err)
	}
	var calls [][2]int
	mustImportOpts := func() {
		if _, err := Import(ctx, openStore(t), bytes.NewReader(file.Bytes()), ImportOptions{Progress: func(done, total int) {
			calls = append(calls, [2]int{done, total})
		}}); err != nil {
			t.Fatal(err)
		}
	}
	mustImportOpts()
	total := 2 * file.Len()
	if len(calls) < 50 {
		t.Fatalf("%d progress calls", len(calls))
	}
	for i, c := range calls {
		if c[1] != total || c[0] < 0 || c[0] > total || (i > 0 && c[0] < calls[i-1][0]) {
			t.Fatalf("call %d: %v (total %d, previous %v)", i, c, total, calls[max(0, i-1)])
		}
	}
	if last := calls[len(calls)-1]; last[0] != total {
		t.Fatalf("last call %v, want done = total", last)
	}
}

func TestImportFileErrors(t *testing.T) {
	st := openStore(t)
	dir := t.TempDir()
	for _, tc := range []struct{ name, path, msg string }{
		{"missing", filepath.Join(dir, "nope.json"), "There is no file " + filepath.Join(dir, "nope.json") + "."},
		{"folder", dir, dir + " is a folder; give the export file itself (conversations.json)."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ImportFile(ctx, st, tc.path, ImportOptions{})
			if store.UserMessage(err) != tc.msg {
				t.Fatalf("err %v: %q", err, store.UserMessage(err))
			}
		})
	}
	t.Run("file", func(t *testing.T) {
		path := filepath.Join(dir, "conversations.json")
		if err := os.WriteFile(path, []byte(readFile(t, "chatgpt-tree.json")), 0o600); err != nil {
			t.Fatal(err)
		}
		if rep, err := ImportFile(ctx, st, path, ImportOptions{From: ChatGPT}); err != nil || rep.Conversations != 1 {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}

func TestReportString(t *testing.T) {
	many := Report{Conversations: 12, Messages: 340, Already: 3, SkippedCount: 13}
	for i := range 13 {
		many.Skipped = append(many.Skipped, Skip{Title: fmt.Sprintf("T%d", i), Reason: "r"})
	}
	for _, tc := range []struct {
		r    Report
		want string
	}{
		{Report{}, "Nothing to import: the file holds no conversations."},
		{Report{Conversations: 1, Messages: 1}, "Imported 1 conversation (1 message)."},
		{Report{Conversations: 12, Messages: 340, Already: 3, SkippedCount: 1, Skipped: []Skip{{"Title", "reason"}}},
			`Imported 12 conversations (340 messages); 1 skipped: "Title" — reason; 3 already imported.`},
		{many, `Imported 12 conversations (340 messages); 13 skipped: "T0" — r, "T1" — r, "T2" — r, "T3" — r, "T4" — r, "T5" — r, "T6" — r, "T7" — r, "T8" — r, "T9" — r and 3 more; 3 already imported.`},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

func TestImportFromAPipe(t *testing.T) {
	st := openStore(t)
	// A reader that cannot seek (stdin, a pipe) is copied aside first.
	rep, err := Import(ctx, st, iotest.OneByteReader(strings.NewReader(readFile(t, "chatgpt-tree.json"))), ImportOptions{})
	if err != nil || rep.Conversations != 1 || rep.Messages != 11 {
		t.Fatalf("%+v %v", rep, err)
	}
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "deskchat-import-*.json")); len(left) != 0 {
		t.Errorf("copies left behind: %v", left)
	}
}

// flakyFile fails to read after failAt bytes on the given pass (1 or 2).
type flakyFile struct {
	*bytes.Reader
	pass, failOn int
	failAt, read int64
}

var errFlaky = errors.New("input/output error")

func (f *flakyFile) Seek(off int64, whence int) (int64, error) {
	if off == 0 && whence == io.SeekStart {
		f.pass++
		f.read = 0
	}
	return f.Reader.Seek(off, whence)
}

func (f *flakyFile) Read(p []byte) (int, error) {
	if f.pass == f.failOn && f.read >= f.failAt {
		return 0, errFlaky
	}
	n, err := f.Reader.Read(p[:min(len(p), 4096)])
	f.read += int64(n)
	return n, err
}

func TestImportReadErrors(t *testing.T) {
	var file bytes.Buffer
	if err := writeChatGPT(&file, 400, 10, 100); err != nil {
		t.Fatal(err)
	}
	t.Run("while checking", func(t *testing.T) {
		st := openStore(t)
		_, err := Import(ctx, st, &flakyFile{Reader: bytes.NewReader(file.Bytes()), failOn: 1, failAt: int64(file.Len() / 2)}, ImportOptions{})
		if !errors.Is(err, errFlaky) || store.UserMessage(err) != "Cannot read the file: the system refused; nothing was imported." || len(dumps(t, st)) != 0 {
			t.Fatalf("err %v: %q", err, store.UserMessage(err))
		}
	})
	t.Run("while importing", func(t *testing.T) {
		st := openStore(t)
		rep, err := Import(ctx, st, &flakyFile{Reader: bytes.NewReader(file.Bytes()), failOn: 2, failAt: int64(file.Len() / 2)}, ImportOptions{})
		stored := len(dumps(t, st))
		want := fmt.Sprintf("The import stopped: the file could not be read (the system refused). Conversations imported before that: %d; import the file again to add the rest.", stored)
		if !errors.Is(err, errFlaky) || store.UserMessage(err) != want || stored != rep.Conversations || stored == 0 || rep.SkippedCount != 0 {
			t.Fatalf("err %v: %q (%d stored, report %+v)", err, store.UserMessage(err), stored, rep)
		}
	})
}
