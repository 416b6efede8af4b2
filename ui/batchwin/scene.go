//go:build screenshots

package batchwin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/batch"
	"github.com/deskchat/deskchat/engine"
)

// sceneRows is how many rows the scene's file has, and sceneAnswered how
// many of them its asker answers before the rest wait.
const (
	sceneRows     = 240
	sceneAnswered = 86
)

// Stage opens the Batch window on a run in progress: a file of support
// tickets, a third of them answered (two failed), four being asked, the
// rest waiting. The rows are answered by a made-up asker, never sent. It
// is the "batch" scene of the screenshots (ui/scene.go).
func Stage(h Host) {
	// Beside the history: the screenshots' data folder, removed after them.
	path := filepath.Join(filepath.Dir(h.Store().FilePath()), "support-tickets.csv")
	if os.WriteFile(path, []byte(sceneTickets()), 0o600) != nil {
		return
	}
	v := newView(&sceneHost{Host: h}, bridgeTimers{h.Bridge()})
	v.open()
	started := time.Now()
	v.now = func() time.Time { return started.Add(37 * time.Second) } // a steady rate, a steady frame
	v.SetFile(path)
	v.Template.SetText("Classify this support ticket as bug, question, billing or praise. Answer with the label, then one sentence why.\n\n{{text}}")
	v.Concurrency.SetText("4")
	v.RPM.SetText("500")
	h.Bridge().Every(100*time.Millisecond, func() bool {
		switch {
		case v.closed:
			return false
		case v.run == nil && !v.est.busy && v.est.result != nil:
			v.StartRun()
		case v.run != nil && v.Progress.Value >= sceneAnswered:
			// Down to where rows are finishing, being asked and waiting.
			v.Table.ScrollTo(widget.TableCellID{Row: sceneAnswered + 6, Col: 0})
			return false
		}
		return true
	})
}

// sceneHost answers with sceneAsker.
type sceneHost struct {
	Host
	asker sceneAsker
}

func (h *sceneHost) Asker() batch.Asker { return &h.asker }

// sceneAsker answers the first sceneAnswered rows at once and holds the
// others until the run stops.
type sceneAsker struct{ n atomic.Int64 }

func (a *sceneAsker) Complete(ctx context.Context, text string, _ engine.SendOptions) (engine.Completion, error) {
	if a.n.Add(1) > sceneAnswered {
		<-ctx.Done()
		return engine.Completion{}, ctx.Err()
	}
	ticket := text[strings.LastIndex(text, "\n")+1:]
	switch {
	case strings.Contains(ticket, "invoice twice"):
		return engine.Completion{}, &engine.ProviderError{Sentence: "OpenAI is busy (500) and did not answer after 3 tries."}
	case strings.Contains(ticket, "export to PDF"):
		return engine.Completion{}, &engine.ProviderError{Sentence: "OpenAI stopped the answer: the content filter flagged it."}
	}
	label, why := "question", "The customer asks how to do something."
	switch {
	case strings.Contains(ticket, "crash"), strings.Contains(ticket, "error"), strings.Contains(ticket, "broken"):
		label, why = "bug", "The app fails where it should work."
	case strings.Contains(ticket, "charged"), strings.Contains(ticket, "refund"), strings.Contains(ticket, "plan"):
		label, why = "billing", "It is about a payment."
	case strings.Contains(ticket, "love"), strings.Contains(ticket, "thank"):
		label, why = "praise", "The customer is happy."
	}
	return engine.Completion{Text: label + ": " + why, Usage: engine.Usage{PromptTokens: 61, CompletionTokens: 14},
		Cost: 0.0000175, Provider: "OpenAI", Model: "gpt-4o-mini"}, nil
}

// sceneTickets is a CSV of sceneRows tickets.
func sceneTickets() string {
	texts := []string{
		"The app crashes when I open a chat with a long code block",
		"How do I change the default model for new chats?",
		"I was charged twice for the Pro plan this month",
		"I love the new dark theme, thank you!",
		"Search returns nothing for words I know are there; it looks broken",
		"Can I use my own OpenAI-compatible server?",
		"Please refund the annual plan, I meant to pick monthly",
		"Error 401 every time I send a message after the update",
		"Is there a way to export a chat as Markdown?",
		"We received the invoice twice and paid both",
		"Thanks for the quick fix last week",
		"Attachments over 10 MB show an error instead of a preview",
		"Which plan includes team sharing?",
		"Where is the option to export to PDF?",
	}
	var b strings.Builder
	b.WriteString("id,text\n")
	for i := 0; i < sceneRows; i++ {
		fmt.Fprintf(&b, "T-%d,\"%s\"\n", 4100+i, texts[i%len(texts)])
	}
	return b.String()
}
