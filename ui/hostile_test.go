package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"deskchat/internal/hostile"
	"deskchat/store"
)

// hostileChat stores a chat holding a question and c's answer; it returns
// the chat's id.
func hostileChat(t testing.TB, st *store.Store, c hostile.Case) string {
	t.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := store.Dump{Conversation: store.Conversation{Title: "Hostile " + c.Name, Provider: "Simulator", Model: "simulated-markdown", CreatedAt: t0, UpdatedAt: t0}}
	d.Messages = []store.Message{
		{Role: store.RoleUser, Content: "Show me " + c.Name, State: store.StateDone, CreatedAt: t0, UpdatedAt: t0},
		{Role: store.RoleAssistant, Content: c.Text, State: store.StateDone, Provider: "Simulator", Model: "simulated-markdown", CreatedAt: t0, UpdatedAt: t0},
	}
	res, err := st.ImportConversations([]store.Import{{Dump: d}})
	if err != nil {
		t.Fatal(err)
	}
	return res[0].ID
}

// hostileServer is an OpenAI-compatible provider that answers a question
// with answer(question), streamed in deltas of chunk bytes, each flushed on
// its own.
func hostileServer(t testing.TB, answer func(question string) string, chunk int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		var req struct {
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			http.Error(w, "no messages", http.StatusBadRequest)
			return
		}
		body := answer(req.Messages[len(req.Messages)-1].Content)
		if strings.Contains(strings.ToLower(req.Messages[0].Content), "title") {
			body = "Hostile"
		}
		for len(body) > 0 {
			n := min(chunk, len(body))
			b, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"delta": map[string]string{"content": body[:n]}}}})
			fmt.Fprintf(w, "data: %s\n\n", b)
			fl.Flush()
			body = body[n:]
		}
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func useHostileServer(t testing.TB, url string) func(*store.Store) {
	return func(st *store.Store) {
		if err := st.PutProvider(store.Provider{Name: "Hostile", Kind: store.KindCompatible, BaseURL: url + "/v1", Model: "h"}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSetting(store.SettingDefaultProvider, "Hostile"); err != nil {
			t.Fatal(err)
		}
	}
}

// built is what a view hands Fyne: RichText widgets, their segments, the
// characters in them and the longest text segment.
type built struct {
	richTexts, segments, chars, longest int
	notes                               []string // what the "Showing …" lines say
}

func measureBuilt(o fyne.CanvasObject) built {
	var b built
	var segs func([]widget.RichTextSegment)
	segs = func(ss []widget.RichTextSegment) {
		for _, s := range ss {
			b.segments++
			switch s := s.(type) {
			case *widget.TextSegment:
				b.chars += len(s.Text)
				b.longest = max(b.longest, len(s.Text))
			case *widget.ParagraphSegment:
				segs(s.Texts)
			case *widget.ListSegment:
				segs(s.Items)
			case *widget.HyperlinkSegment:
				b.chars += len(s.Text)
			}
		}
	}
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch o := o.(type) {
		case *widget.RichText:
			b.richTexts++
			segs(o.Segments)
		case *widget.Label:
			if strings.HasPrefix(o.Text, "Showing ") && o.Visible() {
				b.notes = append(b.notes, o.Text)
			}
		case *fyne.Container:
			if o.Visible() {
				for _, c := range o.Objects {
					walk(c)
				}
			}
		}
	}
	walk(o)
	return b
}

// The bounds every hostile answer stays within, whatever its size.
const (
	maxBuiltChars = MsgBytes + TableBytes + 4<<10 // a message's page, the block crossing it, labels
	maxSegment    = CodeGroup * (CodeWrap + 1)    // the longest segment handed to Fyne
	maxRichTexts  = TableCellsPage + 2*TableCols + 64
)

func checkBuilt(t *testing.T, name string, b built, wantNote string) {
	t.Helper()
	if b.chars > maxBuiltChars {
		t.Errorf("%s: %d characters handed to widgets, more than %d", name, b.chars, maxBuiltChars)
	}
	if b.longest > maxSegment {
		t.Errorf("%s: a segment of %d bytes, more than %d", name, b.longest, maxSegment)
	}
	if b.richTexts > maxRichTexts {
		t.Errorf("%s: %d RichText widgets, more than %d", name, b.richTexts, maxRichTexts)
	}
	if !slices.ContainsFunc(b.notes, func(n string) bool { return strings.Contains(n, wantNote) }) {
		t.Errorf("%s: no line says %q (lines: %q)", name, wantNote, b.notes)
	}
}

// What each hostile answer's view must say about what it shows.
var hostileNotes = map[string]string{
	"table400": "table of 400 columns",
	"line2mb":  "Showing 16 KB of 2.0 MB",
	"fence50k": "Showing 200 of 50,000 lines",
	"base64":   "Showing 16 KB of 100 KB",
}

