package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"deskchat/engine"
	"deskchat/internal/secrets"
	"deskchat/store"
)

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

func providersCmd(c *cmdEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "providers",
		Short: "the providers deskchat asks",
		RunE:  group("providers", "list, add, set-key, remove or default"),
	}
	cmd.AddCommand(providersListCmd(c), providersAddCmd(c), providersSetKeyCmd(c), providersRemoveCmd(c), providersDefaultCmd(c))
	return cmd
}

func providersListCmd(c *cmdEnv) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "the stored providers, where each reads its key (never the key)",
		Args:  noArgs,
		RunE:  func(_ *cobra.Command, _ []string) error { return providersList(c, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func providersList(c *cmdEnv, asJSON bool) error {
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
	if asJSON {
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

// addFlags are the flags of "deskchat providers add".
type addFlags struct {
	kind, baseURL, model, keyEnv, keySource, keyCommand, apiVersion, summaryModel, fallback *string
	contextWindow, maxOutput, maxConcurrent, maxQueued, rpm, tpm, maxRetries                *int
}

func providersAddCmd(c *cmdEnv) *cobra.Command {
	var f addFlags
	cmd := &cobra.Command{
		Use:   "add NAME --kind openai|azure|compatible --base-url URL --model M [flags]",
		Short: "store a provider (the first one added becomes the default)",
		RunE:  func(_ *cobra.Command, args []string) error { return providersAdd(c, f, args) },
	}
	fs := cmd.Flags()
	f.kind = fs.String("kind", store.KindCompatible, "openai, azure or compatible")
	f.baseURL = fs.String("base-url", "", "base URL, e.g. http://localhost:11434/v1 (Azure: https://RESOURCE.openai.azure.com)")
	f.model = fs.String("model", "", "default model (Azure: the deployment name)")
	f.keyEnv = fs.String("key-env", "", "environment variable that holds the API key (implies --key-source env)")
	f.keySource = fs.String("key-source", "", "where the API key is read: keychain (store it with \"providers set-key NAME\"), env (--key-env) or command (--key-command); default: none (openai: $OPENAI_API_KEY)")
	f.keyCommand = fs.String("key-command", "", "shell command that prints the API key on its first line, e.g. \"pass show groq\" (implies --key-source command)")
	f.apiVersion = fs.String("api-version", "", "Azure API version (default "+engine.DefaultAzureAPIVersion+")")
	f.contextWindow = fs.Int("context", 0, "the model's context window in tokens (default: deskchat's table, else 8192)")
	f.maxOutput = fs.Int("max-output", 0, "the longest answer in tokens (with --context)")
	f.summaryModel = fs.String("summary-model", "", "a cheaper model to summarise long chats (default: the chat's model)")
	f.fallback = fs.String("fallback", "", "provider that answers when this one fails or rests after failures")
	f.maxConcurrent = fs.Int("max-concurrent", 0, "streams at once (default 4)")
	f.maxQueued = fs.Int("max-queued", 0, "requests waiting for a stream slot (default 64)")
	f.rpm = fs.Int("rpm", 0, "requests per minute (default unlimited)")
	f.tpm = fs.Int("tpm", 0, "tokens per minute, prompt plus longest answer (default unlimited)")
	f.maxRetries = fs.Int("max-retries", -1, "retries before the first token (default 2)")
	return cmd
}

func providersAdd(c *cmdEnv, f addFlags, args []string) error {
	kind, baseURL, model, keyEnv, keySource, keyCommand, apiVersion, summaryModel, fallback :=
		f.kind, f.baseURL, f.model, f.keyEnv, f.keySource, f.keyCommand, f.apiVersion, f.summaryModel, f.fallback
	contextWindow, maxOutput, maxConcurrent, maxQueued, rpm, tpm, maxRetries :=
		f.contextWindow, f.maxOutput, f.maxConcurrent, f.maxQueued, f.rpm, f.tpm, f.maxRetries
	if len(args) != 1 {
		return usagef("providers add needs one NAME")
	}
	name := strings.TrimSpace(args[0])
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
			return usageError{msg: err.Error()}
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
func providersSetKeyCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:               "set-key NAME",
		ValidArgsFunction: firstArg(c.providerWords(false)),
		Short:             "store a provider's key in the OS keychain, read from stdin (e.g. pass show groq | deskchat providers set-key groq)",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("providers set-key takes one NAME and reads the key from stdin, never from the command line")
			}
			return providersSetKey(c, args[0])
		},
	}
}

func providersSetKey(c *cmdEnv, name string) error {
	if name == engine.SimulatorName {
		return usagef("the Simulator needs no key")
	}
	if err := c.requireDir(); err != nil {
		return err // a provider to give a key to lives in an existing history
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

func providersRemoveCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:               "remove NAME",
		ValidArgsFunction: firstArg(c.providerWords(false)),
		Short:             "remove a stored provider (and its key in the keychain)",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("providers remove needs one NAME")
			}
			return providersRemove(c, args[0])
		},
	}
}

func providersRemove(c *cmdEnv, name string) error {
	if err := c.requireDir(); err != nil {
		return err // a provider to remove lives in an existing history
	}
	st, err := c.store()
	if err != nil {
		return err
	}
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

func providersDefaultCmd(c *cmdEnv) *cobra.Command {
	return &cobra.Command{
		Use:               "default NAME",
		ValidArgsFunction: firstArg(c.providerWords(true)),
		Short:             "the provider of new conversations (\"" + engine.SimulatorName + "\" for the built-in Simulator)",
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("providers default needs one NAME")
			}
			return providersDefault(c, args[0])
		},
	}
}

func providersDefault(c *cmdEnv, name string) error {
	st, err := c.store()
	if err != nil {
		return err
	}
	if name != engine.SimulatorName {
		if _, err := st.Provider(name); err != nil {
			return err
		}
	}
	return st.SetSetting(store.SettingDefaultProvider, name)
}
