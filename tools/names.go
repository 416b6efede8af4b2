package tools

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"deskchat/engine"
)

// maxFunctionName is the longest function name providers accept
// (^[a-zA-Z0-9_-]{1,64}$).
const maxFunctionName = 64

// FunctionName is the name a model sees for tool on server: "server__tool",
// every character outside [a-zA-Z0-9_-] replaced by "_", and, when longer
// than 64 characters, cut with a short hash of the whole so that names
// differing only at the end stay apart. Names makes them unique.
func FunctionName(server, tool string) string {
	name := clean(server) + "__" + clean(tool)
	if len(name) <= maxFunctionName {
		return name
	}
	sum := sha256.Sum256([]byte(server + "\x00" + tool))
	suffix := "_" + hex.EncodeToString(sum[:4])
	return name[:maxFunctionName-len(suffix)] + suffix
}

// clean replaces what a function name may not hold by "_"; an empty part
// becomes "_".
func clean(s string) string {
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

// Ref is a tool on a server.
type Ref struct{ Server, Tool string }

// Names gives the tools offered in one request unique function names and
// maps them back. Its zero value is empty and usable; not safe for
// concurrent writes.
type Names struct {
	byName map[string]Ref
	byRef  map[Ref]string
}

// NewNames names each of tools.
func NewNames(tools []engine.ToolInfo) *Names {
	n := &Names{}
	for _, t := range tools {
		n.Add(t.Server, t.Name)
	}
	return n
}

// Add names tool on server (again the same name when already added): its
// FunctionName, or, when another tool already has that, the name with
// "_2", "_3"… at the end, within 64 characters.
func (n *Names) Add(server, tool string) string {
	ref := Ref{server, tool}
	if name, ok := n.byRef[ref]; ok {
		return name
	}
	if n.byName == nil {
		n.byName, n.byRef = map[string]Ref{}, map[Ref]string{}
	}
	base := FunctionName(server, tool)
	name := base
	for i := 2; ; i++ {
		if _, taken := n.byName[name]; !taken {
			break
		}
		suffix := "_" + strconv.Itoa(i)
		name = base[:min(len(base), maxFunctionName-len(suffix))] + suffix
	}
	n.byName[name], n.byRef[ref] = ref, name
	return name
}

// Lookup is the tool a function name stands for.
func (n *Names) Lookup(function string) (server, tool string, ok bool) {
	ref, ok := n.byName[function]
	return ref.Server, ref.Tool, ok
}

// Function is the name tool on server was given, "" when it was not added.
func (n *Names) Function(server, tool string) string { return n.byRef[Ref{server, tool}] }
