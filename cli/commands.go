package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"deskchat/engine"
	"deskchat/internal/secrets"
	"deskchat/store"
)

// askMemoryLimit is the soft memory limit of "deskchat ask" (see cmdAsk).
const askMemoryLimit = 160 << 20

func cmdAsk(c *cmdEnv, args []string) error {
	fs := c.flags("[flags] [PROMPT...]   (prompt from the arguments, else from stdin)")
	provider := fs.String("provider", "", "name of a stored provider (or \""+engine.SimulatorName+"\")")
	baseURL := fs.String("base-url", "", "OpenAI-compatible base URL to use without a stored provider")
	model := fs.String("model", "", "model name (default: the provider's model)")
	keyEnv := fs.String("api-key-env", "", "environment variable holding the API key (default: the provider's, else OPENAI_API_KEY)")
	convID := fs.String("conversation", "", "continue the conversation with this id")
	fs.Bool("new", true, "start a new conversation (the default)")
	system := fs.String("system", "", "system prompt")
	noCache := fs.Bool("no-cache", false, "neither answer from the response cache nor store the answer in it")
	idle := fs.Duration("idle-timeout", engine.DefaultIdleTimeout, "fail when the provider sends nothing for this long")
	quiet := fs.Bool("quiet", false, "do not report the engine's state (queued, retrying, ...) on stderr")
	cont := fs.String("continue", "", "go on with this unfinished (interrupted, stopped or failed) answer, by message id as \"show\" prints it; prints the new text")
	if err := parse(fs, args); err != nil {
		return err
	}
	prompt := strings.Join(fs.Args(), " ")
	if *cont != "" {
		if prompt != "" || *convID != "" {
			return usagef("--continue takes no prompt and no --conversation: the message id names both")
		}
	} else if prompt == "" {
		b, err := io.ReadAll(c.Stdin)
		if err != nil {
			return fmt.Errorf("read the prompt from stdin: %w", err)
		}
		prompt = string(b)
	}
	if strings.TrimSpace(prompt) == "" && *cont == "" {
		return usagef("no prompt: give it as arguments or on stdin")
	}
	if *baseURL != "" && *provider != "" {
		return usagef("use either --provider or --base-url, not both")
	}

	var opts engine.SendOptions
	if *idle <= 0 {
		return usagef("--idle-timeout must be positive, like 30s or 2m")
	}
	opts.Provider, opts.Model, opts.System, opts.NoCache, opts.IdleTimeout = *provider, *model, *system, *noCache, *idle
	if *baseURL != "" {
		if err := checkURL(*baseURL); err != nil {
			return err
		}
		if *model == "" {
			return usagef("--base-url needs --model")
		}
		env := *keyEnv
		if env == "" {
			env = "OPENAI_API_KEY"
		}
		opts.Endpoint = &store.Provider{Name: *baseURL, Kind: store.KindCompatible, BaseURL: *baseURL, Model: *model, KeyEnv: env}
	} else if *keyEnv != "" {
		return usagef("--api-key-env goes with --base-url; a stored provider names its key variable with \"providers add --key-env\"")
	}

	st, err := c.store()
	if err != nil {
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// A long answer is rewritten whole at each flush (every 150 ms):
		// without a limit the collector let a slow 8 MB answer hold twice
		// its live heap (210-225 MB peak); with it, about 175 MB. Soft: a
		// larger history still fits, at the cost of more collections.
		debug.SetMemoryLimit(askMemoryLimit)
	}
	if *cont != "" {
		conv, seq, err := store.ParseMessageID(*cont)
		if err != nil {
			return usagef("--continue %q is not a message id (like 3f2a9c0b1d4e-7, as \"deskchat show --json\" prints them)", *cont)
		}
		events, err := engine.New(st, c.EngineOptions).Continue(c.Context, conv, seq, opts)
		if err != nil {
			return err
		}
		return printAnswer(events, c.Stdout, c.Stderr, *quiet)
	}
	id := *convID
	if id == "" {
		conv, err := st.CreateConversation(store.Conversation{SystemPrompt: *system})
		if err != nil {
			return err
		}
		id = conv.ID
	}
	eng := engine.New(st, c.EngineOptions)
	events, err := eng.Send(c.Context, id, prompt, opts)
	if err != nil {
		if *convID == "" {
			// Nothing was sent: leave no empty conversation behind, or say
			// that one is left (a full disk may refuse the delete too).
			if derr := st.DeleteConversation(id); derr != nil && errors.As(err, new(*store.Error)) {
				msg := store.WriteProblem(err) + ": the question was not saved, but the new chat made for it is left empty in the history."
				return &store.Error{Op: "ask", Msg: msg, Err: errors.Join(err, derr)}
			}
		}
		return err
	}
	return printAnswer(events, c.Stdout, c.Stderr, *quiet)
}

