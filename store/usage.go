package store

import (
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// bucketUsage is the usage ledger: one record per request, keyed by time so
// that a cursor walks it in order and a period is one seek.
var bucketUsage = []byte("usage") // time (8, unix ns) + sequence (8) → UsageRecord JSON

// UsageRecord is what one request used and cost.
type UsageRecord struct {
	V              int       `json:"v"`
	Time           time.Time `json:"time"`
	ConversationID string    `json:"conversation_id,omitempty"`
	// Label names a request made outside any conversation ("batch NAME").
	Label            string `json:"label,omitempty"`
	Provider         string `json:"provider"`
	Model            string `json:"model"`
	PromptTokens     int    `json:"prompt_tokens"`
	CompletionTokens int    `json:"completion_tokens"`
	// Estimated: the provider sent no usable usage; the tokens were counted
	// by deskchat.
	Estimated  bool  `json:"estimated,omitempty"`
	Cached     bool  `json:"cached,omitempty"`
	Background bool  `json:"background,omitempty"` // titles, summaries
	TTFTMillis int64 `json:"ttft_ms,omitempty"`
	DurationMs int64 `json:"duration_ms"`
	// Cost in US dollars; nil when the model's price is unknown.
	Cost *float64 `json:"cost,omitempty"`
	// Outcome: "done", "stopped", "failed".
	Outcome string `json:"outcome"`
}

// AddUsage appends r to the ledger.
func (s *Store) AddUsage(r UsageRecord) error { return s.RecordRequest(&r, nil, nil) }

// Usage returns the ledger's records with from <= Time < to, oldest first.
// A zero to means no upper bound.
func (s *Store) Usage(from, to time.Time) ([]UsageRecord, error) {
	var out []UsageRecord
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketUsage).Cursor()
		start := make([]byte, 8)
		if !from.IsZero() {
			binary.BigEndian.PutUint64(start, uint64(from.UnixNano()))
		}
		for k, v := c.Seek(start); k != nil; k, v = c.Next() {
			if !to.IsZero() && int64(binary.BigEndian.Uint64(k)) >= to.UnixNano() {
				break
			}
			var r UsageRecord
			if json.Unmarshal(v, &r) != nil {
				continue // a damaged record costs its own line, not the report
			}
			out = append(out, r)
		}
		return nil
	})
	return out, wrap("read usage", err)
}

// Stats returns stat records (see PutStat) to store. It is called inside
// the write transaction, so that of two writes the one committed last also
// read the counters last; it may be called more than once (see Store.write)
// and may be nil.
type Stats func() map[string][]byte

// RecordRequest appends r to the ledger (when r is not nil) and stores the
// given stat records (see PutStat) and the answer to cache (when cache is
// not nil), in one transaction: what one request leaves behind besides its
// messages, for one commit.
func (s *Store) RecordRequest(r *UsageRecord, stats Stats, cache *CacheWrite) error {
	rec := s.usageRecord(r)
	err := s.write(func(tx *bolt.Tx) error { return recordRequest(tx, rec, stats, cache) })
	return wrap("record request", err)
}

// usageRecord readies r for storing; nil stays nil.
func (s *Store) usageRecord(r *UsageRecord) *UsageRecord {
	if r == nil {
		return nil
	}
	rec := *r
	rec.V = recordVersion
	if rec.Time.IsZero() {
		rec.Time = s.now()
	}
	rec.Time = rec.Time.UTC()
	return &rec
}

// RecordRequestLater is RecordRequest without the wait: the write is
// queued behind every write asked for before it and committed with or
// before the next one asked for after it, so a batch row stored after its
// request's ledger line (PutBatchRows) is never on disk without it. A crash
// before that next commit loses the line; a failed write is lost too (the
// ledger is not worth failing a run for). With no write after it, it is
// committed alone after lazyLead, or by Settle or Close.
func (s *Store) RecordRequestLater(r *UsageRecord, stats Stats, cache *CacheWrite) {
	if s.writable() != nil {
		return
	}
	rec := s.usageRecord(r)
	s.group.start(func(tx *bolt.Tx) error { return recordRequest(tx, rec, stats, cache) }, s.commitGroup)
}

// Settle returns once every write queued by RecordRequestLater is
// committed (or has failed).
func (s *Store) Settle() { s.group.settle() }

func recordRequest(tx *bolt.Tx, rec *UsageRecord, stats Stats, cache *CacheWrite) error {
	if cache != nil {
		if _, err := cachePut(tx, *cache); err != nil {
			return err
		}
	}
	if rec != nil {
		b := tx.Bucket(bucketUsage)
		b.FillPercent = 1.0
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		if err := putJSON(b, usageKey(rec.Time, seq), *rec); err != nil {
			return err
		}
	}
	if stats == nil {
		return nil
	}
	for k, v := range stats() {
		if err := tx.Bucket(bucketStats).Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

func usageKey(t time.Time, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}
