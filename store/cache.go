package store

import (
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The response cache: complete answers keyed by a hash of the request that
// produced them. The engine keeps an in-memory LRU in front of it and decides
// what may be cached; the store enforces expiry and the size bound on disk.
var (
	bucketCache     = []byte("cache")      // key (32 bytes) → CacheEntry JSON
	bucketCacheUsed = []byte("cache_used") // used_at (8) + key → nil: eviction order
)

// CacheEntry is one cached answer.
type CacheEntry struct {
	V                int       `json:"v"`
	Provider         string    `json:"provider"`
	Model            string    `json:"model"`
	Content          string    `json:"content"`
	Reasoning        string    `json:"reasoning,omitempty"`
	Finish           string    `json:"finish"`
	PromptTokens     int       `json:"prompt_tokens,omitempty"`
	CompletionTokens int       `json:"completion_tokens,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	UsedAt           time.Time `json:"used_at"`
}

// Size is what an entry counts against the cache's size bound.
func (e CacheEntry) Size() int64 {
	return int64(len(e.Content) + len(e.Reasoning) + len(e.Provider) + len(e.Model) + 128)
}

// usedValue is what the eviction index keeps of an entry, so that eviction
// never decodes the answers themselves.
func usedValue(e CacheEntry) []byte {
	v := make([]byte, 16)
	binary.BigEndian.PutUint64(v, uint64(e.Size()))
	binary.BigEndian.PutUint64(v[8:], uint64(e.ExpiresAt.UnixNano()))
	return v
}

// keyCacheBytes (in the meta bucket) is the running total of the sizes the
// eviction index holds, so that a put does not walk the whole index to
// learn whether the cache is over its bound: with 10,000 entries that walk
// was most of the cost of every cached answer. Every change to the index
// goes through usedPut and usedDelete, which keep it; a history without it
// (older, or recovered) counts it once.
var keyCacheBytes = []byte("cache_bytes")

func usedSize(v []byte) int64 {
	if len(v) != 16 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// cacheBytes returns the running total, counting it when it is missing.
func cacheBytes(tx *bolt.Tx) int64 {
	if v := tx.Bucket(bucketMeta).Get(keyCacheBytes); len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v))
	}
	var total int64
	tx.Bucket(bucketCacheUsed).ForEach(func(_, v []byte) error {
		total += usedSize(v)
		return nil
	})
	return total
}

func setCacheBytes(tx *bolt.Tx, total int64) error {
	return tx.Bucket(bucketMeta).Put(keyCacheBytes, binary.BigEndian.AppendUint64(nil, uint64(max(total, 0))))
}

// usedPut adds an entry to the eviction index, and its size to the total.
func usedPut(tx *bolt.Tx, k, v []byte) error {
	used := tx.Bucket(bucketCacheUsed)
	total := cacheBytes(tx) - usedSize(used.Get(k)) + usedSize(v)
	if err := used.Put(k, v); err != nil {
		return err
	}
	return setCacheBytes(tx, total)
}

// usedDelete takes an entry out of the eviction index, and its size out
// of the total.
func usedDelete(tx *bolt.Tx, k []byte) error {
	used := tx.Bucket(bucketCacheUsed)
	v := used.Get(k)
	if v == nil {
		return nil
	}
	total := cacheBytes(tx) - usedSize(v)
	if err := used.Delete(k); err != nil {
		return err
	}
	return setCacheBytes(tx, total)
}

func usedKey(t time.Time, key []byte) []byte {
	k := make([]byte, 8, 8+len(key))
	binary.BigEndian.PutUint64(k, uint64(t.UnixNano()))
	return append(k, key...)
}

// CacheGet returns the entry stored under key. An entry that has expired at
// now, or that cannot be decoded, is removed and reported as absent. Reading
// writes nothing; the caller records a use with CacheTouch when it wants the
// entry kept longer in the eviction order.
func (s *Store) CacheGet(key []byte, now time.Time) (CacheEntry, bool, error) {
	var (
		e     CacheEntry
		stale bool
	)
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCache).Get(key)
		if v == nil {
			return nil
		}
		if json.Unmarshal(v, &e) != nil || !now.Before(e.ExpiresAt) {
			stale = true
		}
		return nil
	})
	if err != nil {
		return CacheEntry{}, false, wrap("read cache", err)
	}
	if stale {
		return CacheEntry{}, false, s.CacheDelete(key)
	}
	return e, e.ExpiresAt.After(now), nil
}

// CacheTouch records now as the last use of the entry under key.
func (s *Store) CacheTouch(key []byte, now time.Time) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCache)
		var e CacheEntry
		v := b.Get(key)
		if v == nil || json.Unmarshal(v, &e) != nil {
			return nil
		}
		if err := usedDelete(tx, usedKey(e.UsedAt, key)); err != nil {
			return err
		}
		e.UsedAt = now.UTC()
		if err := usedPut(tx, usedKey(e.UsedAt, key), usedValue(e)); err != nil {
			return err
		}
		return putJSON(b, key, e)
	})
	return wrap("touch cache", err)
}

// CacheDelete removes the entry under key, decodable or not.
func (s *Store) CacheDelete(key []byte) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCache)
		if v := b.Get(key); v != nil {
			var e CacheEntry
			if json.Unmarshal(v, &e) == nil {
				if err := usedDelete(tx, usedKey(e.UsedAt, key)); err != nil {
					return err
				}
			}
		}
		return b.Delete(key)
	})
	return wrap("delete cache entry", err)
}

// CachePut stores e under key, then removes expired entries and, while the
// cache holds more than maxBytes, the least recently used ones. It returns
// how many entries were evicted.
func (s *Store) CachePut(key []byte, e CacheEntry, now time.Time, maxBytes int64) (evicted int, err error) {
	w := CacheWrite{Key: key, Entry: e, Now: now, MaxBytes: maxBytes}
	err = s.write(func(tx *bolt.Tx) (err error) {
		evicted, err = cachePut(tx, w)
		return err
	})
	return evicted, wrap("write cache", err)
}

// CacheWrite is an answer to keep in the cache, as CachePut takes it: given
// to RecordRequest or FinishAnswer, it is written in the same commit as the
// request's ledger line.
type CacheWrite struct {
	Key      []byte
	Entry    CacheEntry
	Now      time.Time
	MaxBytes int64
}

// cachePut is CachePut's write.
func cachePut(tx *bolt.Tx, w CacheWrite) (int, error) {
	e := w.Entry
	e.V = recordVersion
	e.UsedAt = w.Now.UTC()
	b := tx.Bucket(bucketCache)
	if v := b.Get(w.Key); v != nil {
		var old CacheEntry
		if json.Unmarshal(v, &old) == nil {
			if err := usedDelete(tx, usedKey(old.UsedAt, w.Key)); err != nil {
				return 0, err
			}
		}
	}
	if err := putJSON(b, w.Key, e); err != nil {
		return 0, err
	}
	if err := usedPut(tx, usedKey(e.UsedAt, w.Key), usedValue(e)); err != nil {
		return 0, err
	}
	return evict(tx, w.Now, w.MaxBytes)
}

// evict removes, from the least recently used end of the eviction index,
// the entries that have expired and, while the cache holds more than
// maxBytes (the running total), the ones still live. It stops at the first
// live entry once the total is within the bound: a put reads a few index
// entries, not all of them. An expired entry further on is a miss already
// (CacheGet removes it) and goes when eviction reaches it.
func evict(tx *bolt.Tx, now time.Time, maxBytes int64) (int, error) {
	b, used := tx.Bucket(bucketCache), tx.Bucket(bucketCacheUsed)
	total := cacheBytes(tx)
	var gone [][]byte // index keys to remove: not while the cursor walks
	c := used.Cursor()
	k, v := c.First()
	for ; k != nil; k, v = c.Next() {
		expired := len(v) != 16 || now.UnixNano() >= int64(binary.BigEndian.Uint64(v[8:]))
		if !expired && total <= maxBytes {
			break
		}
		gone = append(gone, append([]byte(nil), k...))
		total -= usedSize(v)
	}
	if k == nil {
		total = 0 // the whole index went: whatever the total said, nothing is left
	}
	for _, uk := range gone {
		if err := used.Delete(uk); err != nil {
			return 0, err
		}
		if len(uk) > 8 {
			if err := b.Delete(uk[8:]); err != nil {
				return 0, err
			}
		}
	}
	return len(gone), setCacheBytes(tx, total)
}

// CacheClear removes every cached answer and returns how many there were.
func (s *Store) CacheClear() (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketCache).Stats().KeyN
		for _, name := range [][]byte{bucketCache, bucketCacheUsed} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return setCacheBytes(tx, 0)
	})
	return n, wrap("clear cache", err)
}

// CacheStats is the size of the response cache on disk.
type CacheStats struct {
	Entries int   `json:"entries"`
	Bytes   int64 `json:"bytes"`
}

// CacheStats returns the number of cached answers and their size.
func (s *Store) CacheStats() (CacheStats, error) {
	var st CacheStats
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCache).ForEach(func(_, v []byte) error {
			var e CacheEntry
			if json.Unmarshal(v, &e) == nil {
				st.Entries++
				st.Bytes += e.Size()
			}
			return nil
		})
	})
	return st, wrap("cache stats", err)
}