// printAnswer writes the answer's text to stdout as it streams and the
// engine's states (queued, rate limited, retrying, fallback, cache,
// compression) to stderr as they happen, unless quiet; stdout carries the
// answer only. It returns when the answer ends: nil when done, errStopped,
// or the failure.
func printAnswer(events <-chan engine.Event, stdout, stderr io.Writer, quiet bool) error {
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
		switch ev := ev.(type) {
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
		return fmt.Sprintf("retrying in %s (%s), attempt %d", ev.After.Round(time.Millisecond), ev.Reason, ev.Attempt)
	case engine.FellBack:
		return fmt.Sprintf("served by %s (%s failed: %s)", ev.To, ev.From, ev.Reason)
	case engine.Cached:
		return "answered from the cache"
	case engine.Compressed:
		if ev.Dropped > 0 {
			return "compressed: " + ev.Note
		}
		line := fmt.Sprintf("compressed: %d older messages sent as a summary", ev.Summarised)
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
		return usagef("%q is not a base URL; it should look like http://localhost:11434/v1", raw)
	}
	return nil
}

type conversationJSON struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Provider  string    `json:"provider"`
	Model     string    `json:"model"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func cmdList(c *cmdEnv, args []string) (err error) {
	fs := c.flags("[--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	if st.Empty() && !*asJSON {
		dir, _ := store.DefaultDir(c.dataDir)
		fmt.Fprintf(c.Stderr, "There is no history in %s yet; the first question (deskchat ask, or the window) starts it.\n", dir)
	}
	convs, err := st.Conversations()
	var damaged error
	if store.IsDamaged(err) {
		// Show what can still be read, then say the file is damaged
		// (exit 1).
		damaged = err
		convs, err = st.ReadableConversations()
	}
	if err != nil {
		return err
	}
	defer func() {
		if damaged != nil && err == nil {
			err = damaged
		}
	}()
	if *asJSON {
		out := make([]conversationJSON, 0, len(convs))
		for _, cv := range convs {
			out = append(out, conversationJSON{cv.ID, cv.Title, cv.Provider, cv.Model, cv.CreatedAt, cv.UpdatedAt})
		}
		return writeJSON(c.Stdout, out)
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUPDATED\tMODEL\tTITLE")
	for _, cv := range convs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cv.ID, cv.UpdatedAt.Local().Format("2006-01-02 15:04"), cv.Model, oneLine(cv.Title, 60))
	}
	return tw.Flush()
}

type messageJSON struct {
	ID           string    `json:"id"`
	Seq          uint64    `json:"seq"`
	Role         string    `json:"role"`
	Content      string    `json:"content"`
	Reasoning    string    `json:"reasoning,omitempty"`
	State        string    `json:"state"`
	Provider     string    `json:"provider"`
	Model        string    `json:"model"`
	Finish       string    `json:"finish,omitempty"`
	Error        string    `json:"error,omitempty"`
	PromptTokens int       `json:"prompt_tokens,omitempty"`
	OutputTokens int       `json:"output_tokens,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

func cmdShow(c *cmdEnv, args []string) error {
	fs := c.flags("ID [--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("show needs one conversation id (see \"deskchat list\")")
	}
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	id := fs.Arg(0)
	conv, err := st.Conversation(id)
	if store.IsDamaged(err) {
		return err
	}
	if err != nil {
		return fmt.Errorf("there is no conversation %q; \"deskchat list\" shows the ids", id)
	}
	msgs, err := st.Messages(id)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]messageJSON, 0, len(msgs))
		for _, m := range msgs {
			out = append(out, messageJSON{m.ID(), m.Seq, string(m.Role), m.Content, m.Reasoning, string(m.State), m.Provider, m.Model, m.Finish, m.Error, m.PromptTokens, m.OutputTokens, m.CreatedAt})
		}
		return writeJSON(c.Stdout, out)
	}
	fmt.Fprintf(c.Stdout, "# %s\n", conv.Title)
	for i, m := range msgs {
		head := string(m.Role)
		if m.Model != "" {
			head += " · " + m.Model
		}
		if m.State != store.StateDone {
			head += " · " + string(m.State)
		}
		fmt.Fprintf(c.Stdout, "\n## %s (%s)\n\n%s\n", head, m.CreatedAt.Local().Format("2006-01-02 15:04"), m.Content)
		if m.Error != "" {
			fmt.Fprintf(c.Stdout, "\n[%s]\n", m.Error)
		}
		if i == len(msgs)-1 && store.Continuable(m) {
			fmt.Fprintf(c.Stdout, "\n[unfinished: continue it with \"deskchat ask --continue %s\"]\n", m.ID())
		}
	}
	return nil
}

