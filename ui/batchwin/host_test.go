package batchwin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/bridge/bridgetest"
)

// fakeHost is a Host with a real store, no main window and an asker the
// test chooses. Posted UI work waits until the test runs it.
type fakeHost struct {
	t     testing.TB
	app   fyne.App
	b     *bridge.Bridge
	bq    *bridgetest.Queue
	st    *store.Store
	asker batch.Asker
}

func newFakeHost(t testing.TB, asker batch.Asker, setup func(st *store.Store)) *fakeHost {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(st)
	}
	h := &fakeHost{t: t, app: test.NewTempApp(t), st: st, asker: asker}
	h.bq = bridgetest.New(1 << 12)
	h.b = h.bq.B
	t.Cleanup(func() {
		Close(h, 10*time.Second)
		h.bq.Settle(t)
		st.Close()
	})
	return h
}

func (h *fakeHost) App() fyne.App          { return h.app }
func (h *fakeHost) Bridge() *bridge.Bridge { return h.b }
func (h *fakeHost) Store() *store.Store    { return h.st }
func (h *fakeHost) Asker() batch.Asker     { return h.asker }

func (h *fakeHost) settle() {
	h.t.Helper()
	h.bq.Settle(h.t)
}

func (h *fakeHost) settleUntil(what string, cond func() bool) {
	h.t.Helper()
	h.bq.SettleUntil(h.t, what, cond)
}

// fakeTimers are Timers the test fires: tick runs the tickers, wait the
// waits due.
type fakeTimers struct {
	ticks  []*fakeTick
	afters []*func()
}

type fakeTick struct {
	f       func() bool
	stopped bool
}

func (ft *fakeTimers) Every(_ time.Duration, f func() bool) func() {
	t := &fakeTick{f: f}
	ft.ticks = append(ft.ticks, t)
	return func() { t.stopped = true }
}

func (ft *fakeTimers) After(_ time.Duration, f func()) func() {
	p := &f
	ft.afters = append(ft.afters, p)
	return func() { *p = nil }
}

// tick runs every live ticker once.
func (ft *fakeTimers) tick() {
	for _, t := range ft.ticks {
		if !t.stopped && !t.f() {
			t.stopped = true
		}
	}
}

// wait runs the waits not stopped (the typing is over).
func (ft *fakeTimers) wait() {
	afters := ft.afters
	ft.afters = nil
	for _, f := range afters {
		if *f != nil {
			(*f)()
		}
	}
}

// live counts the tickers still running.
func (ft *fakeTimers) live() int {
	n := 0
	for _, t := range ft.ticks {
		if !t.stopped {
			n++
		}
	}
	return n
}

// answerOf is the fake asker's answer to prompt: its hash.
func answerOf(prompt string) string {
	h := sha256.Sum256([]byte(prompt))
	return hex.EncodeToString(h[:6])
}

// hashAsker answers each prompt with its hash; prompts with "fail" in
// them fail. With gate set, each ask takes a token from it first (or
// waits for ctx); entered tells each ask's start.
type hashAsker struct {
	mu      sync.Mutex
	asked   map[string]int
	calls   atomic.Int64
	gate    chan struct{}
	entered chan string
}

func (a *hashAsker) Complete(ctx context.Context, text string, _ engine.SendOptions) (engine.Completion, error) {
	a.calls.Add(1)
	a.mu.Lock()
	if a.asked == nil {
		a.asked = map[string]int{}
	}
	a.asked[text]++
	a.mu.Unlock()
	if a.entered != nil {
		a.entered <- text
	}
	if a.gate != nil {
		select {
		case <-a.gate:
		case <-ctx.Done():
			return engine.Completion{}, ctx.Err()
		}
	}
	if strings.Contains(text, "fail") {
		return engine.Completion{}, &engine.ProviderError{Sentence: "The provider refused this row (500)."}
	}
	return engine.Completion{Text: answerOf(text) + "\nsecond line", Usage: engine.Usage{PromptTokens: 10, CompletionTokens: 2},
		Cost: 0.001, Provider: "Fake", Model: "m"}, nil
}

func (a *hashAsker) count(prompt string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.asked[prompt]
}

// writeFile writes content to name in a new folder and returns its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// csvRows is a CSV of n rows "id,text": ids r1…, texts "item i"; rows
// listed in failing say "fail".
func csvRows(n int, failing ...int) string {
	var b strings.Builder
	b.WriteString("id,text\n")
	for i := 1; i <= n; i++ {
		text := "item " + strconv.Itoa(i)
		for _, f := range failing {
			if f == i {
				text = "fail " + strconv.Itoa(i)
			}
		}
		b.WriteString("r" + strconv.Itoa(i) + ",\"" + text + "\"\n")
	}
	return b.String()
}

// opened opens the window on h with fake timers, the Simulator chosen.
func opened(t testing.TB, h *fakeHost) (*View, *fakeTimers) {
	t.Helper()
	ft := &fakeTimers{}
	v := Open(h, ft)
	h.settle()
	v.progressed = func() { h.bq.Work <- func() {} } // wakes settleUntil
	v.confirm = func(title, message, ok string, yes func()) {
		t.Errorf("unexpected question %q: %s", title, message)
	}
	return v, ft
}

// ready chooses path and template and waits for the estimate.
func ready(t testing.TB, h *fakeHost, v *View, ft *fakeTimers, path, template string) {
	t.Helper()
	v.SetFile(path)
	v.Template.SetText(template)
	ft.wait()
	h.settle()
}
