package engine

import (
	"fmt"
	"unicode/utf8"

	"github.com/deskchat/deskchat/store"
)

// exchange is a request's question and its empty answer as stored by
// Send. Send starts the job first and stores them while the job compresses
// the history, waits for a slot and opens the upstream stream: the commit
// (an fsync) overlaps the network instead of preceding it. Nothing the job
// shows or stores depends on the commit before it is done: the job waits
// for it before its first store write and before Started, and when the
// commit fails Send cancels the job, which then stores and shows nothing.
type exchange struct {
	done      chan struct{}
	user, ans store.Message
	err       error
	abort     func() // called by resolve when the commit failed; set before resolve
}

func newExchange() *exchange { return &exchange{done: make(chan struct{})} }

// stored returns an exchange that is stored already (Regenerate, Continue).
func stored(user, ans store.Message) *exchange {
	x := &exchange{done: make(chan struct{}), user: user, ans: ans}
	close(x.done)
	return x
}

// resolve records the commit's outcome; it is called once.
func (x *exchange) resolve(user, ans store.Message, err error) {
	x.user, x.ans, x.err = user, ans, err
	if err != nil && x.abort != nil {
		x.abort()
	}
	close(x.done)
}

// wait waits for the commit (Send resolves it within one commit's time)
// and returns its error.
func (x *exchange) wait() error {
	<-x.done
	return x.err
}

// failed reports, without waiting, whether the commit failed.
func (x *exchange) failed() bool {
	select {
	case <-x.done:
		return x.err != nil
	default:
		return false
	}
}

// unsaved is the failure of an answer whose last write failed (the store
// says why: a full disk, read-only media). The question is stored, and the
// answer as kept, its last successful write: the sentence says so, where
// the store's own ("nothing was changed") speaks of the failed write alone.
func unsaved(err error, kept store.Message) Failed {
	var s string
	if n := utf8.RuneCountInString(kept.Content) + utf8.RuneCountInString(kept.Reasoning); n == 0 {
		s = store.WriteProblem(err) + ": the question is saved, its answer is not."
	} else {
		s = fmt.Sprintf("%s: the question and the first %d characters of its answer are saved; the rest of the answer is not.", store.WriteProblem(err), n)
	}
	return Failed{Sentence: s, Err: &store.Error{Op: "save answer", Msg: s, Err: err}}
}
