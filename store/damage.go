package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"

	"github.com/deskchat/deskchat/internal/oserr"
)

// Damage: bbolt trusts its file. A page overwritten or cut off makes it
// panic ("invalid freelist page", "invalid page type") or fault through its
// memory map (SIGSEGV, SIGBUS), and a Go program dies of either. The store
// therefore (1) reads the file's two meta pages itself before bbolt maps
// anything (probeFile: a file cut short, empty or not a database is found
// without touching a data page), and (2) runs every transaction guarded:
// faults become panics on that goroutine (debug.SetPanicOnFault) and a
// panic becomes an *Error wrapping ErrDamaged, with the sentence naming the
// file and what to do. Once damage is met, the store refuses to write, so
// that nothing is built on a broken page.

// Errors about the history file itself. Compare with errors.Is.
var (
	ErrDamaged    = errors.New("history file damaged")
	ErrNotHistory = errors.New("not a deskchat history file")
	// ErrNoHistory: a read-only open found no history file (nothing was
	// asked yet); writing opens create it.
	ErrNoHistory = errors.New("no history yet")
	// ErrNeedsUpgrade: a read-only open found a history from an older
	// deskchat, which only a writing open upgrades.
	ErrNeedsUpgrade = errors.New("history needs an upgrade")
	// ErrReadOnly: a write on a store opened with OpenReadOnly.
	ErrReadOnly = errors.New("history opened read-only")
)

// damagedError is the error for damage found in the file at path.
func damagedError(op, path string, cause error) error {
	return &Error{Op: op, Msg: DamagedSentence(path), Err: fmt.Errorf("%w: %v", ErrDamaged, cause)}
}

// DamagedSentence is what a user reads about a damaged history file.
func DamagedSentence(path string) string {
	return fmt.Sprintf("The history file %s is damaged. Run `deskchat check` to see what, and `deskchat recover` to save what can be read.", path)
}

func notHistoryError(op, path, why string) error {
	return &Error{Op: op, Msg: fmt.Sprintf("%s is not a deskchat history file (%s). It was left as it is: move it away, or run `deskchat recover` to keep it aside and start a new history.", path, why), Err: ErrNotHistory}
}

// IsDamaged reports whether err says the history file is damaged or is no
// history file at all: the cases `deskchat recover` deals with.
func IsDamaged(err error) bool {
	return errors.Is(err, ErrDamaged) || errors.Is(err, ErrNotHistory)
}

// guardTx wraps a transaction's function so that a panic or a memory fault
// inside it (on whatever goroutine bbolt runs it: db.Batch uses its own)
// becomes an error wrapping ErrDamaged instead of ending the process.
func guardTx(path string, fn func(*bolt.Tx) error) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) (err error) {
		defer catchDamage("read", path, &err)
		old := debug.SetPanicOnFault(true)
		defer debug.SetPanicOnFault(old)
		return recordDamage(path, fn(tx))
	}
}

// recordDamage turns a stored record that does not decode into damage:
// every record was written by json.Marshal, so one that is not JSON, or
// not of its type, was overwritten on disk (an overflow page holds a long
// record's text, and random bytes there leave the page walk content). As
// damage, it is what an export skips and `deskchat recover` deals with,
// instead of a failed write.
func recordDamage(path string, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	if errors.As(err, &syntax) || errors.As(err, &typ) {
		return damagedError("read", path, err)
	}
	return err
}

// catchDamage turns a recovered panic into *errp. Deferred directly.
func catchDamage(op, path string, errp *error) {
	if r := recover(); r != nil {
		*errp = damagedError(op, path, fmt.Errorf("panic: %v", r))
	}
}

// runGuarded runs fn (which starts and ends a transaction) with faults
// turned into panics and panics into an error wrapping ErrDamaged. bbolt
// rolls a transaction back when its function panics, so nothing stays
// locked.
func runGuarded(fn func() error) (err error) {
	defer catchDamage("read", "", &err)
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	return fn()
}

// guard is runGuarded for s: the error names s's file, and damage met
// makes s refuse writes from then on.
func (s *Store) guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = damagedError("read", s.path, fmt.Errorf("panic: %v", r))
		}
		if err != nil && errors.Is(err, ErrDamaged) {
			s.damaged.Store(true)
		}
	}()
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	return fn()
}

// view is db.View, guarded.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	return s.guard(func() error { return s.db.View(guardTx(s.path, fn)) })
}

// update is db.Update, guarded; it refuses to write on a read-only store
// or after damage was met.
func (s *Store) update(fn func(*bolt.Tx) error) error {
	if err := s.writable(); err != nil {
		return err
	}
	return s.guard(func() error { return s.db.Update(guardTx(s.path, fn)) })
}

func (s *Store) writable() error {
	if s.readOnly {
		return &Error{Op: "write", Msg: "The history was opened for reading only; nothing was changed.", Err: ErrReadOnly}
	}
	if s.damaged.Load() {
		return damagedError("write", s.path, errors.New("damage met earlier; writing refused"))
	}
	return nil
}

// bbolt's on-disk format, read by probeFile and the page walker
// (pagewalk.go). Integers are in the machine's byte order; every platform
// deskchat ships for is little-endian.
const (
	pageHeaderSize  = 16 // id u64, flags u16, count u16, overflow u32
	elementSize     = 16 // branch: pos u32, ksize u32, pgid u64; leaf: flags u32, pos u32, ksize u32, vsize u32
	bucketHeaderLen = 16 // root pgid u64, sequence u64
	boltMagic       = 0xED0CDAED
	boltVersion     = 2

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10
	leafIsBucket = 0x01

	noFreelist = ^uint64(0)
)

