package batch

import (
	"fmt"
	"io"
	"time"

	"github.com/deskchat/deskchat/internal/format"
)

// Stats is how far a run got.
type Stats struct {
	Total   int // rows in the input
	Skipped int // answered by an earlier run (resume)
	Done    int // answered now
	Failed  int
	Cost    float64 // of the rows answered now
	Started time.Time
}

// Finished is every row with a result, earlier runs' included.
func (s Stats) Finished() int { return s.Skipped + s.Done + s.Failed }

// Progress reports a run on stderr: on a terminal one line redrawn in
// place, otherwise a plain line every 5 s or every 1,000 rows, and at the
// end.
type Progress struct {
	W        io.Writer
	Terminal bool
	Clock    Clock
	last     time.Time
	lastRows int
	drawn    bool
}

// redrawEvery bounds a terminal's redraws.
const redrawEvery = 100 * time.Millisecond

// Update reports s when it is time to.
func (p *Progress) Update(s Stats) {
	now := p.clock().Now()
	if p.last.IsZero() {
		p.last = now
	}
	switch {
	case p.Terminal && now.Sub(p.last) >= redrawEvery:
		fmt.Fprintf(p.W, "\r%s\x1b[K", p.line(s, now))
		p.drawn = true
	case !p.Terminal && (now.Sub(p.last) >= 5*time.Second || s.Finished()-p.lastRows >= 1000):
		fmt.Fprintln(p.W, p.line(s, now))
		p.lastRows = s.Finished()
	default:
		return
	}
	p.last = now
}

// End reports s as the run ends.
func (p *Progress) End(s Stats) {
	line := p.line(s, p.clock().Now())
	if p.Terminal {
		fmt.Fprintf(p.W, "\r%s\x1b[K\n", line)
		return
	}
	fmt.Fprintln(p.W, line)
}

func (p *Progress) clock() Clock {
	if p.Clock == nil {
		return realClock{}
	}
	return p.Clock
}

func (p *Progress) line(s Stats, now time.Time) string {
	took := now.Sub(s.Started)
	asked := s.Done + s.Failed
	rate := 0.0
	if took > 0 {
		rate = float64(asked) / took.Seconds()
	}
	eta := "?"
	if left := s.Total - s.Finished(); left <= 0 {
		eta = "0s"
	} else if rate > 0 {
		eta = format.Duration(time.Duration(float64(left) / rate * float64(time.Second)))
	}
	return fmt.Sprintf("%d/%d rows, %.1f rows/s, ETA %s, %d errors, $%.4f", s.Finished(), s.Total, rate, eta, s.Failed, s.Cost)
}
