package engine

import "time"

// Completion is the answer to one request made outside any conversation
// (Complete: a batch run's row): nothing is stored but the ledger line and
// the response cache entry.
type Completion struct {
	Text            string
	Usage           Usage
	Cost            float64 // in dollars, 0 when the model's price is unknown or the cache answered
	Cached          bool    // the response cache answered; nothing was sent
	Provider, Model string  // who answered (after a fallback: the fallback)
	Took            time.Duration
}
