package batch

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestProgressRedrawsOnATerminalAndPrintsLinesOtherwise(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	start := clock.Now()
	var plain, term strings.Builder
	p := &Progress{W: &plain, Clock: clock}
	tp := &Progress{W: &term, Terminal: true, Clock: clock}
	s := Stats{Total: 3000, Started: start}
	for i := 1; i <= 2500; i++ {
		if i%100 == 0 {
			s.Failed++
		}
		s.Done = i - s.Failed
		clock.SleepUntil(context.Background(), start.Add(time.Duration(i)*time.Millisecond))
		p.Update(s)
		tp.Update(s)
	}
	if lines := strings.Count(plain.String(), "\n"); lines != 2 {
		t.Fatalf("plain: %d lines for 2,500 rows in 2.5 s, want 2 (every 1,000 rows): %q", lines, plain.String())
	}
	if !strings.HasPrefix(plain.String(), "1000/3000 rows, 1000.0 rows/s, ETA 2 s, 10 errors, $0.0000\n2000/3000 rows, 1000.0 rows/s, ETA 1 s, 20 errors") {
		t.Fatalf("plain line: %q", plain.String())
	}
	// Past 5 s a line comes without 1,000 more rows.
	clock.SleepUntil(context.Background(), start.Add(8*time.Second))
	p.Update(s)
	if lines := strings.Count(plain.String(), "\n"); lines != 3 {
		t.Fatalf("plain after 5 s: %q", plain.String())
	}
	p.End(s)
	if !strings.HasSuffix(plain.String(), "2500/3000 rows, 312.5 rows/s, ETA 1.6 s, 25 errors, $0.0000\n") {
		t.Fatalf("plain end: %q", plain.String())
	}
	redraws := strings.Count(term.String(), "\r")
	if redraws < 20 || redraws > 26 || strings.Contains(term.String(), "\n") {
		t.Fatalf("terminal: %d redraws in 2.5 s (want one per 100 ms), newlines: %q", redraws, term.String())
	}
	tp.End(s)
	if !strings.HasSuffix(term.String(), "\x1b[K\n") {
		t.Fatalf("terminal end: %q", term.String()[len(term.String())-40:])
	}
}

// --tpm paces by the prompt and the output limit: 10 rows of ~1,000
// tokens at 6,000 tokens a minute, after the minute's burst, one every
// 10 s.
func TestTokensPerMinutePaceTheRun(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_800_000_000, 0)}
	p := newPacer(clock, 0, 6000)
	start := clock.Now()
	for range 16 {
		if err := p.wait(context.Background(), 1000); err != nil {
			t.Fatal(err)
		}
	}
	// 6 rows fit the first minute's 6,000 tokens; the other 10 come 10 s apart.
	if got := clock.Now().Sub(start); got != 100*time.Second {
		t.Fatalf("16 rows of 1,000 tokens at 6,000 tpm took %s, want 100s", got)
	}
}