// reorder moves flags before positional arguments so "show ID --json" works
// like "show --json ID".
func reorder(args []string) []string { return reorderFlags(args, "data-dir") }

type providerJSON struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	BaseURL    string `json:"base_url"`
	Model      string `json:"model"`
	KeyEnv     string `json:"key_env,omitempty"`
	APIVersion string `json:"api_version,omitempty"`
	Default    bool   `json:"default"`
	// KeySource is the stored source (keychain, env, command or empty);
	// KeyFrom says where the key is read: "keychain", "$VAR", "command"
	// or empty for none. Neither is ever the key.
	KeySource string `json:"key_source,omitempty"`
	KeyFrom   string `json:"key_from,omitempty"`
}

// keyFrom says where p's key is read from, for providers list: "keychain",
// "$VAR", "command", or "" for no key.
func keyFrom(p store.Provider) string {
	switch p.KeySource {
	case store.KeyFromKeychain, store.KeyFromCommand:
		return p.KeySource
	case store.KeyFromEnv:
		return "$" + p.KeyEnv
	case "":
		switch {
		case p.KeyEnv != "":
			return "$" + p.KeyEnv
		case p.Kind == store.KindOpenAI:
			return "$OPENAI_API_KEY"
		}
		return ""
	}
	return p.KeySource + "?"
}

// keyring is where the CLI keeps keys: the keyring of the engine options'
// resolver when one is set (tests), else the OS keychain (go-keyring's mock
// after keyring.MockInit).
func (c *cmdEnv) keyring() secrets.Keyring {
	if k := c.EngineOptions.Keys; k != nil && k.Keyring != nil {
		return k.Keyring
	}
	return secrets.System()
}

func cmdProviders(c *cmdEnv, args []string) error {
	if len(args) == 0 {
		return usagef("providers needs list, add, set-key, remove or default")
	}
	sub, args := args[0], args[1:]
	c.name = "providers " + sub
	switch sub {
	case "list":
		return providersList(c, args)
	case "add":
		return providersAdd(c, args)
	case "set-key":
		return providersSetKey(c, args)
	case "remove":
		return providersRemove(c, args)
	case "default":
		return providersDefault(c, args)
	}
	return usagef("unknown providers command %q: use list, add, set-key, remove or default", sub)
}

