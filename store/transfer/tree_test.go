package transfer

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// seqs is the Seqs of ms joined by spaces.
func seqs(ms []store.Message) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprint(m.Seq))
	}
	return strings.Join(parts, " ")
}

// treeMessages are messages with the given "seq<parent" links, in order.
func treeMessages(links ...string) []store.Message {
	var ms []store.Message
	for i, l := range links {
		var seq, parent uint64
		if _, err := fmt.Sscanf(l, "%d<%d", &seq, &parent); err != nil {
			panic(l)
		}
		role := store.RoleUser
		if i%2 == 1 {
			role = store.RoleAssistant
		}
		ms = append(ms, store.Message{Seq: seq, Parent: parent, Role: role, Content: fmt.Sprintf("text %d", seq), State: store.StateDone,
			CreatedAt: t0.Add(time.Duration(seq) * time.Second), UpdatedAt: t0.Add(time.Duration(seq) * time.Second)})
	}
	return ms
}

func TestActivePath(t *testing.T) {
	for _, tc := range []struct {
		name  string
		links []string
		leaf  uint64
		want  string
	}{
		{"a chain", []string{"1<0", "2<1", "3<2"}, 3, "1 2 3"},
		{"a branch", []string{"1<0", "2<1", "3<1", "4<3", "5<2"}, 4, "1 3 4"},
		{"the leaf inside the path", []string{"1<0", "2<1", "3<2"}, 2, "1 2"},
		{"another first question", []string{"1<0", "2<1", "3<0", "4<3"}, 4, "3 4"},
		{"no tree: every message", []string{"1<0", "2<0", "4<0"}, 0, "1 2 4"},
		{"an unknown leaf: the last message", []string{"1<0", "2<1", "3<1"}, 9, "1 3"},
		{"no leaf: the last message", []string{"1<0", "2<1", "3<1"}, 0, "1 3"},
		{"a missing parent is a root", []string{"1<0", "3<2", "4<3"}, 4, "3 4"},
		{"a claimed loop ends", []string{"1<2", "2<1"}, 2, "1 2"},
		{"a parent after its child ends", []string{"1<0", "2<3", "3<2"}, 3, "2 3"},
		{"empty", nil, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := seqs(activePath(treeMessages(tc.links...), tc.leaf)); got != tc.want {
				t.Errorf("path %q, want %q", got, tc.want)
			}
		})
	}
}

// TestToShowEveryBranch: the active path first, then each other branch
// once, in the order of its first message, following its oldest child.
func TestToShowEveryBranch(t *testing.T) {
	// 1 ─ 2 ─ 3 ─ 4          the active path: 1 5 6 8
	//  │   └ 7                (7 continues 2, 9 continues 6)
	//  └ 5 ─ 6 ─ 8
	//         └ 9 ─ 10
	// 11 ─ 12                 (another first question)
	ms := treeMessages("1<0", "2<1", "3<2", "4<3", "5<1", "6<5", "7<2", "8<6", "9<6", "10<9", "11<0", "12<11")
	s := toShow(ms, 8, true)
	var got []string
	for i, m := range s.msgs {
		for _, b := range s.branches {
			if b.at == i {
				got = append(got, branchHeading(b)+":")
			}
		}
		got = append(got, fmt.Sprint(m.Seq))
	}
	want := "1 5 6 8 Branch from message 1: 2 3 4 Branch from message 2: 7 Branch from message 6: 9 10 Branch from the start: 11 12"
	if g := strings.Join(got, " "); g != want || s.hidden != 0 {
		t.Errorf("shown %q (hidden %d)\n want %q", g, s.hidden, want)
	}
	if s := toShow(ms, 8, false); seqs(s.msgs) != "1 5 6 8" || s.hidden != 8 || len(s.branches) != 0 {
		t.Errorf("active path only: %q hidden %d branches %v", seqs(s.msgs), s.hidden, s.branches)
	}
	// Hostile links: every message is still written once.
	hostile := treeMessages("1<0", "2<2", "3<9", "4<3", "5<7", "7<5")
	if s := toShow(hostile, 4, true); len(s.msgs) != len(hostile) {
		t.Errorf("hostile: %q", seqs(s.msgs))
	}
}

