package ui

import (
	"fmt"
	"time"
)

// Soak makes the window ask questions in its shown chat by itself, one
// after the other, through the Send button's own path (the composer's text,
// then what a click on Send does): scripts/soak-window.sh measures what a
// long session costs with it. It is a measuring hook, never set by users.
type Soak struct {
	Questions int           // how many to ask
	Pace      time.Duration // at least this long between two questions
	// Rests pauses the soak after answer n for Rests[n], so that a reading
	// can be taken of the window at rest.
	Rests map[int]time.Duration
	// Answered, if set, is called on the UI goroutine each time an answer
	// has ended, with the number ended so far; failed reports a question
	// that could not be sent (the soak stops there).
	Answered func(n int, failed bool)
}

// soak runs s in the shown chat: it waits while an answer streams or the
// chat is being read, so that a question never lands on Stop.
func (w *window) soak(s *Soak) {
	asked, ended := 0, 0
	var restUntil time.Time
	w.b.Every(s.Pace, func() bool {
		cv := w.pane.chats[w.pane.selected]
		if cv == nil || cv.live != nil || cv.loading || cv.paging || asked > ended || w.now().Before(restUntil) {
			return true
		}
		if asked == s.Questions {
			return false
		}
		asked++
		w.compose.Input.SetText(fmt.Sprintf("Question %d of the soak: how do Go channels work?", asked))
		w.compose.Send.OnTapped()
		if cv.live == nil { // nothing was sent (the chat was not shown yet, say)
			if s.Answered != nil {
				s.Answered(ended, true)
			}
			return false
		}
		cv.live.onEnd = append(cv.live.onEnd, func() {
			ended++
			restUntil = w.now().Add(s.Rests[ended])
			if s.Answered != nil {
				s.Answered(ended, false)
			}
		})
		return true
	})
}
