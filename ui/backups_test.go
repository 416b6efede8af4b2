package ui

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/deskchat/deskchat/store"
)

// backupsOf lists the backups of the harness's data dir.
func (h *harness) backupsOf() []store.Backup {
	h.t.Helper()
	list, err := store.ListBackups(filepath.Dir(h.st.FilePath()))
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// The window's scheduler, driven by a fake clock: a backup when one is
// due, not twice a day, the newest kept, none when off; a failure is a
// quiet note (no dialog), chats go on, and the exit makes the one due.
func TestWindowBackupsDailyRotatedAndQuietWhenTheyFail(t *testing.T) {
	h := newHarness(t, useSimulator)
	clock := time.Date(2026, 12, 6, 20, 15, 0, 0, time.UTC)
	h.w.now = func() time.Time { return clock }
	var log bytes.Buffer
	h.w.backups().Log = &log
	check := func() { h.w.backups().Check(); h.settle() }

	check()
	if list := h.backupsOf(); len(list) != 1 || list[0].Name != "deskchat-20261206-201500.db" {
		t.Fatalf("first check: %v", list)
	}
	if note, failed := h.w.backups().Note(); !strings.HasPrefix(note, "Last backup: ") || failed {
		t.Errorf("note %q", note)
	}
	clock = clock.Add(23 * time.Hour)
	check()
	if n := len(h.backupsOf()); n != 1 {
		t.Fatalf("%d backups within a day", n)
	}

	if err := h.st.SetSettings(map[string]string{store.SettingBackupsKeep: "2"}); err != nil {
		t.Fatal(err)
	}
	for day := 0; day < 3; day++ {
		clock = clock.Add(24 * time.Hour)
		check()
	}
	list := h.backupsOf()
	if len(list) != 2 || !list[0].CreatedAt.Equal(clock) || !list[1].CreatedAt.Equal(clock.Add(-24*time.Hour)) {
		t.Fatalf("kept %v, want the 2 newest", list)
	}
	h.st.SetSettings(map[string]string{store.SettingBackupsKeep: "0"})
	clock = clock.Add(72 * time.Hour)
	check()
	if n := len(h.backupsOf()); n != 2 {
		t.Fatalf("backups off: %d backups, want the 2 there were", n)
	}

	// backups/ cannot be written (a file is in its way): a quiet note,
	// a log line, no dialog; the earlier backups and chats are untouched.
	h.st.SetSettings(map[string]string{store.SettingBackupsKeep: "7"})
	dir := store.BackupsDir(filepath.Dir(h.st.FilePath()))
	aside := dir + ".aside"
	if err := os.Rename(dir, aside); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(dir, []byte("in the way"), 0o600)
	check()
	if note, failed := h.w.backups().Note(); !failed || !strings.Contains(note, "The last backup failed") || !strings.Contains(log.String(), "a file is in the way") {
		t.Errorf("failure note %q, log %q", note, log.String())
	}
	if h.w.win.Canvas().Overlays().Top() != nil {
		t.Error("a failed backup opened a dialog")
	}
	h.ask("Still working?")
	h.settle()
	msgs := h.messages(h.w.pane.selected)
	if len(msgs) != 2 || msgs[1].State != store.StateDone {
		t.Fatalf("a chat after a failed backup: %+v", msgs)
	}
	s := h.openSettings()
	if got := shownText(s.Defaults.BackupsMsg); !strings.Contains(got, "failed") {
		t.Errorf("the Defaults tab shows %q", got)
	}
	if kept, _ := os.ReadDir(aside); len(kept) != 2 {
		t.Errorf("earlier backups after the failure: %d", len(kept))
	}

	// A clean exit makes the backup due, holding the chat.
	os.Remove(dir)
	os.Rename(aside, dir)
	h.w.backups().Start(time.Hour, time.Hour) // timers the test never lets fire
	h.w.backups().AtExit()
	list = h.backupsOf()
	if len(list) != 3 || !list[0].CreatedAt.Equal(clock) {
		t.Fatalf("after the exit: %v", list)
	}
	if !strings.Contains(shownText(s.Defaults.BackupsMsg), "Last backup") {
		t.Errorf("the Defaults tab shows %q after the exit backup", shownText(s.Defaults.BackupsMsg))
	}
	restored := t.TempDir()
	data, _ := os.ReadFile(filepath.Join(dir, list[0].Name))
	os.WriteFile(filepath.Join(restored, store.FileName), data, 0o600)
	st, err := store.Open(restored)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if cs, _ := st.Conversations(); len(cs) != 1 || cs[0].Title != "Still working?" {
		t.Errorf("the exit backup holds %+v", cs)
	}
}

func TestSettingsBackupsToKeep(t *testing.T) {
	h := newHarness(t, useSimulator)
	d := h.openSettings().Defaults
	if d.BackupsKeep.Text != "7" {
		t.Errorf("Backups to keep shows %q, want the default 7", d.BackupsKeep.Text)
	}
	d.BackupsKeep.SetText("some")
	test.Tap(d.Save)
	h.settle()
	if got := shownText(d.BackupsErr); !strings.Contains(got, "whole number") {
		t.Errorf("\"some\": %q", got)
	}
	if v, _ := h.st.Setting(store.SettingBackupsKeep); v != "" {
		t.Errorf("a refused save stored %q", v)
	}
	d.BackupsKeep.SetText("3")
	test.Tap(d.Save)
	h.settle()
	if v, _ := h.st.Setting(store.SettingBackupsKeep); v != "3" || h.w.conf.prefs.BackupsKeep != 3 {
		t.Errorf("stored %q, prefs %d", v, h.w.conf.prefs.BackupsKeep)
	}
	d.BackupsKeep.SetText("0")
	test.Tap(d.Save)
	h.settle()
	if v, _ := h.st.Setting(store.SettingBackupsKeep); v != "0" {
		t.Errorf("off stored as %q", v)
	}
}