func TestHostileAnswersOpenWithBoundedWorkAndCopyWhole(t *testing.T) {
	cases := hostile.Cases()
	ids := map[string]string{}
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		for _, c := range cases {
			ids[c.Name] = hostileChat(t, st, c)
		}
	})
	for _, c := range cases {
		h.w.show(ids[c.Name])
		h.settle()
		cv := h.shown()
		answer := cv.views[len(cv.views)-1]
		b := measureBuilt(answer.md.Box)
		note := hostileNotes[c.Name]
		if c.Name == "table400" {
			// Shown as text, all 40 rows (a page of text rows), so no
			// "Showing" line: the code panel's label says why.
			tb := answer.md.blocks[len(answer.md.blocks)-1]
			if tb.lang == nil || tb.lang.Text != "table of 400 columns, shown as text" || !strings.Contains(tb.rt.String(), "| r40c1 |") {
				t.Errorf("table400: not shown as text with its 40 rows: %q", tb.rt.String()[:min(200, len(tb.rt.String()))])
			}
			note, b.notes = "-", append(b.notes, "-")
		}
		checkBuilt(t, c.Name, b, note)
		if answer.md.Text() != c.Text {
			t.Errorf("%s: the view holds %d bytes of the answer, not all %d", c.Name, len(answer.md.Text()), len(c.Text))
		}
		h.w.copyMessage(answer)
		if got := h.w.app.Clipboard().Content(); got != c.Text {
			t.Errorf("%s: Copy gave %d bytes, want all %d", c.Name, len(got), len(c.Text))
		}
		if ms := h.messages(ids[c.Name]); ms[len(ms)-1].Content != c.Text {
			t.Errorf("%s: the stored answer changed", c.Name)
		}
	}
}

func TestHostileLongRunsArePiecesAndCodeIsGrouped(t *testing.T) {
	test.NewTempApp(t)
	run := strings.Repeat("QUJD", 5000) // 20,000 runes without a space
	v := NewText(run)
	b := measureBuilt(v.Box)
	if b.longest > pieceRunes*2 {
		t.Errorf("a run of %d bytes was handed to Fyne with a segment of %d bytes", len(run), b.longest)
	}
	if b.chars != textBytes {
		t.Errorf("%d characters shown, want the first page of %d", b.chars, textBytes)
	}
	prose := strings.Repeat("a few words of prose ", 10)
	if p := NewText(prose); measureBuilt(p.Box).segments != 2 {
		t.Errorf("an ordinary paragraph was cut into pieces: %d segments", measureBuilt(p.Box).segments)
	}
	code := "```\n" + strings.Repeat("x := 1\n", 120) + "```"
	c := measureBuilt(NewText(code).Box)
	if want := (120 + CodeGroup - 1) / CodeGroup; c.segments != want {
		t.Errorf("120 lines of code in %d segments, want %d of %d lines", c.segments, want, CodeGroup)
	}
}

func TestShowMoreAddsPagesUpToAHardCap(t *testing.T) {
	test.NewTempApp(t)
	text := hostile.Fence(50_000)
	v := NewText(text)
	test.NewTempWindow(t, v.Box).Resize(fyne.NewSize(900, 700))
	fence := v.blocks[len(v.blocks)-1]
	for page := 1; page <= maxPages; page++ {
		want := fmt.Sprintf("Showing %s of 50,000 lines", thousands(page*codeLines))
		if got := fence.more.label.Text; !strings.HasPrefix(got, want) {
			t.Fatalf("page %d: the line says %q, want %q", page, got, want)
		}
		if page == maxPages {
			break
		}
		test.Tap(fence.more.btn)
	}
	if fence.more.btn.Visible() || !strings.Contains(fence.more.label.Text, "Copy copies all of it") {
		t.Errorf("after %d pages Show more is still offered (%q)", maxPages, fence.more.label.Text)
	}
	if b := measureBuilt(v.Box); b.chars > maxPages*codeBytes+4<<10 {
		t.Errorf("%d characters handed to widgets after every page, more than %d", b.chars, maxPages*codeBytes)
	}
	if v.Text() != text {
		t.Error("the text changed")
	}

	// A message of many blocks shows its first page of blocks, then more.
	para := strings.Repeat("word ", 200) + "\n\n" // 1 KB blocks
	many := strings.Repeat(para, 500)
	m := NewText(many)
	before := len(m.blocks)
	if before*len(para) > MsgBytes+len(para) || m.more == nil || !m.more.obj.Visible() {
		t.Fatalf("%d blocks of %d bytes built for a %d-byte message, more bar %v", before, len(para), len(many), m.more != nil)
	}
	test.Tap(m.more.btn)
	if after := len(m.blocks); after <= before || after*len(para) > 2*MsgBytes+len(para) {
		t.Errorf("Show more built %d blocks (was %d)", after, before)
	}
	if m.Text() != many {
		t.Error("the text changed")
	}

	// Many small blocks: a page holds msgBlocks of them.
	small := strings.Repeat("- one item\n\nA line.\n\n", 5_000)
	s := NewText(small)
	if len(s.blocks) != msgBlocks || !strings.HasPrefix(s.more.label.Text, "Showing ") {
		t.Errorf("%d blocks built of 10,000, want %d and a line (%q)", len(s.blocks), msgBlocks, s.more.label.Text)
	}
	test.Tap(s.more.btn)
	if len(s.blocks) != 2*msgBlocks {
		t.Errorf("Show more: %d blocks, want %d", len(s.blocks), 2*msgBlocks)
	}
}

