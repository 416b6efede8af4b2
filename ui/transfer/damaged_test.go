package transfer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	_ "github.com/deskchat/deskchat/internal/localefix" // quiet Fyne under LANG=C.UTF-8
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// TestDamagedHistoryOffersRecover: with a history file that is no history
// (garbage), the screen shows the store's sentence; Recover runs the real
// recover off the UI goroutine, keeps the file aside and hands a working
// store to the main window (here: opened) with the result sentence. A failing recover
// shows its sentence and lets the user try again.
func TestDamagedHistoryOffersRecover(t *testing.T) {
	test.NewTempApp(t)
	dir := t.TempDir()
	garbage := []byte(strings.Repeat("this is not a database ", 400))
	if err := os.WriteFile(filepath.Join(dir, store.FileName), garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(dir)
	if !store.IsDamaged(err) {
		t.Fatalf("open of a garbage file: %v", err)
	}
	q := make(chan func(), 16)
	b := bridge.New()
	b.Post = func(f func()) { q <- f }
	var st *store.Store
	fail := true
	d := Recovery[*store.Store]{
		Sentence: store.UserMessage(err),
		Recover: func() (string, error) {
			if fail {
				return "", &store.Error{Op: "recover", Msg: "Cannot keep the damaged file aside (the disk is full); nothing was changed.", Err: os.ErrPermission}
			}
			rep, err := store.Recover(dir, time.Now())
			return rep.Sentence(), err
		},
		Open: func() (*store.Store, error) {
			var err error
			st, err = store.Open(dir)
			return st, err
		},
	}
	var gotStore *store.Store
	var gotResult string
	quit := false
	s := NewDamaged(d, b, func(opened *store.Store, result string) { gotStore, gotResult = opened, result }, func() { quit = true })
	w := test.NewWindow(s.Content)
	defer w.Close()
	if !strings.Contains(s.message.Text, "is not a deskchat history file") {
		t.Fatalf("the screen says %q", s.message.Text)
	}

	test.Tap(s.recoverB)
	if !s.recoverB.Disabled() {
		t.Fatal("Recover can be tapped again while it runs")
	}
	(<-q)()
	if !strings.Contains(s.message.Text, "disk is full") || s.recoverB.Disabled() || gotStore != nil {
		t.Fatalf("after a failed recover: %q, disabled %v", s.message.Text, s.recoverB.Disabled())
	}

	fail = false
	test.Tap(s.recoverB)
	(<-q)()
	if gotStore == nil || gotStore != st || !strings.HasPrefix(gotResult, "Recovered ") {
		t.Fatalf("after recover: store %v, result %q", gotStore, gotResult)
	}
	defer st.Close()
	if convs, err := st.Conversations(); err != nil || len(convs) != 0 {
		t.Fatalf("the recovered history: %d chats, %v", len(convs), err)
	}
	kept, _ := filepath.Glob(filepath.Join(dir, store.FileName+".damaged-*"))
	if len(kept) != 1 {
		t.Fatalf("kept %v", kept)
	}
	if b, _ := os.ReadFile(kept[0]); string(b) != string(garbage) {
		t.Fatal("the kept file is not the damaged one")
	}
	test.Tap(s.quitB)
	if !quit {
		t.Fatal("Quit does nothing")
	}
}
