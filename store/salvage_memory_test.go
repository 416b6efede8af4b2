package store

import (
	"math/rand"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// historyWithBlobs writes a history in dir with n attachments of 2 MB of
// random bytes, one per message.
func historyWithBlobs(tb testing.TB, dir string, n int) {
	tb.Helper()
	s, err := Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	c, err := s.CreateConversation(Conversation{Title: "pictures"})
	if err != nil {
		tb.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for range n {
		data := make([]byte, 2<<20)
		rng.Read(data)
		a := Attachment{Name: "scan.bin", Mime: "application/octet-stream", SHA256: SHA256(data), Data: data, Size: int64(len(data))}
		if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, State: StateDone, Content: "look", Attachments: []Attachment{a}}); err != nil {
			tb.Fatal(err)
		}
	}
}

// peakHeapMB runs f and returns the most heap its objects took meanwhile
// (live and not yet swept), with the collector run often (GOGC 10) so
// that what f holds, not the collector's slack, sets the figure.
func peakHeapMB(f func()) float64 {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	done := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var top uint64
		for {
			select {
			case <-done:
				peak <- top
				return
			default:
			}
			metrics.Read(sample)
			top = max(top, sample[0].Value.Uint64())
			runtime.Gosched()
		}
	}()
	f()
	close(done)
	return float64(<-peak) / (1 << 20)
}

// TestSalvageMemoryDoesNotGrowWithAttachments: check, the list read page
// by page, and recover never hold a history's attachments all at once:
// recover copies them in transactions of at most rawChunk bytes, the
// others only look at them. With 80 MB more attachments, each takes less
// than 24 MB more heap. (They held every attachment: a history of 2 GB of
// pictures took 2 GB to check, 4 GB to recover.)
func TestSalvageMemoryDoesNotGrowWithAttachments(t *testing.T) {
	small, large := t.TempDir(), t.TempDir()
	historyWithBlobs(t, small, 20)
	historyWithBlobs(t, large, 60)
	steps := []struct {
		name string
		run  func(dir string)
	}{
		{"check", func(dir string) {
			if rep, err := Check(dir); err != nil || !rep.Healthy {
				t.Errorf("check: %+v, %v", rep, err)
			}
		}},
		{"list page by page", func(dir string) {
			s, err := OpenReadOnly(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if convs, _, err := s.ReadableConversations(); err != nil || len(convs) != 1 {
				t.Errorf("list: %d, %v", len(convs), err)
			}
		}},
		{"recover", func(dir string) {
			if rep, err := Recover(dir, time.Now()); err != nil || rep.Saved != 1 {
				t.Errorf("recover: %+v, %v", rep, err)
			}
		}},
	}
	for _, step := range steps {
		a := peakHeapMB(func() { step.run(small) })
		b := peakHeapMB(func() { step.run(large) })
		t.Logf("%s: %.0f MB of heap with 40 MB of attachments, %.0f MB with 120 MB", step.name, a, b)
		if b-a >= 24 {
			t.Errorf("%s took %.0f MB of heap with 40 MB of attachments and %.0f MB with 120 MB", step.name, a, b)
		}
	}
	s := open(t, large)
	defer s.Close()
	if n, size, err := s.BlobStats(); err != nil || n != 60 || size != 120<<20 {
		t.Fatalf("after recover: %d attachments, %d bytes, %v", n, size, err)
	}
}

// BenchmarkSalvageMemory: check_peak_heap_mb_200mb_attachments and
// recover_peak_heap_mb_200mb_attachments, the heap check and recover take
// on a history holding 200 MB of attachments (GOGC 10), beside the size
// of those attachments (salvage_attachments_mb): before, each held them
// all.
func BenchmarkSalvageMemory(b *testing.B) {
	dir := b.TempDir()
	historyWithBlobs(b, dir, 100)
	var check, recover float64
	for range b.N {
		check = peakHeapMB(func() { Check(dir) })
		recover = peakHeapMB(func() { Recover(dir, time.Now()) })
	}
	b.ReportMetric(check, "check_peak_heap_mb_200mb_attachments@MB")
	b.ReportMetric(recover, "recover_peak_heap_mb_200mb_attachments@MB")
	b.ReportMetric(200, "salvage_attachments_mb@MB")
}
