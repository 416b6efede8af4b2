package engine

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
)

// queueLane orders waiting requests: every interactive request is served before
// any background one (titles, summaries); FIFO within a lane.
type queueLane int

// Lanes.
const (
	laneInteractive queueLane = iota
	laneBackground
)

// Queue defaults.
const (
	defaultMaxConcurrent = 4
	defaultMaxQueued     = 64
)

// queue limits how many streams run at once on one provider and keeps the
// rest waiting in two FIFO lanes. Safe for concurrent use.
type queue struct {
	name       string
	mu         sync.Mutex
	limit      int
	maxWaiting int
	inflight   int
	lanes      [2]list.List // of *waiter
	// tellPending: a position update of a long queue is scheduled.
	tellPending bool
}

// Position updates: a short queue tells every waiter its new position at
// once; a long one at most every positionInterval, as telling thousands of
// waiters on every change costs quadratic time and floods the callers.
const (
	shortQueue       = 32
	positionInterval = 100 * time.Millisecond
)

type waiter struct {
	ready   chan struct{} // closed when granted a slot
	pos     chan int      // latest position, capacity 1
	elem    *list.Element
	lane    queueLane
	granted bool
	told    int // the last position sent
}

func newQueue(name string, limit, maxWaiting int) *queue {
	q := &queue{name: name}
	q.setLimits(limit, maxWaiting)
	return q
}

// setLimits changes the limits; more room lets waiters in at once.
func (q *queue) setLimits(limit, maxWaiting int) {
	if limit <= 0 {
		limit = defaultMaxConcurrent
	}
	if maxWaiting <= 0 {
		maxWaiting = defaultMaxQueued
	}
	q.mu.Lock()
	q.limit, q.maxWaiting = limit, maxWaiting
	q.grantLocked()
	q.mu.Unlock()
}

func (q *queue) waitingLocked() int { return q.lanes[0].Len() + q.lanes[1].Len() }

// acquire waits for a slot. onPos is called (from this goroutine) with the
// request's 1-based position each time it changes while it waits.
// Cancelling ctx removes the request from the queue at once. The returned
// release must be called exactly once when the stream ends.
func (q *queue) acquire(ctx context.Context, lane queueLane, onPos func(int)) (release func(), err error) {
	q.mu.Lock()
	if q.inflight < q.limit && q.waitingLocked() == 0 {
		q.inflight++
		q.mu.Unlock()
		return q.releaseOnce(), nil
	}
	if q.waitingLocked() >= q.maxWaiting {
		q.mu.Unlock()
		return nil, &ProviderError{Kind: llm.KindQueueFull, Provider: q.name,
			Sentence: fmt.Sprintf("Too many requests are waiting for %s; try again when some have finished.", q.name)}
	}
	w := &waiter{ready: make(chan struct{}), pos: make(chan int, 1), lane: lane}
	w.elem = q.lanes[lane].PushBack(w)
	pos := q.lanes[laneInteractive].Len()
	if lane == laneBackground {
		pos += q.lanes[laneBackground].Len()
	}
	w.told = pos
	w.pos <- pos // its own position at once
	if lane == laneInteractive && q.lanes[laneBackground].Len() > 0 {
		q.changedLocked() // background waiters moved back
	}
	q.mu.Unlock()

	for {
		select {
		case <-w.ready:
			return q.releaseOnce(), nil
		case p := <-w.pos:
			if onPos != nil {
				onPos(p)
			}
		case <-ctx.Done():
			q.mu.Lock()
			if w.granted { // granted as we gave up: hand the slot on
				q.mu.Unlock()
				q.release()
				return nil, ctx.Err()
			}
			q.lanes[w.lane].Remove(w.elem)
			q.changedLocked()
			q.mu.Unlock()
			return nil, ctx.Err()
		}
	}
}

func (q *queue) releaseOnce() func() {
	var once sync.Once
	return func() { once.Do(q.release) }
}

func (q *queue) release() {
	q.mu.Lock()
	q.inflight--
	q.grantLocked()
	q.mu.Unlock()
}

// grantLocked lets waiters in while there is room, interactive lane first.
func (q *queue) grantLocked() {
	changed := false
	for q.inflight < q.limit {
		l := &q.lanes[laneInteractive]
		if l.Len() == 0 {
			l = &q.lanes[laneBackground]
		}
		front := l.Front()
		if front == nil {
			break
		}
		w := l.Remove(front).(*waiter)
		w.granted = true
		q.inflight++
		close(w.ready)
		changed = true
	}
	if changed {
		q.changedLocked()
	}
}

// changedLocked has the waiters told their positions: at once in a short
// queue, else soon.
func (q *queue) changedLocked() {
	if q.waitingLocked() <= shortQueue {
		q.positionsLocked()
		return
	}
	if q.tellPending {
		return
	}
	q.tellPending = true
	time.AfterFunc(positionInterval, func() {
		q.mu.Lock()
		q.tellPending = false
		q.positionsLocked()
		q.mu.Unlock()
	})
}

// positionsLocked tells every waiter its current position.
func (q *queue) positionsLocked() {
	pos := 0
	for lane := range q.lanes {
		for e := q.lanes[lane].Front(); e != nil; e = e.Next() {
			pos++
			w := e.Value.(*waiter)
			if w.told == pos {
				continue
			}
			w.told = pos
			select { // keep only the latest position
			case <-w.pos:
			default:
			}
			w.pos <- pos
		}
	}
}

// stats returns the number of running and waiting requests.
func (q *queue) stats() (inflight, waiting int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.inflight, q.waitingLocked()
}
