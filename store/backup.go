package store

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/deskchat/deskchat/internal/oserr"
)

// Automatic backups: consistent snapshots of the history file in the folder
// backups/ beside it, named deskchat-YYYYMMDD-HHMMSS.db (UTC). A snapshot
// is bbolt's Tx.WriteTo in a read transaction, so writers go on meanwhile;
// it is written to a temporary file in backups/, fsynced, renamed and the
// folder fsynced, so a backup on disk is always whole. Nothing here opens
// the history for writing except Store.WriteBackup's read transaction on the
// store already open; ListBackups only reads the folder.

// BackupsDirName is the backups' folder inside the data dir.
const BackupsDirName = "backups"

// SettingBackupsKeep is how many automatic backups to keep: a whole number;
// "0" turns them off; unset: DefaultBackupsKeep.
const SettingBackupsKeep = "backups_keep"

// DefaultBackupsKeep is the number of backups kept when the setting is unset.
const DefaultBackupsKeep = 7

// BackupInterval is the least time between two automatic backups.
const BackupInterval = 24 * time.Hour

const backupTimeLayout = "20060102-150405"

// backupName matches the backups this package writes: the time, and a
// counter when two were made within one second.
var backupName = regexp.MustCompile(`^deskchat-(\d{8}-\d{6})(?:-(\d+))?\.db$`)

const backupTempPattern = ".deskchat-*.db.tmp"

// Backup is one snapshot in the backups folder.
type Backup struct {
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Size      int64     `json:"size"`
	seq       int       // the counter of a name made twice in one second
}

// BackupsDir returns the backups folder of the data dir.
func BackupsDir(dataDir string) string { return filepath.Join(dataDir, BackupsDirName) }

// BackupsKeep reads SettingBackupsKeep out of the settings: the default when
// unset or not a whole number of 0 or more.
func BackupsKeep(settings map[string]string) int {
	v, ok := settings[SettingBackupsKeep]
	if !ok {
		return DefaultBackupsKeep
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return DefaultBackupsKeep
	}
	return n
}

