package cli

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/engine"
)

// cmdStats prints the engine's metrics per provider: what is in flight and
// waiting (in this process: a CLI run sees none), and the counters persisted
// by every run.
func statsCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats [flags]",
		Short: "per provider: requests, retries, errors, time to first token, tokens",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return runStats(c, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func runStats(c *cmdEnv, asJSON bool) error {
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	m, err := c.engine(st).Metrics()
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(c.Stdout, m)
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROVIDER\tIN FLIGHT\tQUEUED\tREQUESTS\tRETRIES\tERRORS\tTTFT P50\tTTFT P95\tTOK/S\tTOKENS IN\tTOKENS OUT")
	for _, p := range m {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%d ms\t%d ms\t%.1f\t%d\t%d\n", p.Provider, p.InFlight, p.Queued, p.Requests, p.Retries, errorsText(p.Errors),
			p.TTFTP50Millis, p.TTFTP95Millis, p.TokensPerSecond, p.TokensIn, p.TokensOut)
	}
	if len(m) == 0 {
		fmt.Fprintln(tw, "(no requests yet)")
	}
	return tw.Flush()
}

// errorsText lists error counts by kind: "auth 2, server 1", or "-".
func errorsText(errs map[engine.ErrorKind]int64) string {
	var parts []string
	for k, n := range errs {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
