package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
)

// DefaultFlushInterval is how often streaming text is written to the store:
// a crash loses at most this much of an answer plus one commit's time,
// which keeps the promise of 250 ms with room for a slow disk (the crash
// test measured up to 37 ms of commit and scheduling under -race at 200 ms).
const DefaultFlushInterval = 150 * time.Millisecond

// Options configure an Engine. The zero value is usable.
type Options struct {
	// Getenv reads API keys from the environment; nil means os.Getenv.
	// Used only when Keys is nil.
	Getenv func(string) string
	// Keys finds providers' API keys (keychain, environment, key command);
	// nil means &secrets.Resolver{Getenv: Getenv}.
	Keys *secrets.Resolver
	// Simulator configures the built-in Simulator provider.
	Simulator Simulator
	// IdleTimeout fails a stream that sends nothing for this long;
	// 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// LazyTokenizer: New does not build the token encoding (0.3 s of CPU,
	// 22 MB) at once; the first count does, or Warm. The window sets it, so
	// that starting up does not compete with it, and warms the engine when
	// the user starts typing.
	LazyTokenizer bool
	// Toolbox runs MCP servers' tools (package tools); nil: no tools are
	// offered, whatever SendOptions.Tools says.
	Toolbox Toolbox
	// MaxToolRounds bounds how often one answer asks the model again with
	// tool results; 0 means DefaultMaxToolRounds.
	MaxToolRounds int

	// Set by the package's tests only. flushInterval bounds how long
	// streamed text stays only in memory (0: DefaultFlushInterval);
	// cacheTTL and cacheMaxBytes bound the response cache (0:
	// defaultCacheTTL and defaultCacheMaxBytes).
	flushInterval time.Duration
	cacheTTL      time.Duration
	cacheMaxBytes int64
}

// DefaultIdleTimeout is how long a stream may stay silent before the answer
// fails as stalled.
const DefaultIdleTimeout = 60 * time.Second

// Engine sends requests to providers and persists answers. Build it with New.
type Engine struct {
	st    *store.Store
	flush time.Duration
	keys  *secrets.Resolver
	warm  sync.Once

	idle time.Duration
	now  func() time.Time

	mu      sync.Mutex
	clients map[string]*http.Client // one per provider, reused
	gates   map[string]*gate        // one per provider: queue, limits, breaker, metrics
	sim     Simulator

	cache   *responseCache
	counts  *countCache        // token counts of stored messages
	images  *imageCache        // images as sent, by their file's sha256
	blind   map[string]bool    // models that refused images, by visionKey
	flights map[string]*flight // identical requests in the air, by cache key

	toolbox   Toolbox
	maxRounds int
	always    map[string]bool // tools the user always allows, by server and tool (guarded by mu)

	adapterFor func(store.Provider) llm.Adapter // test hook: the adapter for a provider (nil: the real one)
	afterFlush func(store.Message)              // test hook: called after each flush of streamed text
	onJoin     func()                           // test hook: a request joined an identical one in flight
	beforeSave func()                           // test hook: Send has started the job and is about to store the question
	// timer starts a timer; tests replace it to record waits without waiting.
	timer  func(time.Duration) (<-chan time.Time, func() bool)
	jitter func() float64
}

func realTimer(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}

