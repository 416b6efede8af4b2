package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Batch runs (deskchat batch run): the run's record, and each finished row
// as it finishes, so that a run killed midway resumes where it was.
var (
	bucketBatches   = []byte("batches")    // name → BatchRun JSON
	bucketBatchRows = []byte("batch_rows") // name + 0 + row index (8, big-endian) → BatchRow JSON
)

// Batch run states.
const (
	BatchRunning   = "running"
	BatchDone      = "done"
	BatchCancelled = "cancelled"
	// BatchWaiting: a provider run (ModeProvider) whose requests are at
	// the provider, nobody polling: "batch resume" checks again.
	BatchWaiting = "waiting"
)

// Batch run modes: row by row through the engine (the default; "" in
// records made before modes), or through the provider's own batch API
// (OpenAI's Batch API: one upload, answered within 24 h at half price).
const (
	ModeEngine   = "engine"
	ModeProvider = "provider"
)

// Batch row states: done (answered) or failed (the error says why). Only
// done rows are skipped on resume; failed ones are asked again.
const (
	BatchRowDone   = "done"
	BatchRowFailed = "failed"
	// BatchRowWaiting: sent to the provider in a remote batch (the row's
	// Part), no answer yet. Counted neither done nor failed, asked again
	// on resume unless its part is still at the provider.
	BatchRowWaiting = "waiting"
)

// BatchRun is one batch run: what it asks, of whom, and how far it got.
type BatchRun struct {
	V        int    `json:"v"`
	Name     string `json:"name"`
	Input    string `json:"input"` // the input file's path
	Template string `json:"template"`
	System   string `json:"system,omitempty"`
	Provider string `json:"provider,omitempty"`
	Model    string `json:"model,omitempty"`
	BaseURL  string `json:"base_url,omitempty"`
	// Limits the run was started with (0: none).
	Concurrency int       `json:"concurrency"`
	RPM         int       `json:"rpm,omitempty"`
	TPM         int       `json:"tpm,omitempty"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	State       string    `json:"state"`
	// Rows is the input's row count (from the first pass); Done and
	// Failed count the stored rows in each state, Cost sums them.
	Rows   int     `json:"rows"`
	Done   int     `json:"done"`
	Failed int     `json:"failed"`
	Cost   float64 `json:"cost"`
	// Mode is ModeEngine ("" in older records) or ModeProvider.
	Mode string `json:"mode,omitempty"`
	// Parts are a provider run's remote batches, in the order made.
	Parts []BatchPart `json:"parts,omitempty"`
}

// BatchPart is one remote batch of a provider run: the requests file
// uploaded and the batch made from it, each id recorded as soon as the
// provider gave it, so that a run killed at any step goes on without
// uploading again.
type BatchPart struct {
	N        int    `json:"n"` // 1-based; the rows sent in it have Part N
	From     int    `json:"from"`
	To       int    `json:"to"` // row indexes of the first and last request
	Requests int    `json:"requests"`
	Bytes    int64  `json:"bytes"`
	FileID   string `json:"file_id,omitempty"`
	BatchID  string `json:"batch_id,omitempty"`
	// Status is the provider's (validating, in_progress, finalizing,
	// completed, failed, expired, cancelling, cancelled).
	Status       string `json:"status,omitempty"`
	Completed    int    `json:"completed,omitempty"` // the provider's request counts
	Failed       int    `json:"failed,omitempty"`
	OutputFileID string `json:"output_file_id,omitempty"`
	ErrorFileID  string `json:"error_file_id,omitempty"`
	// Collected: its answers are stored as rows (and its ledger line
	// written); nothing more is asked of the provider for it.
	Collected bool      `json:"collected,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// BatchRow is one finished row: the input's fields (names in input order)
// and the answer or the error.
type BatchRow struct {
	V         int      `json:"v"`
	Index     int      `json:"index"` // 0-based, in input order
	Names     []string `json:"names"`
	Values    []string `json:"values"`
	Answer    string   `json:"answer"`
	State     string   `json:"state"`
	Error     string   `json:"error,omitempty"`
	TokensIn  int      `json:"tokens_in"`
	TokensOut int      `json:"tokens_out"`
	Cost      float64  `json:"cost"`
	Cached    bool     `json:"cached,omitempty"`
	Provider  string   `json:"provider,omitempty"`
	Model     string   `json:"model,omitempty"`
	// Part is the provider run's part (BatchPart.N) the row was sent in;
	// 0 in engine mode.
	Part int `json:"part,omitempty"`
}

func batchRowKey(name string, index int) []byte {
	k := make([]byte, 0, len(name)+9)
	k = append(k, name...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint64(k, uint64(index))
}

func batchRowPrefix(name string) []byte { return append([]byte(name), 0) }

func checkBatchName(op, name string) error {
	if strings.TrimSpace(name) == "" || strings.ContainsRune(name, 0) {
		return &Error{Op: op, Msg: "A batch run needs a name (no NUL characters).", Err: ErrNotFound}
	}
	return nil
}

// PutBatch creates or updates the run r.Name, keeping its first CreatedAt
// and the counts and cost its stored rows make (PutBatchRows keeps them),
// and, when r.Parts is nil, its remote parts (PutBatchPart keeps them).
func (s *Store) PutBatch(r BatchRun) error {
	if err := checkBatchName("put batch", r.Name); err != nil {
		return err
	}
	r.V = recordVersion
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBatches)
		if old := b.Get([]byte(r.Name)); old != nil {
			var prev BatchRun
			if json.Unmarshal(old, &prev) == nil {
				r.CreatedAt, r.Done, r.Failed, r.Cost = prev.CreatedAt, prev.Done, prev.Failed, prev.Cost
				if r.Parts == nil {
					r.Parts = prev.Parts
				}
			}
		}
		now := s.now().UTC()
		if r.CreatedAt.IsZero() {
			r.CreatedAt = now
		}
		r.UpdatedAt = now
		return putJSON(b, []byte(r.Name), r)
	})
	return wrap("put batch", err)
}

