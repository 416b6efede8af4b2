package batchwin

import (
	"strings"
	"testing"

	"github.com/deskchat/deskchat/engine"
)

// Choosing a file shows its columns and, under the template, the first
// row's prompt as the template is typed; a field the file lacks is a
// sentence, in the preview and the estimate, and Start stays off.
func TestChooseFileShowsColumnsAndTheFirstPrompt(t *testing.T) {
	h := newFakeHost(t, &hashAsker{}, nil)
	v, ft := opened(t, h)
	if v.Provider.Selected != engine.SimulatorName {
		t.Errorf("with no provider stored, the provider is %q", v.Provider.Selected)
	}
	path := writeFile(t, "tickets.csv", "id,text,lang\n7,\"The app, it crashes\",en\n8,bonjour,fr\n")
	ready(t, h, v, ft, path, "Classify: {{text}} ({{ lang }})")
	if got := v.Columns.Text; got != "Columns: id, text, lang" {
		t.Errorf("columns %q", got)
	}
	if got := v.Preview.Text; got != "First row's prompt: Classify: The app, it crashes (en)" {
		t.Errorf("preview %q", got)
	}
	if v.Name.PlaceHolder != "tickets" {
		t.Errorf("the name defaults to %q", v.Name.PlaceHolder)
	}
	if !strings.HasPrefix(v.Estimate.Text, "2 rows to ask") || v.Start.Disabled() {
		t.Errorf("estimate %q, start disabled %v", v.Estimate.Text, v.Start.Disabled())
	}

	v.Template.SetText("Translate {{body}}")
	if want := `row 1 has no field "body" (the template uses it); nothing was sent.`; v.Preview.Text != want {
		t.Errorf("preview %q, want %q", v.Preview.Text, want)
	}
	if !v.Start.Disabled() {
		t.Error("Start is on while the estimate waits for the typing to stop")
	}
	ft.wait()
	h.settle()
	if !strings.Contains(v.Estimate.Text, `has no field "body"`) || !v.Start.Disabled() {
		t.Errorf("estimate %q, start disabled %v", v.Estimate.Text, v.Start.Disabled())
	}
}

// The estimate waits until the typing stops: each key restarts the wait,
// and only the last one reads the file.
func TestEstimateWaitsForTheTypingToStop(t *testing.T) {
	h := newFakeHost(t, &hashAsker{}, nil)
	v, ft := opened(t, h)
	ready(t, h, v, ft, writeFile(t, "a.csv", csvRows(3)), "x {{text}}")
	for _, s := range []string{"y", "y {", "y {{text}}"} {
		v.Template.SetText(s)
	}
	live := 0
	for _, f := range ft.afters {
		if *f != nil {
			live++
		}
	}
	if live != 1 {
		t.Errorf("%d waits pending after three keys, want 1", live)
	}
	ft.wait()
	h.settle()
	if !strings.HasPrefix(v.Estimate.Text, "3 rows to ask") {
		t.Errorf("estimate %q", v.Estimate.Text)
	}
}

// A file the run cannot read shows its sentence, and nothing can start.
func TestABadFileShowsItsSentence(t *testing.T) {
	long := `{"text":"` + strings.Repeat("a", 5<<20) + `"}` + "\n"
	for _, c := range []struct {
		name, file, content, want string
	}{
		{"binary", "bin.csv", "id,text\n1,\x00\x01\x02\xff\xfe\n", "is not text (is the file binary?)"},
		{"5 MB line", "long.jsonl", long, "is longer than 1 MB"},
		{"quote never closed", "quote.csv", "id,text\n1,ok\n2,\"never closed\n3,x\n", "has a quote that is never closed"},
		{"not csv or jsonl", "notes.txt", "hello", "a batch input is a .csv or a .jsonl file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newFakeHost(t, &hashAsker{}, nil)
			v, ft := opened(t, h)
			ready(t, h, v, ft, writeFile(t, c.file, c.content), "say {{text}}")
			if !strings.Contains(v.Estimate.Text, c.want) {
				t.Errorf("estimate %q, want %q", v.Estimate.Text, c.want)
			}
			if !v.Start.Disabled() {
				t.Error("Start is on for a file that cannot run")
			}
		})
	}
}

// A name a stored run of another file has is refused in a sentence; the
// same file and template resume it.
func TestANameTakenByAnotherRunIsRefused(t *testing.T) {
	h := newFakeHost(t, &hashAsker{}, nil)
	v, ft := opened(t, h)
	first := writeFile(t, "one.csv", csvRows(2))
	ready(t, h, v, ft, first, "say {{text}}")
	v.StartRun()
	h.settleUntil("the run to end", func() bool { return !v.Running() })
	h.settle()
	if !strings.Contains(v.Estimate.Text, "nothing is left to ask") {
		t.Errorf("after the run, estimate %q", v.Estimate.Text)
	}
	v.SetFile(writeFile(t, "two.csv", csvRows(2)))
	v.Name.SetText("one")
	ft.wait()
	h.settle()
	if !strings.Contains(v.Estimate.Text, `A run called "one" was made with another file or template`) || !v.Start.Disabled() {
		t.Errorf("estimate %q, start disabled %v", v.Estimate.Text, v.Start.Disabled())
	}
}

// Limits that are not numbers are a sentence, not a run.
func TestLimitsMustBeNumbers(t *testing.T) {
	h := newFakeHost(t, &hashAsker{}, nil)
	v, ft := opened(t, h)
	ready(t, h, v, ft, writeFile(t, "a.csv", csvRows(2)), "say {{text}}")
	v.Concurrency.SetText("lots")
	ft.wait()
	h.settle()
	if v.Estimate.Text != "At once takes a whole number from 1 to 1024." || !v.Start.Disabled() {
		t.Errorf("estimate %q", v.Estimate.Text)
	}
}
