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
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/deskchat/deskchat/internal/oserr"
	"github.com/deskchat/deskchat/store/search"

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
	db    *bolt.DB
	path  string
	now   func() time.Time
	group group // gathers concurrent writes into shared commits
	// lastWrite is when the last write ended (UnixNano): the search
	// index's merger waits for the writes to pause.
	lastWrite atomic.Int64
	search    *search.Index // the full-text index's state: its merger, buffers
	readOnly  bool          // OpenReadOnly: every write fails
	damaged   atomic.Bool   // a transaction met damage: writes are refused
	empty     func()        // openEmpty: removes the stand-in's folder
	memo      messageMemo   // the messages Snapshot last decoded (memo.go)
}

// maxBatchDelay bounds how long a write waits to share its commit (one
// fsync) with others when many answers stream at once.
const maxBatchDelay = 2 * time.Millisecond

// write runs fn in a read-write transaction. A lone writer commits at once;
// writes that come while another commits are gathered into the next commit
// (group.go), so hundreds of streams or batch rows cost a few fsyncs, not
// hundreds, and none waits for a timer. fn may run more than once (a
// failed group is run again write by write), so it must only depend on the
// transaction.
func (s *Store) write(fn func(*bolt.Tx) error) error {
	if err := s.writable(); err != nil {
		return err
	}
	return s.group.run(fn, s.commitGroup)
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

// Open opens (creating when missing) the database in dir for reading and
// writing, upgrading it and recovering answers left streaming. It fails
// with an error wrapping ErrLocked when another process holds the file,
// ErrDamaged when the file is damaged and ErrNotHistory when it is no
// history file (empty, or something else): such a file is never replaced.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, &Error{Op: "open", Msg: fmt.Sprintf("Cannot create the data folder %s.", dir), Err: err}
	}
	return openPath(filepath.Join(dir, FileName), search.Config{})
}

// openPath is Open on the file at path (recover builds a new history under
// a temporary name), its search index tuned by sc (tests).
func openPath(path string, sc search.Config) (*Store, error) {
	if err := probeFile("open", path, true); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	db, err := openBolt(path, &bolt.Options{Timeout: LockTimeout, FreelistType: bolt.FreelistMapType, InitialMmapSize: initialMmapSize(path)})
	if err != nil {
		return nil, err
	}
	// bbolt keeps the mode of an existing file; make sure it is private.
	if err := os.Chmod(path, 0o600); err != nil {
		db.Close()
		return nil, &Error{Op: "open", Msg: fmt.Sprintf("Cannot protect the history file %s.", path), Err: err}
	}
	db.MaxBatchDelay = maxBatchDelay
	s := &Store{db: db, path: path, now: time.Now, search: search.New(sc)}
	// A history that needs nothing is not written at all: a no-op
	// update still commits (a meta page and an fsync).
	steps := []func() error{s.initialize, s.migrate, s.recoverStreaming}
	if ready, err := s.ready(); err != nil {
		s.guard(db.Close)
		return nil, err
	} else if ready {
		steps = nil
	}
	for _, step := range steps {
		if err := step(); err != nil {
			s.guard(db.Close)
			return nil, err
		}
	}
	s.search.Start(db, &s.lastWrite, runGuarded)
	return s, nil
}

// OpenReadOnly opens the history in dir for reading only: the file is
// opened read-only (it may be on read-only media) and nothing is written,
// neither upgrades nor repairs. Writes fail with ErrReadOnly. A missing file
// gives an empty store (Empty reports it) that writes nothing in dir; a
// history from an older deskchat that needs an upgrade is ErrNeedsUpgrade
// (a writing open upgrades it).
func OpenReadOnly(dir string) (*Store, error) {
	path := filepath.Join(dir, FileName)
	if err := probeFile("open", path, false); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return openEmpty(dir)
		}
		return nil, err
	}
	db, err := openBolt(path, &bolt.Options{Timeout: LockTimeout, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, now: time.Now, readOnly: true, search: search.New(search.Config{})}
	if err := s.checkReadable(); err != nil {
		s.guard(db.Close)
		return nil, err
	}
	return s, nil
}

// openEmpty stands in for a history not made yet: an empty store in a
// temporary folder, read-only, removed at Close, so that reading commands
// show what a new history holds without writing in dir. Its Empty is true.
func openEmpty(dir string) (*Store, error) {
	noHistory := &Error{Op: "open", Msg: fmt.Sprintf("There is no history in %s yet; the first question (deskchat ask, or the window) starts it.", dir), Err: ErrNoHistory}
	tmp, err := os.MkdirTemp("", "deskchat-empty-")
	if err != nil {
		return nil, noHistory
	}
	s, err := Open(tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, noHistory
	}
	s.search.Stop()
	s.readOnly, s.empty = true, func() { os.RemoveAll(tmp) }
	return s, nil
}

