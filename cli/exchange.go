package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"strings"

	"deskchat/store"
	"deskchat/store/exchange"
)

// cmdExport writes conversations as JSON (re-importable), Markdown or HTML:
// to stdout, or atomically to --out.
func cmdExport(c *cmdEnv, args []string) error {
	fs := c.flags("[--format md|json|html] [--conversation ID]... [--out PATH]   (default: all conversations, json, stdout)")
	format := fs.String("format", "json", "json (re-importable), md or html")
	var ids listFlag
	fs.Var(&ids, "conversation", "export this conversation (repeat for several; default: all)")
	outPath := fs.String("out", "", "write to this file, replacing it only once the export is complete (default: stdout)")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (export takes flags only; see --help)", pos[0])
	}
	f, ok := exchange.ParseFormat(*format)
	if !ok {
		return usagef("--format must be json, md or html, not %q", *format)
	}
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	opts := exchange.ExportOptions{Format: f, Conversations: ids}
	if *outPath == "" {
		w := bufio.NewWriter(c.Stdout)
		res, err := exchange.Export(c.Context, st, w, opts)
		if ferr := w.Flush(); err == nil && ferr != nil {
			err = &store.Error{Op: "export", Msg: "The export could not be written to the output.", Err: ferr}
		}
		if err != nil {
			return err
		}
		return skipped(res)
	}
	res, err := exchange.ExportFile(c.Context, st, *outPath, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "Exported %s (%s) to %s.\n", count(res.Conversations, "conversation"), count(res.Messages, "message"), *outPath)
	return skipped(res)
}

// skipped is the error of an export that left out conversations it could
// not read: the rest is written, and exit code 1 tells scripts that the
// export is incomplete.
func skipped(res exchange.ExportResult) error {
	if s := res.SkippedSentence(); s != "" {
		return errors.New(s)
	}
	return nil
}

// cmdImport adds the conversations of a deskchat, ChatGPT or Claude export
// (a zip archive's conversations.json is read from the archive, see
// exchange.ImportZip) and prints what it did.
func cmdImport(c *cmdEnv, args []string) error {
	fs := c.flags("[--from auto|chatgpt|claude|deskchat] FILE   (a deskchat export, conversations.json from ChatGPT or Claude, or the .zip it came in; - reads stdin)")
	from := fs.String("from", "auto", "the file's format: auto (detect), deskchat, chatgpt or claude")
	pos, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("import needs one FILE: a deskchat export, or conversations.json from ChatGPT or Claude")
	}
	src, ok := exchange.ParseSource(*from)
	if !ok {
		return usagef("--from must be auto, deskchat, chatgpt or claude, not %q", *from)
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	opts := exchange.ImportOptions{From: src}
	var rep exchange.Report
	if pos[0] == "-" {
		rep, err = exchange.Import(c.Context, st, c.Stdin, opts)
	} else {
		rep, err = exchange.ImportFile(c.Context, st, pos[0], opts)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, rep.String())
	return nil
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("needs a conversation id")
	}
	*l = append(*l, v)
	return nil
}

// parseAnywhere parses flags that may come before, between or after the
// positional arguments ("import FILE --from chatgpt"), which flag.Parse
// alone stops at, and returns the positional ones.
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		rest := fs.Args()
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil // everything after "--" is positional
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}
