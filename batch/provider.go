package batch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/engine/openai"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// A provider run (--mode provider) sends the rows left through OpenAI's
// Batch API rather than the engine: the requests are written to a file
// (parts of at most PartRequests requests and PartBytes bytes, OpenAI's
// limits for one batch with room), each part uploaded and made a batch,
// the batches polled until the provider has answered (within 24 h, at half
// the price), and the answers stored as rows. Every step is recorded in
// the run (store.BatchPart) as soon as the provider gave its id, so a run
// stopped or killed at any moment goes on where it was: at most one upload
// is orphaned (a kill between the upload and its record), never a batch
// (a batch made but not recorded is found again by its file).

// OpenAI's limits for one batch's input file: 50,000 requests and 200 MB
// (PartBytes keeps room below it).
const (
	PartRequests = 50_000
	PartBytes    = 190 << 20
)

// ProviderPrice is the share of the normal price a provider's batch costs
// (OpenAI's Batch API: half).
const ProviderPrice = 0.5

// ProviderTarget is the provider a --mode provider run of s sends to: a
// stored provider of kind openai (whatever its base URL: it speaks the
// API). Any other kind, the Simulator and a --base-url endpoint (nothing
// says it offers the Batch API) get NoBatchAPI's sentence.
func ProviderTarget(st *store.Store, s Spec) (store.Provider, error) {
	if s.BaseURL != "" {
		return store.Provider{}, &engine.ProviderError{Kind: engine.KindConfig, Sentence: NoBatchAPI(s.BaseURL), Err: ErrNoBatchAPI}
	}
	name := s.Provider
	if name == "" {
		name, _ = st.Setting(store.SettingDefaultProvider)
	}
	if name == "" {
		return store.Provider{}, errors.New("no provider is set up: add one (deskchat providers add --kind openai)")
	}
	if name == engine.SimulatorName {
		return store.Provider{}, &engine.ProviderError{Kind: engine.KindConfig, Sentence: NoBatchAPI(name), Err: ErrNoBatchAPI}
	}
	p, err := st.Provider(name)
	if err != nil {
		return store.Provider{}, fmt.Errorf("there is no provider called %q; \"deskchat providers list\" shows them", name)
	}
	if p.Kind != store.KindOpenAI {
		return store.Provider{}, &engine.ProviderError{Kind: engine.KindConfig, Provider: name, Sentence: NoBatchAPI(name), Err: ErrNoBatchAPI}
	}
	return p, nil
}

// ProviderConfig is one provider run.
type ProviderConfig struct {
	Store *store.Store
	// Run is the run's record (Name, Input, Template, System, Provider,
	// Model, Rows...); its stored parts are taken from the store.
	Run      store.BatchRun
	Template Template
	Provider store.Provider // ProviderTarget's
	Key      string         // the provider's API key (engine.APIKey)
	// MaxTokens is a row's output limit.
	MaxTokens  int
	HTTPClient *http.Client // nil: one of its own
	Clock      Clock        // nil: the real one
	// Out gets every row, earlier runs' included, in input order, once
	// every part is answered; nil: none.
	Out Writer
	// Progress is called after each poll; nil: not.
	Progress func(ProviderProgress)
	// PartRequests and PartBytes bound a part; 0: the constants.
	PartRequests int
	PartBytes    int64
	// TempDir holds a part's requests file until it is uploaded; "": the
	// store's folder.
	TempDir string
}

// ProviderProgress is how far the provider got with a run's parts, in
// its own request counts.
type ProviderProgress struct {
	Parts, Waiting              int    // parts made, parts not answered yet
	Status                      string // the provider's, of the first part not answered
	Completed, Failed, Requests int
}

// ErrAtProvider is returned when the run stopped (ctx ended) while its
// batches are at the provider: the provider keeps working on them, and
// resuming the run checks again.
var ErrAtProvider = errors.New("the provider keeps working on the batch")

// provRun is a provider run's shared state.
type provRun struct {
	cfg    ProviderConfig
	remote *remote
	run    store.BatchRun // as stored, parts included
	prices map[string]tokens.Price
}

