package engine

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"deskchat/engine/llm"
)

// maxToolNameLen is the longest function name providers accept
// (^[a-zA-Z0-9_-]{1,64}$).
const maxToolNameLen = 64

// ToolName is the name the model calls a server's tool by: "server__tool",
// every character outside [a-zA-Z0-9_-] replaced by "_", cut to 64
// characters. Two tools may come out alike; a toolSet makes them unique.
func ToolName(server, tool string) string {
	n := sanitizeName(server) + "__" + sanitizeName(tool)
	if len(n) > maxToolNameLen {
		n = n[:maxToolNameLen]
	}
	return n
}

func sanitizeName(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	out := make([]byte, 0, len(b))
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			out = append(out, c)
		default:
			out = append(out, '_')
		}
	}
	return string(out)
}

// toolSet is the tools offered in one answer, by the name the model calls
// them. It is read only once built.
type toolSet struct {
	byName map[string]ToolInfo
	offer  []llm.Tool // in the order listed
}

// newToolSet names infos uniquely (ToolName, then "_2", "_3"... on a
// clash, still within 64 characters).
func newToolSet(infos []ToolInfo) *toolSet {
	ts := &toolSet{byName: make(map[string]ToolInfo, len(infos))}
	for _, in := range infos {
		name := ToolName(in.Server, in.Name)
		for k := 2; ts.taken(name); k++ {
			suffix := "_" + strconv.Itoa(k)
			base := ToolName(in.Server, in.Name)
			if len(base)+len(suffix) > maxToolNameLen {
				base = base[:maxToolNameLen-len(suffix)]
			}
			name = base + suffix
		}
		ts.byName[name] = in
		params := in.Schema
		if len(params) == 0 || !json.Valid(params) {
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		ts.offer = append(ts.offer, llm.Tool{Name: name, Description: in.Description, Parameters: params})
	}
	return ts
}

func (ts *toolSet) taken(name string) bool { _, ok := ts.byName[name]; return ok }

// lookup returns the tool the model called name.
func (ts *toolSet) lookup(name string) (ToolInfo, bool) {
	in, ok := ts.byName[name]
	return in, ok
}

// names lists the offered names, sorted.
func (ts *toolSet) names() []string {
	out := make([]string, 0, len(ts.byName))
	for n := range ts.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// cutResult bounds a tool's result to what the model reads and the answer
// keeps, with a note the model sees when it was cut.
func cutResult(text string) string {
	const limit = maxToolResult
	if len(text) <= limit {
		return text
	}
	return cutUTF8(text, limit) + "\n\n[deskchat cut this result at " + strconv.Itoa(limit>>10) + " KB of " + strconv.Itoa(len(text)>>10) + " KB.]"
}

// sanitizeArgs returns arguments fit to send back to a provider in the
// history: the model's text when it is a JSON object, else "{}" (a provider
// may refuse a request whose history holds arguments it cannot parse; what
// the model wrote stays stored).
func sanitizeArgs(args string) string {
	if strings.TrimSpace(args) == "" || !json.Valid([]byte(args)) {
		return "{}"
	}
	return args
}
