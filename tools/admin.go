package tools

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
)

// Spec is a tool server as a person describes it: `deskchat tools add`'s
// flags, the Settings' Tools form.
type Spec struct {
	Name string
	// Command is the command and its arguments, split as a shell would
	// split plain words and quotes ("npx -y some-server /tmp").
	Command string
	// Env are "K=V" (V kept in the keychain) or "K" (passed on from
	// deskchat's own environment when the server starts).
	Env []string
	URL string
	// Header are "K:V", V kept in the keychain.
	Header []string
}

// InvalidError is a Spec that cannot be a server, or a server that cannot
// be added as asked; Error is a sentence (without a capital or a full
// stop: the command line prefixes it with the command).
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

func invalidf(format string, a ...any) error { return &InvalidError{Msg: fmt.Sprintf(format, a...)} }

var (
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// Parse is the record sp describes and the secrets it puts in the keychain
// (by SecretKey), or an *InvalidError saying what is wrong. A refusal never
// quotes a secret.
func (sp Spec) Parse() (store.ToolServer, map[string]string, error) {
	name := strings.TrimSpace(sp.Name)
	command, addr := strings.TrimSpace(sp.Command), strings.TrimSpace(sp.URL)
	switch {
	case name == "" || name == "all":
		return store.ToolServer{}, nil, invalidf("%q cannot name a tool server (ask --tools all means every server)", name)
	case strings.ContainsAny(name, ",:") || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' }):
		return store.ToolServer{}, nil, invalidf("a tool server's name may not hold a comma, a colon or a control character: %q", name)
	case command == "" && addr == "":
		return store.ToolServer{}, nil, invalidf(`a tool server needs a command (a server over stdio, like "npx -y @modelcontextprotocol/server-everything") or a URL (streamable HTTP)`)
	case command != "" && addr != "":
		return store.ToolServer{}, nil, invalidf("a tool server has a command (stdio) or a URL (streamable HTTP), not both")
	case addr != "" && len(sp.Env) > 0:
		return store.ToolServer{}, nil, invalidf("environment variables are for servers started with a command; an HTTP server takes headers")
	case command != "" && len(sp.Header) > 0:
		return store.ToolServer{}, nil, invalidf("headers are for servers reached by URL; a command takes environment variables")
	}
	ts := store.ToolServer{Name: name}
	values := map[string]string{}
	if addr != "" {
		u, err := url.Parse(addr)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return ts, nil, invalidf("the URL must be an http:// or https:// address, not %q", addr)
		}
		ts.URL = addr
		for _, h := range sp.Header {
			k, v, ok := strings.Cut(h, ":")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || !headerName.MatchString(k) || v == "" {
				return ts, nil, invalidf("a header is NAME:VALUE, like \"Authorization: Bearer …\"; %q is not one", redactValue(h, ":"))
			}
			ts.Header = append(ts.Header, k)
			values[SecretKey(name, "header", k)] = v
		}
		return ts, values, nil
	}
	words, err := SplitCommand(command)
	if err != nil {
		return ts, nil, err
	}
	ts.Command, ts.Args = words[0], words[1:]
	for _, e := range sp.Env {
		k, v, hasValue := strings.Cut(strings.TrimSpace(e), "=")
		if !envName.MatchString(k) {
			return ts, nil, invalidf("an environment variable is K=V or K, K a variable name; %q is not one", redactValue(e, "="))
		}
		if !hasValue {
			ts.EnvFromProcess = append(ts.EnvFromProcess, k)
			continue
		}
		ts.Env = append(ts.Env, k)
		values[SecretKey(name, "env", k)] = v
	}
	return ts, values, nil
}

// redactValue is s without what follows sep: a refusal's sentence must not
// print a secret.
func redactValue(s, sep string) string {
	if k, _, ok := strings.Cut(s, sep); ok {
		return k + sep + "…"
	}
	return s
}

