package store

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkBackup100k measures a backup of the generated 100,000-message
// history (as BenchmarkHistory100k's) and what it costs a writer meanwhile:
//
//	go test -run '^$' -bench Backup100k -benchtime 1x ./store
//
// backup_100k_ms is one snapshot (median of 3); backup_write_floor_ms_max
// the slowest of a writer's commits (one message each, as a stream's
// flush) with no snapshot running, backup_write_stall_ms_max the slowest
// while snapshots run; backup_write_remap_stall_ms the commit that must grow
// the file's memory map during a snapshot (the worst case: a read
// transaction holds bbolt's mmap lock shared, and a remap waits for it),
// beside backup_write_4mb_floor_ms, the same commit with no snapshot.
func BenchmarkBackup100k(b *testing.B) {
	dir := b.TempDir()
	gen := genHistory(b, dir, 100_000, 1000)
	s := openBench(b, dir)
	fi, _ := os.Stat(s.FilePath())
	b.Logf("history of %d messages, %d MB file", gen.messages, fi.Size()>>20)
	r := rand.New(rand.NewPCG(11, 11))
	appendOne := func(text string) time.Duration {
		m := Message{ConversationID: gen.convs[r.IntN(len(gen.convs))], Role: RoleAssistant, Content: text}
		t0 := time.Now()
		if _, err := s.AppendMessage(m); err != nil {
			b.Fatal(err)
		}
		return time.Since(t0)
	}

	// The floor: a writer alone.
	var floor []time.Duration
	for i := 0; i < 100; i++ {
		floor = append(floor, appendOne(gen.text(r, RoleAssistant)))
	}

	// Snapshots with a writer committing all the while.
	var snaps, during []time.Duration
	for i := 0; i < 3; i++ {
		done := make(chan time.Duration)
		snapStart := time.Now()
		var worst, worstAt time.Duration
		go func() {
			t0 := time.Now()
			bk, err := s.WriteBackup(time.Date(2026, 1, 1+i, 0, 0, 0, 0, time.UTC))
			if err != nil {
				b.Error(err)
			}
			done <- time.Since(t0)
			b.Cleanup(func() { os.Remove(filepath.Join(BackupsDir(dir), bk.Name)) })
		}()
	writing:
		for {
			select {
			case d := <-done:
				snaps = append(snaps, d)
				b.Logf("snapshot %v, slowest commit %v at %v", d, worst, worstAt)
				break writing
			default:
				at := time.Since(snapStart)
				l := appendOne(gen.text(r, RoleAssistant))
				if l > worst {
					worst, worstAt = l, at
				}
				during = append(during, l)
			}
		}
	}
	b.ReportMetric(ms(pct(snaps, 50)), "backup_100k_ms@ms")
	b.ReportMetric(float64(fi.Size())/(1<<20), "backup_100k_file_mb@MB")
	b.ReportMetric(ms(pct(floor, 100)), "backup_write_floor_ms_max@ms")
	b.ReportMetric(ms(pct(floor, 50)), "backup_write_floor_ms_p50@ms")
	b.ReportMetric(ms(pct(during, 100)), "backup_write_stall_ms_max@ms")
	b.ReportMetric(ms(pct(during, 50)), "backup_write_during_ms_p50@ms")
	b.ReportMetric(float64(len(during)), "backup_write_commits_during@n")

	// The floor of the commit below: 4 MB, with no snapshot running.
	var big []time.Duration
	for i := 0; i < 3; i++ {
		big = append(big, appendOne(strings.Repeat("z", 4<<20)))
	}
	b.ReportMetric(ms(pct(big, 50)), "backup_write_4mb_floor_ms@ms")

	// The worst case: the file's used part at the end of its memory map,
	// so that the next commit must map it again while a snapshot reads.
	fillToMapEnd(b, s)
	viewStart := time.Now()
	started := make(chan struct{})
	done := make(chan error)
	go func() {
		err := s.db.View(func(tx *bolt.Tx) error {
			close(started)
			f, err := os.CreateTemp(b.TempDir(), "snap")
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = tx.WriteTo(f)
			return err
		})
		done <- err
	}()
	<-started
	remap := appendOne(strings.Repeat("x", 4<<20))
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.Logf("remap case: snapshot %v, the growing commit %v", time.Since(viewStart), remap)
	b.ReportMetric(ms(remap), "backup_write_remap_stall_ms@ms")
}

// fillToMapEnd appends until the file's used part is near the
// end of bbolt's memory map (within 3 MB) (its size doubles up to 1 GB).
func fillToMapEnd(b *testing.B, s *Store) {
	b.Helper()
	used := func() int64 {
		var n int64
		s.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
		return n
	}
	fi, err := os.Stat(s.FilePath())
	if err != nil {
		b.Fatal(err)
	}
	end := int64(32 << 10)
	for end < max(used(), fi.Size()) {
		end *= 2
	}
	c, err := s.CreateConversation(Conversation{Title: "filler"})
	if err != nil {
		b.Fatal(err)
	}
	for u, i := used(), 0; end-u > 3<<20 && i < 1000; u, i = used(), i+1 {
		chunk := min((end-u)/2, 1<<20)
		if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: strings.Repeat("y", int(max(chunk, 4096)))}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("filled to %d MB of a %d MB map", used()>>20, end>>20)
}
