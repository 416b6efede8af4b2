package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/store"
)

// searchResultJSON is one line of "search --json": stable field names.
type searchResultJSON struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"` // "" for a title match
	Seq            uint64 `json:"seq"`        // 0 for a title match
	Role           string `json:"role"`       // "" for a title match
	Title          string `json:"title"`
	InTitle        bool   `json:"in_title"`
	Snippet        string `json:"snippet"`
	// Highlights are [start, end) byte offsets of the matches in snippet.
	Highlights [][2]int  `json:"highlights"`
	CreatedAt  time.Time `json:"created_at"`
}

// cmdSearch prints the messages and titles matching a query.
func searchCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	var limit int
	var by string
	cmd := &cobra.Command{
		Use:   "search [flags] [--] QUERY...",
		Short: "messages and titles that match, with their conversation ids",
		RunE:  func(_ *cobra.Command, args []string) error { return runSearch(c, args, asJSON, limit, by) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&limit, "limit", store.DefaultSearchLimit, "most results to print")
	cmd.Flags().StringVar(&by, "by", string(store.ByNewest), "order: newest or relevance")
	return cmd
}

func runSearch(c *cmdEnv, args []string, asJSON bool, limit int, by string) error {
	if len(args) == 0 {
		return cmdLinef("search needs a query, e.g. deskchat search \"error budget\"")
	}
	if limit < 1 {
		return cmdLinef("--limit must be at least 1")
	}
	order := store.SearchOrder(by)
	if order != store.ByNewest && order != store.ByRelevance {
		return cmdLinef("--by must be newest or relevance, not %q", by)
	}
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	results, err := st.Search(strings.Join(args, " "), store.SearchOptions{Limit: limit, By: order})
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]searchResultJSON, 0, len(results))
		for _, r := range results {
			hs := make([][2]int, 0, len(r.Highlights))
			for _, h := range r.Highlights {
				hs = append(hs, [2]int{h.Start, h.End})
			}
			out = append(out, searchResultJSON{r.ConversationID, r.MessageID, r.Seq, string(r.Role), r.Title, r.InTitle, r.Snippet, hs, r.CreatedAt})
		}
		return writeJSON(c.Stdout, out)
	}
	if len(results) == 0 {
		fmt.Fprintln(c.Stderr, "No messages or titles match.")
		return nil
	}
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(c.Stdout)
		}
		id := r.MessageID
		if r.InTitle {
			id = "(title)"
		}
		fmt.Fprintf(c.Stdout, "%s  %s  %s\n  %s\n", r.ConversationID, id, oneLine(r.Title, 60), markMatches(r.Snippet, r.Highlights))
	}
	return nil
}

// markMatches puts **…** around the highlighted ranges of snippet, which is
// already one line without control characters.
func markMatches(snippet string, hs []store.Range) string {
	var b strings.Builder
	at := 0
	for _, h := range hs {
		if h.Start < at || h.End > len(snippet) || h.Start >= h.End {
			continue
		}
		b.WriteString(snippet[at:h.Start])
		b.WriteString("**")
		b.WriteString(snippet[h.Start:h.End])
		b.WriteString("**")
		at = h.End
	}
	b.WriteString(snippet[at:])
	return b.String()
}
