package seed

import (
	"bytes"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

func TestWriteStoresEachChatAndTheLastIsNewest(t *testing.T) {
	dir := t.TempDir()
	chats := []Chat{
		{Name: "a", Title: "First", Question: "q1", Answer: "**one**"},
		{Name: "b", Title: "Second", Question: "q2", Answer: "two"},
	}
	var out bytes.Buffer
	if err := Write(dir, chats, "", &out); err != nil {
		t.Fatal(err)
	}
	if err := Write(dir, chats, "nope", &out); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("an unknown name: %v, want an error naming it", err)
	}
	st, err := store.OpenReadOnly(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	convs, err := st.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 2 || convs[0].Title != "Second" || convs[1].Title != "First" {
		t.Fatalf("conversations %+v, want Second then First", convs)
	}
	msgs, err := st.Messages(convs[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Content != "q1" || msgs[1].Content != "**one**" || msgs[1].State != store.StateDone {
		t.Errorf("messages %+v", msgs)
	}
	if lines := strings.Fields(out.String()); len(lines) != 4 || lines[0] != "a" || lines[2] != "b" || lines[1] != convs[1].ID {
		t.Errorf("printed %q, want NAME ID per chat", out.String())
	}
}
