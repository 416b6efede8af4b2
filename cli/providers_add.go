package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/providers"
	"github.com/deskchat/deskchat/store"
)

// addFlags are the flags of "deskchat providers add".
type addFlags struct {
	kind, baseURL, model, keyEnv, keySource, keyCommand, apiVersion, summaryModel, fallback string
	contextWindow, maxOutput, maxConcurrent, maxQueued, rpm, tpm, maxRetries                int
	// retriesSet: --max-retries was given; else the provider keeps the
	// engine's default, whatever it becomes.
	retriesSet bool
}

func providersAddCmd(c *cmdEnv) *cobra.Command {
	var f addFlags
	cmd := &cobra.Command{
		Use:   "add NAME --kind openai|azure|compatible --base-url URL --model M [flags]",
		Short: "store a provider, or replace the one of that name (the first one added becomes the default)",
		RunE: func(cmd *cobra.Command, args []string) error {
			f.retriesSet = cmd.Flags().Changed("max-retries")
			return providersAdd(c, f, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.kind, "kind", store.KindCompatible, "openai, azure or compatible")
	fs.StringVar(&f.baseURL, "base-url", "", "base URL, e.g. http://localhost:11434/v1 (Azure: https://RESOURCE.openai.azure.com)")
	fs.StringVar(&f.model, "model", "", "default model (Azure: the deployment name)")
	fs.StringVar(&f.keyEnv, "key-env", "", "environment variable that holds the API key (implies --key-source env)")
	fs.StringVar(&f.keySource, "key-source", "", "where the API key is read: keychain (store it with \"providers set-key NAME\"), env (--key-env) or command (--key-command); default: none (openai: $OPENAI_API_KEY)")
	fs.StringVar(&f.keyCommand, "key-command", "", "shell command that prints the API key on its first line, e.g. \"pass show groq\" (implies --key-source command)")
	fs.StringVar(&f.apiVersion, "api-version", "", "Azure API version (default "+engine.DefaultAzureAPIVersion+")")
	fs.IntVar(&f.contextWindow, "context", 0, "the model's context window in tokens (default: deskchat's table, else 8192)")
	fs.IntVar(&f.maxOutput, "max-output", 0, "the longest answer in tokens (with --context)")
	fs.StringVar(&f.summaryModel, "summary-model", "", "a cheaper model to summarise long chats (default: the chat's model)")
	fs.StringVar(&f.fallback, "fallback", "", "provider that answers when this one fails or rests after failures (a stored one, or Simulator)")
	fs.IntVar(&f.maxConcurrent, "max-concurrent", 0, "streams at once (default 4)")
	fs.IntVar(&f.maxQueued, "max-queued", 0, "requests waiting for a stream slot (default 64)")
	fs.IntVar(&f.rpm, "rpm", 0, "requests per minute (default unlimited)")
	fs.IntVar(&f.tpm, "tpm", 0, "tokens per minute, prompt plus longest answer (default unlimited)")
	fs.IntVar(&f.maxRetries, "max-retries", engine.DefaultMaxRetries, "retries before the first token")
	cmd.RegisterFlagCompletionFunc("fallback", c.providerWords(true))
	return cmd
}

// providersAdd checks the flags as flags (their combinations), then leaves
// the provider to the providers package, which the settings window uses
// too: the same checks of the provider itself, the same record stored.
func providersAdd(c *cmdEnv, f addFlags, args []string) error {
	if len(args) != 1 {
		return cmdLinef("providers add needs one NAME")
	}
	if f.maxOutput > 0 && f.contextWindow == 0 {
		return cmdLinef("--max-output goes with --context (the window it must fit in)")
	}
	source, err := keySourceFlags(f.keySource, f.keyEnv, f.keyCommand)
	if err != nil {
		return err
	}
	st, err := c.store()
	if err != nil {
		return err
	}
	p := store.Provider{Name: args[0], Kind: f.kind, BaseURL: f.baseURL, Model: f.model, KeyEnv: f.keyEnv, KeyCommand: f.keyCommand,
		KeySource: source, APIVersion: f.apiVersion, SummaryModel: f.summaryModel, Fallback: f.fallback,
		MaxConcurrent: f.maxConcurrent, MaxQueued: f.maxQueued, RequestsPerMinute: f.rpm, TokensPerMinute: f.tpm}
	if f.retriesSet {
		p.MaxRetries = &f.maxRetries // a negative one is the package's to refuse
	}
	if f.contextWindow != 0 {
		p.ModelLimits = map[string]store.ModelLimits{strings.TrimSpace(f.model): {Context: f.contextWindow, MaxOutput: f.maxOutput}}
	}
	_, getErr := st.Provider(strings.TrimSpace(args[0]))
	replaced := getErr == nil
	// The key never comes on the command line: a keychain provider is
	// stored without one, and "providers set-key" reads it from stdin.
	saved, err := c.admin(st).Put(providers.Draft{Provider: p, KeyLater: true})
	if err != nil {
		return badProvider(err)
	}
	name := saved.Provider.Name
	if replaced {
		fmt.Fprintf(c.Stderr, "Replaced provider %s.\n", name)
	} else {
		fmt.Fprintf(c.Stderr, "Added provider %s.\n", name)
	}
	if saved.BecameDefault {
		fmt.Fprintf(c.Stderr, "%s is the default provider for new chats.\n", name)
	}
	if saved.Note != "" {
		fmt.Fprintln(c.Stderr, saved.Note)
	}
	if source == store.KeyFromKeychain {
		fmt.Fprintf(c.Stderr, "Store its API key in the keychain with: deskchat providers set-key %s   (reads the key from stdin)\n", name)
	}
	return nil
}

// badProvider is the error of a provider the providers package refused:
// its sentences, exit 2 (the command line asked for something that cannot
// be stored); the store's failures stay exit 1.
func badProvider(err error) error {
	var probs providers.Problems
	if errors.As(err, &probs) {
		return cmdLineError{msg: probs.Error()}
	}
	return err
}

// keySourceFlags checks providers add's key flags and returns the key
// source to store.
func keySourceFlags(source, keyEnv, keyCommand string) (string, error) {
	keyCommand = strings.TrimSpace(keyCommand)
	if source == "" {
		switch {
		case keyCommand != "" && keyEnv != "":
			return "", cmdLinef("use either --key-env or --key-command, not both")
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
			return "", cmdLinef("--key-source keychain takes neither --key-env nor --key-command")
		}
	case store.KeyFromEnv:
		if keyEnv == "" {
			return "", cmdLinef("--key-source env needs --key-env VAR")
		}
		if keyCommand != "" {
			return "", cmdLinef("--key-source env takes no --key-command")
		}
	case store.KeyFromCommand:
		if keyCommand == "" {
			return "", cmdLinef("--key-source command needs --key-command CMD")
		}
		if keyEnv != "" {
			return "", cmdLinef("--key-source command takes no --key-env")
		}
		if strings.HasPrefix(keyCommand, "sk-") && !strings.ContainsAny(keyCommand, " \t") {
			return "", cmdLinef("--key-command takes a command that prints the key (like \"pass show groq\"), not the key itself")
		}
	default:
		return "", cmdLinef("--key-source must be keychain, env or command, not %q", source)
	}
	return source, nil
}
