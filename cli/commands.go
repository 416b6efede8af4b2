package cli

import (
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

type conversationJSON struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Provider  string    `json:"provider"`
	Model     string    `json:"model"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func listCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "conversations, newest first",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return runList(c, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func runList(c *cmdEnv, asJSON bool) (err error) {
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	if st.Empty() && !asJSON {
		dir, _ := store.DefaultDir(c.dataDir)
		fmt.Fprintf(c.Stderr, "There is no history in %s yet; the first question (deskchat ask, or the window) starts it.\n", dir)
	}
	convs, err := st.Conversations()
	var damaged error
	if store.IsDamaged(err) {
		// Show what can still be read, then say the file is damaged
		// (exit 1).
		damaged = err
		var lost []string
		convs, lost, err = st.ReadableConversations()
		if len(lost) > 0 {
			fmt.Fprintf(c.Stderr, "%s lost with the damaged pages and not listed; `deskchat recover` saves what is left of them.\n",
				format.Count(len(lost), "conversation's record was", "conversations' records were"))
		}
	}
	if err != nil {
		return err
	}
	defer func() {
		if damaged != nil && err == nil {
			err = damaged
		}
	}()
	if asJSON {
		out := make([]conversationJSON, 0, len(convs))
		for _, cv := range convs {
			out = append(out, conversationJSON{cv.ID, cv.Title, cv.Provider, cv.Model, cv.CreatedAt, cv.UpdatedAt})
		}
		return writeJSON(c.Stdout, out)
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUPDATED\tMODEL\tTITLE")
	for _, cv := range convs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cv.ID, cv.UpdatedAt.Local().Format("2006-01-02 15:04"), cv.Model, oneLine(cv.Title, 60))
	}
	return tw.Flush()
}

type messageJSON struct {
	ID string `json:"id"`
	// ParentID is the id of the message this one follows in the tree of
	// the conversation; "" for a first message.
	ParentID     string    `json:"parent_id"`
	Seq          uint64    `json:"seq"`
	Role         string    `json:"role"`
	Content      string    `json:"content"`
	Reasoning    string    `json:"reasoning,omitempty"`
	State        string    `json:"state"`
	Provider     string    `json:"provider"`
	Model        string    `json:"model"`
	Finish       string    `json:"finish,omitempty"`
	Error        string    `json:"error,omitempty"`
	PromptTokens int       `json:"prompt_tokens,omitempty"`
	OutputTokens int       `json:"output_tokens,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	// Attachments are the files that went with a question (absent when
	// none did).
	Attachments []attachmentJSON `json:"attachments,omitempty"`
	// Tools are the calls an answer made to MCP tools, with their
	// results (absent when none).
	Tools []store.ToolUse `json:"tools,omitempty"`
}