// ListBackups returns the backups in dataDir's backups folder, newest
// first; none (and no error) when the folder does not exist. It reads the
// folder only: the history file is not opened.
func ListBackups(dataDir string) ([]Backup, error) {
	dir := BackupsDir(dataDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &Error{Op: "list backups", Msg: fmt.Sprintf("Cannot read the backups folder %s (%s).", dir, oserr.Reason(err)), Err: err}
	}
	var out []Backup
	for _, e := range entries {
		m := backupName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		t, err := time.ParseInLocation(backupTimeLayout, m[1], time.UTC)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		seq, _ := strconv.Atoi(m[2])
		out = append(out, Backup{Name: e.Name(), CreatedAt: t, Size: info.Size(), seq: seq})
	}
	slices.SortFunc(out, func(a, b Backup) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	return out, nil
}

// BackupDue reports whether an automatic backup is due at now, given the
// backups there are (newest first): when there is none, or the newest is
// BackupInterval old. A newest backup from the future (a clock set back)
// does not stop backups for good: it counts as old.
func BackupDue(backups []Backup, now time.Time) bool {
	if len(backups) == 0 {
		return true
	}
	newest := backups[0].CreatedAt
	return now.Sub(newest) >= BackupInterval || newest.After(now.Add(time.Hour))
}

// WriteBackup writes a snapshot of the history into the backups folder and
// returns it. It does not rotate (RotateBackups does). On failure nothing is
// left behind and earlier backups are untouched.
func (s *Store) WriteBackup(now time.Time) (Backup, error) {
	return s.writeBackup(now, createTemp)
}

// backupFile is what a snapshot is written to: an *os.File, or in tests
// one whose writes fail as on a full disk.
type backupFile interface {
	io.Writer
	Name() string
	Chmod(fs.FileMode) error
	Sync() error
	Close() error
}

// createTempFunc makes the temporary file a snapshot is written to.
type createTempFunc func(dir, pattern string) (backupFile, error)

func createTemp(dir, pattern string) (backupFile, error) { return os.CreateTemp(dir, pattern) }

func (s *Store) writeBackup(now time.Time, create createTempFunc) (Backup, error) {
	dir := BackupsDir(filepath.Dir(s.path))
	fail := func(err error) (Backup, error) {
		return Backup{}, &Error{Op: "backup", Msg: fmt.Sprintf("The backup could not be written to %s (%s); your history is untouched.", dir, oserr.Reason(err)), Err: err}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	f, err := create(dir, backupTempPattern)
	if err != nil {
		return fail(err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	// One read transaction: the snapshot is the history as it was when it
	// began, whatever is written meanwhile.
	err = s.view(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(&syncingWriter{f: f, every: backupSyncEvery})
		return err
	})
	if err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	b, err := freeBackupName(dir, now)
	if err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, b.Name)); err != nil {
		return fail(err)
	}
	done = true
	if err := syncDir(dir); err != nil {
		return fail(err)
	}
	info, err := os.Stat(filepath.Join(dir, b.Name))
	if err != nil {
		return fail(err)
	}
	b.Size = info.Size()
	return b, nil
}

// backupSyncEvery is how much of a snapshot is written between two fsyncs.
// On ext4 a commit's fsync waits for the journal, which first writes out
// the data of other files' new blocks: one fsync of a whole 190 MB snapshot
// at its end held a streaming answer's flush for 200-300 ms (measured,
// BenchmarkBackup100k); syncing as it goes keeps that wait to a few MB's.
const backupSyncEvery = 1 << 20

// syncingWriter writes to f and fsyncs it every `every` bytes.
type syncingWriter struct {
	f       backupFile
	every   int64
	pending int64
}

func (w *syncingWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.pending += int64(n)
	if err == nil && w.pending >= w.every {
		w.pending = 0
		err = w.f.Sync()
	}
	return n, err
}

// initialMmapSize is the memory map Open asks bbolt for the history at
// path: 1 GB once the file has reached bbolt's 16 MB allocation step, on
// 64-bit systems other than Windows (where bbolt would grow the file to
// it), so that it grows up to 1 GB without mapping it again. A remap takes
// bbolt's mmap lock exclusively and so waits for every read transaction: a
// commit that had to grow the map during a backup's snapshot waited for the
// whole snapshot (300 ms to 1 s for the 100,000-message history; measured,
// backup_write_remap_stall_ms), and every read after it waited too. The map
// costs address space only. Below 16 MB the default map is kept: bbolt
// grows a file to its map size while that is under 16 MB, and a 1 GB map
// would make every small history a 16 MB (sparse) file; such a history's
// snapshot takes milliseconds, so a remap has little to wait for.
func initialMmapSize(path string) int {
	const boltAllocStep = 16 << 20 // bbolt's DefaultAllocSize (internal)
	info, err := os.Stat(path)
	if err != nil || info.Size() < boltAllocStep || strconv.IntSize != 64 || runtime.GOOS == "windows" {
		return 0
	}
	return 1 << 30
}

// freeBackupName returns the name for a backup made at now, with a counter
// when that second's name is taken.
func freeBackupName(dir string, now time.Time) (Backup, error) {
	t := now.UTC().Truncate(time.Second)
	base := "deskchat-" + t.Format(backupTimeLayout)
	for seq := 0; seq < 1000; seq++ {
		name := base + ".db"
		if seq > 0 {
			name = fmt.Sprintf("%s-%d.db", base, seq)
		}
		_, err := os.Lstat(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return Backup{Name: name, CreatedAt: t, seq: seq}, nil
		}
		if err != nil {
			return Backup{}, err
		}
	}
	return Backup{}, fmt.Errorf("too many backups made at %s", t)
}

// RotateBackups removes all but the keep newest backups, and temporary
// files an interrupted backup left over an hour ago. keep 0 removes none
// (backups are off: those there stay, to be restored).
func RotateBackups(dataDir string, keep int, now time.Time) error {
	dir := BackupsDir(dataDir)
	list, err := ListBackups(dataDir)
	if err != nil {
		return err
	}
	if keep > 0 && len(list) > keep {
		for _, b := range list[keep:] {
			if err := os.Remove(filepath.Join(dir, b.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return &Error{Op: "rotate backups", Msg: fmt.Sprintf("An old backup in %s could not be removed (%s).", dir, oserr.Reason(err)), Err: err}
			}
		}
	}
	stale, _ := filepath.Glob(filepath.Join(dir, backupTempPattern))
	for _, p := range stale {
		if info, err := os.Stat(p); err == nil && now.Sub(info.ModTime()) > time.Hour {
			os.Remove(p)
		}
	}
	return nil
}

// BackupIfDue makes an automatic backup when one is due (BackupDue) and
// backups are on (SettingBackupsKeep > 0), then keeps the newest ones. It
// returns the backup made, if any.
func (s *Store) BackupIfDue(now time.Time) (made *Backup, err error) {
	settings, err := s.Settings()
	if err != nil {
		return nil, err
	}
	keep := BackupsKeep(settings)
	if keep == 0 {
		return nil, nil
	}
	dataDir := filepath.Dir(s.path)
	list, err := ListBackups(dataDir)
	if err != nil {
		return nil, err
	}
	if !BackupDue(list, now) {
		return nil, nil
	}
	b, err := s.WriteBackup(now)
	if err != nil {
		return nil, err
	}
	return &b, RotateBackups(dataDir, keep, now)
}

// CheckBackup opens the bbolt file at path read-only and checks it: every
// page sound (the page walk of `deskchat check`), and a deskchat history
// (it has the meta bucket with a schema version). It never writes to path.
func CheckBackup(path string) (err error) {
	bad := func(why string, cause error) error {
		return &Error{Op: "check backup", Msg: fmt.Sprintf("%s is not a valid deskchat history (%s); nothing was changed.", filepath.Base(path), why), Err: cause}
	}
	info, err := os.Stat(path)
	if err != nil {
		return bad(oserr.Reason(err), err)
	}
	if !info.Mode().IsRegular() || info.Size() == 0 {
		return bad("it is empty or not a file", errors.New("empty or not a regular file"))
	}
	// The page walk of `deskchat check` first: bbolt trusts a file's pages
	// and faults on a damaged one.
	rep, err := checkFile(path, "")
	if err != nil {
		return bad(UserMessage(err), err)
	}
	if !rep.Healthy {
		return bad("it is damaged", errors.New(strings.Join(rep.Problems, "; ")))
	}
	db, err := openBolt(path, &bolt.Options{ReadOnly: true, Timeout: LockTimeout})
	if err != nil {
		return bad("it is not a bbolt database", err)
	}
	defer runGuarded(db.Close)
	return runGuarded(func() error {
		return db.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if meta == nil || meta.Get(keySchemaVersion) == nil || tx.Bucket(bucketConversations) == nil {
				return bad("it holds no deskchat conversations", errors.New("no meta bucket or schema version"))
			}
			return nil
		})
	})
}

