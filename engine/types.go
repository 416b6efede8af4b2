// Package engine sends chat requests to LLM providers and persists the
// answers as they stream.
//
// Engine.Send stores the user's message at once, opens a stream on the
// conversation's provider, and reports progress as Events on a channel that is
// closed when the answer ends. Cancelling the context passed to Send stops the
// answer: the HTTP stream is closed and the partial text is kept as
// store.StateStopped. An Engine is safe for concurrent use by many goroutines;
// build one with New. The engine knows nothing of the GUI, and of the
// providers' protocols only what package llm says: the adapters (engine/openai,
// engine/simulator) are chosen in adapters.go and used as llm.Adapter.
package engine

import (
	"time"
)

// Event is something that happened to an answer; see the concrete types.
type Event interface{ event() }

// Started: the provider accepted the request and the assistant message exists
// in the store with store.StateStreaming.
type Started struct {
	ConversationID string
	UserSeq        uint64
	AssistantSeq   uint64
	Provider       string
	Model          string
}

// Delta: more answer text or reasoning arrived.
type Delta struct {
	Text      string
	Reasoning string
}

// UsageEvent: the provider reported token usage.
type UsageEvent struct{ Usage Usage }

// Done: the answer ended normally. Finish is the provider's finish reason.
type Done struct {
	Finish   string
	Duration time.Duration
}

// Retrying: the request failed before the first token and will be sent
// again After from now. Attempt counts retries from 1.
type Retrying struct {
	Attempt int
	After   time.Duration
	Reason  string // e.g. "429 rate limited", "server error 503"
}

// Queued: the request waits for a free stream slot of its provider;
// Position counts from 1 and is sent again whenever it changes.
type Queued struct {
	Provider string
	Position int
}

// RateLimited: the provider's rate limit (or a pause it asked for with a
// 429) holds the request until Until.
type RateLimited struct {
	Provider string
	Until    time.Time
}

// FellBack: From failed before answering (or its circuit breaker is open)
// and To answers instead.
type FellBack struct {
	From, To string
	Reason   string // the sentence of From's failure
}

// Cached: the answer comes from the response cache; nothing was sent
// upstream.
type Cached struct{}

// Compressed: the history did not fit the model's context window. Older
// messages' attachments were left out first: Attachments counts the kept
// messages whose files went as their names only ("[image: NAME]"). Then
// Folded older messages were left out of the request: Summarised of them
// are represented by the conversation's summary (a system message), Dropped
// are not represented at all because summarising failed (Note says why).
// Kept messages were sent (as they are, but for those Attachments counts).
type Compressed struct {
	Folded, Summarised, Dropped, Kept int
	Note                              string
	Attachments                       int
}

// Stopped: the caller cancelled; the partial text is kept.
type Stopped struct{}

// Failed: the answer could not be completed. Sentence is what to show the
// user; Err is the cause, for logs. What arrived before the failure is kept.
type Failed struct {
	Sentence string
	Err      error
}

func (Started) event()     {}
func (Delta) event()       {}
func (UsageEvent) event()  {}
func (Done) event()        {}
func (Stopped) event()     {}
func (Retrying) event()    {}
func (Queued) event()      {}
func (RateLimited) event() {}
func (FellBack) event()    {}
func (Failed) event()      {}
func (Cached) event()      {}
func (Compressed) event()  {}
