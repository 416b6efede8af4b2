package bridge

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine"
)

// followWithFakeFrames follows events with a frame clock the test drives and
// returns the channel of updates handed to the UI goroutine.
func followWithFakeFrames(t *testing.T, events <-chan engine.Event) (updates chan Update, frames chan time.Time, frameAsked chan struct{}) {
	t.Helper()
	updates = make(chan Update, 1000)
	frames = make(chan time.Time)
	frameAsked = make(chan struct{}, 1000)
	b := New()
	b.Post = func(f func()) { f() }
	b.Frame = func() <-chan time.Time {
		frameAsked <- struct{}{}
		return frames
	}
	b.Follow(events, func(u Update) { updates <- u })
	return updates, frames, frameAsked
}

func TestStreamedTextIsDrawnAtMostOncePerFrame(t *testing.T) {
	events := make(chan engine.Event)
	updates, frames, frameAsked := followWithFakeFrames(t, events)

	events <- engine.Started{Provider: "p", Model: "m"}
	<-frameAsked // the first event asks for a frame
	for i := 0; i < 500; i++ {
		events <- engine.Delta{Text: "tok "}
	}
	events <- engine.Delta{Reasoning: "hmm"}
	if len(updates) != 0 {
		t.Fatalf("%d updates before the frame fired, want 0", len(updates))
	}
	if len(frameAsked) != 0 {
		t.Fatalf("%d more frames requested while one was pending", len(frameAsked))
	}
	frames <- time.Now()
	u := <-updates
	if u.Started == nil || u.Text != strings.Repeat("tok ", 500) || u.Reasoning != "hmm" || u.Status != StatusClear {
		t.Fatalf("merged update: started=%v text=%d bytes reasoning=%q status=%q", u.Started, len(u.Text), u.Reasoning, u.Status)
	}

	// No events, no frames: an idle stream costs nothing.
	events <- engine.Delta{Text: "more"}
	<-frameAsked
	events <- engine.UsageEvent{Usage: engine.Usage{PromptTokens: 3, CompletionTokens: 501}}
	events <- engine.Done{Finish: "stop"}
	close(events)
	// The end is handed over at once, without waiting for the frame.
	u = <-updates
	if u.Text != "more" || u.Usage == nil || u.Usage.CompletionTokens != 501 {
		t.Errorf("final update %+v", u)
	}
	if d, ok := u.Final.(engine.Done); !ok || d.Finish != "stop" {
		t.Errorf("final event %#v", u.Final)
	}
	select {
	case extra := <-updates:
		t.Errorf("update after the end: %+v", extra)
	default:
	}
}

func TestEngineStatesBecomeSentences(t *testing.T) {
	events := make(chan engine.Event)
	updates, frames, frameAsked := followWithFakeFrames(t, events)
	until := time.Date(2026, 1, 2, 15, 4, 5, 0, time.Local)
	steps := []struct {
		ev   engine.Event
		want string
	}{
		{engine.Queued{Provider: "Groq", Position: 2}, "Queued #2 for Groq"},
		{engine.RateLimited{Provider: "Groq", Until: until}, ""}, // a countdown: Wait
		{engine.Retrying{Attempt: 1, After: 8 * time.Second, Reason: "429 rate limited"}, ""},
		{engine.FellBack{From: "Groq", To: "Local"}, "Groq did not answer; asking Local instead"},
	}
	for _, s := range steps {
		events <- s.ev
		<-frameAsked
		frames <- time.Now()
		u := <-updates
		if u.Status != s.want {
			t.Errorf("%T: status %q, want %q", s.ev, u.Status, s.want)
		}
		if wait := s.want == ""; wait != (u.Wait == s.ev) {
			t.Errorf("%T: wait %#v", s.ev, u.Wait)
		}
	}
	events <- engine.Failed{Sentence: "Local stopped responding.", Err: errors.New("idle")}
	close(events)
	if u := <-updates; u.Final == nil {
		t.Error("no final event")
	}
}

// A wait reads as every duration of the app does (internal/format).
func TestRetryWaitsReadAsEverywhereElse(t *testing.T) {
	for d, want := range map[time.Duration]string{
		450 * time.Millisecond: "Retrying in 450 ms",
		8 * time.Second:        "Retrying in 8 s",
		90 * time.Second:       "Retrying in 1 min 30 s",
		5 * time.Minute:        "Retrying in 5 min",
	} {
		got := statusText(engine.Retrying{After: d, Reason: "rate limited", Attempt: 2})
		if !strings.HasPrefix(got, want+" (") {
			t.Errorf("a wait of %v reads %q, want %q…", d, got, want)
		}
	}
}

func TestCompressedTextNamesFilesSentAsNames(t *testing.T) {
	cases := []struct {
		ev   engine.Compressed
		want string
	}{
		{engine.Compressed{Kept: 4, Attachments: 2}, "The files of 2 older messages were sent as their names only, to fit the model's context"},
		{engine.Compressed{Kept: 4, Attachments: 1}, "The files of 1 older message were sent as their names only, to fit the model's context"},
		{engine.Compressed{Folded: 3, Summarised: 3, Kept: 2, Attachments: 1}, "3 older messages sent as a summary to fit the model's context; the files of 1 older message sent as their names only"},
		{engine.Compressed{Folded: 3, Summarised: 3, Kept: 2}, "3 older messages sent as a summary to fit the model's context"},
	}
	for _, c := range cases {
		if got := CompressedText(c.ev); got != c.want {
			t.Errorf("CompressedText(%+v) = %q, want %q", c.ev, got, c.want)
		}
	}
}
