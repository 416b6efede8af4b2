package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

const envToolKillDir = "DESKCHAT_TOOLKILL_DIR" // the child's data dir; set only in the child

// TestHelperToolKillChild is the child of TestAKillMidCallKeepsWhatRan (it
// does nothing in a normal run): it asks a question whose answer calls two
// tools, one answering at once and one that never returns, prints "RAN"
// once the first one's result is stored, and waits to be killed.
func TestHelperToolKillChild(t *testing.T) {
	dir := os.Getenv(envToolKillDir)
	if dir == "" {
		return
	}
	st, err := store.Open(dir)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	tb := &fakeToolbox{}
	e := New(st, Options{Toolbox: tb, LazyTokenizer: true})
	ad := &scripted{answers: [][]llm.Chunk{toolAnswer("Checking. ",
		llm.ToolCall{ID: "c1", Name: "srv__echo", Arguments: `{"n":1}`}, llm.ToolCall{ID: "c2", Name: "srv__slow", Arguments: `{}`})}}
	e.adapterFor = func(store.Provider) llm.Adapter { return ad }
	conv, err := st.CreateConversation(store.Conversation{Title: "kill"})
	if err != nil {
		os.Exit(3)
	}
	cfg := store.Provider{Name: "fake", Kind: store.KindOpenAI, BaseURL: "http://fake.invalid/v1", Model: "gpt-4o"}
	ch, err := e.Send(context.Background(), conv.ID, "q", SendOptions{Endpoint: &cfg, Tools: []string{"srv"}, Approve: allowOnce})
	if err != nil {
		os.Exit(3)
	}
	for ev := range ch {
		if r, ok := ev.(ToolRan); ok && r.Use.Tool == "echo" {
			fmt.Println("RAN")
		}
	}
	os.Exit(4) // never: slow does not return
}

// A kill while a tool runs leaves the answer interrupted, with the calls
// kept: the one that ran with its result, the one running as unfinished
// (the next request tells the model it did not finish).
func TestAKillMidCallKeepsWhatRan(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperToolKillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), envToolKillDir+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	if line != "RAN\n" {
		t.Fatalf("the child said %q", line)
	}
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	convs, err := st.Conversations()
	if err != nil || len(convs) != 1 {
		t.Fatalf("%d conversations, %v", len(convs), err)
	}
	msgs, err := st.Messages(convs[0].ID)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	ans := msgs[1]
	if ans.State != store.StateInterrupted || ans.Content != "Checking. " || len(ans.Tools) != 2 {
		t.Fatalf("stored %#v", ans)
	}
	if u := ans.Tools[0]; u.Pending || u.Result != `echo: {"n":1}` {
		t.Errorf("the call that ran: %#v", u)
	}
	if u := ans.Tools[1]; !u.Pending || u.Result != "" || u.Tool != "slow" {
		t.Errorf("the call that was running: %#v", u)
	}
	sent := chatMessages(nil, ans)
	if len(sent) != 3 || sent[2].ToolCallID != "c2" || sent[2].Content != unfinishedResult {
		b, _ := json.Marshal(sent)
		t.Errorf("sent again as %s", b)
	}
}
