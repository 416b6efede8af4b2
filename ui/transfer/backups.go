package transfer

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// Automatic backups while the window runs: a check FirstCheck after
// the window opens (not during start-up, whose reads it would slow),
// every CheckEvery after, and one when the window closes cleanly.
// Each check makes a backup only when one is due — a day after the newest
// backup in the folder, so a restart does not make another — and backups
// are on (store.BackupIfDue). The snapshot runs on a bridge goroutine; a
// failure is a quiet line in Settings › Defaults and on stderr, never a
// dialog, and never stops a chat.
const (
	FirstCheck = 30 * time.Second
	CheckEvery = time.Hour
)

// BackupHost is what the automatic backups need of the app.
type BackupHost interface {
	Bridge() *bridge.Bridge
	Store() *store.Store
	Now() time.Time
	// Quit ends when the window closes: no check starts after it.
	Quit() context.Context
	// DataFolder is the folder whose backups/ holds the backups.
	DataFolder() string
	// BackupNoted tells the app that Note changed (Settings shows it).
	BackupNoted()
}

// Backups makes the window's backups and keeps what became of the last.
// Its methods other than make run on the UI goroutine.
type Backups struct {
	h BackupHost
	// mu lets one backup run at a time: the periodic one and the one at
	// exit would otherwise both find a backup due.
	mu sync.Mutex

	running bool   // a check runs on a bridge goroutine
	note    string // the last outcome, as shown under "Backups to keep"
	failed  bool   // note reports a failure
	stop    func() // stops the checks; nil before Start

	// Log is where a failed backup is reported; nil: stderr.
	Log io.Writer
}

// NewBackups makes the backups of h's store; none is made before Start or
// Check.
func NewBackups(h BackupHost) *Backups { return &Backups{h: h} }

// Start starts the checks: the first after first, then every every.
// The app calls it for the real window; tests call Check themselves.
func (s *Backups) Start(first, every time.Duration) {
	b := s.h.Bridge()
	timer := b.After(first, s.Check)
	stopEvery := b.Every(every, func() bool { s.Check(); return true })
	s.stop = func() { timer.Stop(); stopEvery() }
}

// Check runs a backup check on a bridge goroutine, unless one runs.
func (s *Backups) Check() {
	if s.running || s.h.Quit().Err() != nil {
		return
	}
	s.running = true
	bridge.Run(s.h.Bridge(), s.make, func(b *store.Backup, err error) {
		s.running = false
		s.done(b, err)
	})
}

// make makes a backup if one is due and returns it (nil: none was due or
// backups are off). It blocks for the snapshot: call it off the UI
// goroutine.
func (s *Backups) make() (*store.Backup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.h.Store().BackupIfDue(s.h.Now())
}

// done records a check's outcome: the note under "Backups to keep",
// and a line on stderr when it failed.
func (s *Backups) done(b *store.Backup, err error) {
	switch {
	case err != nil:
		s.note, s.failed = "The last backup failed: "+sentence(err), true
		out := s.Log
		if out == nil {
			out = os.Stderr
		}
		fmt.Fprintln(out, "deskchat: "+sentence(err))
	case b != nil:
		s.note, s.failed = "Last backup: "+b.CreatedAt.Local().Format("2006-01-02 15:04")+", in "+store.BackupsDir(s.h.DataFolder()), false
	default:
		return
	}
	s.h.BackupNoted()
}

// AtExit stops the checks and makes the backup due at a clean exit,
// on the calling goroutine (the window is closed by then). It waits for a
// check still running.
func (s *Backups) AtExit() {
	if s.stop == nil {
		return // backups were not started (tests)
	}
	s.stop()
	b, err := s.make()
	if err != nil || b != nil {
		s.done(b, err)
	}
}

// Note is the last backup's outcome in a sentence ("" before the first),
// and whether it is a failure.
func (s *Backups) Note() (string, bool) { return s.note, s.failed }
