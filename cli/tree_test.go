package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// shown is one message of "show --json".
type shown struct {
	ID       string `json:"id"`
	ParentID string `json:"parent_id"`
	Role     string `json:"role"`
	Content  string `json:"content"`
}

func showJSON(t *testing.T, args ...string) []shown {
	t.Helper()
	r := run(t, nil, "", append([]string{"show", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("show %v: code %d stderr %q", args, r.code, r.stderr)
	}
	var out []shown
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("show %v: %v\n%s", args, err, r.stdout)
	}
	return out
}

func contentsOf(ms []shown) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return strings.Join(out, " | ")
}

// branchedChat stores q1 a2 q3 a4, then q5 a6 asked again from a2 (a
// sibling of q3): the active path is q1 a2 q5 a6.
func branchedChat(t *testing.T, dir string) store.Conversation {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, _ := st.CreateConversation(store.Conversation{Title: "branches"})
	msg := func(role store.Role, text string) store.Message {
		return store.Message{ConversationID: c.ID, Role: role, Content: text}
	}
	st.AppendExchange(msg(store.RoleUser, "q1"), msg(store.RoleAssistant, "a2"))
	st.AppendExchange(msg(store.RoleUser, "q3"), msg(store.RoleAssistant, "a4"))
	if _, _, err := st.AppendReply(2, msg(store.RoleUser, "q5"), msg(store.RoleAssistant, "a6")); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestShowPrintsTheActivePathAndAllEveryBranch(t *testing.T) {
	dir := t.TempDir()
	c := branchedChat(t, dir)
	path := showJSON(t, "--data-dir", dir, c.ID)
	if got := contentsOf(path); got != "q1 | a2 | q5 | a6" {
		t.Fatalf("active path %q", got)
	}
	if path[0].ParentID != "" || path[2].ParentID != c.ID+"-2" || path[3].ParentID != c.ID+"-5" {
		t.Errorf("parent ids %+v", path)
	}
	all := showJSON(t, "--data-dir", dir, c.ID, "--all")
	if got := contentsOf(all); got != "q1 | a2 | q3 | a4 | q5 | a6" {
		t.Fatalf("every message %q", got)
	}
	if all[2].ParentID != c.ID+"-2" || all[4].ParentID != c.ID+"-2" {
		t.Errorf("q3 and q5 follow %q and %q, want %s-2", all[2].ParentID, all[4].ParentID, c.ID)
	}
	// The text form marks the branches.
	r := run(t, nil, "", "show", "--all", "--data-dir", dir, c.ID)
	for _, want := range []string{
		"[" + c.ID + "-3, after " + c.ID + "-2, branch 1 of 2, off the active path]",
		"[" + c.ID + "-5, after " + c.ID + "-2, branch 2 of 2]",
		"[" + c.ID + "-1]",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show --all lacks %q:\n%s", want, r.stdout)
		}
	}
	if r := run(t, nil, "", "show", "--data-dir", dir, c.ID); strings.Contains(r.stdout, "q3") || strings.Contains(r.stdout, " of 2") {
		t.Errorf("show prints another branch:\n%s", r.stdout)
	}
}

