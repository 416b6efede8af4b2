package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
)

// cmdUsage prints what requests used and cost, per conversation, day and
// provider.
func usageCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	var days int
	cmd := &cobra.Command{
		Use:   "usage [flags]",
		Short: "tokens and cost per provider, day and conversation",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return runUsage(c, days, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().IntVar(&days, "days", 0, "only the last N days (0: everything)")
	return cmd
}

func runUsage(c *cmdEnv, days int, asJSON bool) error {
	if days < 0 {
		return cmdLinef("--days must be 0 or more")
	}
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	var from time.Time
	if days > 0 {
		y, m, d := time.Now().Date()
		from = time.Date(y, m, d-days+1, 0, 0, 0, 0, time.Local)
	}
	rep, err := c.engine(st).Usage(from, time.Time{})
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(c.Stdout, usageJSON{Total: rep.Total, ByConversation: nonNil(rep.ByConversation), ByDay: nonNil(rep.ByDay), ByProvider: nonNil(rep.ByProvider)})
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	section := func(title string, rows []engine.UsageTotal) {
		fmt.Fprintf(tw, "%s\tREQUESTS\tCACHED\tTOKENS IN\tTOKENS OUT\tCOST\n", title)
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\n", r.Key, r.Requests, r.Cached, r.PromptTokens, r.CompletionTokens, format.TotalCost(r.Cost, r.Unpriced, r.Requests))
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
