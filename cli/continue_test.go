package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

func TestAskContinueGoesOnWithAnInterruptedAnswer(t *testing.T) {
	srv := newChatServer(t, " and the rest.")
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := st.CreateConversation(store.Conversation{Title: "cut"})
	st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: "Tell me all."})
	a, _ := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleAssistant, Content: "Here is the start", State: store.StateInterrupted})
	st.Close()

	r := run(t, nil, "", "show", "--data-dir", dir, c.ID)
	if !strings.Contains(r.stdout, "deskchat ask --continue "+a.ID()) {
		t.Fatalf("show gives no hint to continue:\n%s", r.stdout)
	}
	r = run(t, nil, "", "ask", "--data-dir", dir, "--base-url", srv.URL, "--model", "m", "--continue", a.ID())
	if r.code != 0 || r.stdout != " and the rest.\n" {
		t.Fatalf("continue: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, nil, "", "show", "--json", "--data-dir", dir, c.ID)
	var msgs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &msgs); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1]["content"] != "Here is the start and the rest." || msgs[1]["state"] != "done" {
		t.Fatalf("stored %v", msgs)
	}

	// A finished answer cannot be continued: one sentence, exit 1.
	r = run(t, nil, "", "ask", "--data-dir", dir, "--base-url", srv.URL, "--model", "m", "--continue", a.ID())
	if r.code != 1 || !strings.Contains(r.stderr, "can be continued") || strings.Contains(r.stderr, "store:") {
		t.Fatalf("continuing a finished answer: code %d stderr %q", r.code, r.stderr)
	}
	for _, args := range [][]string{{"--continue", "nonsense"}, {"--continue", a.ID(), "more text"}} {
		r = run(t, nil, "", append([]string{"ask", "--data-dir", dir, "--base-url", srv.URL, "--model", "m"}, args...)...)
		if r.code != 2 {
			t.Errorf("%v: code %d stderr %q, want a usage error", args, r.code, r.stderr)
		}
	}
}