// threeBranches is a conversation with three branches: the first question
// edited (a second root), its answer's follow-up edited, and an answer
// regenerated; the active path is the regenerated answer's.
func threeBranches(id string) store.Dump {
	ms := treeMessages("1<0", "2<1", "3<2", "4<3", "5<0", "6<5", "7<2", "8<7", "9<7")
	for i := range ms { // questions: the roots and the answer 2's follow-ups
		ms[i].Role = map[bool]store.Role{true: store.RoleUser, false: store.RoleAssistant}[ms[i].Parent == 0 || ms[i].Parent == 2]
	}
	ms[8].Reasoning = "again" // 9, 8's sibling: a regenerated answer
	return store.Dump{
		Conversation: store.Conversation{ID: id, Title: "Three branches", Provider: "openai", Model: "gpt-4o", Leaf: 9, CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)},
		Messages:     ms,
	}
}

// TestJSONRoundTripKeepsTheTree: a tree with three branches, exported and
// imported into an empty store, comes back with the same parents, leaf and
// active path; the file names each message's parent and the leaf.
func TestJSONRoundTripKeepsTheTree(t *testing.T) {
	src := openStore(t)
	seed(t, src, []store.Import{{Dump: threeBranches("tree00000001")}})
	data := exportString(t, src, ExportOptions{})
	for _, s := range []string{`"leaf":9,`, `{"seq":1,"parent":0,`, `{"seq":5,"parent":0,`, `{"seq":7,"parent":2,`, `{"seq":9,"parent":7,`} {
		if !strings.Contains(data, s) {
			t.Errorf("export lacks %s:\n%s", s, data)
		}
	}
	dst := openStore(t)
	if rep := mustImport(t, dst, data, Auto); rep.Conversations != 1 || rep.Messages != 9 {
		t.Fatalf("report %+v", rep)
	}
	equal(t, "after the round trip", dumps(t, dst), dumps(t, src))
	d := dumps(t, dst)["tree00000001"]
	if got := parentsOf(d); got != "1<0 2<1 3<2 4<3 5<0 6<5 7<2 8<7 9<7" {
		t.Errorf("parents %s", got)
	}
	if got := seqs(activePath(d.Messages, d.Conversation.Leaf)); got != "1 2 7 9" {
		t.Errorf("active path %s", got)
	}
	page := exportString(t, src, ExportOptions{Format: HTML, AllBranches: true})
	checkInert(t, page)
	for _, s := range []string{
		`<h3 class="branch">Branch from <a href="#m-tree00000001-2">message 2</a></h3>`,
		`<h3 class="branch">Branch from the start</h3>`,
		`<section class="msg assistant" id="m-tree00000001-8">`,
		"9 messages (the active path, then 3 other branches)",
	} {
		if !strings.Contains(page, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	for _, f := range []Format{Markdown, HTML} {
		for _, all := range []bool{false, true} {
			opts := ExportOptions{Format: f, AllBranches: all}
			if a, b := exportString(t, src, opts), exportString(t, dst, opts); a != b {
				t.Errorf("%s (all branches %v) differs after the round trip", f, all)
			}
		}
	}
}

// An export written before the tree (no "parent", no "leaf") imports as
// before: a chain, a superseded answer beside the answer that replaced it.
func TestImportOldExportIsChained(t *testing.T) {
	const old = `{"format":"deskchat","version":1,"exported_at":"2024-05-03T17:37:11Z","conversations":[
{"id":"old000000001","title":"Old","created_at":"2024-05-01T17:37:11Z","updated_at":"2024-05-01T18:37:11Z","messages":[
{"seq":1,"role":"user","content":"q","state":"done","created_at":"2024-05-01T17:37:11Z","updated_at":"2024-05-01T17:37:11Z"},
{"seq":2,"role":"assistant","content":"old","state":"done","superseded":true,"created_at":"2024-05-01T17:37:12Z","updated_at":"2024-05-01T17:37:12Z"},
{"seq":3,"role":"assistant","content":"new","state":"done","created_at":"2024-05-01T17:37:13Z","updated_at":"2024-05-01T17:37:13Z"},
{"seq":4,"role":"user","content":"more","state":"done","created_at":"2024-05-01T17:37:14Z","updated_at":"2024-05-01T17:37:14Z"}
]}]}`
	st := openStore(t)
	mustImport(t, st, old, Auto)
	d := only(t, st)
	if got := parentsOf(d); got != "1<0 2<1 3<1 4<3" || d.Conversation.Leaf != 4 || d.Messages[1].Superseded {
		t.Errorf("parents %s leaf %d superseded %v", got, d.Conversation.Leaf, d.Messages[1].Superseded)
	}
	md := exportString(t, st, ExportOptions{Format: Markdown})
	if strings.Contains(md, "\nold\n") || !strings.Contains(md, "3 messages (the active path; 1 more on other branches)") {
		t.Errorf("Markdown of the active path:\n%s", md)
	}
}

// TestImportChatGPTBranches: a hand-made mapping with two edits (the first
// question edited: a second root; the second question edited) and a
// regeneration keeps every branch, in time order, with current_node's as
// the active path; a hidden system message's children move up to the
// root, and thoughts go to the answer below them on their branch only.
func TestImportChatGPTBranches(t *testing.T) {
	text := func(s string) string { return `{"content_type":"text","parts":[` + fmt.Sprintf("%q", s) + `]}` }
	conv := gptConv("b1", "a3",
		`sys|root|system|`+text("")+`|"metadata":{"is_visually_hidden_from_conversation":true}`,
		`u1|sys|user|`+text("q1"),
		`a1|u1|assistant|`+text("a1")+`|"metadata":{"model_slug":"gpt-4o"}`,
		`u2|a1|user|`+text("q2"),
		`a2|u2|assistant|`+text("a2"),
		`th|u2|assistant|{"content_type":"thoughts","thoughts":[{"summary":"s","content":"think again"}]}`,
		`a2b|th|assistant|`+text("a2, regenerated")+`|"metadata":{"model_slug":"o3"}`,
		`u2e|a1|user|`+text("q2, edited"),
		`a3|u2e|assistant|`+text("a3")+`|"metadata":{"model_slug":"gpt-4.1"}`,
		`u1e|sys|user|`+text("q1, edited"),
		`a4|u1e|assistant|`+text("a4"))
	st := openStore(t)
	if rep := mustImport(t, st, "["+conv+"]", ChatGPT); rep.Messages != 9 {
		t.Fatalf("report %+v", rep)
	}
	d := only(t, st)
	var got []string
	for _, m := range d.Messages {
		got = append(got, m.Content)
	}
	if g := strings.Join(got, "|"); g != "q1|a1|q2|a2|a2, regenerated|q2, edited|a3|q1, edited|a4" {
		t.Errorf("messages %s", g)
	}
	if got := parentsOf(d); got != "1<0 2<1 3<2 4<3 5<3 6<2 7<6 8<0 9<8" {
		t.Errorf("parents %s", got)
	}
	if d.Conversation.Leaf != 7 || seqs(activePath(d.Messages, 7)) != "1 2 6 7" || d.Conversation.Model != "gpt-4.1" {
		t.Errorf("leaf %d, model %q", d.Conversation.Leaf, d.Conversation.Model)
	}
	if d.Messages[4].Reasoning != "think again" || d.Messages[3].Reasoning != "" || d.Messages[6].Reasoning != "" {
		t.Errorf("reasoning %q %q %q", d.Messages[3].Reasoning, d.Messages[4].Reasoning, d.Messages[6].Reasoning)
	}
}

// TestImportChatGPTHostileMappings: parents that loop, are missing or are
// the node itself, a very deep chain, and a current node that is not a
// message import without looping or panicking; every message is kept.
func TestImportChatGPTHostileMappings(t *testing.T) {
	text := func(s string) string { return `{"content_type":"text","parts":[` + fmt.Sprintf("%q", s) + `]}` }
	for _, tc := range []struct {
		name    string
		conv    string
		parents string
		leaf    uint64
	}{
		{"a loop with a tail", gptConv("h1", "z",
			`x|y|user|`+text("x"), `y|x|assistant|`+text("y"), `z|x|assistant|`+text("z")), "1<0 2<1 3<1", 3},
		{"a missing parent and a node its own parent", gptConv("h2", "b",
			`a|nowhere|user|`+text("a"), `b|a|assistant|`+text("b"), `c|c|user|`+text("c")), "1<0 2<1 3<0", 2},
		{"current node hidden: its nearest message", gptConv("h3", "h",
			`u|root|user|`+text("u"), `a|u|assistant|`+text("a"), `h|a|system|`+text("h")+`|"metadata":{"is_visually_hidden_from_conversation":true}`), "1<0 2<1", 2},
		{"current node the root: the last message", gptConv("h4", "root",
			`u|root|user|`+text("u"), `a|root|user|`+text("a")), "1<0 2<0", 2},
		{"current node unknown: the latest message", gptConv("h5", "gone",
			`u|root|user|`+text("u"), `a|u|assistant|`+text("a"), `b|u|assistant|`+text("b")), "1<0 2<1 3<1", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			mustImport(t, st, "["+tc.conv+"]", ChatGPT)
			d := only(t, st)
			if got := parentsOf(d); got != tc.parents || d.Conversation.Leaf != tc.leaf {
				t.Errorf("parents %s leaf %d, want %s leaf %d", got, d.Conversation.Leaf, tc.parents, tc.leaf)
			}
		})
	}
	t.Run("10,000 deep", func(t *testing.T) {
		const n = 10000
		nodes := make([]string, n)
		for i := range nodes {
			parent := "root"
			if i > 0 {
				parent = fmt.Sprintf("n%d", i-1)
			}
			role := "user"
			if i%2 == 1 {
				role = "assistant"
			}
			nodes[i] = fmt.Sprintf("n%d|%s|%s|%s", i, parent, role, text(fmt.Sprint(i)))
		}
		st := openStore(t)
		mustImport(t, st, "["+gptConv("deep", fmt.Sprintf("n%d", n-1), nodes...)+"]", ChatGPT)
		d := only(t, st)
		if len(d.Messages) != n || d.Conversation.Leaf != n || d.Messages[n-1].Parent != n-1 || len(activePath(d.Messages, n)) != n {
			t.Errorf("%d messages, leaf %d", len(d.Messages), d.Conversation.Leaf)
		}
	})
}

// FuzzChatGPTTree: whatever the parent links of a mapping (loops, missing
// or self parents, many roots), convert ends, keeps every message with
// text, puts each parent before its child and names a leaf among them.
//
//	go test -run '^$' -fuzz '^FuzzChatGPTTree$' -fuzztime 30s ./store/transfer
func FuzzChatGPTTree(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3}, uint8(3))
	f.Add([]byte{1, 0, 0, 2, 2, 9}, uint8(5))
	f.Add([]byte{1, 2, 0, 4, 3, 255, 5}, uint8(0))
	f.Fuzz(func(t *testing.T, links []byte, current uint8) {
		if len(links) > 500 {
			links = links[:500]
		}
		g := &gptConversation{ID: "fuzz", Mapping: make(map[string]gptNode, len(links)), CurrentNode: fmt.Sprintf("n%d", current)}
		kept := 0
		for i, l := range links {
			parent := fmt.Sprintf("n%d", l%64) // may be missing, itself, or later
			m := &gptMessage{Status: "finished_successfully"}
			m.Author.Role = []string{"user", "assistant", "tool", "system"}[i%4]
			m.Content.ContentType = "text"
			if l%5 != 0 { // some nodes are empty
				m.Content.Parts = []json.RawMessage{json.RawMessage(fmt.Sprintf("%q", fmt.Sprint("text ", i)))}
				if i%4 != 2 {
					kept++
				}
			}
			at := float64(1.7e9 + int(l)*7%13)
			m.CreateTime = &at
			g.Mapping[fmt.Sprintf("n%d", i)] = gptNode{Parent: &parent, Message: m}
		}
		im, err := g.convert(t0)
		if kept == 0 {
			if err == nil {
				t.Fatalf("no message kept, yet no error")
			}
			return
		}
		if err != nil || len(im.Messages) != kept {
			t.Fatalf("%d messages, want %d: %v", len(im.Messages), kept, err)
		}
		for i, m := range im.Messages {
			if m.Parent > uint64(i) {
				t.Fatalf("message %d follows %d", i+1, m.Parent)
			}
		}
		if l := im.Conversation.Leaf; l == 0 || l > uint64(len(im.Messages)) {
			t.Fatalf("leaf %d of %d", l, len(im.Messages))
		}
	})
}
