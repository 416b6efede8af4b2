package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"deskchat/engine"
)

// cmdUsage prints what requests used and cost, per conversation, day and
// provider.
func cmdUsage(c *cmdEnv, args []string) error {
	fs := c.flags("[--days N] [--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	days := fs.Int("days", 0, "only the last N days (0: everything)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *days < 0 {
		return usagef("--days must be 0 or more")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	var from time.Time
	if *days > 0 {
		y, m, d := time.Now().Date()
		from = time.Date(y, m, d-*days+1, 0, 0, 0, 0, time.Local)
	}
	rep, err := engine.New(st, c.EngineOptions).Usage(from, time.Time{})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(c.Stdout, usageJSON{Total: rep.Total, ByConversation: nonNil(rep.ByConversation), ByDay: nonNil(rep.ByDay), ByProvider: nonNil(rep.ByProvider)})
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	section := func(title string, rows []engine.UsageTotal) {
		fmt.Fprintf(tw, "%s\tREQUESTS\tCACHED\tTOKENS IN\tTOKENS OUT\tCOST\n", title)
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", r.Key, r.Requests, r.Cached, r.PromptTokens, r.CompletionTokens, costText(r))
		}
		fmt.Fprintln(tw, "\t\t\t\t\t")
	}
	section("PROVIDER", rep.ByProvider)
	section("DAY", rep.ByDay)
	section("CONVERSATION", rep.ByConversation)
	t := rep.Total
	t.Key = "total"
	section("ALL", []engine.UsageTotal{t})
	if err := tw.Flush(); err != nil {
		return err
	}
	if t.Estimated > 0 {
		fmt.Fprintf(c.Stdout, "%d of %d requests had no usage from the provider; their tokens were counted by deskchat.\n", t.Estimated, t.Requests)
	}
	return nil
}

type usageJSON struct {
	Total          engine.UsageTotal   `json:"total"`
	ByConversation []engine.UsageTotal `json:"by_conversation"`
	ByDay          []engine.UsageTotal `json:"by_day"`
	ByProvider     []engine.UsageTotal `json:"by_provider"`
}

func nonNil(t []engine.UsageTotal) []engine.UsageTotal {
	if t == nil {
		return []engine.UsageTotal{}
	}
	return t
}

// costText shows a cost, saying so when part of it is unknown.
func costText(t engine.UsageTotal) string {
	switch {
	case t.Unpriced == t.Requests && t.Requests > 0:
		return "unknown"
	case t.Unpriced > 0:
		return fmt.Sprintf("$%.4f + %d unknown", t.Cost, t.Unpriced)
	}
	return fmt.Sprintf("$%.4f", t.Cost)
}

// cmdCache shows or clears the response cache.
func cmdCache(c *cmdEnv, args []string) error {
	fs := c.flags("stats [--json] | clear")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("say what to do: stats or clear")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "clear":
		n, err := st.CacheClear()
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "Removed %d cached answers.\n", n)
		return nil
	case "stats":
		s, err := st.CacheStats()
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(c.Stdout, s)
		}
		fmt.Fprintf(c.Stdout, "%d cached answers, %.1f MB\n", s.Entries, float64(s.Bytes)/(1<<20))
		return nil
	}
	return usagef("unknown cache command %q: use stats or clear", fs.Arg(0))
}