// attachmentJSON is a file that went with a question, as "show --json"
// lists it; its bytes stay in the history (export embeds them).
type attachmentJSON struct {
	Name   string `json:"name"`
	Mime   string `json:"mime"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Width  int    `json:"width,omitempty"`
	Height int    `json:"height,omitempty"`
	Pages  int    `json:"pages,omitempty"`
}

func attachmentsJSON(as []store.Attachment) []attachmentJSON {
	if len(as) == 0 {
		return nil
	}
	out := make([]attachmentJSON, len(as))
	for i, a := range as {
		out[i] = attachmentJSON{a.Name, a.Mime, a.Size, a.SHA256, a.Width, a.Height, a.Pages}
	}
	return out
}

// attachmentLine is how "show" lists a file that went with a question.
func attachmentLine(a store.Attachment) string {
	s := "[attached: " + a.Name + ", " + format.Size(a.Size)
	switch {
	case a.Width > 0 && a.Height > 0:
		s += fmt.Sprintf(", %d×%d", a.Width, a.Height)
	case a.Pages == 1:
		s += ", 1 page"
	case a.Pages > 1:
		s += fmt.Sprintf(", %d pages", a.Pages)
	}
	return s + "]"
}

func showCmd(c *cmdEnv) *cobra.Command {
	var asJSON, all bool
	cmd := &cobra.Command{
		Use:   "show ID [flags]",
		Short: "one conversation's active path (--all: every branch)",
		Long: `Show a conversation: the messages of its active path (the branch the window
shows and sends), in order. --all shows every message of every branch, each with
the message it follows (parent_id in JSON).`,
		ValidArgsFunction: firstArg(c.conversationWords),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdLinef("show needs one conversation id (see \"deskchat list\")")
			}
			return runShow(c, args[0], asJSON, all)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&all, "all", false, "every message of every branch, not only the active path")
	return cmd
}

func runShow(c *cmdEnv, id string, asJSON, all bool) error {
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	conv, err := st.Conversation(id)
	if store.IsDamaged(err) {
		return err
	}
	if err != nil {
		return fmt.Errorf("there is no conversation %q; \"deskchat list\" shows the ids", id)
	}
	read := st.Path
	if all {
		read = st.Messages
	}
	msgs, err := read(id)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]messageJSON, 0, len(msgs))
		for _, m := range msgs {
			out = append(out, messageJSON{m.ID(), parentID(m), m.Seq, string(m.Role), m.Content, m.Reasoning, string(m.State), m.Provider, m.Model, m.Finish, m.Error, m.PromptTokens, m.OutputTokens, m.CreatedAt, attachmentsJSON(m.Attachments), m.Tools})
		}
		return writeJSON(c.Stdout, out)
	}
	var b *branches
	if all {
		b = newBranches(msgs, conv.Leaf)
	}
	fmt.Fprintf(c.Stdout, "# %s\n", conv.Title)
	for i, m := range msgs {
		head := string(m.Role)
		if m.Model != "" {
			head += " · " + m.Model
		}
		if m.State != store.StateDone {
			head += " · " + string(m.State)
		}
		fmt.Fprintf(c.Stdout, "\n## %s (%s)%s\n\n%s\n", head, m.CreatedAt.Local().Format("2006-01-02 15:04"), b.mark(m), m.Content)
		if len(m.Attachments) > 0 {
			fmt.Fprintln(c.Stdout)
			for _, a := range m.Attachments {
				fmt.Fprintln(c.Stdout, attachmentLine(a))
			}
		}
		if len(m.Tools) > 0 {
			fmt.Fprintln(c.Stdout)
			for _, u := range m.Tools {
				fmt.Fprintln(c.Stdout, toolUseLine(u))
			}
		}
		if m.Error != "" {
			fmt.Fprintf(c.Stdout, "\n[%s]\n", m.Error)
		}
		if !all && i == len(msgs)-1 && store.Continuable(m) {
			fmt.Fprintf(c.Stdout, "\n[unfinished: continue it with \"deskchat ask --continue %s\"]\n", m.ID())
		}
	}
	return nil
}

// parentID is the id of the message m follows, "" for a first message.
func parentID(m store.Message) string {
	if m.Parent == 0 {
		return ""
	}
	return store.Message{ConversationID: m.ConversationID, Seq: m.Parent}.ID()
}

// branches says where each message of a conversation stands in its tree,
// for "show --all": which message it follows, which of its siblings it is,
// and whether it is on the active path.
type branches struct {
	siblings map[uint64][]uint64 // parent → children, in Seq order
	active   map[uint64]bool
}

func newBranches(all []store.Message, leaf uint64) *branches {
	b := &branches{siblings: map[uint64][]uint64{}, active: map[uint64]bool{}}
	parent := make(map[uint64]uint64, len(all))
	for _, m := range all {
		b.siblings[m.Parent] = append(b.siblings[m.Parent], m.Seq)
		parent[m.Seq] = m.Parent
	}
	// Seqs only go down towards the roots, so this ends.
	for seq := leaf; seq != 0 && !b.active[seq]; {
		b.active[seq] = true
		p, ok := parent[seq]
		if !ok || p >= seq {
			break
		}
		seq = p
	}
	if leaf == 0 { // no tree yet: every message is on the path
		for _, m := range all {
			b.active[m.Seq] = true
		}
	}
	return b
}

// mark is what follows a message's heading in "show --all": its id, the
// message it follows, its place among its siblings, and "off the active
// path" when it is. Nothing without --all (b nil).
func (b *branches) mark(m store.Message) string {
	if b == nil {
		return ""
	}
	s := " [" + m.ID()
	if m.Parent != 0 {
		s += ", after " + parentID(m)
	}
	if sib := b.siblings[m.Parent]; len(sib) > 1 {
		s += fmt.Sprintf(", branch %d of %d", slices.Index(sib, m.Seq)+1, len(sib))
	}
	if !b.active[m.Seq] {
		s += ", off the active path"
	}
	return s + "]"
}

// noArgs refuses positional arguments with one sentence.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cmdLinef("unexpected argument %q", args[0])
	}
	return nil
}
