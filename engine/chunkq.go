package engine

import (
	"sync"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
)

// maxPending bounds how many chunks the pump may read ahead of the loop
// that persists and delivers them.
const maxPending = 1024

// deliverEvery is the shortest time between two batches the loop takes
// from a stream while chunks keep arriving: a chunk that finds the loop
// idle is taken at once (the first token is never held back), the chunks
// of a burst are gathered for up to this long and delivered as one Delta.
// Each batch wakes the loop, the answer's observer and the caller; a
// wake-up per chunk cost more than parsing the chunk. The end of a stream
// is never held back (chunkQueue.end).
const deliverEvery = time.Millisecond

// chunkQueue hands chunks from the goroutine that reads a stream (the pump)
// to the loop that persists and delivers them. A fast stream costs a mutex
// per chunk and one wake-up per batch, where a channel would cost a
// goroutine hand-off per chunk.
//
// One goroutine puts, one takes. The zero value is not usable: use
// newChunkQueue.
type chunkQueue struct {
	mu     sync.Mutex
	buf    []llm.Chunk
	closed bool
	ready  chan struct{} // holds a token while buf is not empty or the queue is closed
	space  chan struct{} // holds a token after take emptied a full queue
	end    chan struct{} // closed by close
}

func newChunkQueue() *chunkQueue {
	return &chunkQueue{buf: chunkBuf(), ready: make(chan struct{}, 1), space: make(chan struct{}, 1), end: make(chan struct{})}
}

// chunkBufs keeps the storage of finished streams' batches (a burst grows
// one to hundreds of chunks) for the next streams.
var chunkBufs sync.Pool // of *[]llm.Chunk

// chunkBuf returns an empty slice, with room when a stream left some.
func chunkBuf() []llm.Chunk {
	if p, ok := chunkBufs.Get().(*[]llm.Chunk); ok {
		return (*p)[:0]
	}
	return nil
}

// recycle gives the queue's storage and the taker's last batch to later
// streams. Call it once take has said the queue is closed, when neither
// side uses them any more.
func (q *chunkQueue) recycle(batch []llm.Chunk) {
	for _, b := range [][]llm.Chunk{q.buf, batch} {
		if c := cap(b); c > 0 && c <= 2*maxPending {
			b = b[:c]
			clear(b) // keep no text alive
			chunkBufs.Put(&b)
		}
	}
	q.buf = nil
}

// put adds c, waiting while maxPending chunks are waiting already. It
// returns false, dropping c, when stop closes first.
func (q *chunkQueue) put(c llm.Chunk, stop <-chan struct{}) bool {
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
	close(q.end)
	q.signal()
}

func (q *chunkQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default: // a wake-up is pending already
	}
}

// take returns what is waiting, giving the queue dst's storage for what
// comes next (dst must not be used after), and says
// whether the queue is closed and drained. Call it after receiving from
// ready.
func (q *chunkQueue) take(dst []llm.Chunk) (batch []llm.Chunk, closed bool) {
	q.mu.Lock()
	full := len(q.buf) >= maxPending
	// The two slices trade places: nothing is copied, and once both have
	// grown to a burst's size nothing is allocated.
	batch, q.buf = q.buf, dst[:0]
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
