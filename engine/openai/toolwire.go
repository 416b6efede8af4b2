package openai

import (
	"bytes"
	"encoding/json"
	"fmt"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine/llm"
)

// emptySchema is the parameters of a tool that declares none: providers
// refuse "parameters": null, and an object with no properties says the
// same thing.
var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// wireTools is req.Tools as the chat completions API takes them: entries
// of type "function" whose parameters are the tool's JSON Schema. A schema
// that is not valid JSON would fail the whole request in go-openai's
// encoder with an error no one can read; it is refused here with a
// sentence naming the tool.
func wireTools(provider string, tools []llm.Tool) ([]goopenai.Tool, error) {
	if len(tools) == 0 {
		return nil, nil // no "tools" field at all
	}
	out := make([]goopenai.Tool, 0, len(tools))
	for _, t := range tools {
		params := json.RawMessage(bytes.TrimSpace(t.Parameters))
		if len(params) == 0 || string(params) == "null" {
			params = emptySchema
		}
		if !json.Valid(params) {
			return nil, &llm.ProviderError{Kind: llm.KindConfig, Provider: provider, Err: fmt.Errorf("tool %q: parameters are not valid JSON", t.Name),
				Sentence: fmt.Sprintf("The tool %s describes its arguments with a schema that is not valid JSON, so it cannot be offered to %s.", t.Name, provider)}
		}
		out = append(out, goopenai.Tool{Type: goopenai.ToolTypeFunction,
			Function: &goopenai.FunctionDefinition{Name: t.Name, Description: t.Description, Parameters: params}})
	}
	return out, nil
}

// wireToolCalls is an assistant message's calls as go-openai sends them.
func wireToolCalls(calls []llm.ToolCall) []goopenai.ToolCall {
	if len(calls) == 0 {
		return nil
	}
	out := make([]goopenai.ToolCall, 0, len(calls))
	for _, c := range calls {
		out = append(out, goopenai.ToolCall{ID: c.ID, Type: goopenai.ToolTypeFunction,
			Function: goopenai.FunctionCall{Name: c.Name, Arguments: callArguments(c.Arguments)}})
	}
	return out
}

// callArguments is what a call's arguments go back as: as the model wrote
// them, but "{}" for none (go-openai would drop an empty "arguments", and
// providers that parse it refuse an empty string).
func callArguments(args string) string {
	if len(bytes.TrimSpace([]byte(args))) == 0 {
		return "{}"
	}
	return args
}

// toolMessage is a message of the tool conversation as providers want it
// and go-openai does not write it: "content" always present ("" beside an
// assistant's tool_calls, as the Azure follow-up of
// testdata/tools/azure_followup_three_tool_results.request.json has it; a
// tool's empty result is still a content), and each call's "arguments"
// always present. go-openai leaves out every empty string.
type toolMessage struct {
	Role       string         `json:"role"`
	Content    string         `json:"content"`
	ToolCalls  []toolCallWire `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

type toolCallWire struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// bodyEdit replaces old with new in a request's body (see transport).
type bodyEdit struct{ old, new []byte }

// toolMessageEdits returns the edits that turn go-openai's rendering of
// msgs (as wireMessage made them from req's messages) into toolMessage's,
// in the order the messages come; none when no message is part of a tool
// conversation, so that every other request goes out exactly as before.
// An edit's old text starts with `{"role":` unescaped, so it can only match
// a message object, never text inside a string.
func toolMessageEdits(req llm.Request, msgs []goopenai.ChatCompletionMessage) ([]bodyEdit, error) {
	var edits []bodyEdit
	for i, m := range req.Messages {
		if len(m.ToolCalls) == 0 && m.Role != llm.RoleTool {
			continue
		}
		if len(msgs[i].MultiContent) > 0 {
			continue // go-openai writes a content array, present
		}
		old, err := json.Marshal(msgs[i])
		if err != nil {
			return nil, err
		}
		tm := toolMessage{Role: msgs[i].Role, Content: msgs[i].Content, ToolCallID: msgs[i].ToolCallID}
		for _, c := range msgs[i].ToolCalls {
			w := toolCallWire{ID: c.ID, Type: string(c.Type)}
			w.Function.Name, w.Function.Arguments = c.Function.Name, c.Function.Arguments
			tm.ToolCalls = append(tm.ToolCalls, w)
		}
		repl, err := json.Marshal(tm)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(old, repl) {
			edits = append(edits, bodyEdit{old: old, new: repl})
		}
	}
	return edits, nil
}

// applyEdits makes each edit once, in order, each after the last: the
// messages come in the body in the order of the edits.
func applyEdits(body []byte, edits []bodyEdit) []byte {
	var out bytes.Buffer
	out.Grow(len(body) + 64*len(edits))
	rest := body
	if i := bytes.Index(rest, []byte(`"messages":`)); i >= 0 {
		out.Write(rest[:i])
		rest = rest[i:]
	}
	for _, e := range edits {
		i := bytes.Index(rest, e.old)
		if i < 0 {
			continue
		}
		out.Write(rest[:i])
		out.Write(e.new)
		rest = rest[i+len(e.old):]
	}
	out.Write(rest)
	return out.Bytes()
}
