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
// any background one (titles, summaries), and every background one before any
// batch one (Complete for a batch run), so that a chat never waits behind a
// batch; FIFO within a lane.
type queueLane int

// Lanes, in the order they are served.
const (
	laneInteractive queueLane = iota
	laneBackground
	laneBatch
	laneCount
)

// Queue defaults.
const (
	defaultMaxConcurrent = 4
	defaultMaxQueued     = 64
)

// queue limits how many streams run at once on one provider and keeps the
// rest waiting in FIFO lanes (see queueLane). Safe for concurrent use.
type queue struct {
	name       string
	mu         sync.Mutex
	limit      int
	maxWaiting int
	inflight   int
	lanes      [laneCount]list.List // of *waiter
	// tellPending: a position update of a long queue is scheduled.
	tellPending bool
	// onWait is a test hook: called (without mu) when a request starts
	// waiting in lane.
	onWait func(lane queueLane)
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

func (q *queue) waitingLocked() int {
	n := 0
	for i := range q.lanes {
		n += q.lanes[i].Len()
	}
	return n
}

// aheadLocked counts the waiters served before a newcomer to lane (itself
// included, when it is in): every lane above it, and its own.
func (q *queue) aheadLocked(lane queueLane) int {
	n := 0
	for l := laneInteractive; l <= lane; l++ {
		n += q.lanes[l].Len()
	}
	return n
}

// fullLocked reports whether a newcomer to lane is over the bound on
// waiters. Batch waiters do not count against a chat's requests: a batch
// run that fills the queue never turns a chat away.
func (q *queue) fullLocked(lane queueLane) bool {
	waiting := q.waitingLocked()
	if lane != laneBatch {
		waiting -= q.lanes[laneBatch].Len()
	}
	return waiting >= q.maxWaiting
}

// behindLocked reports whether any waiter is in a lane below lane.
func (q *queue) behindLocked(lane queueLane) bool {
	for l := lane + 1; l < laneCount; l++ {
		if q.lanes[l].Len() > 0 {
			return true
		}
	}
	return false
}

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
	if q.fullLocked(lane) {
		q.mu.Unlock()
		return nil, &ProviderError{Kind: llm.KindQueueFull, Provider: q.name,
			Sentence: fmt.Sprintf("Too many requests are waiting for %s; try again when some have finished.", q.name)}
	}
	w := &waiter{ready: make(chan struct{}), pos: make(chan int, 1), lane: lane}
	w.elem = q.lanes[lane].PushBack(w)
	pos := q.aheadLocked(lane)
	w.told = pos
	w.pos <- pos // its own position at once
	if q.behindLocked(lane) {
		q.changedLocked() // waiters of lower lanes moved back
	}
	onWait := q.onWait
	q.mu.Unlock()
	if onWait != nil {
		onWait(lane)
	}

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

// grantLocked lets waiters in while there is room, the highest lane first.
func (q *queue) grantLocked() {
	changed := false
	for q.inflight < q.limit {
		var front *list.Element
		var l *list.List
		for i := range q.lanes {
			if l, front = &q.lanes[i], q.lanes[i].Front(); front != nil {
				break
			}
		}
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
