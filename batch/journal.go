package batch

import (
	"github.com/deskchat/deskchat/store"
)

// journalPage is how many stored rows a resume reads at once.
const journalPage = 1024

// stored walks a run's stored rows alongside the input, which is read in
// the same (index) order: it holds one page, never the whole run.
type stored struct {
	st   *store.Store
	name string
	page []store.BatchRow
	pos  int
	end  bool
}

// at returns the stored row index, if any. Indexes must be asked in
// increasing order.
func (s *stored) at(index int) (store.BatchRow, bool, error) {
	for !s.end {
		for s.pos < len(s.page) && s.page[s.pos].Index < index {
			s.pos++
		}
		if s.pos < len(s.page) {
			r := s.page[s.pos]
			return r, r.Index == index, nil
		}
		page, err := s.st.BatchRows(s.name, index, journalPage)
		if err != nil {
			return store.BatchRow{}, false, err
		}
		s.page, s.pos, s.end = page, 0, len(page) == 0
	}
	return store.BatchRow{}, false, nil
}

// committer persists finished rows: the rows finished while one commit
// runs share the next (one fsync for many rows), and each put returns once
// its row is on disk.
type committer struct {
	st   *store.Store
	name string
	in   chan pendingRow
}

type pendingRow struct {
	row  store.BatchRow
	done chan error
}

// maxCommit bounds the rows of one commit.
const maxCommit = 512

func newCommitter(st *store.Store, name string) *committer {
	c := &committer{st: st, name: name, in: make(chan pendingRow)}
	go c.loop()
	return c
}

func (c *committer) loop() {
	for p := range c.in {
		batch := []pendingRow{p}
	gather:
		for len(batch) < maxCommit {
			select {
			case q, ok := <-c.in:
				if !ok {
					break gather
				}
				batch = append(batch, q)
			default:
				break gather
			}
		}
		rows := make([]store.BatchRow, len(batch))
		for i, q := range batch {
			rows[i] = q.row
		}
		err := c.st.PutBatchRows(c.name, rows)
		for _, q := range batch {
			q.done <- err
		}
	}
}

// put stores r and returns once it is committed.
func (c *committer) put(r store.BatchRow) error {
	done := make(chan error, 1)
	c.in <- pendingRow{row: r, done: done}
	return <-done
}

func (c *committer) close() { close(c.in) }
