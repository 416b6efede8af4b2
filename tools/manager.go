package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// Defaults of Options.
const (
	DefaultCallTimeout    = 60 * time.Second
	DefaultStartTimeout   = 30 * time.Second
	DefaultMaxResultBytes = 100 << 10
)

// Options tune a Manager; the zero value takes the defaults.
type Options struct {
	// CallTimeout bounds one call; 0: DefaultCallTimeout.
	CallTimeout time.Duration
	// StartTimeout bounds starting a server and its MCP handshake; 0:
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// MaxResultBytes is where a result is cut; 0: DefaultMaxResultBytes.
	MaxResultBytes int
	// Secret reads a secret by its SecretKey name; nil: the OS keychain
	// (Keychain(secrets.System())).
	Secret func(ctx context.Context, key string) (string, error)
	// Getenv reads deskchat's own environment (EnvFromProcess); nil:
	// os.Getenv.
	Getenv func(string) string
	// Remember, when set, keeps the tools of a server the user always
	// allows (AlwaysAllow), e.g. in the server's record in the history.
	Remember func(server string, allowed []string)
}

// Manager runs the tools of a set of MCP servers. It implements
// engine.Toolbox.
type Manager struct {
	opts    Options
	client  *mcp.Client
	mu      sync.Mutex
	servers map[string]*server
	closed  bool
}

var (
	_ engine.Toolbox     = (*Manager)(nil)
	_ engine.ToolAllower = (*Manager)(nil)
)

// New returns a Manager for servers; none is started before it is used.
func New(servers []store.ToolServer, opts Options) *Manager {
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.MaxResultBytes <= 0 {
		opts.MaxResultBytes = DefaultMaxResultBytes
	}
	if opts.Secret == nil {
		opts.Secret = Keychain(nil)
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	m := &Manager{opts: opts, servers: map[string]*server{},
		client: mcp.NewClient(&mcp.Implementation{Name: "deskchat", Version: "1"}, nil)}
	for _, ts := range servers {
		m.servers[ts.Name] = newServer(ts, m)
	}
	return m
}

// Set adds the server ts or replaces the one of that name (stopping it: it
// starts again, with the new settings, on next use).
func (m *Manager) Set(ts store.ToolServer) {
	m.mu.Lock()
	old := m.servers[ts.Name]
	m.servers[ts.Name] = newServer(ts, m)
	m.mu.Unlock()
	if old != nil {
		old.stop()
	}
}

// SetDisabled sets which tools of the server called name are not offered
// nor run, without restarting it; false when there is no such server.
func (m *Manager) SetDisabled(name string, tools []string) bool {
	s := m.server(name)
	if s == nil {
		return false
	}
	s.mu.Lock()
	s.disabled = slices.Clone(tools)
	s.mu.Unlock()
	return true
}

// SetAllowed sets which tools of the server called name run without
// asking first; false when there is no such server.
func (m *Manager) SetAllowed(name string, tools []string) bool {
	s := m.server(name)
	if s == nil {
		return false
	}
	s.mu.Lock()
	s.allowed = slices.Clone(tools)
	s.mu.Unlock()
	return true
}

// AlwaysAllow remembers that the user always allows tool of server
// (engine.ToolAllower): from now on it runs without asking, and
// Options.Remember keeps that beyond this run.
func (m *Manager) AlwaysAllow(server, tool string) {
	s := m.server(server)
	if s == nil {
		return
	}
	s.mu.Lock()
	if !slices.Contains(s.allowed, tool) {
		s.allowed = append(slices.Clone(s.allowed), tool)
	}
	allowed := slices.Clone(s.allowed)
	s.mu.Unlock()
	if m.opts.Remember != nil {
		m.opts.Remember(server, allowed)
	}
}

// Remove stops the server called name (its whole process group) and
// forgets it.
func (m *Manager) Remove(name string) {
	m.mu.Lock()
	old := m.servers[name]
	delete(m.servers, name)
	m.mu.Unlock()
	if old != nil {
		old.stop()
	}
}

// Close stops every server; later uses fail with a sentence.
func (m *Manager) Close() error {
	m.mu.Lock()
	all := make([]*server, 0, len(m.servers))
	for _, s := range m.servers {
		all = append(all, s)
	}
	m.servers, m.closed = map[string]*server{}, true
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() { defer wg.Done(); s.stop() }()
	}
	wg.Wait()
	return nil
}

// Servers are the names of the servers the Manager knows, sorted.
func (m *Manager) Servers() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.servers))
	for n := range m.servers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// State says how the server called name is doing.
func (m *Manager) State(name string) State {
	s := m.server(name)
	if s == nil {
		return State{Status: Failed, Sentence: fmt.Sprintf("There is no tool server called %q.", name)}
	}
	return s.state()
}

func (m *Manager) server(name string) *server {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.servers[name]
}

// Tools lists the enabled tools of the named servers ("all": every one),
// starting those not running yet, in parallel. Servers that fail are left
// out and named in the error, one sentence each.
func (m *Manager) Tools(ctx context.Context, servers []string) ([]engine.ToolInfo, error) {
	if slices.Contains(servers, "all") {
		servers = m.Servers()
	}
	lists := make([][]engine.ToolInfo, len(servers))
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, name := range servers {
		s := m.server(name)
		if s == nil {
			errs[i] = fmt.Errorf("There is no tool server called %q.", name)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			lists[i], errs[i] = s.tools(ctx)
		}()
	}
	wg.Wait()
	var out []engine.ToolInfo
	for _, l := range lists {
		out = append(out, l...)
	}
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, errors.Join(errs...)
}

// Call runs tool on server with args (a JSON object; empty means {}). A
// failure of the server or of the tool is a result with IsError and a
// sentence; the error is ctx's when it ended.
func (m *Manager) Call(ctx context.Context, server, tool string, args json.RawMessage) (engine.ToolResult, error) {
	s := m.server(server)
	if s == nil {
		return failure("There is no tool server called %q.", server), nil
	}
	if len(strings.TrimSpace(string(args))) == 0 {
		args = json.RawMessage("{}")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(args, &obj); err != nil {
		return failure("The arguments for %s are not a JSON object: %s.", tool, shortError(err)), nil
	}
	return s.call(ctx, tool, args)
}

// failure is an error result with a sentence.
func failure(f string, a ...any) engine.ToolResult {
	return engine.ToolResult{Text: fmt.Sprintf(f, a...), IsError: true}
}

// shortError is the first line of err, at most 200 characters, without a
// final full stop.
func shortError(err error) string {
	msg := strings.TrimSpace(err.Error())
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	if r := []rune(msg); len(r) > 200 {
		msg = string(r[:199]) + "…"
	}
	return strings.TrimRight(msg, ".")
}

// within is d as people read it ("60 s").
func within(d time.Duration) string { return format.Duration(d) }