func providersList(c *cmdEnv, args []string) error {
	fs := c.flags("[--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	c.readOnly = true
	st, err := c.store()
	if err != nil {
		return err
	}
	ps, err := st.Providers()
	if err != nil {
		return err
	}
	def, err := st.Setting(store.SettingDefaultProvider)
	if err != nil {
		return err
	}
	if *asJSON {
		out := make([]providerJSON, 0, len(ps))
		for _, p := range ps {
			out = append(out, providerJSON{p.Name, p.Kind, p.BaseURL, p.Model, p.KeyEnv, p.APIVersion, p.Name == def, p.KeySource, keyFrom(p)})
		}
		return writeJSON(c.Stdout, out)
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tBASE URL\tMODEL\tKEY FROM")
	for _, p := range ps {
		name := p.Name
		if p.Name == def {
			name += " (default)"
		}
		key := keyFrom(p)
		if key == "" {
			key = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, p.Kind, p.BaseURL, p.Model, key)
	}
	fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", engine.SimulatorLabel, store.KindSimulator, "-", engine.SimulatorModel, "-")
	return tw.Flush()
}

func providersAdd(c *cmdEnv, args []string) error {
	fs := c.flags("NAME --kind openai|azure|compatible --base-url URL --model M [--key-source keychain|env|command] [--key-env VAR] [--key-command CMD] [--api-version V]")
	kind := fs.String("kind", store.KindCompatible, "openai, azure or compatible")
	baseURL := fs.String("base-url", "", "base URL, e.g. http://localhost:11434/v1 (Azure: https://RESOURCE.openai.azure.com)")
	model := fs.String("model", "", "default model (Azure: the deployment name)")
	keyEnv := fs.String("key-env", "", "environment variable that holds the API key (implies --key-source env)")
	keySource := fs.String("key-source", "", "where the API key is read: keychain (store it with \"providers set-key NAME\"), env (--key-env) or command (--key-command); default: none (openai: $OPENAI_API_KEY)")
	keyCommand := fs.String("key-command", "", "shell command that prints the API key on its first line, e.g. \"pass show groq\" (implies --key-source command)")
	apiVersion := fs.String("api-version", "", "Azure API version (default "+engine.DefaultAzureAPIVersion+")")
	contextWindow := fs.Int("context", 0, "the model's context window in tokens (default: deskchat's table, else 8192)")
	maxOutput := fs.Int("max-output", 0, "the longest answer in tokens (with --context)")
	summaryModel := fs.String("summary-model", "", "a cheaper model to summarise long chats (default: the chat's model)")
	fallback := fs.String("fallback", "", "provider that answers when this one fails or rests after failures")
	maxConcurrent := fs.Int("max-concurrent", 0, "streams at once (default 4)")
	maxQueued := fs.Int("max-queued", 0, "requests waiting for a stream slot (default 64)")
	rpm := fs.Int("rpm", 0, "requests per minute (default unlimited)")
	tpm := fs.Int("tpm", 0, "tokens per minute, prompt plus longest answer (default unlimited)")
	maxRetries := fs.Int("max-retries", -1, "retries before the first token (default 2)")
	if err := parse(fs, reorderAdd(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("providers add needs one NAME")
	}
	name := strings.TrimSpace(fs.Arg(0))
	if name == "" || name == engine.SimulatorName {
		return usagef("%q cannot be used as a provider name", name)
	}
	switch *kind {
	case store.KindOpenAI:
	case store.KindAzure, store.KindCompatible:
		if *baseURL == "" {
			return usagef("--kind %s needs --base-url", *kind)
		}
	default:
		return usagef("--kind must be openai, azure or compatible, not %q", *kind)
	}
	if *baseURL != "" {
		if err := checkURL(*baseURL); err != nil {
			return err
		}
	}
	if *model == "" {
		return usagef("providers add needs --model")
	}
	if *maxConcurrent < 0 || *maxQueued < 0 || *rpm < 0 || *tpm < 0 || *maxRetries < -1 {
		return usagef("limits are whole numbers, 0 or more")
	}
	if *fallback == name {
		return usagef("a provider cannot be its own fallback")
	}
	if *contextWindow < 0 || *maxOutput < 0 || (*maxOutput > 0 && *contextWindow == 0) || (*contextWindow > 0 && *maxOutput >= *contextWindow) {
		return usagef("--context takes the window in tokens, and --max-output (with --context) a smaller number")
	}
	if strings.HasPrefix(*keyEnv, "sk-") || strings.ContainsAny(*keyEnv, " =") {
		return usagef("--key-env takes the NAME of an environment variable (like OPENAI_API_KEY), not the key itself")
	}
	source, err := keySourceFlags(*keySource, *keyEnv, *keyCommand)
	if err != nil {
		return err
	}
	if source == store.KeyFromKeychain {
		if err := secrets.Probe(c.keyring()); err != nil {
			return usageError{err.Error()}
		}
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	p := store.Provider{Name: name, Kind: *kind, BaseURL: *baseURL, Model: *model, Models: []string{*model}, KeyEnv: *keyEnv, APIVersion: *apiVersion, SummaryModel: *summaryModel}
	p.KeySource, p.KeyCommand = source, strings.TrimSpace(*keyCommand)
	p.Fallback, p.MaxConcurrent, p.MaxQueued, p.RequestsPerMinute, p.TokensPerMinute = *fallback, *maxConcurrent, *maxQueued, *rpm, *tpm
	if *maxRetries >= 0 {
		p.MaxRetries = maxRetries
	}
	if *contextWindow > 0 {
		p.ModelLimits = map[string]store.ModelLimits{*model: {Context: *contextWindow, MaxOutput: *maxOutput}}
	}
	if err := st.PutProvider(p); err != nil {
		return err
	}
	if def, err := st.Setting(store.SettingDefaultProvider); err == nil && def == "" {
		if err := st.SetSetting(store.SettingDefaultProvider, name); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.Stderr, "Added provider %s.\n", name)
	if source == store.KeyFromKeychain {
		fmt.Fprintf(c.Stderr, "Store its API key in the keychain with: deskchat providers set-key %s   (reads the key from stdin)\n", name)
	}
	return nil
}

// keySourceFlags checks providers add's key flags and returns the key
// source to store.
func keySourceFlags(source, keyEnv, keyCommand string) (string, error) {
	keyCommand = strings.TrimSpace(keyCommand)
	if source == "" {
		switch {
		case keyCommand != "" && keyEnv != "":
			return "", usagef("use either --key-env or --key-command, not both")
		case keyCommand != "":
			source = store.KeyFromCommand
		case keyEnv != "":
			source = store.KeyFromEnv
		}
	}
	switch source {
	case "":
	case store.KeyFromKeychain:
		if keyEnv != "" || keyCommand != "" {
			return "", usagef("--key-source keychain takes neither --key-env nor --key-command")
		}
	case store.KeyFromEnv:
		if keyEnv == "" {
			return "", usagef("--key-source env needs --key-env VAR")
		}
		if keyCommand != "" {
			return "", usagef("--key-source env takes no --key-command")
		}
	case store.KeyFromCommand:
		if keyCommand == "" {
			return "", usagef("--key-source command needs --key-command CMD")
		}
		if keyEnv != "" {
			return "", usagef("--key-source command takes no --key-env")
		}
		if strings.HasPrefix(keyCommand, "sk-") && !strings.ContainsAny(keyCommand, " \t") {
			return "", usagef("--key-command takes a command that prints the key (like \"pass show groq\"), not the key itself")
		}
	default:
		return "", usagef("--key-source must be keychain, env or command, not %q", source)
	}
	return source, nil
}

// maxKeyLine bounds what set-key reads from stdin.
const maxKeyLine = 64 << 10

// providersSetKey reads a key from stdin (never from the arguments, which
// other users and the shell's history can see) and stores it in the
// keychain; the provider then reads its key from there.
func providersSetKey(c *cmdEnv, args []string) error {
	fs := c.flags("NAME   (reads the key from stdin, e.g. pass show groq | deskchat providers set-key groq)")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("providers set-key takes one NAME and reads the key from stdin, never from the command line")
	}
	name := fs.Arg(0)
	if name == engine.SimulatorName {
		return usagef("the Simulator needs no key")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	p, err := st.Provider(name)
	if err != nil {
		return err
	}
	kr := c.keyring()
	if err := secrets.Probe(kr); err != nil {
		return err
	}
	var key string
	if f, ok := c.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		// Typed at a terminal: not echoed.
		fmt.Fprintf(c.Stderr, "API key for %s (not shown as you type; Enter to finish): ", name)
		b, rerr := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.Stderr)
		key, err = strings.TrimSpace(string(b)), rerr
	} else {
		key, err = readKey(c.Stdin)
	}
	if err != nil {
		return errors.New("The key could not be read from stdin.")
	}
	if key == "" {
		return usagef("no key on stdin: pipe it in, e.g. pass show %s | deskchat providers set-key %s", name, name)
	}
	if err := secrets.Save(kr, name, key); err != nil {
		return err
	}
	if p.KeySource != store.KeyFromKeychain {
		p.KeySource = store.KeyFromKeychain
		if err := st.PutProvider(p); err != nil {
			return err
		}
		fmt.Fprintf(c.Stderr, "Stored the key for %s in the keychain; %s now reads its key from there.\n", name, name)
		return nil
	}
	fmt.Fprintf(c.Stderr, "Stored the key for %s in the keychain.\n", name)
	return nil
}

// readKey returns the first non-empty line of r, trimmed ("" at EOF). It
// stops at that line, so a terminal needs no Ctrl-D.
func readKey(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, maxKeyLine))
	for {
		line, err := br.ReadString('\n')
		if k := strings.TrimSpace(line); k != "" {
			return k, nil
		}
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
	}
}