// RestoreBackup makes the backup called name the history of dataDir. The
// current history file is kept first as deskchat.db.before-restore-<time>
// (its path is returned; "" when there was none), then the backup is
// copied in through a temporary file, fsynced and renamed, so the history
// file is at every moment either the old one or the backup, whole. It
// refuses, changing nothing, when name is not a backup there, when the
// backup is not a valid history (CheckBackup), or when another deskchat
// holds the history file (an error wrapping ErrLocked).
func RestoreBackup(dataDir, name string, now time.Time) (aside string, err error) {
	dir := BackupsDir(dataDir)
	src := filepath.Join(dir, name)
	if name == "" || filepath.Base(name) != name || strings.HasPrefix(name, ".") {
		return "", noBackup(dir, name, fs.ErrNotExist)
	}
	if info, err := os.Stat(src); err != nil || !info.Mode().IsRegular() {
		return "", noBackup(dir, name, cmp.Or(err, fs.ErrNotExist))
	}
	if err := CheckBackup(src); err != nil {
		return "", err
	}
	cur := filepath.Join(dataDir, FileName)
	unlock, err := lockHistory(cur)
	if err != nil {
		return "", err
	}
	defer unlock()
	fail := func(what string, err error) (string, error) {
		return "", &Error{Op: "restore backup", Msg: fmt.Sprintf("The backup could not be restored: %s (%s); your history is as it was.", what, oserr.Reason(err)), Err: err}
	}
	tmp, err := copyToTemp(src, dataDir, ".deskchat.db.restore-*.tmp")
	if err != nil {
		return fail("it could not be copied into "+dataDir, err)
	}
	defer os.Remove(tmp) // gone by then when all went well
	if _, err := os.Lstat(cur); err == nil {
		aside, err = keepAside(cur, cur+".before-restore-"+now.UTC().Format(backupTimeLayout))
		if err != nil {
			return fail("the current history could not be kept aside", err)
		}
	}
	if err := os.Rename(tmp, cur); err != nil {
		return fail("the history file could not be replaced", err)
	}
	if err := syncDir(dataDir); err != nil {
		return fail("the data folder could not be synced", err)
	}
	return aside, nil
}

