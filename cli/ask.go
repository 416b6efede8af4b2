package cli

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// askMemoryLimit is the soft memory limit of "deskchat ask" (see runAsk).
const askMemoryLimit = 160 << 20

// askFlags are the flags of "deskchat ask".
type askFlags struct {
	provider, baseURL, model, keyEnv, convID, system, cont string
	replyTo                                                string
	noCache, quiet, isNew                                  bool
	idle                                                   time.Duration
	attach                                                 []string
	// tools is --tools as given, servers as parsed; yes lets their
	// calls run without asking.
	tools   string
	servers []string
	yes     bool
}

func askCmd(c *cmdEnv) *cobra.Command {
	var f askFlags
	cmd := &cobra.Command{
		Use:   "ask [flags] [--] [PROMPT...]",
		Short: "ask a question; the answer streams to stdout",
		Long: `Ask a question. The prompt is the arguments, else stdin; with both, the
prompt, a blank line, then the text piped in (cat notes.txt | deskchat ask "summarise this").
Stdin is read beside a prompt only when it is a pipe or a file, up to 8 MB.
--attach FILE (repeatable) sends images, text or source files and PDFs with the
question; with files, the prompt may be left out.
The answer streams to stdout; states (queued, retrying, cached, fallback) go to stderr.
Exit 0 answered, 1 provider or engine failure, 2 usage error, 130 stopped (Ctrl-C).`,
		RunE: func(_ *cobra.Command, args []string) error { return runAsk(c, f, args) },
	}
	fs := cmd.Flags()
	fs.StringVar(&f.provider, "provider", "", "name of a stored provider (or \""+engine.SimulatorName+"\")")
	fs.StringVar(&f.baseURL, "base-url", "", "OpenAI-compatible base URL to use without a stored provider")
	fs.StringVar(&f.model, "model", "", "model name (default: the provider's model)")
	fs.StringVar(&f.keyEnv, "api-key-env", "", "environment variable holding the API key (default: the provider's, else OPENAI_API_KEY)")
	fs.StringVar(&f.convID, "conversation", "", "continue the conversation with this id")
	fs.BoolVar(&f.isNew, "new", true, "start a new conversation (without --conversation, always)")
	fs.StringVar(&f.system, "system", "", "system prompt")
	fs.BoolVar(&f.noCache, "no-cache", false, "neither answer from the response cache nor store the answer in it")
	fs.DurationVar(&f.idle, "idle-timeout", engine.DefaultIdleTimeout, "fail when the provider sends nothing for this long")
	fs.BoolVar(&f.quiet, "quiet", false, "do not report the engine's state (queued, retrying, ...) on stderr")
	fs.StringArrayVar(&f.attach, "attach", nil, "send this file with the question: an image (PNG, JPEG, WebP, GIF), a text or source file, or a PDF (repeatable)")
	fs.StringVar(&f.tools, "tools", "", "offer the tools of these MCP servers (NAME[,NAME], or all) to the model")
	fs.BoolVar(&f.yes, "yes", false, "with --tools: run the tools the model calls without asking")
	fs.StringVar(&f.replyTo, "reply-to", "", "ask from this earlier message (a message id as \"show --json\" prints it): a new branch, nothing deleted; the conversation is the message's")
	fs.StringVar(&f.cont, "continue", "", "go on with this unfinished (interrupted, stopped or failed) answer, by message id as \"show\" prints it; prints the new text")
	cmd.RegisterFlagCompletionFunc("conversation", c.conversationWords)
	cmd.RegisterFlagCompletionFunc("provider", c.providerWords(true))
	return cmd
}

// askPrompt is the prompt of an ask: the arguments, else stdin; with both,
// the arguments, a blank line and the text piped in.
func askPrompt(c *cmdEnv, f askFlags, args []string) (string, error) {
	prompt := strings.Join(args, " ")
	if f.cont != "" {
		if prompt != "" || f.convID != "" || len(f.attach) > 0 || f.replyTo != "" {
			return "", cmdLinef("--continue takes no prompt, no --conversation, no --reply-to and no --attach: the message id names the question")
		}
		return "", nil
	}
	if prompt == "" && len(f.attach) > 0 && !piped(c.Stdin) {
		return "", nil // the files are the question
	}
	if prompt == "" {
		text, err := readStdin(c.Stdin)
		if err != nil {
			return "", err
		}
		prompt = text
	} else if piped(c.Stdin) {
		text, err := readStdin(c.Stdin)
		if err != nil {
			return "", err
		}
		if strings.TrimSpace(text) != "" {
			prompt += "\n\n" + text
		}
	}
	if strings.TrimSpace(prompt) == "" && len(f.attach) == 0 {
		return "", cmdLinef("no prompt: give it as arguments or on stdin")
	}
	return prompt, nil
}

