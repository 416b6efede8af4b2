package store

import (
	"encoding/json"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// migration is one ordered schema step. Each runs in its own transaction and
// is recorded in the meta bucket when it finishes.
type migration struct {
	name string
	up   func(s *Store, tx *bolt.Tx) error
}

// migrations in the order they apply. Append only; never reorder or rename.
var migrations = []migration{
	{name: "0001_initial", up: func(*Store, *bolt.Tx) error { return nil }},
	{name: "0002_search_index", up: (*Store).buildSearchIndex},
	{name: "0003_message_tree", up: (*Store).buildTrees},
}

// SchemaVersion is the schema version a fully migrated store has.
func SchemaVersion() int { return len(migrations) }

func (s *Store) migrate() error {
	for _, m := range migrations {
		err := s.update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			applied, err := appliedMigrations(meta)
			if err != nil {
				return err
			}
			for _, name := range applied {
				if name == m.name {
					return nil
				}
			}
			if err := m.up(s, tx); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			applied = append(applied, m.name)
			if err := putJSON(meta, keyMigrations, applied); err != nil {
				return err
			}
			return meta.Put(keySchemaVersion, []byte(strconv.Itoa(len(applied))))
		})
		if IsDamaged(err) {
			return err
		}
		if err != nil {
			return &Error{Op: "migrate", Msg: "The history file could not be upgraded; it was left as it was.", Err: err}
		}
	}
	return nil
}

func appliedMigrations(meta *bolt.Bucket) ([]string, error) {
	var applied []string
	if v := meta.Get(keyMigrations); v != nil {
		if err := json.Unmarshal(v, &applied); err != nil {
			return nil, fmt.Errorf("read applied migrations: %w", err)
		}
	}
	return applied, nil
}

// Migrations returns the names of the applied migrations in order and the
// recorded schema version.
func (s *Store) Migrations() (names []string, version int, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		names, err = appliedMigrations(meta)
		if err != nil {
			return err
		}
		version, err = strconv.Atoi(string(meta.Get(keySchemaVersion)))
		return err
	})
	return names, version, wrap("migrations", err)
}

// buildTrees makes every conversation a tree of messages (makeTree): a
// chain in Seq order, each superseded answer (a regenerated one's
// predecessor, a comparison's alternative) a sibling of the answer that
// replaced it, the Leaf the last message not superseded. A conversation
// whose record cannot be read is left as it is (deskchat check names it):
// the others are migrated.
func (s *Store) buildTrees(tx *bolt.Tx) error {
	var ids [][]byte
	if err := tx.Bucket(bucketConversations).ForEach(func(k, _ []byte) error {
		ids = append(ids, append([]byte(nil), k...))
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		c, err := getConversation(tx, string(id))
		if err != nil {
			continue
		}
		made, err := s.makeTree(tx, &c)
		if err != nil {
			return err
		}
		if made {
			if err := putJSON(tx.Bucket(bucketConversations), id, c); err != nil {
				return err
			}
		}
	}
	return nil
}
