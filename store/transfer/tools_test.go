package transfer

import (
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store"
)

// An answer's tool uses are exported readably: folded under "Used
// server/tool · N ms", with their arguments and result, escaped.
func TestExportShowsToolUsesFolded(t *testing.T) {
	st := openStore(t)
	seed(t, st, []store.Import{{Dump: store.Dump{
		Conversation: store.Conversation{ID: "tools0000001", Title: "Harbor", CreatedAt: t0, UpdatedAt: t0},
		Messages: []store.Message{
			{Seq: 1, Role: store.RoleUser, Content: "How many ships?", State: store.StateDone, CreatedAt: t0, UpdatedAt: t0},
			{Seq: 2, Role: store.RoleAssistant, Content: "Let me look. There are 42.", State: store.StateDone, CreatedAt: t0.Add(time.Second), UpdatedAt: t0.Add(time.Second),
				Tools: []store.ToolUse{
					{Round: 1, At: 13, CallID: "call_1", Name: "harbor__lookup", Server: "harbor", Tool: "lookup", Arguments: `{"q":"<ships>"}`, Result: "42 ships & 3 boats", TookMs: 120},
					{Round: 1, At: 13, CallID: "call_2", Name: "harbor__delete", Server: "harbor", Tool: "delete", Arguments: `{}`, Declined: true},
				}},
		},
	}}})
	md := exportString(t, st, ExportOptions{Format: Markdown})
	for _, want := range []string{"<details><summary>Used harbor/lookup · 120 ms</summary>", "**Arguments**", `{"q":"<ships>"}`, "42 ships & 3 boats", "<details><summary>Declined harbor/delete</summary>", "</details>"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md)
		}
	}
	page := exportString(t, st, ExportOptions{Format: HTML})
	for _, want := range []string{`<details class="tool"><summary>Used harbor/lookup · 120 ms</summary>`, `{&#34;q&#34;:&#34;&lt;ships&gt;&#34;}`, "42 ships &amp; 3 boats", "Declined harbor/delete"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}
