package engine

import "sync"

// maxPending bounds how many chunks the pump may read ahead of the loop
// that persists and delivers them.
const maxPending = 1024

// chunkQueue hands chunks from the goroutine that reads a stream (the pump)
// to the loop that persists and delivers them. A fast stream costs a mutex
// per chunk and one wake-up per batch, where a channel would cost a
// goroutine hand-off per chunk.
//
// One goroutine puts, one takes. The zero value is not usable: use
// newChunkQueue.
type chunkQueue struct {
	mu     sync.Mutex
	buf    []Chunk
	closed bool
	ready  chan struct{} // holds a token while buf is not empty or the queue is closed
	space  chan struct{} // holds a token after take emptied a full queue
}

func newChunkQueue() *chunkQueue {
	return &chunkQueue{ready: make(chan struct{}, 1), space: make(chan struct{}, 1)}
}

// put adds c, waiting while maxPending chunks are waiting already. It
// returns false, dropping c, when stop closes first.
func (q *chunkQueue) put(c Chunk, stop <-chan struct{}) bool {
	for {
		q.mu.Lock()
		if len(q.buf) < maxPending {
			q.buf = append(q.buf, c)
			q.mu.Unlock()
			q.signal()
			return true
		}
		q.mu.Unlock()
		select {
		case <-q.space:
		case <-stop:
			return false
		}
	}
}

// close tells the taker that no more chunks will come.
func (q *chunkQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *chunkQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// take moves what is waiting into dst (reusing its storage) and says
// whether the queue is closed and drained. Call it after receiving from
// ready.
func (q *chunkQueue) take(dst []Chunk) (batch []Chunk, closed bool) {
	q.mu.Lock()
	full := len(q.buf) >= maxPending
	batch = append(dst[:0], q.buf...)
	q.buf = q.buf[:0]
	closed = q.closed
	q.mu.Unlock()
	if full {
		select {
		case q.space <- struct{}{}:
		default:
		}
	}
	return batch, closed
}