// PutBatchPart records part p of the provider run name (replacing the
// part of the same N, else appending it) and, when usage is not nil, its
// line in the usage ledger, in one transaction: a part's answers are
// billed once however the run is stopped.
func (s *Store) PutBatchPart(name string, p BatchPart, usage *UsageRecord) error {
	rec := s.usageRecord(usage)
	err := s.update(func(tx *bolt.Tx) error {
		runs := tx.Bucket(bucketBatches)
		run, err := batchIn(runs, name)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(run.Parts, func(q BatchPart) bool { return q.N == p.N })
		if i < 0 {
			run.Parts = append(run.Parts, p)
		} else {
			run.Parts[i] = p
		}
		run.UpdatedAt = s.now().UTC()
		if err := putJSON(runs, []byte(name), run); err != nil {
			return err
		}
		return recordRequest(tx, rec, nil, nil)
	})
	return namedError("put batch part", "batch run", name, err)
}

// batchIn reads the run called name in a transaction's batches bucket.
func batchIn(runs *bolt.Bucket, name string) (BatchRun, error) {
	var run BatchRun
	v := runs.Get([]byte(name))
	if v == nil {
		return run, fmt.Errorf("batch run %q: %w", name, ErrNotFound)
	}
	return run, json.Unmarshal(v, &run)
}

// Batch returns the run called name.
func (s *Store) Batch(name string) (BatchRun, error) {
	return getNamed[BatchRun](s, bucketBatches, "batch run", name)
}

// Batches returns every run, by name.
func (s *Store) Batches() ([]BatchRun, error) {
	return listNamed[BatchRun](s, bucketBatches, "batch run")
}

// PutBatchRows stores finished rows of the run name in one transaction
// (one fsync for many rows) and keeps the run's counts and cost: a row
// stored again (a failed row asked again on resume) replaces its earlier
// state in them.
func (s *Store) PutBatchRows(name string, rows []BatchRow) error {
	if err := checkBatchName("put batch rows", name); err != nil {
		return err
	}
	err := s.write(func(tx *bolt.Tx) error {
		runs, b := tx.Bucket(bucketBatches), tx.Bucket(bucketBatchRows)
		// Rows finish nearly in input order: pages filled whole halve
		// the file, as for the other append-only buckets.
		b.FillPercent = 1.0
		run, err := batchIn(runs, name)
		if err != nil {
			return err
		}
		for _, r := range rows {
			r.V = recordVersion
			key := batchRowKey(name, r.Index)
			if old := b.Get(key); old != nil {
				var prev BatchRow
				if json.Unmarshal(old, &prev) == nil {
					run.count(prev, -1)
				}
			}
			if err := putJSON(b, key, r); err != nil {
				return err
			}
			run.count(r, 1)
		}
		run.UpdatedAt = s.now().UTC()
		return putJSON(runs, []byte(name), run)
	})
	return namedError("put batch rows", "batch run", name, err)
}

// count adds (sign 1) or takes away (-1) row r from the run's tallies.
func (r *BatchRun) count(row BatchRow, sign int) {
	switch row.State {
	case BatchRowDone:
		r.Done += sign
	case BatchRowFailed:
		r.Failed += sign
	}
	r.Cost += float64(sign) * row.Cost
	r.Cost = max(r.Cost, 0) // float rounding after a take-away

}

// BatchRows returns up to limit stored rows of the run name whose index is
// at least from, in input order: a page, so that a run of any size is read
// in bounded memory.
func (s *Store) BatchRows(name string, from, limit int) ([]BatchRow, error) {
	var out []BatchRow
	prefix := batchRowPrefix(name)
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketBatchRows).Cursor()
		for k, v := c.Seek(batchRowKey(name, from)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			if len(k) != len(prefix)+8 {
				continue
			}
			var r BatchRow
			if json.Unmarshal(v, &r) != nil {
				continue // a damaged row is asked again on resume
			}
			out = append(out, r)
		}
		return nil
	})
	return out, wrap("read batch rows", err)
}

// DeleteBatch removes the run name and its rows.
func (s *Store) DeleteBatch(name string) error {
	prefix := batchRowPrefix(name)
	err := s.update(func(tx *bolt.Tx) error {
		runs := tx.Bucket(bucketBatches)
		if runs.Get([]byte(name)) == nil {
			return fmt.Errorf("batch run %q: %w", name, ErrNotFound)
		}
		c := tx.Bucket(bucketBatchRows).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return runs.Delete([]byte(name))
	})
	return namedError("delete batch run", "batch run", name, err)
}
