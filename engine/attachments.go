package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// Attachments in requests. A question's files go after its text as parts
// (llm.Part): images as data: URLs, text files and PDFs as their text,
// fenced and named (attach.Prompt). Parts are made on the job's goroutine,
// never the caller's: the texts when the history is planned, the images
// only when the response cache has no answer, through the engine's cache
// of encoded images (imageCache), so that a long chat does not encode its
// photos again for every question.

// defaultImageTokens is what an image whose size is unknown is counted as:
// a 768×768 picture at detail "high".
const defaultImageTokens = 765

// tokensOf estimates what a model reads of a: its own estimate when it
// has one (attach.Read makes it), else one from its size.
func tokensOf(a store.Attachment) int {
	if a.Tokens > 0 {
		return a.Tokens
	}
	if attach.KindOf(a) == attach.KindImage {
		if a.Width > 0 && a.Height > 0 {
			return attach.ImageTokens(attach.Fit(a.Width, a.Height))
		}
		return defaultImageTokens
	}
	return int(a.Size/4) + 1
}

// attachmentTokens estimates what a model reads of m's attachments.
func attachmentTokens(m store.Message) int {
	n := 0
	for _, a := range m.Attachments {
		n += tokensOf(a)
	}
	return n
}

// nameTokens estimates the notes that stand for m's attachments when they
// are named only.
func nameTokens(m store.Message) int {
	n := 0
	for _, a := range m.Attachments {
		n += len(a.Name)/3 + 6
	}
	return n
}

// note is what stands for an attachment that is not sent: its name.
func note(a store.Attachment) string {
	if attach.KindOf(a) == attach.KindImage {
		return "[image: " + a.Name + "]"
	}
	return "[file: " + a.Name + "]"
}

// notes names m's attachments, for transcripts (the summariser's).
func notes(m store.Message) string {
	var sb strings.Builder
	for i, a := range m.Attachments {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(note(a))
	}
	return sb.String()
}

// pendingImage is an image part of a request still without its data: URL.
type pendingImage struct {
	msg, part int // where: Request.Messages[msg].Parts[part]
	a         store.Attachment
	question  bool // the question being answered has it (others may do without)
}

// questionIndex is the index in history of the question being answered:
// the last user message, or the one before the instruction a Continue
// adds.
func questionIndex(history []store.Message) int {
	for i := len(history) - 1; i >= 0; i-- {
		m := history[i]
		if m.Role == store.RoleUser && !(m.Seq == 0 && m.Content == continuePrompt && len(m.Attachments) == 0) {
			return i
		}
	}
	return -1
}

// addParts gives the planned messages their attachments' parts: text
// files and PDFs their text (read from the store when the message is
// stored), images a part without its URL yet, returned as pending. An
// attachment goes as its name only when the plan left it out, when it is
// an image in an earlier message and the model cannot see, or when its
// text is not in the history any more.
func (e *Engine) addParts(j job, hp historyPlan, sees bool) []pendingImage {
	var pending []pendingImage
	for k, hi := range hp.KeptAt {
		m := j.history[hi]
		if len(m.Attachments) == 0 {
			continue
		}
		msg := &hp.Messages[hp.MsgAt[k]]
		msg.Parts = make([]llm.Part, 0, len(m.Attachments))
		question := hi == j.question
		for _, a := range m.Attachments {
			image := attach.KindOf(a) == attach.KindImage
			if hp.Named[k] || (image && !sees && !question) {
				msg.Parts = append(msg.Parts, llm.Part{Type: llm.PartText, Text: note(a), Name: a.Name})
				continue
			}
			if image {
				pending = append(pending, pendingImage{msg: hp.MsgAt[k], part: len(msg.Parts), a: a, question: question})
				msg.Parts = append(msg.Parts, llm.Part{Type: llm.PartImage, Detail: llm.DetailHigh, Name: a.Name, SHA256: a.SHA256})
				continue
			}
			text := a.Text
			if text == "" && a.Size > 0 {
				text, _ = e.st.BlobText(a.SHA256)
			}
			if text == "" && a.Size > 0 {
				msg.Parts = append(msg.Parts, llm.Part{Type: llm.PartText, Text: "[file: " + a.Name + ": no longer in the history]", Name: a.Name})
				continue
			}
			msg.Parts = append(msg.Parts, llm.Part{Type: llm.PartText, Text: attach.Prompt(a.Name, text), Name: a.Name, SHA256: a.SHA256})
		}
	}
	return pending
}

// encodeImages fills in the pending image parts of msgs with their data:
// URLs, several at once. An image that cannot be sent (its bytes are not in
// the history, or are no image) fails the request when the question has
// it, with a sentence naming it; in an earlier message it goes as a note.
func (e *Engine) encodeImages(ctx context.Context, msgs []llm.ChatMessage, pending []pendingImage) error {
	if len(pending) == 0 {
		return nil
	}
	errs := make([]error, len(pending))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(len(pending), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				p := pending[i]
				url, err := e.images.url(p.a.SHA256, func() ([]byte, error) {
					if p.a.Data != nil {
						return p.a.Data, nil
					}
					return e.st.Blob(p.a.SHA256)
				})
				if err != nil {
					errs[i] = err
					continue
				}
				msgs[p.msg].Parts[p.part].ImageURL = url // each part written by one worker
			}
		}()
	}
	for i := range pending {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, err := range errs {
		if err == nil {
			continue
		}
		p := pending[i]
		if p.question {
			return imageError(p.a, err)
		}
		msgs[p.msg].Parts[p.part] = llm.Part{Type: llm.PartText, Text: "[image: " + p.a.Name + ": " + unsendable(err) + "]", Name: p.a.Name}
	}
	return nil
}

// unsendable says in a few words why an image could not be sent.
func unsendable(err error) string {
	if errors.Is(err, store.ErrBlobMissing) {
		return "no longer in the history"
	}
	return "could not be read"
}

// imageError is the failure of a request whose question has an image that
// cannot be sent.
func imageError(a store.Attachment, err error) *ProviderError {
	var s string
	var ae *attach.Error
	switch {
	case errors.Is(err, store.ErrBlobMissing):
		s = fmt.Sprintf("%s is no longer in the history (its bytes are missing, perhaps after a repair of the history file); attach it again.", a.Name)
	case errors.As(err, &ae) && strings.Contains(ae.Sentence, a.Name):
		s = ae.Sentence
	default:
		s = fmt.Sprintf("%s could not be read as an image; it may be damaged. Attach it again or send the question without it.", a.Name)
	}
	return &ProviderError{Kind: llm.KindAttachment, Sentence: s, Err: fmt.Errorf("engine: image %q: %w", a.Name, err)}
}

// withBytes returns as with their bytes and text read from the store, so
// that storing them again (an edited question) keeps their blobs. An
// attachment whose blob is gone stays as it is: the message still says
// what was attached.
func (e *Engine) withBytes(as []store.Attachment) ([]store.Attachment, error) {
	out := make([]store.Attachment, len(as))
	for i, a := range as {
		if a.Data == nil {
			data, err := e.st.Blob(a.SHA256)
			switch {
			case errors.Is(err, store.ErrBlobMissing):
			case err != nil:
				return nil, err
			default:
				a.Data = data
				if a.Text == "" && attach.KindOf(a) != attach.KindImage {
					if a.Text, err = e.st.BlobText(a.SHA256); err != nil {
						return nil, err
					}
				}
			}
		}
		out[i] = a
	}
	return out, nil
}
