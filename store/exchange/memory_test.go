package exchange

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
)

// heapPeak samples the Go heap (live objects and garbage not yet swept, and
// the collector's goal) and keeps the largest value seen.
type heapPeak struct {
	samples []metrics.Sample
	peak    uint64
}

func newHeapPeak() *heapPeak {
	return &heapPeak{samples: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/goal:bytes"}}}
}

func (h *heapPeak) sample() {
	metrics.Read(h.samples)
	for _, s := range h.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			h.peak = max(h.peak, s.Value.Uint64())
		}
	}
}

// TestImportMemoryIsBounded imports a large ChatGPT export from a file and
// checks that the heap never came near the file's size: conversations are
// decoded one at a time and stored in bounded batches. The heap is sampled
// at every progress call (each chunk of the first pass, each conversation
// of the second), and the collector's goal bounds it between samples.
// DESKCHAT_IMPORT_TEST_MB sets the file's size (default 96, 48 under the
// race detector; 1024 works too, with the same peak).
func TestImportMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and imports a large file")
	}
	mb := 96
	if raceEnabled {
		mb = 48
	}
	if v, err := strconv.Atoi(os.Getenv("DESKCHAT_IMPORT_TEST_MB")); err == nil && v > 0 {
		mb = v
	}
	// 40 messages of 2 KB each: about 90 KB per conversation.
	convs := mb << 20 / (40 * 2200)
	path := filepath.Join(t.TempDir(), "conversations.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeChatGPT(f, convs, 40, 2000); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)

	st := openStore(t)
	runtime.GC()
	h := newHeapPeak()
	h.sample()
	base := h.peak
	rep, err := ImportFile(ctx, st, path, ImportOptions{Progress: func(int, int) { h.sample() }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Conversations != convs || rep.Messages != convs*40 {
		t.Fatalf("report %+v, want %d conversations", rep, convs)
	}
	const limit = 16 << 20 // measured: about 10 MB whatever the size
	t.Logf("file %d MB, %d conversations; heap before %.1f MB, peak %.1f MB", fi.Size()>>20, convs, float64(base)/(1<<20), float64(h.peak)/(1<<20))
	if h.peak > limit {
		t.Fatalf("heap peaked at %d MB importing a %d MB file (limit %d MB)", h.peak>>20, fi.Size()>>20, limit>>20)
	}
	if fi.Size() < 3*limit {
		t.Fatalf("the file (%d MB) is too small to show anything", fi.Size()>>20)
	}
}
