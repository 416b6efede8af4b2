package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// seedHistory writes two conversations through the store's own methods,
// the way the app does: states, pins, a superseded answer, reasoning,
// tokens, an error, a summary.
func seedHistory(t *testing.T, dir string) []string {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.CreateConversation(store.Conversation{Title: "Go <b>files</b>", Provider: "openai", Model: "gpt-4o", SystemPrompt: "be brief"})
	if err != nil {
		t.Fatal(err)
	}
	q, ans, err := st.AppendExchange(store.Message{ConversationID: a.ID, Role: store.RoleUser, Content: "How do I read a file?"},
		store.Message{ConversationID: a.ID, Role: store.RoleAssistant, State: store.StateStreaming, Provider: "openai", Model: "gpt-4o"})
	if err != nil {
		t.Fatal(err)
	}
	ans.Content, ans.Reasoning, ans.State, ans.Finish, ans.PromptTokens, ans.OutputTokens = "```go\nos.ReadFile(name)\n```", "simple", store.StateDone, "stop", 12, 34
	if err := st.PutMessage(ans); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetPinned(a.ID, q.Seq, true); err != nil {
		t.Fatal(err)
	}
	if err := st.Supersede(a.ID, q.Seq); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendMessage(store.Message{ConversationID: a.ID, Role: store.RoleAssistant, Content: "Use os.ReadFile, stopped", State: store.StateStopped, Provider: "openai", Model: "gpt-4o"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PutSummary(store.Summary{ConversationID: a.ID, Through: 1, Text: "a question about files"}); err != nil {
		t.Fatal(err)
	}
	b, err := st.CreateConversation(store.Conversation{Title: "Failed"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendMessage(store.Message{ConversationID: b.ID, Role: store.RoleUser, Content: "hello"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendMessage(store.Message{ConversationID: b.ID, Role: store.RoleAssistant, State: store.StateFailed, Error: "The provider is down."}); err != nil {
		t.Fatal(err)
	}
	return []string{a.ID, b.ID}
}

func TestExportImportRoundTripShowsTheSame(t *testing.T) {
	src, dst, dst2 := t.TempDir(), t.TempDir(), t.TempDir()
	ids := seedHistory(t, src)
	file := filepath.Join(t.TempDir(), "history.json")

	r := run(t, nil, "", "export", "--data-dir", src, "--out", file)
	if r.code != ExitOK || r.stdout != "" || r.stderr != "Exported 2 conversations (5 messages) to "+file+".\n" {
		t.Fatalf("export: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "", "import", file, "--data-dir", dst)
	if r.code != ExitOK || r.stdout != "Imported 2 conversations (5 messages).\n" {
		t.Fatalf("import: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// The default export goes to stdout, as JSON, and imports the same.
	r = run(t, nil, "", "export", "--data-dir", src)
	if r.code != ExitOK || !strings.HasPrefix(r.stdout, `{"format":"deskchat","version":1,`) {
		t.Fatalf("export to stdout: %d %.80q %q", r.code, r.stdout, r.stderr)
	}
	stdoutFile := filepath.Join(t.TempDir(), "stdout.json")
	if err := os.WriteFile(stdoutFile, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "", "--data-dir", dst2, "import", "--from", "deskchat", stdoutFile); r.code != ExitOK {
		t.Fatalf("import of stdout export: %d %q", r.code, r.stderr)
	}

	for _, dir := range []string{dst, dst2} {
		for _, args := range [][]string{{"list", "--json"}, {"show", ids[0], "--json"}, {"show", ids[1], "--json"}, {"show", ids[0]}} {
			want := run(t, nil, "", append(args, "--data-dir", src)...)
			got := run(t, nil, "", append(args, "--data-dir", dir)...)
			if want.code != ExitOK || got.stdout != want.stdout {
				t.Errorf("%v differs after export and import:\n got %s\nwant %s", args, got.stdout, want.stdout)
			}
		}
	}

	// Again: nothing new.
	r = run(t, nil, "", "import", "--data-dir", dst, file)
	if r.code != ExitOK || r.stdout != "Imported 0 conversations (0 messages); 2 already imported.\n" {
		t.Fatalf("second import: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestExportFormatsAndSelection(t *testing.T) {
	dir := t.TempDir()
	ids := seedHistory(t, dir)
	out := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in the file (or stdout), or the stderr sentence
	}{
		{"markdown of one", []string{"--format", "md", "--conversation", ids[1], "--out", filepath.Join(out, "one.md")}, ExitOK, "# Failed\n"},
		{"html of both", []string{"--format", "html", "--conversation", ids[0], "--conversation", ids[1], "--out", filepath.Join(out, "both.html")}, ExitOK, "Go &lt;b&gt;files&lt;/b&gt;"},
		{"markdown to stdout", []string{"--format", "markdown"}, ExitOK, "## Assistant · 20"},
		{"unknown conversation", []string{"--conversation", "nope", "--out", filepath.Join(out, "nope.json")}, ExitFailure, "There is no conversation \"nope\"; nothing was exported.\n"},
		{"missing folder", []string{"--out", filepath.Join(out, "no", "x.json")}, ExitFailure, "The folder " + filepath.Join(out, "no") + " does not exist; nothing was exported.\n"},
		{"bad format", []string{"--format", "pdf"}, ExitUsage, "deskchat export: --format must be json, md or html, not \"pdf\"\n"},
		{"stray argument", []string{ids[0]}, ExitUsage, "deskchat export: unexpected argument \"" + ids[0] + "\" (export takes flags only; see --help)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, "", append([]string{"export", "--data-dir", dir}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("code %d, want %d: %q", r.code, tc.code, r.stderr)
			}
			got := r.stderr
			if tc.code == ExitOK {
				got = r.stdout
				if i := len(tc.args) - 1; tc.args[i-1] == "--out" {
					b, err := os.ReadFile(tc.args[i])
					if err != nil {
						t.Fatal(err)
					}
					got = string(b)
				}
				if !strings.Contains(got, tc.want) {
					t.Fatalf("output lacks %q:\n%s", tc.want, got)
				}
				return
			}
			if got != tc.want {
				t.Fatalf("stderr %q, want %q", got, tc.want)
			}
		})
	}
	if entries, _ := os.ReadDir(out); len(entries) != 2 {
		t.Errorf("files in the export folder: %v (want one.md and both.html, nothing else)", entries)
	}
}

func TestImportCommand(t *testing.T) {
	// A real ChatGPT export (store/transfer/testdata/SOURCES.md).
	chatgpt, err := filepath.Abs("../store/transfer/testdata/chatgpt-tree.json")
	if err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	broken := filepath.Join(files, "broken.json")
	os.WriteFile(broken, []byte(`[{"title":"cut`), 0o600)
	other := filepath.Join(files, "other.json")
	os.WriteFile(other, []byte(`{"hello":"world"}`), 0o600)
	mixed := filepath.Join(files, "mixed.json")
	os.WriteFile(mixed, []byte(`[{"uuid":"1","name":"Kept","chat_messages":[{"sender":"human","text":"hi"}]},{"uuid":"2","name":"Empty","chat_messages":[]}]`), 0o600)

	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
		stdin  string
	}{
		{"chatgpt", []string{chatgpt}, ExitOK, "Imported 1 conversation (11 messages).\n", "", ""}, // every branch
		{"again, flag after the file", []string{chatgpt, "--from", "chatgpt"}, ExitOK, "Imported 0 conversations (0 messages); 1 already imported.\n", "", ""},
		{"one skipped", []string{"--from=claude", mixed}, ExitOK, "Imported 1 conversation (1 message); 1 skipped: \"Empty\" — it has no messages.\n", "", ""},
		{"wrong --from", []string{"--from", "claude", chatgpt}, ExitFailure, "", "This file is a ChatGPT export, not a Claude one; nothing was imported.\n", ""},
		{"damaged", []string{broken}, ExitFailure, "", "This file is damaged or incomplete (the file ends in the middle of a string at line 1); nothing was imported.\n", ""},
		{"not an export", []string{other}, ExitFailure, "", "This file is not a ChatGPT, Claude or deskchat export: expected a JSON array of conversations.\n", ""},
		{"missing file", []string{filepath.Join(files, "nope.json")}, ExitFailure, "", "There is no file " + filepath.Join(files, "nope.json") + ".\n", ""},
		{"no file", nil, ExitUsage, "", "deskchat import: import needs one FILE: a deskchat export, or conversations.json from ChatGPT or Claude\n", ""},
		{"two files", []string{chatgpt, mixed}, ExitUsage, "", "deskchat import: import needs one FILE: a deskchat export, or conversations.json from ChatGPT or Claude\n", ""},
		{"bad --from", []string{"--from", "gemini", chatgpt}, ExitUsage, "", "deskchat import: --from must be auto, deskchat, chatgpt or claude, not \"gemini\"\n", ""},
		{"stdin", []string{"-"}, ExitOK, "Imported 1 conversation (1 message).\n", "", `{"uuid":"3","name":"Piped","chat_messages":[{"sender":"human","text":"from stdin"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, nil, tc.stdin, append([]string{"import", "--data-dir", dir}, tc.args...)...)
			if r.code != tc.code || r.stdout != tc.stdout || r.stderr != tc.stderr {
				t.Fatalf("got %d %q %q\nwant %d %q %q", r.code, r.stdout, r.stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
	var list []struct {
		Title string `json:"title"`
	}
	r := run(t, nil, "", "list", "--json", "--data-dir", dir)
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 3 {
		t.Fatalf("after the imports: %v %s", err, r.stdout)
	}
}

// An export or import stopped by the user (Ctrl-C) exits 130 with its own
// sentence, having written or imported nothing.
func TestStoppedExportAndImportExit130(t *testing.T) {
	dir := t.TempDir()
	seedHistory(t, dir)
	exported := filepath.Join(t.TempDir(), "all.json")
	if r := run(t, nil, "", "export", "--data-dir", dir, "--out", exported); r.code != ExitOK {
		t.Fatalf("export: %d %q", r.code, r.stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stopped := func(args ...string) runResult {
		var out, errb bytes.Buffer
		code := Main(args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Context: ctx,
			Getenv: func(string) string { return "" }})
		return runResult{code, out.String(), errb.String()}
	}
	out := filepath.Join(t.TempDir(), "stopped.json")
	r := stopped("export", "--data-dir", dir, "--out", out)
	if r.code != ExitStopped || !strings.HasPrefix(r.stderr, "Stopped") {
		t.Errorf("stopped export: %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a stopped export left %s (%v)", out, err)
	}
	empty := t.TempDir()
	r = stopped("import", "--data-dir", empty, exported)
	if r.code != ExitStopped || r.stderr != "Stopped; nothing was imported.\n" {
		t.Errorf("stopped import: %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "list", "--data-dir", empty); r.code != ExitOK || strings.Count(r.stdout, "\n") != 1 { // the header only
		t.Errorf("after a stopped import, list: %d %q", r.code, r.stdout)
	}
}

// TestExportAllBranches: Markdown shows the active path; --all-branches
// adds the other branches after it, each headed; JSON carries the tree,
// which an import keeps.
func TestExportAllBranches(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	st, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	msg := func(seq, parent uint64, role store.Role, text string) store.Message {
		return store.Message{Seq: seq, Parent: parent, Role: role, Content: text, State: store.StateDone}
	}
	// An answer regenerated: 3 and 4 answer 1; 4 is shown.
	_, err = st.ImportConversations([]store.Import{{Dump: store.Dump{
		Conversation: store.Conversation{ID: "branched0001", Title: "Branched", Leaf: 4},
		Messages:     []store.Message{msg(1, 0, store.RoleUser, "question"), msg(3, 1, store.RoleAssistant, "first answer"), msg(4, 1, store.RoleAssistant, "second answer")},
	}}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "", "export", "--data-dir", src, "--format", "md")
	if r.code != ExitOK || strings.Contains(r.stdout, "first answer") || !strings.Contains(r.stdout, "second answer") ||
		!strings.Contains(r.stdout, "2 messages (the active path; 1 more on other branches)") {
		t.Fatalf("md: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "", "export", "--data-dir", src, "--format", "md", "--all-branches")
	i, j := strings.Index(r.stdout, "second answer"), strings.Index(r.stdout, "## Branch from message 1\n\n## Message 3 · Assistant")
	if r.code != ExitOK || i < 0 || j < i || !strings.Contains(r.stdout, "first answer") {
		t.Fatalf("md --all-branches: %d %q %q", r.code, r.stdout, r.stderr)
	}
	file := filepath.Join(t.TempDir(), "tree.json")
	if r := run(t, nil, "", "export", "--data-dir", src, "--out", file, "--all-branches"); r.code != ExitOK {
		t.Fatalf("json: %d %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "import", "--data-dir", dst, file); r.code != ExitOK || r.stdout != "Imported 1 conversation (3 messages).\n" {
		t.Fatalf("import: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// Markdown holds no export time: the same tree writes the same file.
	if a, b := run(t, nil, "", "export", "--data-dir", src, "--all-branches", "--format", "md").stdout,
		run(t, nil, "", "export", "--data-dir", dst, "--all-branches", "--format", "md").stdout; a != b || !strings.Contains(a, "## Branch from message 1") {
		t.Errorf("Markdown differs after the round trip, or has no branch:\n%s\n%s", a, b)
	}
}