func TestAskReplyToAsksFromAnEarlierMessage(t *testing.T) {
	srv := newChatServer(t, "from the start")
	dir := t.TempDir()
	c := branchedChat(t, dir)
	ask := func(args ...string) runResult {
		return run(t, nil, "", append([]string{"ask", "--data-dir", dir, "--base-url", srv.URL, "--model", "m"}, args...)...)
	}
	// From a4, on the branch not shown: the conversation is the message's.
	r := ask("--reply-to", c.ID+"-4", "and then?")
	if r.code != 0 || r.stdout != "from the start\n" {
		t.Fatalf("reply-to: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	// The request carried the path down to a4, then the question.
	sent := srv.msgs[len(srv.msgs)-1]
	var texts []string
	for _, m := range sent {
		texts = append(texts, m.(map[string]any)["content"].(string))
	}
	if got := strings.Join(texts, " | "); got != "q1 | a2 | q3 | a4 | and then?" {
		t.Errorf("sent %q", got)
	}
	path := showJSON(t, "--data-dir", dir, c.ID)
	if got := contentsOf(path); got != "q1 | a2 | q3 | a4 | and then? | from the start" || path[4].ParentID != c.ID+"-4" {
		t.Errorf("active path after the reply %q", got)
	}
	if all := showJSON(t, "--data-dir", dir, c.ID, "--all"); len(all) != 8 {
		t.Errorf("%d messages, want 8: nothing deleted", len(all))
	}
	// With --conversation naming the same conversation.
	if r := ask("--conversation", c.ID, "--reply-to", c.ID+"-2", "again"); r.code != 0 {
		t.Errorf("reply-to with its conversation: code %d stderr %q", r.code, r.stderr)
	}
	// Refusals: one sentence, exit 2, nothing sent.
	n := len(srv.msgs)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--reply-to", c.ID + "-99", "x"}, "there is no message " + c.ID + "-99"},
		{[]string{"--reply-to", "nonsense", "x"}, "is not a message id"},
		{[]string{"--conversation", "other", "--reply-to", c.ID + "-2", "x"}, "is not in conversation other"},
		{[]string{"--continue", c.ID + "-6", "--reply-to", c.ID + "-2"}, "--continue takes no prompt"},
	} {
		r := ask(tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%v: code %d stderr %q, want exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if len(srv.msgs) != n {
		t.Errorf("a refused ask sent a request")
	}
	// A failed send with --reply-to leaves the conversation alone.
	if r := run(t, nil, "", "ask", "--data-dir", dir, "--base-url", "http://127.0.0.1:1", "--model", "m", "--reply-to", c.ID+"-2", "x"); r.code == 0 {
		t.Errorf("asking an unreachable server succeeded")
	}
	if r := run(t, nil, "", "show", "--data-dir", dir, c.ID); r.code != 0 {
		t.Errorf("the conversation is gone after a failed reply: %q", r.stderr)
	}
}

func TestForkPrintsTheNewConversationsID(t *testing.T) {
	dir := t.TempDir()
	c := branchedChat(t, dir)
	r := run(t, nil, "", "fork", "--data-dir", dir, c.ID+"-4")
	id := strings.TrimSpace(r.stdout)
	if r.code != 0 || id == "" || strings.Contains(id, "\n") || id == c.ID {
		t.Fatalf("fork: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := contentsOf(showJSON(t, "--data-dir", dir, id)); got != "q1 | a2 | q3 | a4" {
		t.Errorf("the fork holds %q", got)
	}
	if r := run(t, nil, "", "list", "--data-dir", dir); !strings.Contains(r.stdout, "branches (fork)") {
		t.Errorf("list:\n%s", r.stdout)
	}
	for _, args := range [][]string{{"fork"}, {"fork", "nonsense"}, {"fork", c.ID + "-99"}, {"fork", "a", "b"}} {
		r := run(t, nil, "", append(args, "--data-dir", dir)...)
		if r.code != 2 || r.stderr == "" {
			t.Errorf("%v: code %d stderr %q, want a usage error", args, r.code, r.stderr)
		}
	}
}

// TestTreeCommandsInAProcess runs ask --reply-to, fork and show --all in a
// real deskchat process (the test binary as deskchat, with its own stdin,
// stdout and stderr), with the Simulator.
func TestTreeCommandsInAProcess(t *testing.T) {
	dir := t.TempDir()
	c := branchedChat(t, dir)
	r := pipeChild(t, strings.NewReader(""), "ask", "--data-dir", dir, "--provider", "Simulator", "--reply-to", c.ID+"-2", "--quiet", "tell me about trees")
	if r.code != 0 || !strings.Contains(r.stdout, "trees") {
		t.Fatalf("ask --reply-to: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	r = pipeChild(t, strings.NewReader(""), "fork", "--data-dir", dir, c.ID+"-8")
	fork := strings.TrimSpace(r.stdout)
	if r.code != 0 || fork == "" {
		t.Fatalf("fork: code %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	r = pipeChild(t, strings.NewReader(""), "show", "--json", "--all", "--data-dir", dir, fork)
	var all []shown
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil || r.code != 0 {
		t.Fatalf("show: %v, code %d, %q", err, r.code, r.stderr)
	}
	if got := contentsOf(all[:3]); len(all) != 4 || got != "q1 | a2 | tell me about trees" || all[3].ParentID != fork+"-3" {
		t.Errorf("the fork holds %q (%d messages)", got, len(all))
	}
}
