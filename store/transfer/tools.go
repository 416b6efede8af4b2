package transfer

import (
	"fmt"

	"github.com/deskchat/deskchat/store"
)

// toolSummary is the line a folded tool use shows: "Used srv/tool · 120 ms".
func toolSummary(u store.ToolUse) string {
	name := u.Server + "/" + u.Tool
	if u.Server == "" {
		name = u.Name
	}
	name = oneLine(name)
	switch {
	case u.Declined:
		return "Declined " + name
	case u.Pending:
		return "Did not finish " + name
	case u.IsError:
		return fmt.Sprintf("Used %s · %d ms · failed", name, u.TookMs)
	}
	return fmt.Sprintf("Used %s · %d ms", name, u.TookMs)
}

// toolResult is a tool use's result as an export shows it.
func toolResult(u store.ToolUse) string {
	if u.Declined {
		return "The user declined to run this tool."
	}
	return u.Result
}