var le = binary.LittleEndian

// meta is a bbolt meta page's content.
type meta struct {
	pageSize uint32
	root     uint64 // root bucket's page
	freelist uint64
	pgid     uint64 // high-water mark: pages [0, pgid) are in use or free
	txid     uint64
}

// parseMeta reads the meta at the start of page p; ok is false when its
// magic, version or checksum is wrong. magic says whether the magic alone
// was right (a bbolt file with a broken meta, as against something else).
func parseMeta(p []byte) (m meta, ok, magic bool) {
	if len(p) < pageHeaderSize+64 {
		return m, false, false
	}
	b := p[pageHeaderSize:]
	if le.Uint32(b[0:]) != boltMagic {
		return m, false, false
	}
	h := fnv.New64a()
	h.Write(b[:56])
	if le.Uint32(b[4:]) != boltVersion || h.Sum64() != le.Uint64(b[56:]) || le.Uint16(p[8:]) != flagMeta {
		return m, false, true
	}
	m = meta{pageSize: le.Uint32(b[8:]), root: le.Uint64(b[16:]), freelist: le.Uint64(b[32:]), pgid: le.Uint64(b[40:]), txid: le.Uint64(b[48:])}
	if m.pageSize < 512 || m.pageSize > 1<<20 || m.pageSize&(m.pageSize-1) != 0 {
		return m, false, true
	}
	return m, true, true
}

// probeFile checks the history file at path before bbolt maps it: it
// exists and is not empty, one of its meta pages is valid, and the pages
// that meta needs lie inside the file. forWriting checks the freelist page
// too: a page that is no freelist makes bbolt panic half-way through
// opening, and one that lists pages outside the file would have it write
// there; reading needs no freelist, so read-only opens do without. Its
// errors carry the sentence; a missing file is os.ErrNotExist, unwrapped.
func probeFile(op, path string, forWriting bool) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return err
		}
		return &Error{Op: op, Msg: fmt.Sprintf("Cannot open the history file %s: %s.", path, oserr.Reason(err)), Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return &Error{Op: op, Msg: fmt.Sprintf("Cannot open the history file %s: %s.", path, oserr.Reason(err)), Err: err}
	}
	size := fi.Size()
	if fi.IsDir() {
		return notHistoryError(op, path, "it is a folder")
	}
	if size == 0 {
		return notHistoryError(op, path, "0 bytes")
	}
	m, why := readMetas(f, size)
	if why != "" {
		if why == "damaged" {
			return damagedError(op, path, errors.New("both meta pages are invalid"))
		}
		return notHistoryError(op, path, why)
	}
	ps := uint64(m.pageSize)
	switch {
	case m.pgid < 2 || m.pgid > uint64(size)/ps:
		return damagedError(op, path, fmt.Errorf("cut short: %d bytes, its pages reach %d", size, m.pgid*ps))
	case m.root < 2 || m.root >= m.pgid:
		return damagedError(op, path, fmt.Errorf("root page %d outside [2, %d)", m.root, m.pgid))
	case m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid):
		return damagedError(op, path, fmt.Errorf("freelist page %d outside [2, %d)", m.freelist, m.pgid))
	}
	if forWriting {
		w := newPageWalker(f, size, m)
		if w.checkFreelist(m.freelist); len(w.problems) > 0 {
			return damagedError(op, path, fmt.Errorf("freelist page %d: %s", w.problems[0].page, w.problems[0].what))
		}
	}
	return nil
}

// readMetas returns the meta bbolt would use (the valid one with the
// higher transaction id), or why there is none: "damaged" for a bbolt file
// whose metas are both broken, else a phrase for a file that is no bbolt
// database.
func readMetas(f io.ReaderAt, size int64) (meta, string) {
	const first = 4096
	p0 := make([]byte, first)
	n, _ := f.ReadAt(p0, 0)
	m0, ok0, magic0 := parseMeta(p0[:n])
	// The second meta is one page further: at the first's page size when
	// that one is readable, else at the usual sizes.
	var sizes []int64
	if ok0 {
		sizes = []int64{int64(m0.pageSize)}
	} else {
		sizes = []int64{4096, 16384, 65536, 8192, 1024, 2048, 512, 32768}
	}
	var m1 meta
	var ok1, magic1 bool
	for _, ps := range sizes {
		if ps+pageHeaderSize+64 > size {
			continue
		}
		p1 := make([]byte, pageHeaderSize+64)
		if _, err := f.ReadAt(p1, ps); err != nil {
			continue
		}
		if m, ok, magic := parseMeta(p1); ok && int64(m.pageSize) == ps {
			m1, ok1, magic1 = m, true, true
			break
		} else if magic {
			magic1 = true
		}
	}
	switch {
	case ok0 && ok1 && m1.pageSize == m0.pageSize && m1.txid > m0.txid:
		return m1, ""
	case ok0:
		return m0, ""
	case ok1:
		return m1, ""
	case magic0 || magic1:
		return meta{}, "damaged"
	case size < 1024:
		return meta{}, fmt.Sprintf("%d bytes, not a database", size)
	}
	return meta{}, "it is not a database file"
}
