package engine

import (
	"strings"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// maxToolResult bounds one tool result as the model reads it and the answer
// keeps it.
const maxToolResult = store.MaxToolResultBytes

// Sentences the model reads in place of a result.
const (
	declinedResult   = "The user declined to run this tool."
	unfinishedResult = "The call did not finish: deskchat stopped before the tool returned."
)

// chatMessages is m as a request carries it: one message, or, for an
// answer that used tools, per round the text written before the calls with
// the calls, their results as tool messages, and the text after the last
// round.
func chatMessages(msgs []llm.ChatMessage, m store.Message) []llm.ChatMessage {
	if m.Role != store.RoleAssistant || len(m.Tools) == 0 {
		return append(msgs, llm.ChatMessage{Role: llm.Role(m.Role), Content: m.Content})
	}
	return appendRounds(msgs, m.Content, m.Tools, 0)
}

// appendRounds appends the rounds of uses (At counting in content from
// from) and the text after them.
func appendRounds(msgs []llm.ChatMessage, content string, uses []store.ToolUse, from int) []llm.ChatMessage {
	for i := 0; i < len(uses); {
		j := i
		for j < len(uses) && uses[j].Round == uses[i].Round {
			j++
		}
		at := min(max(uses[i].At, from), len(content))
		calls := make([]llm.ToolCall, 0, j-i)
		for _, u := range uses[i:j] {
			calls = append(calls, llm.ToolCall{ID: u.CallID, Name: u.Name, Arguments: sanitizeArgs(u.Arguments)})
		}
		msgs = append(msgs, llm.ChatMessage{Role: llm.RoleAssistant, Content: content[from:at], ToolCalls: calls})
		for _, u := range uses[i:j] {
			msgs = append(msgs, llm.ChatMessage{Role: llm.RoleTool, ToolCallID: u.CallID, Content: resultText(u)})
		}
		from, i = at, j
	}
	if rest := content[from:]; rest != "" {
		msgs = append(msgs, llm.ChatMessage{Role: llm.RoleAssistant, Content: rest})
	}
	return msgs
}

// resultText is what the model reads for a kept call.
func resultText(u store.ToolUse) string {
	switch {
	case u.Declined:
		return declinedResult
	case u.Pending:
		return unfinishedResult
	case u.IsError && !strings.HasPrefix(u.Result, "Error"):
		return "Error: " + u.Result
	}
	return u.Result
}

// toolText is the text of m's tool uses that a request carries, for
// counting: names, arguments and results.
func toolText(m store.Message) string {
	if len(m.Tools) == 0 {
		return ""
	}
	var b strings.Builder
	for _, u := range m.Tools {
		b.WriteString(u.Name)
		b.WriteByte(' ')
		b.WriteString(u.Arguments)
		b.WriteByte('\n')
		b.WriteString(resultText(u))
		b.WriteByte('\n')
	}
	return b.String()
}

// toolFrames is the framing tokens of m's tool messages beyond its own.
func toolFrames(m store.Message) int { return 2 * len(m.Tools) }
