package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deskchat/deskchat/store"
)

// seedSearch writes two conversations and returns the data dir, the ids and
// the messages.
func seedSearch(t *testing.T) (string, store.Conversation, []store.Message) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	trip, err := st.CreateConversation(store.Conversation{Title: "Trip to Kyoto"})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := st.CreateConversation(store.Conversation{Title: "Go questions"})
	var msgs []store.Message
	for _, m := range []store.Message{
		{ConversationID: trip.ID, Role: store.RoleUser, Content: "What should I see in Kyoto?\nAlso: 東京都に住んでいます。"},
		{ConversationID: trip.ID, Role: store.RoleAssistant, Content: "Visit Fushimi Inari early; KYOTO is busy by noon."},
		{ConversationID: other.ID, Role: store.RoleUser, Content: "How do goroutines \x1b[31mleak\x1b[0m?"},
	} {
		m, err := st.AppendMessage(m)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	return dir, trip, msgs
}

func TestSearchPrintsMatchesWithTheirIDs(t *testing.T) {
	dir, trip, msgs := seedSearch(t)

	r := run(t, nil, "", "search", "kyoto", "--data-dir", dir)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("search: %d %q", r.code, r.stderr)
	}
	blocks := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n\n")
	if len(blocks) != 3 {
		t.Fatalf("want 3 result blocks (2 messages, 1 title):\n%s", r.stdout)
	}
	// Newest first: the answer, the question, then the title (created first).
	want := []string{
		trip.ID + "  " + msgs[1].ID() + "  Trip to Kyoto\n  Visit Fushimi Inari early; **KYOTO** is busy by noon.",
		trip.ID + "  " + msgs[0].ID() + "  Trip to Kyoto\n  What should I see in **Kyoto**? Also: 東京都に住んでいます。",
		trip.ID + "  (title)  Trip to Kyoto\n  Trip to **Kyoto**",
	}
	for i, w := range want {
		if blocks[i] != w {
			t.Errorf("block %d:\n got %q\nwant %q", i, blocks[i], w)
		}
	}

	if r := run(t, nil, "", "search", "--data-dir", dir, "goroutines"); !strings.Contains(r.stdout, "**goroutines** [31mleak [0m?") || strings.Contains(r.stdout, "\x1b") {
		t.Errorf("control characters reach the terminal: %q", r.stdout)
	}
	if r := run(t, nil, "", "search", "--data-dir", dir, "nothing-like-this"); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "No messages") {
		t.Errorf("no match: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestSearchJSONIsStable(t *testing.T) {
	dir, trip, msgs := seedSearch(t)
	r := run(t, nil, "", "search", "京都", "--json", "--limit", "5", "--data-dir", dir)
	if r.code != 0 {
		t.Fatalf("%d %q", r.code, r.stderr)
	}
	var raw []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(raw) != 1 {
		t.Fatalf("want one result:\n%s", r.stdout)
	}
	for _, key := range []string{"conversation_id", "message_id", "seq", "role", "title", "snippet", "highlights", "created_at", "in_title"} {
		if _, ok := raw[0][key]; !ok {
			t.Errorf("%q missing in %v", key, raw[0])
		}
	}
	var got []searchResultJSON
	json.Unmarshal([]byte(r.stdout), &got)
	g := got[0]
	if g.ConversationID != trip.ID || g.MessageID != msgs[0].ID() || g.Seq != msgs[0].Seq || g.Role != "user" || g.Title != "Trip to Kyoto" || g.InTitle {
		t.Errorf("%+v", g)
	}
	if len(g.Highlights) != 1 || g.Snippet[g.Highlights[0][0]:g.Highlights[0][1]] != "京都" || !utf8.ValidString(g.Snippet) {
		t.Errorf("highlights %v in %q", g.Highlights, g.Snippet)
	}

	// Titles and limits.
	r = run(t, nil, "", "search", "--json", "--by", "relevance", "--limit", "1", "--data-dir", dir, "kyoto")
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 1 {
		t.Fatalf("limit 1: %v %s", err, r.stdout)
	}
	// An empty result is an empty array, not null.
	r = run(t, nil, "", "search", "--json", "--data-dir", dir, "   ")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("blank query: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestSearchUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"search"},
		{"search", "x", "--limit", "0"},
		{"search", "x", "--by", "oldest"},
		{"search", "x", "--nope"},
	} {
		r := run(t, nil, "", append(args, "--data-dir", dir)...)
		if r.code != ExitUsage || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	// A query that looks like a flag, after "--".
	if r := run(t, nil, "", "search", "--data-dir", dir, "--", "--limit"); r.code != 0 {
		t.Errorf("-- --limit: %d %q", r.code, r.stderr)
	}
}
