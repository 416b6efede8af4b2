package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"deskchat/engine"
	"deskchat/engine/tokens"
	"deskchat/store"
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
	c.readOnly = true
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

type cacheStatsJSON struct {
	Entries int    `json:"entries"`
	Bytes   int64  `json:"bytes"`
	Hits    uint64 `json:"hits"`
	Misses  uint64 `json:"misses"`
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
	c.readOnly = fs.Arg(0) == "stats"
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
		hits, misses, err := engine.CacheCounters(st)
		if err != nil {
			return err
		}
		if *asJSON {
			return writeJSON(c.Stdout, cacheStatsJSON{s.Entries, s.Bytes, hits, misses})
		}
		fmt.Fprintf(c.Stdout, "%d cached answers, %.1f MB; %d hits, %d misses\n", s.Entries, float64(s.Bytes)/(1<<20), hits, misses)
		return nil
	}
	return usagef("unknown cache command %q: use stats or clear", fs.Arg(0))
}

// cmdPrices shows and edits the user's price table (US dollars per million
// tokens), which takes precedence over the built-in one.
func cmdPrices(c *cmdEnv, args []string) error {
	fs := c.flags("list [--json] | set MODEL INPUT OUTPUT | remove MODEL")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	c.readOnly = fs.NArg() == 0 || fs.Arg(0) == "list"
	st, err := c.store()
	if err != nil {
		return err
	}
	table := map[string]tokens.Price{}
	if raw, err := st.Setting(store.SettingPrices); err != nil {
		return err
	} else if raw != "" {
		if err := json.Unmarshal([]byte(raw), &table); err != nil {
			table = map[string]tokens.Price{} // a damaged table is replaced by the next edit
			fmt.Fprintln(c.Stderr, "The stored price table could not be read; it is treated as empty.")
		}
	}
	save := func() error {
		b, err := json.Marshal(table)
		if err != nil {
			return err
		}
		return st.SetSetting(store.SettingPrices, string(b))
	}
	a := fs.Args()
	if len(a) == 0 {
		a = []string{"list"}
	}
	switch {
	case a[0] == "list" && len(a) == 1:
		if *asJSON {
			return writeJSON(c.Stdout, table)
		}
		models := make([]string, 0, len(table))
		for m := range table {
			models = append(models, m)
		}
		sort.Strings(models)
		tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "MODEL\tINPUT $/M\tOUTPUT $/M")
		for _, m := range models {
			fmt.Fprintf(tw, "%s\t%g\t%g\n", m, table[m].Input, table[m].Output)
		}
		if len(models) == 0 {
			fmt.Fprintln(tw, "(none: built-in prices apply)\t\t")
		}
		return tw.Flush()
	case a[0] == "set" && len(a) == 4:
		in, err1 := strconv.ParseFloat(a[2], 64)
		out, err2 := strconv.ParseFloat(a[3], 64)
		if err1 != nil || err2 != nil || in < 0 || out < 0 {
			return usagef("prices are US dollars per million tokens, like 2.5 10")
		}
		table[a[1]] = tokens.Price{Input: in, Output: out}
		return save()
	case a[0] == "remove" && len(a) == 2:
		if _, ok := table[a[1]]; !ok {
			return usagef("%q has no price of yours (built-in prices cannot be removed)", a[1])
		}
		delete(table, a[1])
		return save()
	}
	return usagef("use: prices list | set MODEL INPUT OUTPUT | remove MODEL")
}
