package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/deskchat/deskchat/store"
)

// The cap counts text and reasoning together and cuts in arrival order, on
// a character boundary: 5 MB of reasoning, then 5 MB of three-byte text,
// keep all the reasoning and the text up to 8 MiB in total; what the caller
// was shown is what is stored.
func TestTheCapCountsReasoningAndTextTogether(t *testing.T) {
	reasoning := strings.Repeat("r", 5<<20)
	text := strings.Repeat("語", (5<<20)/3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < len(reasoning); i += 1 << 20 {
			fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"reasoning_content\":%q}}]}\n\n", reasoning[i:i+1<<20])
		}
		fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\ndata: [DONE]\n\n", text)
	}))
	defer srv.Close()
	st := openStore(t)
	conv := newConversation(t, st)
	events, err := New(st, Options{}).Send(context.Background(), conv, "q", SendOptions{Endpoint: endpoint(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	var shownText, shownReasoning strings.Builder
	var final Event
	for ev := range events {
		switch ev := ev.(type) {
		case Delta:
			shownText.WriteString(ev.Text)
			shownReasoning.WriteString(ev.Reasoning)
		case Done, Failed, Stopped:
			final = ev
		}
	}
	if f, ok := final.(Failed); !ok || !strings.Contains(f.Sentence, "stopped it at 8 MB") {
		t.Fatalf("final %#v", final)
	}
	msgs, err := st.Messages(conv)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	a := msgs[1]
	room := MaxAnswerBytes - len(reasoning)
	wantText := text[:room-room%3]
	if a.Reasoning != reasoning || a.Content != wantText || !utf8.ValidString(a.Content) {
		t.Errorf("stored reasoning %d bytes, text %d; want %d and %d", len(a.Reasoning), len(a.Content), len(reasoning), len(wantText))
	}
	if shownText.String() != a.Content || shownReasoning.String() != a.Reasoning {
		t.Errorf("shown %d+%d bytes, stored %d+%d", shownReasoning.Len(), shownText.Len(), len(a.Reasoning), len(a.Content))
	}
	if a.State != store.StateFailed {
		t.Errorf("state %s", a.State)
	}
}
