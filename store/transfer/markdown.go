package transfer

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// markdownDoc writes a readable Markdown file: per conversation a "# title"
// with its details, then per message a "## Role · model · time" heading and
// the message's own Markdown. A code block a message leaves open (an answer
// stopped mid-block) is closed, as is an HTML block (<pre>, <!--) that
// would run on, so neither can swallow the headings that follow; literal text (system prompt, reasoning) goes in a fence longer
// than any run of backticks inside it. A message's attachments follow its
// text: written to a file, as images and links into the attachments/ folder
// beside it (files); written to a stream, named only. The messages are the
// active path, then with all the other branches (see branches.go), each
// under a heading "## Branch from message N", the messages then numbered
// ("## Message 4 · Assistant · …").
type markdownDoc struct {
	o     *out
	blobs *blobReader
	files *attachDir
	count int
}

const mdTime = "2006-01-02 15:04 UTC"

func mdStamp(t time.Time) string { return t.UTC().Format(mdTime) }

func title(c store.Conversation) string {
	if t := oneLine(c.Title); t != "" {
		return t
	}
	return "Untitled conversation"
}

func roleName(r store.Role) string {
	switch r {
	case store.RoleUser:
		return "User"
	case store.RoleAssistant:
		return "Assistant"
	case store.RoleSystem:
		return "System"
	}
	return oneLine(string(r))
}

// messageHeading is "Assistant · gpt-4o · 2024-05-01 17:37 UTC · stopped".
func messageHeading(m store.Message) string {
	parts := []string{roleName(m.Role)}
	if model := oneLine(m.Model); model != "" {
		parts = append(parts, model)
	}
	parts = append(parts, mdStamp(m.CreatedAt))
	if m.State != "" && m.State != store.StateDone {
		parts = append(parts, oneLine(string(m.State)))
	}
	if m.Superseded {
		parts = append(parts, "superseded")
	}
	if m.Pinned {
		parts = append(parts, "pinned")
	}
	return strings.Join(parts, " · ")
}

// mdEscape keeps plain text (a title) from being read as Markdown or HTML.
func mdEscape(s string) string { return mdEscaper.Replace(s) }

var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", `\<`, ">", `\>`, "&", `\&`)

func (md *markdownDoc) begin([]store.Conversation) {}

func (md *markdownDoc) literal(label, text string) {
	text = newlines.Replace(text)
	f := literalFence(text)
	md.o.WriteString("**" + label + "**\n\n" + f + "text\n")
	md.o.WriteString(text)
	if !strings.HasSuffix(text, "\n") {
		md.o.WriteString("\n")
	}
	md.o.WriteString(f + "\n\n")
}

func (md *markdownDoc) conversation(d store.Dump, all bool) int {
	c := d.Conversation
	s := toShow(d.Messages, c.Leaf, all)
	if md.count > 0 {
		md.o.WriteString("\n---\n\n")
	}
	md.count++
	md.o.WriteString("# " + mdEscape(title(c)) + "\n\n")
	md.o.WriteString("- Conversation `" + c.ID + "`, " + messageCount(s) + "\n")
	md.o.WriteString("- Started " + mdStamp(c.CreatedAt) + ", last updated " + mdStamp(c.UpdatedAt) + "\n")
	if model := oneLine(strings.Trim(c.Provider+" · "+c.Model, " ·")); model != "" {
		md.o.WriteString("- Model: " + model + "\n")
	}
	md.o.WriteString("\n")
	if c.SystemPrompt != "" {
		md.literal("System prompt", c.SystemPrompt)
	}
	branches := s.branches
	for i, m := range s.msgs {
		if len(branches) > 0 && branches[0].at == i {
			md.o.WriteString("## " + branchHeading(branches[0]) + "\n\n")
			branches = branches[1:]
		}
		heading := messageHeading(m)
		if len(s.branches) > 0 { // numbered, for the branch headings to name
			heading = fmt.Sprintf("Message %d · %s", m.Seq, heading)
		}
		md.o.WriteString("## " + heading + "\n\n")
		if m.Reasoning != "" {
			md.literal("Reasoning", m.Reasoning)
		}
		text := newlines.Replace(m.Content)
		if strings.TrimSpace(text) == "" {
			text = "*(no text)*"
		}
		md.o.WriteString(text)
		if !strings.HasSuffix(text, "\n") {
			md.o.WriteString("\n")
		}
		if end := blockCloser(text); end != "" {
			md.o.WriteString(end + "\n")
		}
		md.o.WriteString("\n")
		md.attachments(m.Attachments)
		md.tools(m.Tools)
		if m.Error != "" {
			md.o.WriteString("> **Error:** " + oneLine(m.Error) + "\n\n")
		}
	}
	return len(s.msgs)
}

// attachments writes a message's attachments, one line each.
func (md *markdownDoc) attachments(as []store.Attachment) {
	for _, a := range as {
		label := mdEscape(oneLine(a.Name)) + " (" + format.Size(a.Size) + ")"
		if md.files == nil {
			md.o.WriteString("- Attached: " + label + "\n")
			continue
		}
		data, _, ok := md.blobs.load(a)
		if !ok {
			md.o.WriteString("- Attached: " + label + ", not in the history\n")
			continue
		}
		name, ok := md.files.put(a, data)
		switch {
		case !ok:
			return // the export stops: files.err
		case a.IsImage():
			md.o.WriteString("- ![" + mdEscape(oneLine(a.Name)) + "](" + md.files.link(name) + ")\n")
		default:
			md.o.WriteString("- [" + label + "](" + md.files.link(name) + ")\n")
		}
	}
	if len(as) > 0 {
		md.o.WriteString("\n")
	}
}

// tools writes an answer's tool uses, each folded (a <details> block, which
// common Markdown viewers fold) under "Used server/tool · 120 ms", with its
// arguments and result.
func (md *markdownDoc) tools(uses []store.ToolUse) {
	for _, u := range uses {
		md.o.WriteString("<details><summary>" + html.EscapeString(toolSummary(u)) + "</summary>\n\n")
		md.literal("Arguments", u.Arguments)
		if res := toolResult(u); res != "" {
			md.literal("Result", res)
		}
		md.o.WriteString("</details>\n\n")
	}
}

func (md *markdownDoc) end() {}

// messageCount is "4 messages", with how many other branches hold when they
// are left out, "4 messages (the active path; 3 more on other branches)",
// or how many follow: "7 messages (the active path, then 2 other branches)".
func messageCount(s shown) string {
	n := format.Count(len(s.msgs), "message", "messages")
	if len(s.branches) > 0 {
		n += " (the active path, then " + format.Count(len(s.branches), "other branch", "other branches") + ")"
	}
	if s.hidden > 0 {
		n += fmt.Sprintf(" (the active path; %d more on other branches)", s.hidden)
	}
	return n
}

// branchHeading is "Branch from message 3", or "Branch from the start" for
// another first message (an edited first question).
func branchHeading(b branch) string {
	if b.from == 0 {
		return "Branch from the start"
	}
	return fmt.Sprintf("Branch from message %d", b.from)
}
