package transfer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// Fixtures (testdata/SOURCES.md): chatgpt-tree.json is LibreChat's
// api/server/utils/import/__data__/chatgpt-tree.json (danny-avila/LibreChat
// @ f406aaafdca2), a real ChatGPT conversations.json; claude-minimal.json is
// polylogue's tests/fixtures/origin-capability/claude-ai-export.json
// (Sinity/polylogue @ d250e578bf73).

var ctx = context.Background()

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var t0 = time.Date(2024, 5, 1, 17, 37, 11, 150442000, time.UTC)

// sample is a small history with everything a conversation can hold, at
// fixed ids and times (so that golden files stay put).
func sample() []store.Import {
	code := "Here:\n\n```go\nfmt.Println(\"<b>hi</b>\")\n```\n\nDone & dusted."
	return []store.Import{
		{Dump: store.Dump{
			Conversation: store.Conversation{ID: "a1b2c3d4e5f6", Title: "Go <script>alert(1)</script> & friends", Provider: "openai",
				Model: "gpt-4o", SystemPrompt: "Answer with ```code``` when useful.", CompressionOff: true, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)},
			Summary: &store.Summary{Through: 2, Text: "They talked.", Model: "gpt-4o-mini", Tokens: 12, UpdatedAt: t0.Add(30 * time.Minute)},
			Messages: []store.Message{
				{Seq: 1, Role: store.RoleUser, Content: "Print <b>hi</b> in Go\nplease", State: store.StateDone, CreatedAt: t0, UpdatedAt: t0},
				{Seq: 2, Role: store.RoleAssistant, Content: code, Reasoning: "Use ```` and ``` carefully", State: store.StateDone, Provider: "openai",
					Model: "gpt-4o", Finish: "stop", PromptTokens: 20, OutputTokens: 30, Pinned: true, CreatedAt: t0.Add(time.Second), UpdatedAt: t0.Add(2 * time.Second)},
				{Seq: 3, Role: store.RoleUser, Content: "Again, cut short", State: store.StateDone, CreatedAt: t0.Add(time.Minute), UpdatedAt: t0.Add(time.Minute)},
				{Seq: 4, Role: store.RoleAssistant, Content: "Old answer", State: store.StateDone, Superseded: true, Provider: "openai", Model: "gpt-4o",
					CreatedAt: t0.Add(61 * time.Second), UpdatedAt: t0.Add(62 * time.Second)},
				{Seq: 6, Role: store.RoleAssistant, Content: "```python\nprint('stopped mid-block')", State: store.StateStopped, Provider: "openai",
					Model: "gpt-4o", CreatedAt: t0.Add(63 * time.Second), UpdatedAt: t0.Add(64 * time.Second)},
			},
		}},
		{Dump: store.Dump{
			Conversation: store.Conversation{ID: "0f0f0f0f0f0f", Title: "Failed one", Provider: "local", Model: "llama3",
				CreatedAt: t0.Add(-24 * time.Hour), UpdatedAt: t0.Add(-23 * time.Hour)},
			Messages: []store.Message{
				{Seq: 1, Role: store.RoleSystem, Content: "be brief", State: store.StateDone, CreatedAt: t0.Add(-24 * time.Hour), UpdatedAt: t0.Add(-24 * time.Hour)},
				{Seq: 2, Role: store.RoleUser, Content: "ünïcødé ✓ — 日本語", State: store.StateDone, CreatedAt: t0.Add(-24 * time.Hour), UpdatedAt: t0.Add(-24 * time.Hour)},
				{Seq: 3, Role: store.RoleAssistant, Content: "", State: store.StateFailed, Error: "The provider refused: rate limited.", Provider: "local",
					Model: "llama3", CreatedAt: t0.Add(-23 * time.Hour), UpdatedAt: t0.Add(-23 * time.Hour)},
				{Seq: 4, Role: store.RoleAssistant, Content: "partial", State: store.StateInterrupted, Provider: "local", Model: "llama3",
					CreatedAt: t0.Add(-23 * time.Hour), UpdatedAt: t0.Add(-23 * time.Hour)},
			},
		}},
	}
}

func seed(t testing.TB, st *store.Store, ims []store.Import) {
	t.Helper()
	if _, err := st.ImportConversations(ims); err != nil {
		t.Fatal(err)
	}
}

// dumps returns every conversation of st, by id.
func dumps(t testing.TB, st *store.Store) map[string]store.Dump {
	t.Helper()
	convs, err := st.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]store.Dump, len(convs))
	for _, c := range convs {
		d, err := st.Dump(c.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[c.ID] = d
	}
	return out
}

