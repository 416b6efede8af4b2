package batch

import (
	"context"
	"time"
)

// Polling starts at pollFirst between two looks at the provider's batches
// and grows by half each time up to pollMost: a batch of a few rows is
// seen answered soon, one of hours is not asked about every few seconds.
const (
	pollFirst = 10 * time.Second
	pollMost  = 60 * time.Second
	// pollFailures is how many looks in a row may fail (the network, the
	// provider's 429s and 5xx) before the run stops: the provider keeps
	// the batch, and a resume looks again.
	pollFailures = 5
)

// terminal reports whether a batch of status is over: its answers (if
// any) can be collected.
func terminal(status string) bool {
	switch status {
	case "completed", "failed", "expired", "cancelled":
		return true
	}
	return false
}

// poll looks at every part not answered yet, now and then after a growing
// interval, collecting each part whose batch is over, until none is left.
func (p *provRun) poll(ctx context.Context) error {
	interval, failures := pollFirst, 0
	for {
		left, err := p.look(ctx)
		switch {
		case err == nil:
			failures = 0
		case transient(err) && failures+1 < pollFailures:
			failures++
		default:
			return err
		}
		if left == 0 && err == nil {
			return nil
		}
		clock := p.cfg.clock()
		if err := clock.SleepUntil(ctx, clock.Now().Add(interval)); err != nil {
			return err
		}
		interval = min(interval*3/2, pollMost)
	}
}

// look asks the provider about each part not answered yet, records what
// changed, collects the parts whose batch is over, and reports progress.
// It returns how many parts are still at the provider.
func (p *provRun) look(ctx context.Context) (int, error) {
	var firstErr error
	for _, part := range p.run.Parts {
		if part.Collected || part.BatchID == "" {
			continue
		}
		b, err := p.remote.retrieve(ctx, part.BatchID)
		if err != nil {
			firstErr = err
			break
		}
		was := part
		update(&part, b)
		if part != was {
			if err := p.putPart(part, nil); err != nil {
				return 0, err
			}
		}
		if terminal(part.Status) {
			if err := p.collect(ctx, part, b); err != nil {
				return 0, err
			}
		}
	}
	pr := p.progress()
	if p.cfg.Progress != nil {
		p.cfg.Progress(pr)
	}
	return pr.Waiting, firstErr
}

// progress sums the provider's counts over the run's parts.
func (p *provRun) progress() ProviderProgress {
	var pr ProviderProgress
	for _, part := range p.run.Parts {
		pr.Parts++
		pr.Requests += part.Requests
		pr.Completed += part.Completed
		pr.Failed += part.Failed
		if !part.Collected {
			pr.Waiting++
			if pr.Status == "" {
				pr.Status = part.Status
			}
		}
	}
	if pr.Status == "" && pr.Parts > 0 {
		pr.Status = "completed"
	}
	return pr
}
