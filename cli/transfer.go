package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/store/transfer"
)

// cmdExport writes conversations as JSON (re-importable, every branch),
// Markdown or HTML (the active path; every branch with --all-branches): to
// stdout, or atomically to --out.
func exportCmd(c *cmdEnv) *cobra.Command {
	var format, outPath string
	var ids []string
	var allBranches bool
	cmd := &cobra.Command{
		Use:   "export [flags]",
		Short: "conversations as JSON (re-importable), Markdown or HTML (default: all, json, stdout)",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdLinef("unexpected argument %q (export takes flags only; see --help)", args[0])
			}
			return runExport(c, format, ids, outPath, allBranches)
		},
	}
	cmd.Flags().StringVar(&format, "format", "json", "json (re-importable), md or html")
	// StringArray, not StringSlice: an id is taken whole, commas and all.
	cmd.Flags().StringArrayVar(&ids, "conversation", nil, "export this conversation (repeat for several; default: all)")
	cmd.RegisterFlagCompletionFunc("conversation", c.conversationWords)
	cmd.Flags().BoolVar(&allBranches, "all-branches", false, "md and html: every branch of each conversation after its active path, each headed \"Branch from message N\" (json always holds every branch)")
	cmd.Flags().StringVar(&outPath, "out", "", "write to this file, replacing it only once the export is complete (default: stdout); md puts the attachments in attachments/ beside it")
	return cmd
}

func runExport(c *cmdEnv, name string, ids []string, outPath string, allBranches bool) error {
	for _, id := range ids {
		if strings.TrimSpace(id) == "" {
			return cmdLinef("--conversation needs a conversation id")
		}
	}
	f, ok := transfer.ParseFormat(name)
	if !ok {
		return cmdLinef("--format must be json, md or html, not %q", name)
	}
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	opts := transfer.ExportOptions{Format: f, Conversations: ids, AllBranches: allBranches}
	if outPath == "" {
		w := bufio.NewWriter(c.Stdout)
		res, err := transfer.Export(c.Context, st, w, opts)
		if ferr := w.Flush(); err == nil && ferr != nil {
			err = &store.Error{Op: "export", Msg: "The export could not be written to the output.", Err: ferr}
		}
		if err != nil {
			return err
		}
		return skipped(res)
	}
	res, err := transfer.ExportFile(c.Context, st, c.path(outPath), opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "Exported %s (%s) to %s.\n", format.Count(res.Conversations, "conversation", "conversations"), format.Count(res.Messages, "message", "messages"), outPath)
	return skipped(res)
}

// skipped is the error of an export that left out conversations it could
// not read: the rest is written, and exit code 1 tells scripts that the
// export is incomplete.
func skipped(res transfer.ExportResult) error {
	if s := res.SkippedSentence(); s != "" {
		return errors.New(s)
	}
	return nil
}

// cmdImport adds the conversations of a deskchat, ChatGPT or Claude export
// (a zip archive's conversations.json is read from the archive, see
// transfer.ImportZip) and prints what it did.
func importCmd(c *cmdEnv) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "import FILE [flags]",
		Short: "add the conversations of a deskchat export, conversations.json from ChatGPT or Claude, or the .zip it came in (- reads stdin)",
		RunE:  func(_ *cobra.Command, args []string) error { return runImport(c, from, args) },
	}
	cmd.Flags().StringVar(&from, "from", "auto", "the file's format: auto (detect), deskchat, chatgpt or claude")
	return cmd
}

func runImport(c *cmdEnv, from string, pos []string) error {
	if len(pos) != 1 {
		return cmdLinef("import needs one FILE: a deskchat export, or conversations.json from ChatGPT or Claude")
	}
	src, ok := transfer.ParseSource(from)
	if !ok {
		return cmdLinef("--from must be auto, deskchat, chatgpt or claude, not %q", from)
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	opts := transfer.ImportOptions{From: src}
	var rep transfer.Report
	if pos[0] == "-" {
		rep, err = transfer.Import(c.Context, st, c.Stdin, opts)
	} else {
		rep, err = transfer.ImportFile(c.Context, st, c.path(pos[0]), opts)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, rep.String())
	return nil
}
