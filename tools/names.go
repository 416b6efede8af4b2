package tools

import (
	"strconv"

	"github.com/deskchat/deskchat/engine"
)

// maxFunctionName is the longest function name providers accept
// (^[a-zA-Z0-9_-]{1,64}$).
const maxFunctionName = 64

// FunctionName is the name a model sees for tool on server, the one the
// engine offers it by (engine.ToolName: "server__tool", sanitized, at most
// 64 characters). Names makes them unique.
func FunctionName(server, tool string) string { return engine.ToolName(server, tool) }

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
