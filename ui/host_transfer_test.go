package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/transfer"
)

// threeChats stores three small chats.
func threeChats(st *store.Store) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	var ims []store.Import
	for i := range 3 {
		at := t0.Add(time.Duration(i) * time.Hour)
		im := store.Import{Dump: store.Dump{Conversation: store.Conversation{ID: fmt.Sprintf("chat%08d", i), Title: fmt.Sprintf("Chat %d", i), CreatedAt: at, UpdatedAt: at}}}
		im.Messages = []store.Message{{Seq: 1, Role: store.RoleUser, Content: fmt.Sprintf("question %d", i), State: store.StateDone, CreatedAt: at, UpdatedAt: at}}
		ims = append(ims, im)
	}
	if _, err := st.ImportConversations(ims); err != nil {
		panic(err)
	}
}

// Closing the window while an export runs stops it, and shutdown waits for
// it to take its unfinished file back.
func TestQuittingDuringAnExportLeavesNoFile(t *testing.T) {
	h := newHarness(t, threeChats)
	dir := t.TempDir()
	d := transfer.OpenExport(h.w)
	var bar *widget.ProgressBar
	for _, o := range h.topDialog() {
		switch o := o.(type) {
		case *widget.RadioGroup:
			o.SetSelected("All chats")
		case *widget.Entry: // the destination
			o.SetText(filepath.Join(dir, "quit.json"))
		}
	}
	// The export waits after its first chat until the gate opens.
	gate := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	t.Cleanup(open)
	d.OnProgress = func(done, total int) {
		if done == 1 {
			<-gate
		}
	}
	h.tapDialogButton("Export")
	h.settleUntil("1 of 3 chats exported", func() bool {
		for _, o := range h.topDialog() {
			if b, ok := o.(*widget.ProgressBar); ok {
				bar = b
			}
		}
		return bar != nil && bar.Value == 1
	})
	if got := bar.TextFormatter(); got != "1 of 3 chats" {
		t.Fatalf("progress reads %q", got)
	}
	// The export goes on only once shutdown has told it to stop.
	go func() {
		<-h.w.life.quit.Done()
		// quit's Done closes before its children (the export's context) are
		// cancelled; a second cancel returns only once the first has
		// cancelled them all (it waits for the context's lock).
		h.w.life.quitNow()
		open()
	}()
	h.w.shutdown(10 * time.Second)
	if names := folderNames(t, dir); len(names) != 0 {
		t.Errorf("quitting during the export left %q", names)
	}
}

// folderNames lists dir: what an export left there, temporary files included.
func folderNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}