// SplitCommand splits s into words as a shell would for plain words,
// 'single' and "double" quotes and backslashes; nothing is expanded.
func SplitCommand(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, escaped := false, false
	var quote rune
	for _, r := range s {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, invalidf("the command has an unclosed quote or a trailing backslash: %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, invalidf(`a command is needed, like "npx -y @modelcontextprotocol/server-everything"`)
	}
	return words, nil
}

// Admin adds, changes and removes tool servers: their records in Store,
// their secrets in Keyring. The command line (`deskchat tools`) and the
// Settings' Tools page share it, so both refuse and keep the same things.
type Admin struct {
	Store   *store.Store
	Keyring secrets.Keyring // nil: secrets.System()
}

func (a Admin) keyring() secrets.Keyring {
	if a.Keyring != nil {
		return a.Keyring
	}
	return secrets.System()
}

// Add stores the server sp describes: its secrets in the keychain, then
// its record; nothing is kept when something is refused (an
// *InvalidError) or fails.
func (a Admin) Add(sp Spec) (store.ToolServer, error) {
	ts, values, err := sp.Parse()
	if err != nil {
		return store.ToolServer{}, err
	}
	if _, err := a.Store.ToolServer(ts.Name); err == nil {
		return store.ToolServer{}, invalidf("a tool server called %s already exists: remove it first", ts.Name)
	}
	if len(values) > 0 {
		if err := secrets.Probe(a.keyring()); err != nil {
			how := "leave out the value (K alone), and the server gets K from deskchat's own environment when it starts"
			if len(ts.Header) > 0 {
				how = "headers cannot be kept anywhere else; reach the server without them, or from a session with a keychain"
			}
			return store.ToolServer{}, invalidf("no keychain is available in this session, so %s's secrets cannot be stored: %s", ts.Name, how)
		}
	}
	var saved []string
	undo := func() {
		for _, k := range saved {
			secrets.Delete(a.keyring(), k)
		}
	}
	for _, k := range slices.Sorted(mapKeys(values)) {
		if err := secrets.Save(a.keyring(), k, values[k]); err != nil {
			undo()
			return store.ToolServer{}, err
		}
		saved = append(saved, k)
	}
	if err := a.Store.PutToolServer(ts); err != nil {
		undo()
		return store.ToolServer{}, err
	}
	return a.Store.ToolServer(ts.Name)
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// Removal is what Remove did: the server removed, and the keychain's
// refusal to forget some of its secrets (nil: all gone).
type Removal struct {
	Server      store.ToolServer
	SecretsLeft error
}

// Remove removes the server called name and its secrets from the keychain.
func (a Admin) Remove(name string) (Removal, error) {
	ts, err := a.Store.ToolServer(name)
	if err != nil {
		return Removal{}, err
	}
	if err := a.Store.DeleteToolServer(name); err != nil {
		return Removal{}, err
	}
	var keys []string
	for _, k := range ts.Env {
		keys = append(keys, SecretKey(name, "env", k))
	}
	for _, k := range ts.Header {
		keys = append(keys, SecretKey(name, "header", k))
	}
	var failed []error
	for _, k := range keys {
		if err := secrets.Delete(a.keyring(), k); err != nil {
			failed = append(failed, err)
		}
	}
	return Removal{Server: ts, SecretsLeft: errors.Join(failed...)}, nil
}

// Update changes the stored server called name with fn (its tools turned
// off, those always allowed) and returns it as stored.
func (a Admin) Update(name string, fn func(*store.ToolServer)) (store.ToolServer, error) {
	ts, err := a.Store.ToolServer(name)
	if err != nil {
		return store.ToolServer{}, err
	}
	fn(&ts)
	ts.Name = name
	if err := a.Store.PutToolServer(ts); err != nil {
		return store.ToolServer{}, err
	}
	return ts, nil
}

// Remembering is Options.Remember for the servers of st: the tools always
// allowed go into the server's record. A failure to write (a read-only
// history, a full disk) leaves them allowed for this run only, which is
// what the user sees happen; the next run asks again.
func Remembering(st *store.Store) func(server string, allowed []string) {
	return func(server string, allowed []string) {
		Admin{Store: st}.Update(server, func(ts *store.ToolServer) { ts.Allowed = allowed })
	}
}
