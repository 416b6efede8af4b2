package toolview

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/deskchat/deskchat/engine"
)

func TestTitles(t *testing.T) {
	for _, c := range []struct {
		u    Use
		want string
	}{
		{Use{Server: "s", Tool: "t", Took: 120 * time.Millisecond}, "Used s/t · 120 ms"},
		{Use{Server: "s", Tool: "t", Declined: true}, "Declined s/t"},
		{Use{Server: "s", Tool: "t", IsError: true, Took: 5 * time.Millisecond}, "s/t failed · 5 ms"},
		{Use{Server: "s", Tool: "t", Pending: true}, "s/t did not finish"},
	} {
		if got := Title(c.u); got != c.want {
			t.Errorf("Title(%+v) = %q, want %q", c.u, got, c.want)
		}
	}
}

func TestDetailIsBoundedAndPretty(t *testing.T) {
	d := Detail(Use{Arguments: `{"a":1}`, Result: strings.Repeat("é", MaxShown)})
	if !strings.Contains(d, "{\n  \"a\": 1\n}") {
		t.Fatalf("arguments not indented: %q", d[:40])
	}
	if len(d) > 2*MaxShown || !strings.Contains(d, "more bytes not shown") {
		t.Fatalf("result not bounded: %d bytes", len(d))
	}
	if Pretty("not json") != "not json" || Pretty("") != "{}" {
		t.Fatal("Pretty changed text that is not JSON")
	}
}

func TestACardAnswersOnceAndGoes(t *testing.T) {
	test.NewTempApp(t)
	l := New()
	var got []engine.ToolDecision
	c := l.Ask(engine.ToolRequest{Server: "s", Tool: "t", Arguments: []byte(`{}`)}, func(d engine.ToolDecision) { got = append(got, d) })
	if !l.Box.Visible() || len(l.Cards()) != 1 {
		t.Fatal("the card is not shown")
	}
	test.Tap(c.Always)
	test.Tap(c.Denied)
	if len(got) != 1 || got[0] != engine.AllowToolAlways || len(l.Cards()) != 0 || l.Box.Visible() {
		t.Fatalf("decisions %v, cards %d", got, len(l.Cards()))
	}
}

// A call that runs shows a line until it ends (then it is folded) or the
// answer ends (then the line goes).
func TestRunningLinesLastUntilTheCallEnds(t *testing.T) {
	test.NewTempApp(t)
	l := New()
	l.Running("c1", "srv", "echo")
	l.Running("c2", "srv", "slow")
	l.Running("c1", "srv", "echo") // told twice: one line
	if got := l.RunningNow(); len(got) != 2 || got[0] != "Running srv/echo…" || got[1] != "Running srv/slow…" || !l.Box.Visible() {
		t.Fatalf("running lines %q, visible %v", got, l.Box.Visible())
	}
	l.Add(Use{Server: "srv", Tool: "echo", CallID: "c1", Result: "hi", Took: 120 * time.Millisecond})
	if got := l.RunningNow(); len(got) != 1 || got[0] != "Running srv/slow…" || len(l.Uses) != 1 {
		t.Fatalf("after c1 ended: running %q, uses %d", got, len(l.Uses))
	}
	l.ClearRunning()
	if got := l.RunningNow(); len(got) != 0 || !l.Box.Visible() {
		t.Fatalf("after the answer ended: running %q, visible %v (one call is folded)", got, l.Box.Visible())
	}
	empty := New()
	empty.Running("c9", "srv", "slow")
	empty.ClearRunning()
	if empty.Box.Visible() {
		t.Fatal("an answer whose only call was stopped still shows the box")
	}
}
