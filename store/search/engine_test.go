package search

// Tests of the engine's parts that need no store: posting blocks and the
// top-k selection. What Store.Search promises is tested in package store.

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// openDB opens a bbolt file with the index's buckets.
func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "index.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range Buckets() {
			if _, err := tx.CreateBucket(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestPostingBlocksSplitAndMergeOutOfOrder(t *testing.T) {
	// Ids arriving in any order (imports of old messages) land in the right
	// blocks; long lists split into blocks of bounded size.
	db := openDB(t)
	var ids []uint64
	for i := 0; i < 3000; i++ {
		ids = append(ids, uint64(i*7919%3001+1)<<12)
	}
	err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSearchPostings)
		for start := 0; start < len(ids); start += 500 {
			chunk := slices.Clone(ids[start : start+500])
			slices.Sort(chunk)
			var ops []postOp
			for _, id := range chunk {
				ops = append(ops, postOp{id: id, norm: 0x11})
			}
			if err := applyPostings(b, "tok", ops); err != nil {
				return err
			}
		}
		// Remove every third.
		var ops []postOp
		sorted := slices.Clone(ids)
		slices.Sort(sorted)
		for i, id := range sorted {
			if i%3 == 0 {
				ops = append(ops, postOp{id: id, del: true})
			}
		}
		if err := applyPostings(b, "tok", ops); err != nil {
			return err
		}
		got := readPostings(b, "tok", false)
		if len(got) != 2000 {
			return fmt.Errorf("%d postings, want 2000", len(got))
		}
		for i, p := range got {
			if i > 0 && p.id <= got[i-1].id {
				return fmt.Errorf("postings out of order at %d", i)
			}
			if want := sorted[i/2*3+i%2+1]; p.id != want {
				return fmt.Errorf("posting %d: %d, want %d", i, p.id, want)
			}
		}
		blocks := 0
		return b.ForEach(func(k, v []byte) error {
			blocks++
			if len(v) > maxBlockBytes {
				return fmt.Errorf("block of %d bytes", len(v))
			}
			if blocks > 100 {
				return fmt.Errorf("too many blocks")
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTopByScoreMatchesAFullSort(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 100, 1000} {
		for _, k := range []int{1, 3, 50, 264, 2000} {
			t.Run(fmt.Sprintf("%d of %d", k, n), func(t *testing.T) {
				cands := make([]candidate, n)
				for i := range cands {
					// Few distinct scores: many ties, broken by id.
					cands[i] = candidate{id: uint64(i*7919%1009 + 1), score: float64(i * 31 % 13)}
				}
				want := slices.Clone(cands)
				slices.SortFunc(want, byScore)
				got := topByScore(cands, k)
				if m := min(k, n); !slices.Equal(got[:m], want[:m]) {
					t.Fatalf("top %d differ", m)
				}
				if len(got) != n {
					t.Fatalf("%d candidates left of %d", len(got), n)
				}
			})
		}
	}
}

// TestFindWithoutAStore uses the package on its own: docs put in, found
// through a Lookup, a doc the lookup calls gone skipped, and a lookup's
// error returned as is.
func TestFindWithoutAStore(t *testing.T) {
	db := openDB(t)
	ix := New(Config{})
	texts := map[uint64]string{0: "Zebra notes", 1: "a zebra crossing", 2: "zebras everywhere", 3: "no match here"}
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	err := db.Update(func(tx *bolt.Tx) error {
		for seq := uint64(0); seq < 4; seq++ {
			if err := ix.Put(tx, Doc{ConversationID: "c", Seq: seq, Created: created.Add(time.Duration(seq) * time.Minute), Text: texts[seq]}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	gone := map[uint64]bool{2: true}
	lookup := func(convID string, seq uint64) (string, uint64, bool, error) {
		if gone[seq] {
			return "", 0, false, nil
		}
		return texts[seq], seq, true, nil
	}
	find := func(q string, l Lookup[uint64]) ([]uint64, error) {
		var seqs []uint64
		err := db.View(func(tx *bolt.Tx) error {
			hits, err := Find(tx, Parse(q), Options{}, l)
			for _, h := range hits {
				if h.Snippet == "" || len(h.Highlights) == 0 {
					return fmt.Errorf("hit %d without snippet or highlights: %+v", h.Item, h)
				}
				seqs = append(seqs, h.Item)
			}
			return err
		})
		return seqs, err
	}
	// "zebra" is a prefix too: "zebras" would match, but its doc is gone.
	if got, err := find("zebra", lookup); err != nil || !slices.Equal(got, []uint64{1, 0}) {
		t.Fatalf("zebra: %v %v, want [1 0] newest first", got, err)
	}
	boom := errors.New("disk on fire")
	failing := func(string, uint64) (string, uint64, bool, error) { return "", 0, false, boom }
	if _, err := find("zebra", failing); !errors.Is(err, boom) {
		t.Fatalf("lookup error: %v", err)
	}
	if got, err := find("   ", lookup); err != nil || got != nil {
		t.Fatalf("empty query: %v %v", got, err)
	}
}
