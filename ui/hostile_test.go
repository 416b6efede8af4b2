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

	"github.com/deskchat/deskchat/internal/hostile"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/chat"
	"github.com/deskchat/deskchat/ui/internal/markdown"
	"github.com/deskchat/deskchat/ui/internal/markdown/mdtest"
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

// The bounds every hostile answer stays within, whatever its size.
const (
	maxBuiltChars = markdown.MsgBytes + markdown.TableBytes + 4<<10 // a message's page, the block crossing it, labels
	maxSegment    = markdown.CodeGroup * (markdown.CodeWrap + 1)    // the longest segment handed to Fyne
	maxRichTexts  = markdown.TableCellsPage + 2*markdown.TableCols + 64
)

func checkBuilt(t *testing.T, name string, b mdtest.Built, wantNote string) {
	t.Helper()
	if b.Chars > maxBuiltChars {
		t.Errorf("%s: %d characters handed to widgets, more than %d", name, b.Chars, maxBuiltChars)
	}
	if b.Longest > maxSegment {
		t.Errorf("%s: a segment of %d bytes, more than %d", name, b.Longest, maxSegment)
	}
	if b.RichTexts > maxRichTexts {
		t.Errorf("%s: %d RichText widgets, more than %d", name, b.RichTexts, maxRichTexts)
	}
	if !slices.ContainsFunc(b.Notes, func(n string) bool { return strings.Contains(n, wantNote) }) {
		t.Errorf("%s: no line says %q (lines: %q)", name, wantNote, b.Notes)
	}
}

// What each hostile answer's view must say about what it shows.
var hostileNotes = map[string]string{
	"table400": "table of 400 columns",
	"line2mb":  "Showing 16.4 KB of 2.1 MB",
	"fence50k": "Showing 200 of 50,000 lines",
	"base64":   "Showing 16.4 KB of 102.4 KB",
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
		b := mdtest.Measure(answer.Md.Box)
		note := hostileNotes[c.Name]
		if c.Name == "table400" {
			// Shown as text, all 40 rows (a page of text rows), so no
			// "Showing" line: the code panel's label says why.
			tb := lastBlock(answer.Md)
			if labelWith(tb, "shown as text") != "table of 400 columns, shown as text" || !strings.Contains(everyText(tb), "| r40c1 |") {
				t.Errorf("table400: not shown as text with its 40 rows: %q", everyText(tb)[:min(200, len(everyText(tb)))])
			}
			note, b.Notes = "-", append(b.Notes, "-")
		}
		checkBuilt(t, c.Name, b, note)
		if answer.Md.Text() != c.Text {
			t.Errorf("%s: the view holds %d bytes of the answer, not all %d", c.Name, len(answer.Md.Text()), len(c.Text))
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

// TestStreamingHostileAnswersKeepsTheWholeTextAndBoundsWhatIsBuilt streams
// smaller hostile answers than hostile.Cases (the race detector makes the
// engine's work on 2 MB slow), each still pages beyond what is shown.
func TestStreamingHostileAnswersKeepsTheWholeTextAndBoundsWhatIsBuilt(t *testing.T) {
	cases := []struct {
		hostile.Case
		note string
	}{
		{hostile.Case{Name: "table400", Text: hostile.Table(400, 10)}, "-"},
		{hostile.Case{Name: "line", Text: hostile.Line(256 << 10)}, "Showing 16.4 KB of 262.1 KB"},
		{hostile.Case{Name: "fence", Text: hostile.Fence(5_000)}, "Showing 200 of 5,000 lines"},
		{hostile.Case{Name: "base64", Text: hostile.Base64(100 << 10)}, "Showing 16.4 KB of 102.4 KB"},
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			srv := hostileServer(t, func(string) string { return c.Text }, 16<<10)
			h := newHarness(t, useHostileServer(t, srv.URL))
			h.ask("Show me " + c.Name)
			var answer *chat.Message
			h.settleUntil("the answer's end", func() bool {
				cv := h.w.pane.chats[h.w.pane.selected]
				if cv == nil || len(cv.views) < 2 {
					return false
				}
				answer = cv.views[len(cv.views)-1]
				return answer.State == store.StateDone
			})
			h.settle()
			b := mdtest.Measure(answer.Md.Box)
			if c.note == "-" {
				b.Notes = append(b.Notes, "-") // 10 rows: no line, but shown as text
				if labelWith(lastBlock(answer.Md), "400 columns") == "" {
					t.Errorf("the table is not shown as text")
				}
			}
			checkBuilt(t, c.Name, b, c.note)
			if answer.Md.Text() != c.Text {
				t.Errorf("the view holds %d bytes, want %d", len(answer.Md.Text()), len(c.Text))
			}
			ms := h.messages(h.w.pane.selected)
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
	other := h.w.pane.selected
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var openMax, openCPUMax time.Duration
	for i := 0; i < b.N; i++ {
		for _, c := range cases {
			h.w.show(other)
			h.settle()
			start, cpu0 := time.Now(), processCPU(b)
			h.w.show(ids[c.Name])
			h.settleUntil("the chat", func() bool { cv := h.w.pane.chats[ids[c.Name]]; return cv != nil && !cv.loading })
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
	more := findButton(lastBlock(cv.views[len(cv.views)-1].Md), "Show more")
	var moreMax time.Duration
	for more.Visible() {
		c0 := threadCPU(b)
		test.Tap(more)
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
			cv := sh.w.pane.chats[sh.w.pane.selected]
			return cv != nil && len(cv.views) >= 2 && cv.views[len(cv.views)-1].State == store.StateDone
		})
		sh.settle()
		sh.w.b.Post = post
		if cv := sh.w.pane.chats[sh.w.pane.selected]; cv.views[len(cv.views)-1].Md.Text() != c.Text {
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
	fence := lastBlock(answer.Md)
	before, content := answer.Obj.Size().Height, cv.scroll.Content.MinSize().Height
	test.Tap(findButton(fence, "Show more"))
	h.settle()
	if got := answer.Obj.Size().Height; got <= before {
		t.Errorf("the answer is %v tall after Show more, was %v", got, before)
	}
	if got := cv.scroll.Content.MinSize().Height; got <= content {
		t.Errorf("the chat is %v tall after Show more, was %v", got, content)
	}
	if note := labelWith(fence, "Showing "); !strings.HasPrefix(note, "Showing 400 of 5,000 lines") {
		t.Errorf("the line says %q", note)
	}
}

// lastBlock is the objects of md's last block, laid out (the block's
// fields are markdown's own).
func lastBlock(md *markdown.View) []fyne.CanvasObject {
	objs := md.Box.Objects
	return test.LaidOutObjects(objs[len(objs)-1])
}

// labelWith is the text of the first label in objs that holds s, or "".
func labelWith(objs []fyne.CanvasObject, s string) string {
	for _, o := range objs {
		if l, ok := o.(*widget.Label); ok && strings.Contains(l.Text, s) {
			return l.Text
		}
	}
	return ""
}