// wait blocks for d or until ctx is done.
func (e *Engine) wait(ctx context.Context, d time.Duration) error {
	c, stop := e.timer(d)
	defer stop()
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// New returns an Engine that persists to st.
func New(st *store.Store, opts Options) *Engine {
	e := &Engine{st: st, flush: opts.flushInterval, keys: opts.Keys, idle: opts.IdleTimeout, now: time.Now,
		clients: map[string]*http.Client{}, gates: map[string]*gate{}, sim: opts.Simulator,
		timer: realTimer, jitter: jitter, blind: map[string]bool{},
		toolbox: opts.Toolbox, maxRounds: opts.MaxToolRounds, always: map[string]bool{},
		images: newImageCache(defaultImageCacheBytes, attach.ImageURL)}
	if e.idle <= 0 {
		e.idle = DefaultIdleTimeout
	}
	if e.flush <= 0 {
		e.flush = DefaultFlushInterval
	}
	if e.maxRounds <= 0 {
		e.maxRounds = DefaultMaxToolRounds
	}
	if e.keys == nil {
		e.keys = &secrets.Resolver{Getenv: opts.Getenv}
	}
	if !opts.LazyTokenizer {
		go tokens.Preload() // the first request need not wait for the encoding
	}
	e.counts = newCountCache(200_000)
	e.cache = newResponseCache(st, opts.cacheTTL, opts.cacheMaxBytes, func() time.Time { return e.now() })
	return e
}

// Warm builds what the first request needs and New left for later
// (Options.LazyTokenizer). It returns at once; the work runs on its own
// goroutine, once.
func (e *Engine) Warm() { e.warm.Do(func() { go tokens.Preload() }) }

// Store returns the store the engine writes to.
func (e *Engine) Store() *store.Store { return e.st }

// SetSimulatorRate changes the Simulator's pace for answers started later.
func (e *Engine) SetSimulatorRate(tokensPerSecond float64) {
	e.mu.Lock()
	e.sim.TokensPerSecond = tokensPerSecond
	e.mu.Unlock()
}

// SendOptions choose the provider and sampling for one request. Empty fields
// fall back to the conversation's choice, then to the default provider.
type SendOptions struct {
	Provider    string          // a stored provider's name, or SimulatorName
	Model       string          // overrides the provider's default model
	Endpoint    *store.Provider // an ad-hoc provider that is not stored (ask --base-url)
	System      string          // system prompt for this request; else the conversation's
	Temperature *float32
	MaxTokens   int
	Background  bool // queue in the background lane (titles, summaries)
	// Batch queues in the batch lane, below the background one: a chat
	// is never queued behind a batch run (Complete).
	Batch   bool
	NoCache bool // neither answer from the response cache nor store in it (regenerate, ask --no-cache)
	// Label names a request outside any conversation in the usage
	// ledger ("batch NAME"; Complete).
	Label       string
	IdleTimeout time.Duration // overrides Options.IdleTimeout for this request
	// Attachments go with the question Send stores (attach.Read/Open make
	// them, Data and Text filled); the store keeps their bytes once.
	Attachments []store.Attachment
	// Tools names the MCP servers whose tools the model may call ("all":
	// every server); none: no tools. Approve decides each call before it
	// runs (nil: every call is declined, so nothing runs unasked).
	Tools   []string
	Approve func(context.Context, ToolRequest) ToolDecision
	// ReplyTo asks from an earlier message (its Seq; 0: from the end of
	// the active path): the question follows it, a new branch, and the
	// request carries the path down to it. Send only.
	ReplyTo uint64
}

// DefaultMaxToolRounds is how many rounds of tool calls one answer may
// make before it ends with a sentence.
const DefaultMaxToolRounds = 8

// Send appends text as a user message to the conversation and streams the
// answer. Errors that prevent sending (unknown conversation, no provider set
// up, no key, a store failure) are returned at once and store nothing. Once
// Send returns a channel, the user message and its answer (empty, in state
// streaming) are stored, in one commit, and the channel receives
// progress events (Compressed, Cached, Queued, RateLimited, Retrying,
// FellBack), Started when a provider accepted (or the cache answered), Delta
// and UsageEvent events, then exactly one of Done, Stopped or Failed, and is
// closed. Callers must drain it.
func (e *Engine) Send(ctx context.Context, conversationID, text string, opts SendOptions) (<-chan Event, error) {
	if err := attach.CheckCount(len(opts.Attachments)); err != nil {
		return nil, &ProviderError{Kind: llm.KindAttachment, Sentence: err.Error(), Err: err}
	}
	snap, plan, err := e.prepare(conversationID, opts)
	if err != nil {
		return nil, err
	}
	conv := snap.Conversation
	cfg, model := plan[0].cfg, plan[0].model
	// The question and what it changes in the conversation (its title, the
	// provider and model it uses now) are stored in one transaction.
	update := func(c *store.Conversation) {
		if opts.Endpoint == nil {
			c.Provider, c.Model = cfg.Name, model
		}
		if c.Title == "" {
			c.Title = titleFrom(text, opts.Attachments)
		}
	}
	update(&conv)
	// The question goes out while it is stored (see exchange): the job
	// starts with it unsaved (Seq 0) and waits for the commit before it
	// shows or stores anything; if the commit fails, it is cancelled.
	question := store.Message{ConversationID: conv.ID, Role: store.RoleUser, Content: text, State: store.StateDone, Attachments: opts.Attachments}
	path := snap.Messages
	if opts.ReplyTo != 0 {
		if path = snap.PathTo(opts.ReplyTo); path == nil {
			return nil, &ProviderError{Kind: llm.KindConfig, Sentence: fmt.Sprintf("Message %s-%d is not in this chat: there is nothing to reply to.", conv.ID, opts.ReplyTo)}
		}
	}
	history := append(path[:len(path):len(path)], question)
	x := newExchange()
	events := e.start(ctx, conv, plan, x, history, snap.Summary, opts)
	if e.beforeSave != nil {
		e.beforeSave()
	}
	// The answer exists (empty, streaming) from the same commit: it shows
	// while queued and is recovered as interrupted after a crash.
	answer := store.Message{ConversationID: conv.ID, Role: store.RoleAssistant, Provider: cfg.Name, Model: model, State: store.StateStreaming}
	var user, ans store.Message
	if opts.ReplyTo != 0 {
		user, ans, err = e.st.AppendReply(opts.ReplyTo, question, answer, update)
	} else {
		user, ans, err = e.st.AppendExchange(question, answer, update)
	}
	x.resolve(user, ans, err)
	if err != nil {
		return nil, err
	}
	return events, nil
}

// prepare reads the conversation and plans who answers it: the chosen
// provider, then its fallback chain.
func (e *Engine) prepare(conversationID string, opts SendOptions) (store.Snapshot, []candidate, error) {
	snap, err := e.st.Snapshot(conversationID)
	if err != nil {
		return snap, nil, err
	}
	prov, cfg, model, err := e.resolve(snap, opts)
	if err != nil {
		return snap, nil, err
	}
	return snap, append([]candidate{{cfg: cfg, prov: prov, model: model}}, e.fallbacks(snap, cfg)...), nil
}

// candidate is one provider that may answer a request: the chosen one, then
// its fallback chain.
type candidate struct {
	cfg   store.Provider
	prov  llm.Adapter
	model string
}

func (c candidate) retries() int {
	if c.cfg.MaxRetries != nil {
		return max(*c.cfg.MaxRetries, 0)
	}
	return DefaultMaxRetries
}

// maxFallbacks bounds the fallback chain.
const maxFallbacks = 3

// fallbacks follows cfg's fallback chain, skipping providers that cannot be
// used (deleted, no key) and stopping at a loop.
func (e *Engine) fallbacks(snap store.Snapshot, cfg store.Provider) []candidate {
	var out []candidate
	seen := map[string]bool{cfg.Name: true}
	for name := cfg.Fallback; name != "" && !seen[name] && len(out) < maxFallbacks; {
		seen[name] = true
		var fb store.Provider
		if name == SimulatorName {
			fb = SimulatorConfig()
		} else {
			p, err := snap.Provider(name)
			if err != nil {
				break
			}
			fb = p
		}
		if prov, err := e.provider(fb); err == nil && fb.Model != "" {
			out = append(out, candidate{cfg: fb, prov: prov, model: fb.Model})
		}
		name = fb.Fallback
	}
	return out
}

// gate returns the provider's queue, limits, breaker and metrics, creating
// them on first use and applying the provider's current limits.
func (e *Engine) gate(cfg store.Provider) *gate {
	e.mu.Lock()
	g := e.gates[cfg.Name]
	created := g == nil
	if created {
		g = newGate(cfg)
		e.gates[cfg.Name] = g
	}
	e.mu.Unlock()
	if created {
		if stats, err := e.st.Stats(); err == nil {
			if data, ok := stats[statKey(cfg.Name)]; ok {
				g.loadCounters(data)
			}
		}
	} else {
		g.configure(cfg)
	}
	return g
}

func statKey(provider string) string { return "provider:" + provider }

// Metrics returns per-provider metrics: live gauges of this process and
// counters accumulated by every deskchat process on this store.
func (e *Engine) Metrics() ([]Metrics, error) {
	stats, err := e.st.Stats()
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	names := map[string]bool{}
	for n := range e.gates {
		names[n] = true
	}
	e.mu.Unlock()
	for k := range stats {
		if name, ok := strings.CutPrefix(k, "provider:"); ok {
			names[name] = true
		}
	}
	out := make([]Metrics, 0, len(names))
	for name := range names {
		e.mu.Lock()
		g := e.gates[name]
		e.mu.Unlock()
		if g == nil { // used by another process only: its persisted counters
			g = e.gate(store.Provider{Name: name})
		}
		out = append(out, g.metrics())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider < out[j].Provider })
	return out, nil
}

