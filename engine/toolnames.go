package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/deskchat/deskchat/engine/llm"
)

// maxToolNameLen is the longest function name providers accept
// (^[a-zA-Z0-9_-]{1,64}$).
const maxToolNameLen = 64

// ToolName is the name the model calls a server's tool by: "server__tool",
// every character outside [a-zA-Z0-9_-] replaced by "_", and, when longer
// than 64 characters, cut with a short hash of the whole so that names
// differing only at the end stay apart (the same as tools.FunctionName).
// Two tools may still come out alike; a toolSet makes them unique.
func ToolName(server, tool string) string {
	n := sanitizeName(server) + "__" + sanitizeName(tool)
	if len(n) <= maxToolNameLen {
		return n
	}
	sum := sha256.Sum256([]byte(server + "\x00" + tool))
	suffix := "_" + hex.EncodeToString(sum[:4])
	return n[:maxToolNameLen-len(suffix)] + suffix
}

func sanitizeName(s string) string {
	if s == "" {
		return "_"
	}
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
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
		base := ToolName(in.Server, in.Name)
		name := base
		for k := 2; ts.taken(name); k++ {
			suffix := "_" + strconv.Itoa(k)
			name = base[:min(len(base), maxToolNameLen-len(suffix))] + suffix
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
