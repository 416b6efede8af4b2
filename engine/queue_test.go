package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
)

// queued starts acquire in a goroutine and reports its positions and result.
type queued struct {
	pos     chan int
	granted chan func()
	err     chan error
	cancel  context.CancelFunc
}

func enqueue(q *queue, lane queueLane) *queued {
	ctx, cancel := context.WithCancel(context.Background())
	r := &queued{pos: make(chan int, 64), granted: make(chan func(), 1), err: make(chan error, 1), cancel: cancel}
	go func() {
		rel, err := q.acquire(ctx, lane, func(p int) { r.pos <- p })
		if err != nil {
			r.err <- err
			return
		}
		r.granted <- rel
	}()
	return r
}

// waitPos waits until the request reports position want.
func (r *queued) waitPos(t *testing.T, want int) {
	t.Helper()
	for {
		select {
		case p := <-r.pos:
			if p == want {
				return
			}
		case <-r.granted:
			t.Fatalf("granted while waiting for position %d", want)
		case <-time.After(10 * time.Second):
			t.Fatalf("never told position %d", want)
		}
	}
}

func TestQueueLanesPositionsAndCancel(t *testing.T) {
	q := newQueue("local", 2, 3)
	ctx := context.Background()
	rel1, err := q.acquire(ctx, laneInteractive, nil)
	if err != nil {
		t.Fatal(err)
	}
	rel2, _ := q.acquire(ctx, laneBackground, nil)

	bg := enqueue(q, laneBackground)
	bg.waitPos(t, 1)
	i1 := enqueue(q, laneInteractive)
	i1.waitPos(t, 1)
	bg.waitPos(t, 2) // the interactive request went ahead of it
	i2 := enqueue(q, laneInteractive)
	i2.waitPos(t, 2)
	bg.waitPos(t, 3)

	// A fourth waiter is over the bound.
	if _, err := q.acquire(ctx, laneInteractive, nil); err == nil {
		t.Fatal("queue bound not enforced")
	} else {
		var pe *ProviderError
		if !errors.As(err, &pe) || pe.Kind != llm.KindQueueFull || !strings.Contains(pe.Sentence, "Too many requests are waiting for local") {
			t.Fatalf("%v", err)
		}
	}

	// Cancelling a waiter removes it at once; those behind move up.
	i1.cancel()
	if err := <-i1.err; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}
	i2.waitPos(t, 1)
	bg.waitPos(t, 2)
	if in, waiting := q.stats(); in != 2 || waiting != 2 {
		t.Fatalf("stats %d/%d", in, waiting)
	}

	// Freed slots go to the interactive lane first, then FIFO background.
	rel1()
	relI2 := <-i2.granted
	bg.waitPos(t, 1)
	rel1() // release is idempotent
	if in, _ := q.stats(); in != 2 {
		t.Fatalf("double release changed inflight to %d", in)
	}
	rel2()
	relBg := <-bg.granted
	relI2()
	relBg()
	if in, waiting := q.stats(); in != 0 || waiting != 0 {
		t.Fatalf("stats after all released %d/%d", in, waiting)
	}
}

func TestQueueFIFOWithinALane(t *testing.T) {
	q := newQueue("p", 1, 64)
	rel, _ := q.acquire(context.Background(), laneInteractive, nil)
	var waiters []*queued
	for i := 0; i < 10; i++ {
		w := enqueue(q, laneInteractive)
		w.waitPos(t, i+1)
		waiters = append(waiters, w)
	}
	for i, w := range waiters {
		rel()
		select {
		case rel = <-w.granted:
		case err := <-w.err:
			t.Fatalf("waiter %d: %v", i, err)
		}
		for _, later := range waiters[i+1:] {
			select {
			case <-later.granted:
				t.Fatalf("a later waiter was granted before waiter %d", i)
			default:
			}
		}
	}
	rel()
}

func TestALongQueueStillTellsPositions(t *testing.T) {
	q := newQueue("p", 1, 200)
	rel, _ := q.acquire(context.Background(), laneInteractive, nil)
	n := shortQueue + 20
	var waiters []*queued
	for i := 0; i < n; i++ {
		w := enqueue(q, laneInteractive)
		w.waitPos(t, i+1) // a newcomer learns its place at once
		waiters = append(waiters, w)
	}
	for i := 0; i < 5; i++ { // five go through
		rel()
		rel = <-waiters[i].granted
	}
	waiters[n-1].waitPos(t, n-5) // told, if not at once
	waiters[5].waitPos(t, 1)
	bg := enqueue(q, laneBackground)
	bg.waitPos(t, n-5+1)
	waiters[n-1].cancel()
	bg.waitPos(t, n-5) // moved up when the one ahead left
	rel()
}

// The batch lane is served after the interactive and background ones, FIFO
// within; its waiters tell their places behind them, and they never count
// against the bound a chat's request meets.
func TestQueueBatchLaneIsServedLast(t *testing.T) {
	q := newQueue("p", 1, 2)
	rel, err := q.acquire(context.Background(), laneBatch, nil)
	if err != nil {
		t.Fatal(err)
	}
	b1 := enqueue(q, laneBatch)
	b1.waitPos(t, 1)
	b2 := enqueue(q, laneBatch)
	b2.waitPos(t, 2)
	if _, err := q.acquire(context.Background(), laneBatch, nil); err == nil {
		t.Fatal("the batch lane's bound was not enforced")
	}
	bg := enqueue(q, laneBackground)
	bg.waitPos(t, 1)
	b2.waitPos(t, 3)
	in := enqueue(q, laneInteractive)
	in.waitPos(t, 1)
	bg.waitPos(t, 2)
	b2.waitPos(t, 4)

	for _, next := range []*queued{in, bg, b1, b2} {
		rel()
		select {
		case rel = <-next.granted:
		case err := <-next.err:
			t.Fatal(err)
		}
	}
	rel()
	if in, waiting := q.stats(); in != 0 || waiting != 0 {
		t.Fatalf("stats after all released %d/%d", in, waiting)
	}
}
