package ui

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/chat"
)

// longChat stores a conversation of n messages (alternating questions and
// markdown answers) in one transaction and returns its id.
func longChat(t testing.TB, st *store.Store, n int) string {
	t.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := store.Dump{Conversation: store.Conversation{Title: "A long chat", Provider: "Simulator", Model: "simulated-markdown", CreatedAt: t0, UpdatedAt: t0}}
	for i := 1; i <= n; i++ {
		m := store.Message{Role: store.RoleUser, Content: fmt.Sprintf("Question %d: how does part %d work?", i, i), State: store.StateDone, CreatedAt: t0, UpdatedAt: t0}
		if i%2 == 0 {
			m.Role, m.Provider, m.Model = store.RoleAssistant, "Simulator", "simulated-markdown"
			m.Content = fmt.Sprintf("Answer %d. Part %d works **like this**:\n\n- first it reads\n- then it writes\n\n```go\nfmt.Println(%d)\n```\n\nThat is all.", i, i, i)
		}
		d.Messages = append(d.Messages, m)
	}
	res, err := st.ImportConversations([]store.Import{{Dump: d}})
	if err != nil {
		t.Fatal(err)
	}
	return res[0].ID
}

func seqsOf(cv *chatView) []uint64 {
	out := make([]uint64, len(cv.views))
	for i, v := range cv.views {
		out[i] = v.Seq
	}
	return out
}

// contiguous reports whether seqs run from first to last without a gap.
func contiguous(seqs []uint64) bool {
	return sort.SliceIsSorted(seqs, func(i, j int) bool { return seqs[i] < seqs[j] }) && len(seqs) > 0 && seqs[len(seqs)-1]-seqs[0] == uint64(len(seqs)-1)
}

// scrollBy scrolls cv as a mouse wheel does (dy < 0: down).
func scrollBy(cv *chatView, dy float32) {
	cv.scroll.Scrolled(&fyne.ScrollEvent{Scrolled: fyne.Delta{DY: dy}})
}

func TestALongChatOpensOnItsLastPageAndPagesAsItScrolls(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = longChat(t, st, 2000)
	})
	h.settle()
	cv := h.shown()
	if cv.id != id || len(cv.views) != pageSize || cv.views[len(cv.views)-1].Seq != 2000 || cv.atStart || !cv.atEnd {
		t.Fatalf("opened with %d views ending at %d (atStart %v atEnd %v)", len(cv.views), cv.views[len(cv.views)-1].Seq, cv.atStart, cv.atEnd)
	}
	if !cv.views[len(cv.views)-1].Last || !cv.views[len(cv.views)-1].Regen.Visible() {
		t.Error("the chat's last answer does not offer Regenerate")
	}
	if !isAtBottom(cv.scroll) {
		t.Error("the chat did not open at its end")
	}

	// Scrolling up reads the page before; what was on screen stays put.
	top := cv.views[0]
	screenY := top.Obj.Position().Y - cv.scroll.Offset.Y
	scrollBy(cv, cv.scroll.Content.MinSize().Height) // to the top
	h.settleUntil("a page above", func() bool { return len(cv.views) == 2*pageSize })
	h.settle()
	// It was scrolled to the top of the screen, and stays there.
	if got := top.Obj.Position().Y - cv.scroll.Offset.Y; got < -1 || got > 1 {
		t.Errorf("the message that was at the top moved to %v on screen (was at %v before scrolling)", got, screenY)
	}
	if s := seqsOf(cv); !contiguous(s) || s[0] != 2000-2*pageSize+1 {
		t.Errorf("window %d..%d", s[0], s[len(s)-1])
	}

	// Far up, the window keeps its size and no longer holds the end.
	for i := 0; i < 6; i++ {
		first := cv.views[0].Seq
		scrollBy(cv, cv.scroll.Content.MinSize().Height)
		h.settleUntil("another page above", func() bool { return cv.views[0].Seq < first })
	}
	h.settle()
	if len(cv.views) > maxWindow || cv.atEnd || !contiguous(seqsOf(cv)) {
		t.Fatalf("%d views, atEnd %v", len(cv.views), cv.atEnd)
	}
	if v := cv.views[len(cv.views)-1]; v.Last || v.Regen.Visible() {
		t.Error("a message in the middle offers Regenerate")
	}

	// Scrolling down reads the pages below again, up to the end.
	for i := 0; i < 10 && !cv.atEnd; i++ {
		last := cv.views[len(cv.views)-1].Seq
		scrollBy(cv, -cv.scroll.Content.MinSize().Height)
		h.settleUntil("a page below", func() bool { return cv.views[len(cv.views)-1].Seq > last })
		h.settle()
		if len(cv.views) > maxWindow || !contiguous(seqsOf(cv)) {
			t.Fatalf("scrolling down: %d views, contiguous %v", len(cv.views), contiguous(seqsOf(cv)))
		}
	}
	if !cv.atEnd || !cv.views[len(cv.views)-1].Regen.Visible() {
		t.Fatalf("scrolled down to the end: atEnd %v", cv.atEnd)
	}
	// Back up a few pages, then send.
	for i := 0; i < 5; i++ {
		first := cv.views[0].Seq
		scrollBy(cv, cv.scroll.Content.MinSize().Height)
		h.settleUntil("a page above", func() bool { return cv.views[0].Seq < first })
	}
	h.settle()

	// Sending from up there goes to the end of the chat.
	h.ask("and now?")
	h.settle()
	msgs, _, _ := h.st.MessagesBefore(id, 0, 2)
	if msgs[0].Content != "and now?" || !cv.atEnd || cv.views[len(cv.views)-2].Md.Text() != "and now?" || !contiguous(seqsOf(cv)) {
		t.Errorf("after sending: stored %q, window ends at %d, atEnd %v", msgs[0].Content, cv.views[len(cv.views)-1].Seq, cv.atEnd)
	}
}