func exportString(t testing.TB, st *store.Store, opts ExportOptions) string {
	t.Helper()
	var b bytes.Buffer
	if opts.Time.IsZero() {
		opts.Time = t0.Add(48 * time.Hour)
	}
	if _, err := Export(ctx, st, &b, opts); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func importString(t testing.TB, st *store.Store, data string, from Source) (Report, error) {
	t.Helper()
	return Import(ctx, st, strings.NewReader(data), ImportOptions{From: from})
}

func mustImport(t testing.TB, st *store.Store, data string, from Source) Report {
	t.Helper()
	rep, err := importString(t, st, data, from)
	if err != nil {
		t.Fatalf("import: %v (%s)", err, store.UserMessage(err))
	}
	return rep
}

func readFile(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func equal(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		w, _ := json.MarshalIndent(want, "", "  ")
		t.Fatalf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// writeChatGPT writes a ChatGPT conversations.json of convs conversations
// with msgs messages on the active path each (alternating user and
// assistant) and one more on another branch (a branch point in every
// conversation), each message text about size bytes.
func writeChatGPT(w io.Writer, convs, msgs, size int) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	text := strings.Repeat("lorem ipsum dolor sit amet, ", size/28+1)[:size]
	bw.WriteString("[")
	for c := range convs {
		if c > 0 {
			bw.WriteString(",")
		}
		base := 1.7e9 + float64(c)*1000
		fmt.Fprintf(bw, `{"title":"Conversation %d","create_time":%.6f,"update_time":%.6f,"mapping":{`, c, base, base+float64(msgs))
		fmt.Fprintf(bw, `"root-%d":{"id":"root-%d","message":null,"parent":null,"children":["n-%d-0"]}`, c, c, c)
		for m := range msgs {
			role, extra := "user", `"metadata":{"request_id":"8a1b2c3d4e5f-IAD","timestamp_":"absolute"}`
			if m%2 == 1 {
				role, extra = "assistant", `"metadata":{"model_slug":"gpt-4o","finish_details":{"type":"stop","stop_tokens":[200002]},"citations":[],"is_complete":true}`
			}
			parent := fmt.Sprintf("n-%d-%d", c, m-1)
			if m == 0 {
				parent = fmt.Sprintf("root-%d", c)
			}
			fmt.Fprintf(bw, `,"n-%d-%d":{"id":"n-%d-%d","message":{"id":"n-%d-%d","author":{"role":"%s","name":null,"metadata":{}},"create_time":%.6f,"update_time":null,"content":{"content_type":"text","parts":["%d: %s"]},"status":"finished_successfully","end_turn":true,"weight":1.0,%s,"recipient":"all"},"parent":"%s","children":["n-%d-%d"]}`,
				c, m, c, m, c, m, role, base+float64(m), m, text, extra, parent, c, m+1)
		}
		// A regenerated answer on a branch the user left: imported too, a
		// sibling of the first answer, off the active path.
		fmt.Fprintf(bw, `,"alt-%d":{"id":"alt-%d","message":{"id":"alt-%d","author":{"role":"assistant"},"create_time":%.6f,"content":{"content_type":"text","parts":["an abandoned branch"]},"status":"finished_successfully","metadata":{},"recipient":"all"},"parent":"n-%d-0","children":[]}`,
			c, c, c, base+0.5, c)
		fmt.Fprintf(bw, `},"moderation_results":[],"current_node":"n-%d-%d","conversation_id":"conv-%08d","id":"conv-%08d","default_model_slug":"gpt-4o"}`, c, msgs-1, c, c)
	}
	bw.WriteString("]")
	return bw.Flush()
}

// generated is a deskchat history of convs conversations of msgs messages.
func generated(convs, msgs int) []store.Import {
	out := make([]store.Import, 0, convs)
	for c := range convs {
		d := store.Dump{Conversation: store.Conversation{ID: fmt.Sprintf("gen%09d", c), Title: fmt.Sprintf("Generated %d", c),
			Provider: "openai", Model: "gpt-4o", CreatedAt: t0.Add(time.Duration(c) * time.Minute), UpdatedAt: t0.Add(time.Duration(c)*time.Minute + time.Second)}}
		for m := range msgs {
			role, text := store.RoleUser, fmt.Sprintf("Question %d: how do I read a file in Go?", m)
			if m%2 == 1 {
				role, text = store.RoleAssistant, fmt.Sprintf("Answer %d:\n\n```go\ndata, err := os.ReadFile(\"x\")\nif err != nil {\n\treturn err\n}\n```\n\nThat reads it <all> at once & returns the bytes.", m)
			}
			d.Messages = append(d.Messages, store.Message{Seq: uint64(m + 1), Role: role, Content: text, State: store.StateDone,
				Model: "gpt-4o", CreatedAt: d.Conversation.CreatedAt.Add(time.Duration(m) * time.Millisecond), UpdatedAt: d.Conversation.CreatedAt})
		}
		out = append(out, store.Import{Source: "deskchat:" + d.Conversation.ID, Dump: d})
	}
	return out
}
