//go:build screenshots

package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// sceneMathAnswer is the "math" scene's answer: inline math in prose and a
// list, display math between paragraphs, currency that is not math, and
// TeX that mathtex does not draw (a matrix), shown as its source.
const sceneMathAnswer = "The roots of $ax^2 + bx + c = 0$ are given by the quadratic formula:\n\n" +
	"$$x = \\frac{-b \\pm \\sqrt{b^2 - 4ac}}{2a}$$\n\n" +
	"The sign of the discriminant \\(\\Delta = b^2 - 4ac\\) decides how many real roots there are:\n\n" +
	"- $\\Delta > 0$: two, $x_1 \\neq x_2$\n" +
	"- $\\Delta = 0$: one, $x = -\\frac{b}{2a}$\n" +
	"- $\\Delta < 0$: none; the roots are complex, $\\alpha \\pm i\\beta$\n\n" +
	"A related sum converges for $|x| < 1$:\n\n" +
	"\\[\\sum_{k=0}^{\\infty} x^k = \\frac{1}{1 - x}, \\qquad \\int_0^1 x^2\\,dx = \\frac{1}{3}\\]\n\n" +
	"Prices like $5 and $10 stay text, and so does what the renderer cannot draw: " +
	"$\\begin{pmatrix} a & b \\end{pmatrix}$."

// stageMath stores a chat whose answer holds math and opens it.
func (w *window) stageMath() {
	at := w.now().Add(-5 * time.Minute)
	d := store.Dump{Conversation: store.Conversation{Title: "Quadratic formula", TitleEdited: true, Provider: engine.SimulatorName, Model: "gpt-4o-mini", CreatedAt: at, UpdatedAt: at}}
	d.Messages = []store.Message{
		{Role: store.RoleUser, Content: "How do I solve a quadratic equation?", State: store.StateDone, CreatedAt: at, UpdatedAt: at},
		{Role: store.RoleAssistant, Content: sceneMathAnswer, State: store.StateDone, CreatedAt: at, UpdatedAt: at,
			Provider: "OpenAI", Model: "gpt-4o-mini", PromptTokens: 24, OutputTokens: 210},
	}
	bridge.Run(w.b, func() ([]store.ImportResult, error) {
		return w.st.ImportConversations([]store.Import{{Dump: d}})
	}, func(res []store.ImportResult, err error) {
		if err != nil {
			w.showError("Could not stage the scene", err)
			return
		}
		w.win.Resize(fyne.NewSize(1180, 780))
		w.loadConversations(res[0].ID)
	})
}
