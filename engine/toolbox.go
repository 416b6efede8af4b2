package engine

import (
	"context"
	"encoding/json"
	"time"
)

// Tools (issue 17). The engine offers the tools of the MCP servers a chat
// may use, runs the calls the model asks for once the user allows them, and
// asks the model again with their results, each round going through the
// queue, limits, retries and fallback like any request. Package tools
// implements Toolbox over the MCP Go SDK; the engine knows servers only
// through it.

// ToolInfo is one tool a server offers.
type ToolInfo struct {
	Server      string          // the MCP server's name, as the user gave it
	Name        string          // the tool's name on that server
	Description string          // what the server says it does
	Schema      json.RawMessage // its arguments' JSON Schema (MCP inputSchema)
	// Allowed: the user always allows this tool; it runs without asking.
	Allowed bool
}

// ToolAllower is a Toolbox that remembers the tools the user always
// allows beyond this engine's life (package tools keeps them with the
// server's record). The engine tells it when the user chooses
// AllowToolAlways.
type ToolAllower interface {
	AlwaysAllow(server, tool string)
}

// ToolResult is what a call returned: Text is what the model reads (cut to
// a bound with a note saying so); IsError says the tool failed, Text saying
// how.
type ToolResult struct {
	Text    string
	IsError bool
}

// Toolbox runs MCP servers' tools.
type Toolbox interface {
	// Tools lists the enabled tools of the named servers ("all": every
	// server), starting the servers that are not running yet. A server that
	// fails to start is left out and named in the error, a sentence; the
	// others' tools are still returned.
	Tools(ctx context.Context, servers []string) ([]ToolInfo, error)
	// Call runs one tool with the arguments the model wrote (JSON, not yet
	// checked) within the toolbox's per-call timeout. Cancelling ctx cancels
	// the call (MCP cancellation). A failure of the server (crashed, hung,
	// garbage) is a ToolResult with IsError and a sentence, not an error;
	// the error is for ctx's end.
	Call(ctx context.Context, server, tool string, args json.RawMessage) (ToolResult, error)
}

// ToolRequest is a call waiting for the user's decision.
type ToolRequest struct {
	Server, Tool string
	Arguments    json.RawMessage
}

// ToolDecision is the user's answer to a ToolRequest.
type ToolDecision int

// Decisions.
const (
	DenyTool        ToolDecision = iota // the model reads "the user declined"
	AllowToolOnce                       // this call runs
	AllowToolAlways                     // this call and the tool's later ones run without asking
)

// ToolUse is one call as the answer shows and keeps it.
type ToolUse struct {
	Server, Tool string
	Arguments    string
	Result       string
	IsError      bool
	Declined     bool
	Took         time.Duration
	// Name is what the model called it ("server__tool"); CallID the
	// call's id; Round the answer's round of tool calls, from 1.
	Name, CallID string
	Round        int
}