func noBackup(dir, name string, err error) error {
	return &Error{Op: "restore backup", Msg: fmt.Sprintf("There is no backup called %q in %s; \"deskchat backups list\" shows them.", name, dir), Err: fmt.Errorf("backup %q: %w", name, cmp.Or(err, ErrNotFound))}
}

// keepAside keeps the history file at cur under the name aside beside it
// (or aside-2, -3 … when taken), as a hard link (instant, the same bytes)
// or else as a copy, and returns that name. cur itself stays in place, so
// that a history file is there at every moment: a kill before the file
// that replaces cur is renamed over it leaves the old one where it was.
func keepAside(cur, aside string) (string, error) {
	aside = freeName(aside)
	if err := os.Link(cur, aside); err != nil {
		tmp, err := copyToTemp(cur, filepath.Dir(cur), ".deskchat.db.aside-*.tmp")
		if err != nil {
			return "", err
		}
		if err := os.Rename(tmp, aside); err != nil {
			os.Remove(tmp)
			return "", err
		}
	}
	return aside, syncDir(filepath.Dir(cur))
}

// copyToTemp copies src into a new temporary file in dir (mode 0600),
// fsynced and closed, and returns its path.
func copyToTemp(src, dir, pattern string) (string, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chmod(0o600)
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", err
	}
	return out.Name(), nil
}

// syncDir fsyncs a folder, so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockHistory takes the history file's lock (the one bbolt takes, so a
// window or a command holding the file makes it fail with ErrLocked after
// LockTimeout) without opening it as a database: a damaged history can be
// replaced too. A missing file needs no lock.
func lockHistory(path string) (unlock func(), err error) {
	unlock, err = lockFile(path, LockTimeout)
	switch {
	case err == nil:
		return unlock, nil
	case errors.Is(err, fs.ErrNotExist):
		return func() {}, nil
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, &Error{Op: "restore backup", Msg: fmt.Sprintf("The history file %s is in use by another deskchat. Close its window (or wait for the other command to finish) and try again; nothing was changed.", path), Err: ErrLocked}
	default:
		return nil, &Error{Op: "restore backup", Msg: fmt.Sprintf("Cannot lock the history file %s (%s); nothing was changed.", path, oserr.Reason(err)), Err: err}
	}
}
