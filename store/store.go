// Package store persists deskchat's conversations, messages, providers and
// settings in one bbolt file.
//
// Open the store once per process with Open; a second process opening the
// same file fails within the lock timeout with ErrLocked instead of hanging.
// Every exported method is one transaction and is safe to call from many
// goroutines. Values returned are copies: callers may keep and modify them.
//
// The store knows nothing of the engine or of the GUI.
package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// FileName is the name of the database file inside the data dir.
const FileName = "deskchat.db"

// Bucket names. All are created at Open.
var (
	bucketMeta          = []byte("meta")
	bucketConversations = []byte("conversations")
	bucketMessages      = []byte("messages") // one nested bucket per conversation
	bucketProviders     = []byte("providers")
	bucketSettings      = []byte("settings")

	keySchemaVersion = []byte("schema_version")
	keyMigrations    = []byte("migrations")
)

// Sentinel errors. Compare with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrLocked   = errors.New("database is in use by another deskchat")
	ErrExists   = errors.New("already exists")
)

// LockTimeout bounds how long Open waits for another process to release
// the database file.
const LockTimeout = 1500 * time.Millisecond

// Store is an open deskchat database.
type Store struct {
	db      *bolt.DB
	path    string
	now     func() time.Time
	writers atomic.Int32 // write transactions wanted or running
	// lastWrite is when the last write ended (UnixNano): the search
	// index's merger waits for the writes to pause.
	lastWrite atomic.Int64
}

// maxBatchDelay bounds how long a write waits to share its commit (one
// fsync) with others when many answers stream at once.
const maxBatchDelay = 2 * time.Millisecond

// write runs fn in a read-write transaction. A lone writer commits at once;
// while another write is in progress, writes are gathered with db.Batch and
// committed together, so hundreds of streams cost a few fsyncs, not hundreds.
// fn may run more than once (Batch retries a batch's survivors alone when
// one of them fails), so it must only depend on the transaction.
func (s *Store) write(fn func(*bolt.Tx) error) error {
	defer s.lastWrite.Store(time.Now().UnixNano())
	defer s.writers.Add(-1)
	if s.writers.Add(1) > 1 {
		return s.db.Batch(fn)
	}
	return s.db.Update(fn)
}

// DefaultDir returns the data dir to use: flagValue when set, else
// $DESKCHAT_DATA_DIR, else $XDG_DATA_HOME/deskchat, else
// ~/.local/share/deskchat.
func DefaultDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if d := os.Getenv("DESKCHAT_DATA_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "deskchat"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("store: find home directory: %w", err)
	}
	return filepath.Join(home, ".local", "share", "deskchat"), nil
}

// Open opens (creating when missing) the database in dir. It fails with an
// error wrapping ErrLocked when another process holds the file.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &Error{Op: "open", Msg: fmt.Sprintf("Cannot create the data folder %s.", dir), Err: err}
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: LockTimeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, &Error{Op: "open", Msg: fmt.Sprintf("The history file %s is in use by another deskchat. Close that window (or wait for the other command to finish) and try again.", path), Err: ErrLocked}
		}
		return nil, &Error{Op: "open", Msg: fmt.Sprintf("Cannot open the history file %s.", path), Err: err}
	}
	// bbolt keeps the mode of an existing file; make sure it is private.
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, &Error{Op: "open", Msg: fmt.Sprintf("Cannot protect the history file %s.", path), Err: err}
	}
	db.MaxBatchDelay = maxBatchDelay
	s := &Store{db: db, path: path, now: time.Now}
	if err := s.initialize(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.recoverStreaming(); err != nil {
		db.Close()
		return nil, err
	}
	s.startSearchMerger()
	return s, nil
}

// Close stops the search index's background merge and closes the database
// file.
func (s *Store) Close() error {
	s.stopSearchMerger()
	return s.db.Close()
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// DB exposes the bbolt handle for consistency checks in tests and tools.
func (s *Store) DB() *bolt.DB { return s.db }

func (s *Store) initialize() error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketConversations, bucketMessages, bucketOpenStreams, bucketProviders, bucketSettings, bucketStats,
			bucketCache, bucketCacheUsed, bucketUsage, bucketSummaries,
			bucketSearchDocs, bucketSearchRefs, bucketSearchRecent, bucketSearchPostings, bucketSearchDead, bucketSearchMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return &Error{Op: "initialize", Msg: "Cannot prepare the history file.", Err: err}
	}
	return nil
}

// Error is a store failure: Msg is the sentence for the user, Err the cause.
type Error struct {
	Op  string
	Msg string
	Err error
}

func (e *Error) Error() string { return "store: " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// UserMessage is the sentence to show for err: the store's own sentence when
// err comes from the store, else a generic one.
func UserMessage(err error) string {
	var se *Error
	if errors.As(err, &se) && se.Msg != "" {
		return se.Msg
	}
	return "The history file could not be read or written."
}

// newID returns a random 12-hex-digit identifier.
func newID() string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, ErrNotFound) {
		return &Error{Op: op, Msg: "That conversation or message no longer exists.", Err: err}
	}
	if errors.Is(err, ErrStreaming) {
		return &Error{Op: op, Msg: "An answer is still arriving in this chat: stop it or wait for it first.", Err: err}
	}
	return &Error{Op: op, Msg: WriteProblem(err) + "; nothing was changed.", Err: err}
}