// askAttachments reads the files of --attach. A file that cannot be
// attached (missing, too large, of a kind that cannot be sent, damaged) is
// a usage error whose sentence names it: nothing is sent.
func askAttachments(paths []string) ([]store.Attachment, error) {
	if err := attach.CheckCount(len(paths)); err != nil {
		return nil, cmdLinef("%s", lowerFirst(err.Error()))
	}
	out := make([]store.Attachment, 0, len(paths))
	for _, p := range paths {
		a, err := attach.Open(p)
		if err != nil {
			return nil, cmdLinef("%s Nothing was sent.", attachSentence(p, err))
		}
		out = append(out, a)
	}
	return out, nil
}

// attachSentence is the sentence for a refused file: attach's own, which
// names it, else one that does.
func attachSentence(path string, err error) string {
	var ae *attach.Error
	if errors.As(err, &ae) && ae.Sentence != "" {
		s := strings.TrimSpace(ae.Sentence)
		if !strings.HasSuffix(s, ".") {
			s += "."
		}
		return s
	}
	return fmt.Sprintf("%s could not be attached.", path)
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func runAsk(c *cmdEnv, f askFlags, args []string) error {
	// The flags are checked before stdin is read: a mistake costs no wait.
	if f.baseURL != "" && f.provider != "" {
		return cmdLinef("use either --provider or --base-url, not both")
	}
	if f.idle <= 0 {
		return cmdLinef("--idle-timeout must be positive, like 30s or 2m")
	}
	if f.yes && f.tools == "" {
		return cmdLinef("--yes goes with --tools: it lets the tools run without asking")
	}
	if f.tools != "" {
		servers, err := toolServers(f.tools)
		if err != nil {
			return err
		}
		f.servers = servers
	}
	var opts engine.SendOptions
	opts.Provider, opts.Model, opts.System, opts.NoCache, opts.IdleTimeout = f.provider, f.model, f.system, f.noCache, f.idle
	if f.baseURL != "" {
		if err := checkURL(f.baseURL); err != nil {
			return err
		}
		if f.model == "" {
			return cmdLinef("--base-url needs --model")
		}
		env := f.keyEnv
		if env == "" {
			env = "OPENAI_API_KEY"
		}
		opts.Endpoint = &store.Provider{Name: f.baseURL, Kind: store.KindCompatible, BaseURL: f.baseURL, Model: f.model, KeyEnv: env}
	} else if f.keyEnv != "" {
		return cmdLinef("--api-key-env goes with --base-url; a stored provider names its key variable with \"providers add --key-env\"")
	}

	var err error
	if opts.Attachments, err = askAttachments(c.paths(f.attach)); err != nil {
		return err
	}
	prompt, err := askPrompt(c, f, args)
	if err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	tb, err := askTools(c, f, st, &opts)
	if err != nil {
		return err
	}
	if tb != nil {
		defer tb.Close()
	}
	if c.Shared == nil && os.Getenv("GOMEMLIMIT") == "" { // not the window's limit
		// A long answer is rewritten whole at each flush (every 150 ms):
		// without a limit the collector let a slow 8 MB answer hold twice
		// its live heap (210-225 MB peak); with it, about 175 MB. Soft: a
		// larger history still fits, at the cost of more collections.
		debug.SetMemoryLimit(askMemoryLimit)
	}
	if f.cont != "" {
		conv, seq, err := store.ParseMessageID(f.cont)
		if err != nil {
			return cmdLinef("--continue %q is not a message id (like 3f2a9c0b1d4e-7, as \"deskchat show --json\" prints them)", f.cont)
		}
		events, err := c.engine(st).Continue(c.Context, conv, seq, opts)
		if err != nil {
			return err
		}
		return printAnswer(events, c.Stdout, c.Stderr, f.quiet, c.announce)
	}
	id := f.convID
	if f.replyTo != "" {
		if id, opts.ReplyTo, err = replyTarget(st, f); err != nil {
			return err
		}
	}
	created := id == ""
	if created {
		conv, err := st.CreateConversation(store.Conversation{SystemPrompt: f.system})
		if err != nil {
			return err
		}
		id = conv.ID
	}
	eng := c.engine(st)
	events, err := eng.Send(c.Context, id, prompt, opts)
	if err != nil {
		if created {
			// Nothing was sent: leave no empty conversation behind, or say
			// that one is left (a full disk may refuse the delete too).
			if derr := st.DeleteConversation(id); derr != nil && errors.As(err, new(*store.Error)) {
				msg := store.WriteProblem(err) + ": the question was not saved, but the new chat made for it is left empty in the history."
				return &store.Error{Op: "ask", Msg: msg, Err: errors.Join(err, derr)}
			}
		}
		return err
	}
	return printAnswer(events, c.Stdout, c.Stderr, f.quiet, c.announce)
}

// printAnswer writes the answer's text to stdout as it streams and the
// engine's states (queued, rate limited, retrying, fallback, cache,
// compression) to stderr as they happen, unless quiet; stdout carries the
// answer only. It returns when the answer ends: nil when done, errStopped,
// or the failure. started, when set, runs once the question is stored
// (engine.Started).
func printAnswer(events <-chan engine.Event, stdout, stderr io.Writer, quiet bool, started func()) error {
	endsWithNewline := true
	endLine := func() {
		if !endsWithNewline {
			io.WriteString(stdout, "\n")
		}
	}
	for ev := range events {
		if line := stateLine(ev); line != "" && !quiet {
			fmt.Fprintln(stderr, line)
		}
		if line := toolLine(ev); line != "" && !quiet {
			fmt.Fprintln(stderr, line)
		}
		switch ev := ev.(type) {
		case engine.Started:
			if started != nil {
				started()
				started = nil
			}
		case engine.Delta:
			if ev.Text != "" {
				io.WriteString(stdout, ev.Text)
				endsWithNewline = strings.HasSuffix(ev.Text, "\n")
			}
		case engine.Done:
			endLine()
			return nil
		case engine.Stopped:
			endLine()
			return errStopped
		case engine.Failed:
			endLine()
			return ev.Err
		}
	}
	return nil
}

// stateLine is the stderr line for an engine state event, "" for others.
func stateLine(ev engine.Event) string {
	switch ev := ev.(type) {
	case engine.Queued:
		return fmt.Sprintf("queued #%d for %s", ev.Position, ev.Provider)
	case engine.RateLimited:
		return fmt.Sprintf("rate limited by %s until %s", ev.Provider, ev.Until.Local().Format("15:04:05"))
	case engine.Retrying:
		return fmt.Sprintf("retrying in %s (%s), attempt %d", format.Duration(ev.After), ev.Reason, ev.Attempt)
	case engine.FellBack:
		return fmt.Sprintf("served by %s (%s failed: %s)", ev.To, ev.From, ev.Reason)
	case engine.Cached:
		return "answered from the cache"
	case engine.Compressed:
		if ev.Dropped > 0 {
			return "compressed: " + ev.Note
		}
		if ev.Folded == 0 {
			return fmt.Sprintf("compressed: the files of %d older messages sent as their names only", ev.Attachments)
		}
		line := fmt.Sprintf("compressed: %d older messages sent as a summary", ev.Summarised)
		if ev.Attachments > 0 {
			line += fmt.Sprintf(", the files of %d more as their names only", ev.Attachments)
		}
		if ev.Note != "" {
			line += "; " + ev.Note
		}
		return line
	}
	return ""
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cmdLinef("%q is not a base URL; it should look like http://localhost:11434/v1", raw)
	}
	return nil
}

// replyTarget is the conversation and message of --reply-to: the message
// must exist, and be in --conversation when that is given too.
func replyTarget(st *store.Store, f askFlags) (string, uint64, error) {
	conv, seq, err := store.ParseMessageID(f.replyTo)
	if err != nil || seq == 0 {
		return "", 0, cmdLinef("--reply-to %q is not a message id (like 3f2a9c0b1d4e-7, as \"deskchat show --json\" prints them)", f.replyTo)
	}
	if f.convID != "" && f.convID != conv {
		return "", 0, cmdLinef("message %s is not in conversation %s: --reply-to names a message of the conversation asked", f.replyTo, f.convID)
	}
	if err := checkMessage(st, conv, seq, f.replyTo); err != nil {
		return "", 0, err
	}
	return conv, seq, nil
}
