package ui

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"deskchat/store"
	"deskchat/ui/internal/bridge"
)

// Automatic backups while the window runs: a check backupFirstCheck after
// the window opens (not during start-up, whose reads it would slow),
// every backupCheckEvery after, and one when the window closes cleanly.
// Each check makes a backup only when one is due — a day after the newest
// backup in the folder, so a restart does not make another — and backups
// are on (store.BackupIfDue). The snapshot runs on a bridge goroutine; a
// failure is a quiet line in Settings › Defaults and on stderr, never a
// dialog, and never stops a chat.
const (
	backupFirstCheck = 30 * time.Second
	backupCheckEvery = time.Hour
)

// backupScheduler makes the window's backups. check is safe to call from
// any goroutine; one backup runs at a time (the periodic one and the one
// at exit would otherwise both find a backup due).
type backupScheduler struct {
	st  *store.Store
	now func() time.Time
	mu  sync.Mutex
}

// check makes a backup if one is due and returns it (nil: none was due or
// backups are off). It blocks for the snapshot: call it off the UI
// goroutine.
func (s *backupScheduler) check() (*store.Backup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.BackupIfDue(s.now())
}

// backupState is what the window knows of its backups.
type backupState struct {
	sched   *backupScheduler
	running bool   // a check runs on a bridge goroutine
	note    string // the last outcome, as shown under "Backups to keep"
	failed  bool   // note reports a failure
	stop    func() // stops the checks; nil before startBackups
	log     io.Writer
}

// startBackups starts the checks: the first after first, then every every.
// Run calls it for the real window; tests call checkBackups themselves.
func (w *window) startBackups(first, every time.Duration) {
	timer := w.b.After(first, w.checkBackups)
	stopEvery := w.b.Every(every, func() bool { w.checkBackups(); return true })
	w.backup.stop = func() { timer.Stop(); stopEvery() }
}

// checkBackups runs a backup check on a bridge goroutine, unless one runs.
func (w *window) checkBackups() {
	if w.backup.running || w.quit.Err() != nil {
		return
	}
	w.backup.running = true
	bridge.Run(w.b, w.backupScheduler().check, func(b *store.Backup, err error) {
		w.backup.running = false
		w.backupDone(b, err)
	})
}

func (w *window) backupScheduler() *backupScheduler {
	if w.backup.sched == nil {
		w.backup.sched = &backupScheduler{st: w.st, now: w.now}
	}
	return w.backup.sched
}

// backupDone records a check's outcome: the note under "Backups to keep",
// and a line on stderr when it failed.
func (w *window) backupDone(b *store.Backup, err error) {
	switch {
	case err != nil:
		w.backup.note, w.backup.failed = "The last backup failed: "+sentence(err), true
		out := w.backup.log
		if out == nil {
			out = os.Stderr
		}
		fmt.Fprintln(out, "deskchat: "+sentence(err))
	case b != nil:
		w.backup.note, w.backup.failed = "Last backup: "+b.CreatedAt.Local().Format("2006-01-02 15:04")+", in "+store.BackupsDir(w.dataFolder()), false
	default:
		return
	}
	if s := w.settings; s != nil {
		s.ShowBackupNote(w.backup.note, w.backup.failed)
	}
}

// backupAtExit stops the checks and makes the backup due at a clean exit,
// on the calling goroutine (the window is closed by then). It waits for a
// check still running.
func (w *window) backupAtExit() {
	if w.backup.stop == nil {
		return // backups were not started (tests)
	}
	w.backup.stop()
	b, err := w.backupScheduler().check()
	if err != nil || b != nil {
		w.backupDone(b, err)
	}
}