// TestStreamingHostileAnswersKeepsTheWholeTextAndBoundsWhatIsBuilt streams
// smaller hostile answers than hostile.Cases (the race detector makes the
// engine's work on 2 MB slow), each still pages beyond what is shown.
func TestStreamingHostileAnswersKeepsTheWholeTextAndBoundsWhatIsBuilt(t *testing.T) {
	cases := []struct {
		hostile.Case
		note string
	}{
		{hostile.Case{Name: "table400", Text: hostile.Table(400, 10)}, "-"},
		{hostile.Case{Name: "line", Text: hostile.Line(256 << 10)}, "Showing 16 KB of 256 KB"},
		{hostile.Case{Name: "fence", Text: hostile.Fence(5_000)}, "Showing 200 of 5,000 lines"},
		{hostile.Case{Name: "base64", Text: hostile.Base64(100 << 10)}, "Showing 16 KB of 100 KB"},
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			srv := hostileServer(t, func(string) string { return c.Text }, 16<<10)
			h := newHarness(t, useHostileServer(t, srv.URL))
			h.ask("Show me " + c.Name)
			var answer *messageView
			h.settleUntil("the answer's end", func() bool {
				cv := h.w.chats[h.w.selected]
				if cv == nil || len(cv.views) < 2 {
					return false
				}
				answer = cv.views[len(cv.views)-1]
				return answer.state == store.StateDone
			})
			h.settle()
			b := measureBuilt(answer.md.Box)
			if c.note == "-" {
				b.notes = append(b.notes, "-") // 10 rows: no line, but shown as text
				if lang := answer.md.blocks[len(answer.md.blocks)-1].lang; lang == nil || !strings.Contains(lang.Text, "400 columns") {
					t.Errorf("the table is not shown as text")
				}
			}
			checkBuilt(t, c.Name, b, c.note)
			if answer.md.Text() != c.Text {
				t.Errorf("the view holds %d bytes, want %d", len(answer.md.Text()), len(c.Text))
			}
			ms := h.messages(h.w.selected)
			if got := ms[len(ms)-1].Content; got != c.Text {
				t.Errorf("stored %d bytes, want %d", len(got), len(c.Text))
			}
		})
	}
}

