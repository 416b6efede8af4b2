package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/store"
)

// longAnswer is a normal (not hostile) markdown answer of about words words:
// paragraphs, headings, lists and a code block now and then, as a model
// writes a long explanation.
func longAnswer(words int) string {
	var b strings.Builder
	n := 0
	for p := 0; n < words; p++ {
		switch {
		case p%12 == 0:
			fmt.Fprintf(&b, "## Part %d\n\n", p/12+1)
			n += 2
		case p%12 == 5:
			b.WriteString("- the first point of this part, said briefly\n- the second point, which takes a few more words to say\n- and a third\n\n")
			n += 24
		case p%12 == 9:
			fmt.Fprintf(&b, "```go\nfunc part%d() int {\n\treturn %d\n}\n```\n\n", p, p)
			n += 6
		default:
			for s := 0; s < 6; s++ {
				fmt.Fprintf(&b, "Sentence %d of paragraph %d explains one more detail of how the whole thing works. ", s, p)
				n += 14
			}
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// chatWithAnswer stores a conversation of one question and answer and
// returns its id.
func chatWithAnswer(t testing.TB, st *store.Store, answer string) string {
	t.Helper()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := store.Dump{Conversation: store.Conversation{Title: "One answer", Provider: "Simulator", Model: "simulated-markdown", CreatedAt: t0, UpdatedAt: t0}}
	d.Messages = []store.Message{
		{Role: store.RoleUser, Content: "Explain it all, at length.", State: store.StateDone, CreatedAt: t0, UpdatedAt: t0},
		{Role: store.RoleAssistant, Content: answer, State: store.StateDone, Provider: "Simulator", Model: "simulated-markdown", CreatedAt: t0, UpdatedAt: t0},
	}
	res, err := st.ImportConversations([]store.Import{{Dump: d}})
	if err != nil {
		t.Fatal(err)
	}
	return res[0].ID
}

// resizeFrom is the window's width when the benchmark's resizing starts:
// narrow enough that the chat's column is narrower than its reading width,
// so that every step changes the width the text wraps at.
const resizeFrom = 780

// resizeSteps resizes h's window as a drag of its edge does, 8 px a step,
// narrower then wider again, and returns the mean CPU time of one step on
// the UI goroutine's thread (the caller locks it: a machine shared with
// other jobs inflates wall time, not this), and the mean wall time. It fails
// when a step did not change the width of the chat's messages.
func resizeSteps(h *harness, steps int) (cpu, wall time.Duration) {
	const step = 8
	w := float32(resizeFrom)
	for i := 0; i < 2*steps; i++ {
		if i < steps {
			w -= step
		} else {
			w += step
		}
		col := h.shown().views[0].Obj.Size().Width
		c0, t0 := threadCPU(h.t), time.Now()
		h.w.win.Resize(fyne.NewSize(w, 700))
		wall += time.Since(t0)
		cpu += threadCPU(h.t) - c0
		if h.shown().views[0].Obj.Size().Width == col {
			h.t.Fatalf("a resize to %v px left the messages %v px wide", w, col)
		}
	}
	return cpu / time.Duration(2*steps), wall / time.Duration(2*steps)
}

// BenchmarkResizeLongAnswer resizes the window with a 30,000-word answer
// shown, one 8 px step at a time as dragging the window's edge does, and
// reports the mean CPU time of a step on the UI thread (the goal: at most
// 50 ms, work in proportion to what is visible); beside it, as the floor,
// the same steps with a short answer shown, and the long answer's mean wall
// time, which other jobs on the machine inflate.
func BenchmarkResizeLongAnswer(b *testing.B) {
	lockThread(b)
	var long, short, longWall time.Duration
	for i := 0; i < b.N; i++ {
		for _, c := range []struct {
			text      string
			cpu, wall *time.Duration
		}{{longAnswer(30000), &long, &longWall}, {"A short answer, in **one** line.", &short, new(time.Duration)}} {
			var id string
			h := newHarness(b, func(st *store.Store) {
				useSimulator(st)
				id = chatWithAnswer(b, st, c.text)
			})
			h.w.show(id)
			h.settle()
			h.w.win.Resize(fyne.NewSize(resizeFrom, 700))
			cpu, wall := resizeSteps(h, 10)
			*c.cpu += cpu
			*c.wall += wall
		}
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(ms(long), "resize_long_answer_ms@ms")
	b.ReportMetric(ms(short), "resize_short_answer_ms@ms")
	b.ReportMetric(ms(longWall), "resize_long_answer_wall_ms@ms")
}
