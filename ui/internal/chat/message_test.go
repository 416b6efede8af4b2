package chat

import (
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

func TestAnswerStatusLine(t *testing.T) {
	test.NewTempApp(t)
	v := NewMessage(store.Message{Role: store.RoleAssistant, State: store.StateStreaming})
	v.Pending("Sending…")
	v.Apply(bridge.Update{Status: "Queued #2 for Groq"})
	if v.Status.Text != "Queued #2 for Groq" || !v.Status.Visible() {
		t.Fatalf("status %q", v.Status.Text)
	}
	v.Apply(bridge.Update{FellBack: &engine.FellBack{From: "Groq", To: "Local"}, Status: "Groq did not answer; asking Local instead"})
	v.Apply(bridge.Update{Started: &engine.Started{Provider: "Local", Model: "qwen"}, Status: bridge.StatusClear, Text: "Hello", Reasoning: "think"})
	if v.Status.Visible() {
		t.Errorf("status %q still shown while text streams", v.Status.Text)
	}
	if v.Header.Text != "qwen · Local" || !v.Thinking.Visible() || v.Reasoning.Text() != "think" {
		t.Errorf("header %q, reasoning shown %v %q", v.Header.Text, v.Thinking.Visible(), v.Reasoning.Text())
	}
	v.Apply(bridge.Update{Usage: &engine.Usage{PromptTokens: 5, CompletionTokens: 42}, Final: engine.Done{Finish: "length"}})
	want := "served by Local (Groq failed) · 42 tokens · cut off: the answer reached its length limit"
	if v.Status.Text != want || v.Status.Importance != widget.MediumImportance {
		t.Errorf("status %q, want %q", v.Status.Text, want)
	}
}

func TestStoredMessagesShowTheirState(t *testing.T) {
	test.NewTempApp(t)
	for _, tc := range []struct {
		m    store.Message
		want string
	}{
		{store.Message{Role: store.RoleAssistant, State: store.StateInterrupted, Content: "part"}, "Interrupted: deskchat closed while this answer was arriving"},
		{store.Message{Role: store.RoleAssistant, State: store.StateFailed, Error: "Groq rejected the API key."}, "Groq rejected the API key."},
		{store.Message{Role: store.RoleAssistant, State: store.StateStopped, OutputTokens: 7}, "Stopped · 7 tokens"},
		{store.Message{Role: store.RoleUser, State: store.StateDone, Content: "hi"}, ""},
	} {
		v := NewMessage(tc.m)
		got := ""
		if v.Status.Visible() {
			got = v.Status.Text
		}
		if got != tc.want {
			t.Errorf("%s: status %q, want %q", tc.m.State, got, tc.want)
		}
		if v.Md.Text() != tc.m.Content {
			t.Errorf("%s: text %q", tc.m.State, v.Md.Text())
		}
	}
}
