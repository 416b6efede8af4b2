package cli

import (
	"fmt"
	"strings"
	"time"

	"deskchat/store"
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
func cmdSearch(c *cmdEnv, args []string) error {
	fs := c.flags("QUERY [--json] [--limit N] [--by newest|relevance]")
	asJSON := fs.Bool("json", false, "print JSON")
	limit := fs.Int("limit", store.DefaultSearchLimit, "most results to print")
	by := fs.String("by", string(store.ByNewest), "order: newest or relevance")
	if err := parse(fs, reorderFlags(args, "limit", "by", "data-dir")); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("search needs a query, e.g. deskchat search \"error budget\"")
	}
	if *limit < 1 {
		return usagef("--limit must be at least 1")
	}
	order := store.SearchOrder(*by)
	if order != store.ByNewest && order != store.ByRelevance {
		return usagef("--by must be newest or relevance, not %q", *by)
	}
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	results, err := st.Search(strings.Join(fs.Args(), " "), store.SearchOptions{Limit: *limit, By: order})
	if err != nil {
		return err
	}
	if *asJSON {
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

// reorderFlags moves flags before positional arguments, so that
// "search QUERY --json" works like "search --json QUERY"; valued names the
// flags that take a separate value. After "--" everything is positional.
func reorderFlags(args []string, valued ...string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			for _, v := range valued {
				if name == v && i+1 < len(args) {
					flags = append(flags, args[i+1])
					i++
				}
			}
		default:
			pos = append(pos, a)
		}
	}
	return append(append(flags, "--"), pos...)
}
