package store

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Providers and tool servers are records kept by name, each in a bucket
// of its own; these helpers read, list and delete such records, so that
// both kinds say the same things the same way. what names the kind in
// sentences ("provider", "tool server").

// getNamed reads the record called name from bucket; a bucket that does
// not exist (a read-only history from before it) holds nothing.
func getNamed[T any](s *Store, bucket []byte, what, name string) (T, error) {
	var rec T
	err := s.view(func(tx *bolt.Tx) error {
		var v []byte
		if b := tx.Bucket(bucket); b != nil {
			v = b.Get([]byte(name))
		}
		if v == nil {
			return fmt.Errorf("%s %q: %w", what, name, ErrNotFound)
		}
		return json.Unmarshal(v, &rec)
	})
	if err != nil {
		return rec, namedError("get "+what, what, name, err)
	}
	return rec, nil
}

// listNamed returns every record of bucket, in key (name) order.
func listNamed[T any](s *Store, bucket []byte, what string) ([]T, error) {
	var out []T
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error {
			var rec T
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			out = append(out, rec)
			return nil
		})
	})
	if err != nil {
		return nil, wrap("list "+what+"s", err)
	}
	return out, nil
}

// deleteNamed removes the record called name from bucket.
func deleteNamed(s *Store, bucket []byte, what, name string) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b.Get([]byte(name)) == nil {
			return fmt.Errorf("%s %q: %w", what, name, ErrNotFound)
		}
		return b.Delete([]byte(name))
	})
	if err != nil {
		return namedError("delete "+what, what, name, err)
	}
	return nil
}

// namedError is err as a sentence: "There is no provider called X." only
// when there is none; any other failure (a read-only or damaged history)
// keeps its own sentence.
func namedError(op, what, name string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return &Error{Op: op, Msg: fmt.Sprintf("There is no %s called %q.", what, name), Err: err}
	}
	return wrap(op, err)
}