// Empty reports whether s stands in for a history not made yet
// (OpenReadOnly on a folder without one).
func (s *Store) Empty() bool { return s.empty != nil }

// ready reports whether the history has every bucket and migration and
// no answer left streaming, so that opening it needs no write.
func (s *Store) ready() (bool, error) {
	ready := true
	err := s.view(func(tx *bolt.Tx) error {
		for _, b := range allBuckets() {
			if tx.Bucket(b) == nil {
				ready = false
				return nil
			}
		}
		if !migrated(tx) {
			ready = false
			return nil
		}
		k, _ := tx.Bucket(bucketOpenStreams).Cursor().First()
		ready = k == nil
		return nil
	})
	return ready, err
}

// migrated reports whether every migration is recorded as applied.
func migrated(tx *bolt.Tx) bool {
	applied, err := appliedMigrations(tx.Bucket(bucketMeta))
	if err != nil {
		return false
	}
	done := make(map[string]bool, len(applied))
	for _, name := range applied {
		done[name] = true
	}
	for _, m := range migrations {
		if !done[m.name] {
			return false
		}
	}
	return true
}

// checkReadable makes sure a read-only store has every bucket and
// migration, since it cannot make them.
func (s *Store) checkReadable() error {
	upgrade := &Error{Op: "open", Msg: fmt.Sprintf("The history file %s was written by an older deskchat; open it once with the window or a command that writes (like deskchat ask) to upgrade it, then try again.", s.path), Err: ErrNeedsUpgrade}
	return s.view(func(tx *bolt.Tx) error {
		for _, b := range allBuckets() {
			if tx.Bucket(b) == nil {
				return upgrade
			}
		}
		if !migrated(tx) {
			return upgrade
		}
		return nil
	})
}

// openBolt opens the bbolt file, guarded: a damaged file that makes bbolt
// panic while opening gives ErrDamaged, and the file it opened is closed
// again (its lock released).
func openBolt(path string, opts *bolt.Options) (db *bolt.DB, err error) {
	var file *os.File
	opts.OpenFile = func(name string, flag int, mode os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, mode)
		file = f
		return f, err
	}
	defer func() {
		if r := recover(); r != nil {
			if file != nil {
				releaseFile(file)
			}
			db, err = nil, damagedError("open", path, fmt.Errorf("panic: %v", r))
		}
	}()
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	db, err = bolt.Open(path, 0o600, opts)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, &Error{Op: "open", Msg: fmt.Sprintf("The history file %s is in use by another deskchat. Close that window (or wait for the other command to finish) and try again.", path), Err: ErrLocked}
	case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrVersionMismatch):
		return nil, notHistoryError("open", path, "it is not a database file")
	case errors.Is(err, bolterrors.ErrChecksum):
		return nil, damagedError("open", path, err)
	}
	return nil, &Error{Op: "open", Msg: fmt.Sprintf("Cannot open the history file %s: %s.", path, oserr.Reason(err)), Err: err}
}

// Close stops the search index's background merge and closes the database
// file.
func (s *Store) Close() error {
	s.Settle() // ledger lines queued without waiting
	s.search.Stop()
	err := s.guard(s.db.Close)
	if s.empty != nil {
		s.empty()
	}
	return err
}

// ReadOnly reports whether s was opened with OpenReadOnly.
func (s *Store) ReadOnly() bool { return s.readOnly }

// FilePath returns the database file's path. (Path is a conversation's
// active path.)
func (s *Store) FilePath() string { return s.path }

// DB exposes the bbolt handle for consistency checks in tests and tools.
func (s *Store) DB() *bolt.DB { return s.db }

// storeBuckets are the store's own buckets.
var storeBuckets = [][]byte{bucketMeta, bucketConversations, bucketMessages, bucketOpenStreams, bucketProviders, bucketSettings, bucketStats,
	bucketCache, bucketCacheUsed, bucketUsage, bucketSummaries, bucketBlobs, bucketBlobText, bucketBlobRefs, bucketAttached, bucketToolServers, bucketTree,
	bucketBatches, bucketBatchRows}

// allBuckets are the buckets Open creates: the store's and the search
// index's.
func allBuckets() [][]byte { return append(slices.Clone(storeBuckets), search.Buckets()...) }

func (s *Store) initialize() error {
	err := s.update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets() {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		var se *Error
		if errors.As(err, &se) {
			return err
		}
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
