// Package llm is the contract between the engine and the adapters that
// speak to LLM providers: a Request goes in, a Stream of Chunks comes out,
// and every failure is a classified *ProviderError whose sentence the user
// can read. An adapter (engine/openai for every OpenAI-compatible endpoint,
// engine/simulator for the built-in one) imports this package and nothing
// of the engine; the engine's traffic code (queues, limits, retries,
// fallbacks, persistence) knows adapters only through Adapter.
package llm

import (
	"context"
	"encoding/json"
	"time"
)

// MaxAnswerBytes bounds one answer's text and reasoning together: the
// engine stops a provider that streams without end there, and an adapter
// need read no more of one answer than about this much.
const MaxAnswerBytes = 8 << 20

// Role of a chat message sent to a provider.
type Role string

// Roles.
const (
	RoleSystem    Role = "system"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool" // a tool's result, answering ToolCallID
)

// Tool is a function the model may call: OpenAI's "tools" entry of type
// "function". Name is what the model calls it by (^[a-zA-Z0-9_-]{1,64}$);
// Parameters is its arguments' JSON Schema (an MCP tool's inputSchema).
type Tool struct {
	Name        string
	Description string
	Parameters  json.RawMessage
}

// ToolCall is one call the model asked for, whole: an adapter assembles the
// streamed pieces (by index, across chunks, whatever the dialect) before
// the engine sees it. ID is the provider's, or one the adapter made when the
// provider sent none (Gemini sends ""); Arguments is the JSON text as the
// model wrote it, not checked.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string
}

// ChatMessage is one message of a request, independent of any SDK.
// Content is the message's own text; Parts, when there are any, follow it
// in order: the files that went with a question, as the model reads them.
type ChatMessage struct {
	Role    Role
	Content string
	Parts   []Part
	// ToolCalls are the calls an assistant message asked for (sent back
	// in the history of the next round); ToolCallID names the call a
	// RoleTool message answers, Content being its result.
	ToolCalls  []ToolCall
	ToolCallID string
}

// HasImages reports whether the message has an image part.
func (m ChatMessage) HasImages() bool {
	for _, p := range m.Parts {
		if p.Type == PartImage {
			return true
		}
	}
	return false
}

// PartType says what a Part holds.
type PartType string

// Part types.
const (
	PartText  PartType = "text"  // Text: a file's text (fenced, named) or a note standing for a file
	PartImage PartType = "image" // ImageURL: a picture as a data: URL
)

// DetailHigh asks the provider to read an image at its full (fitted) size.
const DetailHigh = "high"

// Part is one piece of a message's content after its text.
type Part struct {
	Type PartType
	Text string // PartText
	// ImageURL is a PartImage's picture, a data: URL (base64); Detail is
	// how closely the provider looks at it ("high"; "" its default).
	ImageURL string
	Detail   string
	// Name and SHA256 say which file the part was made from (SHA256 is
	// the hex of its bytes; empty for a note): keys like the response
	// cache's name the file by them, never by its bytes. Adapters need
	// neither.
	Name   string
	SHA256 string
}

// HasImages reports whether any message of the request has an image part.
func (r Request) HasImages() bool {
	for _, m := range r.Messages {
		if m.HasImages() {
			return true
		}
	}
	return false
}

// Request is what the engine asks of a provider.
type Request struct {
	Model       string
	Messages    []ChatMessage
	Tools       []Tool   // offered to the model; none: no "tools" in the request
	Temperature *float32 // nil: provider default
	MaxTokens   int      // 0: provider default
}

// Usage is the token count a provider reports for one answer.
type Usage struct {
	PromptTokens     int
	CompletionTokens int
}

// Chunk is one piece of a streamed answer. Any field may be empty.
type Chunk struct {
	Text      string
	Reasoning string
	Usage     *Usage
	Finish    string // "stop", "length", "tool_calls", ... when the provider says so
	// ToolCalls are the answer's calls, whole and in the order of their
	// index, on one chunk at the end of the stream (with Finish, or alone
	// just before Next returns false).
	ToolCalls []ToolCall
	Model     string // model the provider reports serving the answer
}

// Stream is a provider's answer being received. Next blocks until the next
// chunk is available and returns false at the end or on error; Err then tells
// which (nil at a normal end). Close releases the connection and may be called
// at any time, also concurrently with Next.
type Stream interface {
	Next() bool
	Current() Chunk
	Err() error
	Close() error
}

// Adapter is one LLM endpoint as the engine uses it.
type Adapter interface {
	// Name is the provider's name as the user knows it.
	Name() string
	// Stream starts an answer for req. Errors before the first byte of the
	// answer (refused connection, HTTP error status) are returned here,
	// as *ProviderError with RetryAfter set when the server asked for a
	// wait; errors while streaming are Stream.Err's, classified too.
	Stream(ctx context.Context, req Request) (Stream, error)
}

// ActivityReporter is implemented by streams that can tell when bytes last
// arrived, keep-alive comments included: the engine's stall detector then
// does not count a provider that sends keep-alives as silent.
type ActivityReporter interface {
	LastActivity() time.Time
}