// reorderAdd lets NAME come before the flags ("providers add NAME --kind ...").
func reorderAdd(args []string) []string {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return append(append([]string(nil), args[1:]...), args[0])
	}
	return args
}

func providersRemove(c *cmdEnv, args []string) error {
	fs := c.flags("NAME")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("providers remove needs one NAME")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	name := fs.Arg(0)
	p, _ := st.Provider(name) // a missing provider fails just below
	if err := st.DeleteProvider(name); err != nil {
		return err
	}
	if def, err := st.Setting(store.SettingDefaultProvider); err == nil && def == name {
		if err := st.SetSetting(store.SettingDefaultProvider, ""); err != nil {
			return err
		}
	}
	fmt.Fprintf(c.Stderr, "Removed provider %s.\n", name)
	if p.KeySource == store.KeyFromKeychain {
		if err := secrets.Delete(c.keyring(), name); err != nil {
			fmt.Fprintf(c.Stderr, "Its key is still in the keychain. %s\n", err)
		}
	}
	return nil
}

func providersDefault(c *cmdEnv, args []string) error {
	fs := c.flags("NAME")
	if err := parse(fs, reorder(args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("providers default needs one NAME")
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	name := fs.Arg(0)
	if name != engine.SimulatorName {
		if _, err := st.Provider(name); err != nil {
			return err
		}
	}
	return st.SetSetting(store.SettingDefaultProvider, name)
}