func TestSearchJumpsToAMessageFarUpAndHighlightsIt(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = longChat(t, st, 2000)
	})
	h.settle()
	h.w.OpenAt(id, 701)
	h.settle()
	cv := h.shown()
	var found *chat.Message
	for _, v := range cv.views {
		if v.Seq == 701 {
			found = v
		}
	}
	if found == nil || !contiguous(seqsOf(cv)) || cv.atEnd {
		t.Fatalf("window %v", seqsOf(cv))
	}
	if found.Bg.FillColor != theme.Color(theme.ColorNameSelection) {
		t.Error("the message is not highlighted")
	}
	if y := found.Obj.Position().Y - cv.scroll.Offset.Y; y < -1 || y > cv.scroll.Size().Height/2 {
		t.Errorf("the message is at %v on screen", y)
	}
	if !strings.HasPrefix(found.Md.Text(), "Question 701") {
		t.Errorf("message text %q", found.Md.Text())
	}
}

// BenchmarkOpen10k opens a 10,000-message conversation (from another one)
// on Fyne's test driver and reports the time from selecting it to its last
// screen read, built and laid out as open_10k_ms. Painting it is reported
// apart (open_10k_software_paint_ms): the test driver paints in software,
// pixel by pixel, where the app's window paints on the GPU.
func BenchmarkOpen10k(b *testing.B) {
	var id string
	h := newHarness(b, func(st *store.Store) {
		useSimulator(st)
		id = longChat(b, st, 10_000)
	})
	h.settle()
	h.w.newConversation()
	h.settle()
	other := h.w.pane.selected
	var total, paint time.Duration
	for i := 0; i < b.N; i++ {
		h.w.show(other)
		h.settle()
		start := time.Now()
		h.w.show(id)
		h.settle()
		laidOut := time.Now()
		h.w.win.Canvas().(test.WindowlessCanvas).Capture()
		total += laidOut.Sub(start)
		paint += time.Since(laidOut)
		if cv := h.shown(); cv.views[len(cv.views)-1].Seq != 10_000 || !isAtBottom(cv.scroll) {
			b.Fatal("the last screen is not shown")
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "open_10k_ms@ms")
	b.ReportMetric(float64(paint.Microseconds())/1000/float64(b.N), "open_10k_software_paint_ms@ms")
}

// BenchmarkStreamIntoALongChat streams a Simulator answer at 200 tokens a
// second into a chat whose window holds a page of earlier messages, and
// reports what the UI goroutine does per update (applying the text and
// laying the chat out): p50 and p99 as stream_long_chat_frame_ms_p50/p99.
func BenchmarkStreamIntoALongChat(b *testing.B) {
	h := newHarness(b, func(st *store.Store) {
		useSimulator(st)
		longChat(b, st, 2000)
	})
	h.settle()
	h.eng.SetSimulatorRate(200)
	var took []time.Duration
	post := h.w.b.Post
	h.w.b.Post = func(f func()) {
		post(func() {
			t0 := time.Now()
			f()
			took = append(took, time.Since(t0))
		})
	}
	for i := 0; i < b.N; i++ {
		h.ask(fmt.Sprint("a long answer please ", i))
		h.settle()
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	at := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.5), "stream_long_chat_frame_ms_p50@ms")
	b.ReportMetric(at(0.99), "stream_long_chat_frame_ms_p99@ms")
}

func TestAPageOfShortMessagesThatDoesNotFillTheScreenReadsMore(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		d := store.Dump{Conversation: store.Conversation{Title: "short", CreatedAt: t0, UpdatedAt: t0}}
		for i := 1; i <= 200; i++ {
			d.Messages = append(d.Messages, store.Message{Role: store.RoleUser, Content: "ok", State: store.StateDone, CreatedAt: t0, UpdatedAt: t0})
		}
		res, err := st.ImportConversations([]store.Import{{Dump: d}})
		if err != nil {
			t.Fatal(err)
		}
		id = res[0].ID
	})
	h.w.win.Resize(fyne.NewSize(1000, 4000)) // a screen taller than a page of one-word messages
	h.w.show("")
	h.w.OpenAt(id, 0)
	h.settle()
	cv := h.shown()
	if len(cv.views) <= pageSize || !contiguous(seqsOf(cv)) || cv.views[len(cv.views)-1].Seq != 200 {
		t.Errorf("%d messages shown (a page is %d), window %v", len(cv.views), pageSize, seqsOf(cv))
	}
}
