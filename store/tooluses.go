package store

// MaxToolResultBytes bounds a tool's result as an answer keeps it: a longer
// one is cut (on a character boundary) with a note saying so.
const MaxToolResultBytes = 100 << 10

// ToolUse is one call an answer made to a tool of an MCP server, as kept
// with the answer. The calls of one round of the answer share Round (from
// 1); At is the length in bytes of the answer's text when the model asked
// for them, so that the text before and after each round can be told apart
// when the history is sent again.
//
// A call is stored before it runs (Pending) and again with its result, so
// that a crash mid-call leaves the answer interrupted with what ran kept.
type ToolUse struct {
	Round     int    `json:"round"`
	At        int    `json:"at"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"` // the name the model called it by (server__tool)
	Server    string `json:"server,omitempty"`
	Tool      string `json:"tool,omitempty"`
	Arguments string `json:"arguments"`
	Result    string `json:"result,omitempty"`
	IsError   bool   `json:"is_error,omitempty"`
	Declined  bool   `json:"declined,omitempty"` // the user declined it: it did not run
	Pending   bool   `json:"pending,omitempty"`  // stored before it ran; no result yet
	TookMs    int64  `json:"took_ms,omitempty"`
}
