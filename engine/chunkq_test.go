package engine

import (
	"testing"

	"github.com/deskchat/deskchat/engine/llm"
)

func TestChunkQueueBatchesAndBoundsReadAhead(t *testing.T) {
	q := newChunkQueue()
	stop := make(chan struct{})
	for i := 0; i < maxPending; i++ {
		if !q.put(llm.Chunk{Text: "x"}, stop) {
			t.Fatal("put refused below the bound")
		}
	}
	// The next put waits for room: it must not return before take.
	done := make(chan bool)
	go func() { done <- q.put(llm.Chunk{Text: "last"}, stop) }()
	select {
	case <-done:
		t.Fatal("put past maxPending did not wait")
	default:
	}
	<-q.ready
	batch, closed := q.take(nil)
	if len(batch) != maxPending || closed {
		t.Fatalf("first batch: %d chunks, closed %v; want %d, false", len(batch), closed, maxPending)
	}
	if ok := <-done; !ok {
		t.Fatal("waiting put was dropped after take made room")
	}
	q.close()
	<-q.ready
	batch, closed = q.take(batch)
	if len(batch) != 1 || batch[0].Text != "last" || !closed {
		t.Fatalf("last batch: %+v closed %v", batch, closed)
	}
}

func TestChunkQueuePutGivesUpOnStop(t *testing.T) {
	q := newChunkQueue()
	stop := make(chan struct{})
	for i := 0; i < maxPending; i++ {
		q.put(llm.Chunk{}, stop)
	}
	close(stop)
	if q.put(llm.Chunk{}, stop) {
		t.Fatal("put on a full queue returned true after stop")
	}
}