// titleFrom makes a conversation title from the first user message: its
// text, else the names of its attachments.
func titleFrom(text string, atts []store.Attachment) string {
	t := strings.Join(strings.Fields(text), " ")
	if t == "" && len(atts) > 0 {
		names := make([]string, len(atts))
		for i, a := range atts {
			names[i] = a.Name
		}
		t = strings.Join(strings.Fields(strings.Join(names, ", ")), " ")
	}
	if utf8.RuneCountInString(t) > 60 {
		t = string([]rune(t)[:60]) + "…"
	}
	if t == "" {
		t = "New conversation"
	}
	return t
}

// resolve picks the provider adapter and model for a request.
func (e *Engine) resolve(snap store.Snapshot, opts SendOptions) (llm.Adapter, store.Provider, string, error) {
	conv := snap.Conversation
	var cfg store.Provider
	switch {
	case opts.Endpoint != nil:
		cfg = *opts.Endpoint
	default:
		name := opts.Provider
		if name == "" {
			name = conv.Provider
		}
		if name == "" {
			name = snap.DefaultProvider
		}
		if name == "" {
			return nil, cfg, "", &ProviderError{Kind: llm.KindConfig, Sentence: "No provider is set up. Add one in Settings, or choose the Simulator to try deskchat without a key."}
		}
		if name == SimulatorName {
			cfg = SimulatorConfig()
		} else {
			p, err := snap.Provider(name)
			if err != nil {
				return nil, cfg, "", err
			}
			cfg = p
		}
	}
	model := opts.Model
	if model == "" && conv.Provider == cfg.Name {
		model = conv.Model
	}
	if model == "" {
		model = cfg.Model
	}
	if model == "" {
		return nil, cfg, "", &ProviderError{Kind: llm.KindConfig, Provider: cfg.Name, Sentence: fmt.Sprintf("Choose a model for %s first.", cfg.Name)}
	}
	prov, err := e.provider(cfg)
	return prov, cfg, model, err
}