// RunProvider sends the rows of cfg.Run.Input that no earlier run
// answered and that are not at the provider already, then waits for every
// part, storing the answers as rows (failed rows, and rows the provider
// left unanswered, as failed rows with a sentence: resuming asks them
// again in a new part), and writes every row to cfg.Out in input order.
// When ctx ends while batches are at the provider the run is recorded as
// waiting and the error wraps ErrAtProvider and ctx's.
func RunProvider(ctx context.Context, cfg ProviderConfig) (Stats, error) {
	st := Stats{Total: cfg.Run.Rows, Started: cfg.clock().Now()}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = openai.NewHTTPClient(4)
	}
	p := &provRun{cfg: cfg, remote: newRemote(cfg.Provider, cfg.Key, hc), prices: engine.Prices(cfg.Store)}
	if err := p.remote.probe(ctx); err != nil {
		return st, err
	}
	p.run = cfg.Run
	p.run.Mode, p.run.State, p.run.Parts = store.ModeProvider, store.BatchRunning, nil
	if prev, err := cfg.Store.Batch(cfg.Run.Name); err == nil {
		p.run.Parts = prev.Parts
	} else if !errors.Is(err, store.ErrNotFound) {
		return st, err
	}
	if err := cfg.Store.PutBatch(p.run); err != nil {
		return st, err
	}
	err := p.send(ctx)
	if err == nil {
		err = p.poll(ctx)
	}
	if err != nil {
		return p.stats(st), p.stop(ctx, err)
	}
	if err := p.setState(store.BatchDone); err != nil {
		return p.stats(st), err
	}
	if cfg.Out != nil {
		err = Export(cfg.Store, cfg.Run.Name, cfg.Out)
	}
	return p.stats(st), err
}

func (c ProviderConfig) clock() Clock {
	if c.Clock == nil {
		return realClock{}
	}
	return c.Clock
}

func (c ProviderConfig) tempDir() string {
	if c.TempDir != "" {
		return c.TempDir
	}
	return filepath.Dir(c.Store.FilePath())
}

// stats is the run's stored counts: every row of the run, earlier runs'
// answers included.
func (p *provRun) stats(st Stats) Stats {
	if run, err := p.cfg.Store.Batch(p.cfg.Run.Name); err == nil {
		st.Done, st.Failed, st.Cost = run.Done, run.Failed, run.Cost
	}
	return st
}

// stop records how a run that did not finish stopped: waiting when its
// batches are at the provider, else cancelled.
func (p *provRun) stop(ctx context.Context, err error) error {
	state := store.BatchCancelled
	atProvider := false
	for _, part := range p.run.Parts {
		if part.BatchID != "" && !part.Collected {
			atProvider = true
		}
	}
	if atProvider {
		state = store.BatchWaiting
	}
	if serr := p.setState(state); serr != nil {
		return errors.Join(err, serr)
	}
	if atProvider && ctx.Err() != nil {
		return fmt.Errorf("%w: %w", ErrAtProvider, err)
	}
	var pe *engine.ProviderError
	if atProvider && errors.As(err, &pe) {
		// The provider's failure is not the batch's: say where it is.
		c := *pe
		c.Sentence += fmt.Sprintf(" The batch stays at the provider; \"deskchat batch resume %s\" checks on it again.", p.cfg.Run.Name)
		return &c
	}
	return err
}

func (p *provRun) setState(state string) error {
	run, err := p.cfg.Store.Batch(p.cfg.Run.Name)
	if err != nil {
		return err
	}
	run.State = state
	return p.cfg.Store.PutBatch(run)
}

// putPart records part (and its ledger line, when not nil).
func (p *provRun) putPart(part store.BatchPart, usage *store.UsageRecord) error {
	if err := p.cfg.Store.PutBatchPart(p.cfg.Run.Name, part, usage); err != nil {
		return err
	}
	for i := range p.run.Parts {
		if p.run.Parts[i].N == part.N {
			p.run.Parts[i] = part
			return nil
		}
	}
	p.run.Parts = append(p.run.Parts, part)
	return nil
}

// cost is the price of a row's tokens in a provider's batch.
func (p *provRun) cost(in, out int) (float64, bool) {
	c, ok := tokens.Cost(p.cfg.Run.Model, p.prices, in, out)
	return c * ProviderPrice, ok
}
