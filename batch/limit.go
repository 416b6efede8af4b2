package batch

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// Clock is the runner's time: the real one, or a fake in tests and the
// limiter benchmark.
type Clock interface {
	Now() time.Time
	// SleepUntil returns at t, or with ctx's error when it ends first.
	SleepUntil(ctx context.Context, t time.Time) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) SleepUntil(ctx context.Context, t time.Time) error {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacer keeps a run within --rpm and --tpm (golang.org/x/time/rate). The
// requests limiter has a burst of one, so requests are spread evenly over
// the minute rather than sent in a burst the provider would refuse; the
// tokens limiter holds a minute's worth.
type pacer struct {
	clock    Clock
	requests *rate.Limiter
	tokens   *rate.Limiter
}

func newPacer(clock Clock, rpm, tpm int) *pacer {
	p := &pacer{clock: clock}
	if rpm > 0 {
		p.requests = rate.NewLimiter(rate.Every(time.Minute/time.Duration(rpm)), 1)
	}
	if tpm > 0 {
		p.tokens = rate.NewLimiter(rate.Limit(float64(tpm)/60), tpm)
	}
	return p
}

// wait returns when a request of n tokens (prompt and output limit, as
// providers count them against TPM) may go.
func (p *pacer) wait(ctx context.Context, n int) error {
	now := p.clock.Now()
	var reserved []*rate.Reservation
	at := now
	if p.requests != nil {
		r := p.requests.ReserveN(now, 1)
		reserved = append(reserved, r)
		at = now.Add(r.DelayFrom(now))
	}
	if p.tokens != nil {
		r := p.tokens.ReserveN(now, min(n, p.tokens.Burst()))
		reserved = append(reserved, r)
		if t := now.Add(r.DelayFrom(now)); t.After(at) {
			at = t
		}
	}
	if !at.After(now) {
		return nil
	}
	if err := p.clock.SleepUntil(ctx, at); err != nil {
		for _, r := range reserved {
			r.CancelAt(p.clock.Now())
		}
		return err
	}
	return nil
}