// BenchmarkHostileChats opens a chat holding each hostile answer
// (internal/hostile) from another chat, on Fyne's test driver, and reports
// the slowest as hostile_open_ms (from selecting it to its screen built and
// laid out; hostile_open_cpu_ms is the CPU time the process spent meanwhile,
// reading the store included, which other jobs on the machine do not
// inflate); hostile_show_more_ms_max is the CPU time of the slowest "Show
// more" tap on the 50,000-line fence, up to its last page. Then it streams
// each into a new chat of the same window from an OpenAI-compatible server
// in 512-byte deltas through the follow path and reports the longest piece
// of UI work (one posted function: applying what arrived within a frame and
// laying the chat out) as hostile_frame_ms_max: the CPU time of the thread
// running it, as wall time on a shared machine counts other jobs' turns
// too (that is hostile_frame_wall_ms_max, beside it).
func BenchmarkHostileChats(b *testing.B) {
	cases := hostile.Cases()
	ids := map[string]string{}
	texts := map[string]string{}
	for _, c := range cases {
		texts["Show me "+c.Name] = c.Text
	}
	srv := hostileServer(b, func(q string) string { return texts[q] }, 512)
	h := newHarness(b, func(st *store.Store) {
		for _, c := range cases {
			ids[c.Name] = hostileChat(b, st, c)
		}
		useHostileServer(b, srv.URL)(st)
	})
	h.w.newConversation()
	h.settle()
	other := h.w.selected
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var openMax, openCPUMax time.Duration
	for i := 0; i < b.N; i++ {
		for _, c := range cases {
			h.w.show(other)
			h.settle()
			start, cpu0 := time.Now(), processCPU(b)
			h.w.show(ids[c.Name])
			h.settleUntil("the chat", func() bool { cv := h.w.chats[ids[c.Name]]; return cv != nil && !cv.loading })
			d, cpu := time.Since(start), processCPU(b)-cpu0
			h.settle()
			openMax, openCPUMax = max(openMax, d), max(openCPUMax, cpu)
			b.ReportMetric(ms(d), "hostile_open_ms_"+c.Name+"@ms")
		}
	}
	b.ReportMetric(ms(openMax), "hostile_open_ms@ms")
	b.ReportMetric(ms(openCPUMax), "hostile_open_cpu_ms@ms")

	// Show more on the fence, up to its last page: each tap's UI work.
	lockThread(b)
	h.w.show(ids["fence50k"])
	h.settle()
	cv := h.shown()
	fence := cv.views[len(cv.views)-1].md.blocks
	var moreMax time.Duration
	for fb := fence[len(fence)-1]; fb.more.btn.Visible(); {
		c0 := threadCPU(b)
		test.Tap(fb.more.btn)
		h.settle()
		moreMax = max(moreMax, threadCPU(b)-c0)
	}
	b.ReportMetric(ms(moreMax), "hostile_show_more_ms_max@ms")

	// The same window streams them: its fonts are loaded, as the app's
	// are after its first screen.
	var frameMax, wallMax time.Duration
	sh := h
	post := sh.w.b.Post
	var worst time.Duration
	for _, c := range cases {
		sh.w.newConversation()
		sh.settle()
		worst = 0
		sh.w.b.Post = func(f func()) {
			post(func() {
				t0, c0 := time.Now(), threadCPU(b)
				f()
				worst = max(worst, threadCPU(b)-c0)
				wallMax = max(wallMax, time.Since(t0))
			})
		}
		sh.ask("Show me " + c.Name)
		sh.settleUntil("the answer's end", func() bool {
			cv := sh.w.chats[sh.w.selected]
			return cv != nil && len(cv.views) >= 2 && cv.views[len(cv.views)-1].state == store.StateDone
		})
		sh.settle()
		sh.w.b.Post = post
		if cv := sh.w.chats[sh.w.selected]; cv.views[len(cv.views)-1].md.Text() != c.Text {
			b.Fatalf("%s: the answer streamed is not the hostile text", c.Name)
		}
		b.ReportMetric(ms(worst), "hostile_frame_ms_"+c.Name+"@ms")
		frameMax = max(frameMax, worst)
	}
	b.ReportMetric(ms(frameMax), "hostile_frame_ms_max@ms")
	b.ReportMetric(ms(wallMax), "hostile_frame_wall_ms_max@ms")
}

func TestShowMoreInAChatLaysTheAnswerOutTaller(t *testing.T) {
	var id string
	h := newHarness(t, func(st *store.Store) {
		useSimulator(st)
		id = hostileChat(t, st, hostile.Case{Name: "fence", Text: hostile.Fence(5_000)})
	})
	h.w.show(id)
	h.settle()
	cv := h.shown()
	answer := cv.views[len(cv.views)-1]
	fence := answer.md.blocks[len(answer.md.blocks)-1]
	before, content := answer.obj.Size().Height, cv.scroll.Content.MinSize().Height
	test.Tap(fence.more.btn)
	h.settle()
	if got := answer.obj.Size().Height; got <= before {
		t.Errorf("the answer is %v tall after Show more, was %v", got, before)
	}
	if got := cv.scroll.Content.MinSize().Height; got <= content {
		t.Errorf("the chat is %v tall after Show more, was %v", got, content)
	}
	if !strings.HasPrefix(fence.more.label.Text, "Showing 400 of 5,000 lines") {
		t.Errorf("the line says %q", fence.more.label.Text)
	}
}

func TestTablesWithLongCellsOrManyRowsStayBounded(t *testing.T) {
	test.NewTempApp(t)
	long := "| a | b |\n|---|---|\n| " + strings.Repeat("x", 50_000) + " | y |\n"
	v := NewText(long)
	b := v.blocks[0]
	if b.table != nil || b.lang == nil || b.lang.Text != "table with long cells, shown as text" {
		t.Fatalf("a table with a 50,000-byte cell is not shown as text (table %v)", b.table != nil)
	}
	if got := measureBuilt(v.Box); got.longest > maxSegment || got.chars > TableBytes+1<<10 {
		t.Errorf("long cell: %+v", got)
	}

	rows := hostile.Table(3, 5_000)
	g := NewText(rows).blocks[1]
	if g.table == nil {
		t.Fatal("a 3-column table is not a grid")
	}
	if n := len(g.table.cells) - 1; n != TableCellsPage/3 {
		t.Errorf("%d rows built of a 3-column table, want a page of %d", n, TableCellsPage/3)
	}
	if want := fmt.Sprintf("Showing %d of 5,000 rows", TableCellsPage/3); !strings.HasPrefix(g.more.label.Text, want) {
		t.Errorf("the line says %q, want %q", g.more.label.Text, want)
	}
}