// APIKey returns cfg's API key as a request to cfg would use it ("" for a
// provider without a key, like a local server or the Simulator). An
// OpenAI or Azure provider without a key, and a key that cannot be found
// (not in the keychain, variable unset, key command failed), are
// *ProviderErrors of KindConfig whose sentence says what to do; no error
// contains the key. Keychain and command keys are remembered until
// ForgetKey.
func (e *Engine) APIKey(ctx context.Context, cfg store.Provider) (string, error) {
	if cfg.Kind == store.KindSimulator {
		return "", nil
	}
	key, err := e.keys.Key(ctx, cfg)
	if err != nil {
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return "", ctx.Err()
		}
		var se *secrets.Error
		if errors.As(err, &se) {
			return "", &ProviderError{Kind: llm.KindConfig, Provider: cfg.Name, Sentence: se.Sentence, Err: err}
		}
		return "", &ProviderError{Kind: llm.KindConfig, Provider: cfg.Name, Sentence: fmt.Sprintf("The API key for %s could not be read.", cfg.Name), Err: err}
	}
	if key == "" && (cfg.Kind == store.KindOpenAI || cfg.Kind == store.KindAzure) {
		keyEnv := cfg.KeyEnv
		if keyEnv == "" && cfg.Kind == store.KindOpenAI {
			keyEnv = "OPENAI_API_KEY"
		}
		if keyEnv == "" {
			keyEnv = "a variable"
		}
		return "", &ProviderError{Kind: llm.KindConfig, Provider: cfg.Name, Sentence: fmt.Sprintf("%s needs an API key: set %s in the environment, or keep the key in the keychain (Settings → Providers).", cfg.Name, keyEnv)}
	}
	return key, nil
}

// ForgetKey drops the key remembered for the provider called name, so the
// next request reads the keychain or runs the key command again. Call it
// after the provider's key or key source changed.
func (e *Engine) ForgetKey(name string) { e.keys.Forget(name) }
