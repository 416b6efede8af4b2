package batch

import (
	"context"
	"sync"
)

// Pause holds a run's next rows (the Batch window's Pause): rows being
// asked finish and are saved, no new one starts until Resume. The zero
// value runs; a nil *Pause never pauses.
type Pause struct {
	mu      sync.Mutex
	resumed chan struct{}   // closed by Resume; nil while running
	held    chan<- struct{} // tests: told each time a row is held
}

// Pause stops new rows from starting.
func (p *Pause) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumed == nil {
		p.resumed = make(chan struct{})
	}
}

// Resume lets rows start again.
func (p *Pause) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resumed != nil {
		close(p.resumed)
		p.resumed = nil
	}
}

// Paused tells whether new rows are held.
func (p *Pause) Paused() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resumed != nil
}

// wait returns when the run is not paused, or with ctx's error.
func (p *Pause) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	for {
		p.mu.Lock()
		ch := p.resumed
		p.mu.Unlock()
		if ch == nil {
			return nil
		}
		if p.held != nil {
			select {
			case p.held <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
