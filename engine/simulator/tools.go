package simulator

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/deskchat/deskchat/engine/llm"
)

// toolTurn is the Simulator's answer to a request that offers tools, so
// that the window and the command line can show tools without a key. When
// the last message is a tool's result, the answer quotes the results. When
// the question says "use NAME" of an offered tool (its full name
// "server__tool" or the tool's own name), or else mentions "tool" at all
// (the first tool offered), the answer is a short sentence and a call to
// it, once: its arguments are the first JSON object in the question, else
// {}. ok is false when the request is answered as without tools.
func toolTurn(req llm.Request) (text string, calls []llm.ToolCall, ok bool) {
	if len(req.Messages) == 0 {
		return "", nil, false
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role == llm.RoleTool {
		return quoteResults(req.Messages), nil, true
	}
	if last.Role != llm.RoleUser {
		return "", nil, false
	}
	q := last.Content
	tool, found := namedTool(q, req.Tools)
	if !found {
		if !strings.Contains(strings.ToLower(q), "tool") {
			return "", nil, false
		}
		tool = req.Tools[0]
	}
	call := llm.ToolCall{ID: "call_sim_1", Name: tool.Name, Arguments: argumentsIn(q)}
	return fmt.Sprintf("Let me use %s.", tool.Name), []llm.ToolCall{call}, true
}

// namedTool finds the tool the question asks for with "use NAME".
func namedTool(q string, tools []llm.Tool) (llm.Tool, bool) {
	lower := strings.ToLower(q)
	for _, t := range tools {
		names := []string{strings.ToLower(t.Name)}
		if _, own, ok := strings.Cut(t.Name, "__"); ok {
			names = append(names, strings.ToLower(own))
		}
		for _, n := range names {
			if strings.Contains(lower, "use "+n) {
				return t, true
			}
		}
	}
	return llm.Tool{}, false
}

// argumentsIn returns the first JSON object in q, else "{}".
func argumentsIn(q string) string {
	for i := strings.IndexByte(q, '{'); i >= 0; {
		dec := json.NewDecoder(strings.NewReader(q[i:]))
		var v map[string]any
		if dec.Decode(&v) == nil {
			return strings.TrimSpace(q[i : i+int(dec.InputOffset())])
		}
		j := strings.IndexByte(q[i+1:], '{')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return "{}"
}

// quoteResults answers with the results of the last round of calls.
func quoteResults(msgs []llm.ChatMessage) string {
	names := map[string]string{}
	for _, m := range msgs {
		for _, c := range m.ToolCalls {
			names[c.ID] = c.Name
		}
	}
	var b strings.Builder
	start := len(msgs)
	for start > 0 && msgs[start-1].Role == llm.RoleTool {
		start--
	}
	for _, m := range msgs[start:] {
		name := names[m.ToolCallID]
		if name == "" {
			name = "the tool"
		}
		fmt.Fprintf(&b, "%s returned:\n\n> %s\n\n", name, strings.ReplaceAll(strings.TrimSpace(m.Content), "\n", "\n> "))
	}
	return strings.TrimSpace(b.String())
}
