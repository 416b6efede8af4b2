package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// cacheCmd shows or clears the response cache.
func cacheCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	stats := &cobra.Command{
		Use:   "stats [flags]",
		Short: "entries, size, hits and misses of the response cache",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return cacheStats(c, asJSON) },
	}
	clear := &cobra.Command{
		Use:   "clear",
		Short: "remove every cached answer",
		Args:  noArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			st, err := c.store()
			if err != nil {
				return err
			}
			n, err := st.CacheClear()
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "Removed %s.\n", format.Count(n, "cached answer", "cached answers"))
			return nil
		},
	}
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "the response cache",
		RunE:  group("cache", "stats or clear"),
	}
	// --json on the group, as before cobra: "cache --json stats" works too.
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON (stats)")
	cmd.AddCommand(stats, clear)
	return cmd
}

func cacheStats(c *cmdEnv, asJSON bool) error {
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	s, err := st.CacheStats()
	if err != nil {
		return err
	}
	hits, misses, err := engine.StoredCacheCounters(st)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(c.Stdout, cacheStatsJSON{s.Entries, s.Bytes, hits, misses})
	}
	fmt.Fprintf(c.Stdout, "%s, %s; %s, %s\n", format.Count(s.Entries, "cached answer", "cached answers"), format.Size(s.Bytes),
		format.Count(int(hits), "hit", "hits"), format.Count(int(misses), "miss", "misses"))
	return nil
}

// pricesCmd shows and edits the user's price table (US dollars per million
// tokens), which takes precedence over the built-in one. "prices" alone
// lists it.
func pricesCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	list := func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return cmdLineError{msg: fmt.Sprintf("unknown prices command %q: use list, set MODEL INPUT OUTPUT or remove MODEL.", args[0]), withSynopsis: true}
		}
		return pricesList(c, asJSON)
	}
	cmd := &cobra.Command{
		Use:   "prices [list | set MODEL INPUT OUTPUT | remove MODEL] [flags]",
		Short: "your prices, US dollars per million tokens (before the built-in ones)",
		RunE:  list,
	}
	// --json on the group, as before cobra: "prices --json list" works too.
	cmd.PersistentFlags().BoolVar(&asJSON, "json", false, "print JSON (list)")
	listCmd := &cobra.Command{Use: "list [flags]", Short: "your prices", RunE: list}
	set := &cobra.Command{
		Use:   "set MODEL INPUT OUTPUT",
		Short: "set a model's prices, $ per million input and output tokens",
		RunE: func(_ *cobra.Command, a []string) error {
			if len(a) != 3 {
				return cmdLinef("use: prices set MODEL INPUT OUTPUT")
			}
			in, err1 := strconv.ParseFloat(a[1], 64)
			out, err2 := strconv.ParseFloat(a[2], 64)
			if err1 != nil || err2 != nil || in < 0 || out < 0 {
				return cmdLinef("prices are US dollars per million tokens, like 2.5 10")
			}
			return editPrices(c, func(table map[string]tokens.Price) error {
				table[a[0]] = tokens.Price{Input: in, Output: out}
				return nil
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove MODEL",
		Short: "remove a price of yours",
		RunE: func(_ *cobra.Command, a []string) error {
			if len(a) != 1 {
				return cmdLinef("use: prices remove MODEL")
			}
			return editPrices(c, func(table map[string]tokens.Price) error {
				if _, ok := table[a[0]]; !ok {
					return cmdLinef("%q has no price of yours (built-in prices cannot be removed)", a[0])
				}
				delete(table, a[0])
				return nil
			})
		},
	}
	cmd.AddCommand(listCmd, set, remove)
	return cmd
}

// priceTable reads the user's price table from st.
func priceTable(c *cmdEnv, st *store.Store) (map[string]tokens.Price, error) {
	table := map[string]tokens.Price{}
	if raw, err := st.Setting(store.SettingPrices); err != nil {
		return nil, err
	} else if raw != "" {
		if err := json.Unmarshal([]byte(raw), &table); err != nil {
			fmt.Fprintln(c.Stderr, "The stored price table could not be read; it is treated as empty.")
			return map[string]tokens.Price{}, nil // a damaged table is replaced by the next edit
		}
	}
	return table, nil
}

func pricesList(c *cmdEnv, asJSON bool) error {
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	table, err := priceTable(c, st)
	if err != nil {
		return err
	}
	if asJSON {
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
}

// editPrices applies edit to the stored price table and saves it.
func editPrices(c *cmdEnv, edit func(map[string]tokens.Price) error) error {
	st, err := c.store()
	if err != nil {
		return err
	}
	table, err := priceTable(c, st)
	if err != nil {
		return err
	}
	if err := edit(table); err != nil {
		return err
	}
	b, err := json.Marshal(table)
	if err != nil {
		return err
	}
	return st.SetSetting(store.SettingPrices, string(b))
}
