package search

import bolt "go.etcd.io/bbolt"

// Stats describe what the index holds, for tests and checks.
type Stats struct {
	Added  uint64          // docs ever written to the recent segment
	Recent int             // docs waiting for a merge
	Docs   int             // docs in the postings
	Refs   int             // refs to them
	Dead   int             // deleted docs whose postings remain
	Tokens map[string]bool // tokens with postings
}

// Inspect reads the index's Stats in tx.
func Inspect(tx *bolt.Tx) Stats {
	st := Stats{Tokens: map[string]bool{}}
	recent := tx.Bucket(bucketSearchRecent)
	st.Added = recent.Sequence()
	st.Recent = recent.Stats().KeyN
	st.Docs = tx.Bucket(bucketSearchDocs).Stats().KeyN
	st.Refs = tx.Bucket(bucketSearchRefs).Stats().KeyN
	st.Dead = tx.Bucket(bucketSearchDead).Stats().KeyN
	_ = tx.Bucket(bucketSearchPostings).ForEach(func(k, _ []byte) error {
		if len(k) > 9 { // token 0 first doc id
			st.Tokens[string(k[:len(k)-9])] = true
		}
		return nil
	})
	return st
}
