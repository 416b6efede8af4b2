package batch

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/oserr"
	"github.com/deskchat/deskchat/store"
)

// partFile is a part being written: its requests file, and its rows
// waiting to be stored as sent (in pages, never the whole part).
type partFile struct {
	part    store.BatchPart
	path    string
	f       *os.File
	w       *bufio.Writer
	pending []store.BatchRow
}

// send makes a batch of every part uploaded without one (a run stopped
// between the two), then writes and sends the parts of the rows left.
func (p *provRun) send(ctx context.Context) error {
	for _, part := range p.run.Parts {
		if !part.Collected && part.BatchID == "" {
			if err := p.makeBatch(ctx, part, true); err != nil {
				return err
			}
		}
	}
	return p.writeParts(ctx)
}

// atProvider is the set of parts sent and not answered yet: their rows are
// not sent again.
func (p *provRun) atProvider() map[int]bool {
	out := map[int]bool{}
	for _, part := range p.run.Parts {
		if !part.Collected {
			out[part.N] = true
		}
	}
	return out
}

// writeParts streams the input once and sends, in parts, every row no
// earlier run answered and no part at the provider holds.
func (p *provRun) writeParts(ctx context.Context) error {
	in, err := Open(p.cfg.Run.Input)
	if err != nil {
		return err
	}
	defer in.Close()
	held := p.atProvider()
	earlier := &stored{st: p.cfg.Store, name: p.cfg.Run.Name}
	next := 1
	for _, part := range p.run.Parts {
		next = max(next, part.N+1)
	}
	var pf *partFile
	defer func() {
		if pf != nil {
			pf.discard()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		prev, ok, err := earlier.at(row.Index)
		if err != nil {
			return err
		}
		if ok && (prev.State == store.BatchRowDone || prev.State == store.BatchRowWaiting && held[prev.Part]) {
			continue
		}
		line, err := p.requestLine(row)
		if err != nil {
			return err
		}
		if pf != nil && !p.fits(pf, len(line)) {
			err := p.ship(ctx, pf)
			pf = nil
			if err != nil {
				return err
			}
		}
		if pf == nil {
			if pf, err = p.newPart(next); err != nil {
				return err
			}
			next++
		}
		if err := p.add(pf, row, line); err != nil {
			return err
		}
	}
	if pf == nil {
		return nil
	}
	err = p.ship(ctx, pf)
	pf = nil
	return err
}

// requestLine is row's request in the Batch API's input format: a chat
// completion whose custom_id is the row's index.
func (p *provRun) requestLine(row Row) ([]byte, error) {
	prompt, err := p.cfg.Template.Fill(row)
	if err != nil {
		return nil, err
	}
	body := goopenai.ChatCompletionRequest{Model: p.cfg.Run.Model, MaxCompletionTokens: p.cfg.MaxTokens}
	if p.cfg.Run.System != "" {
		body.Messages = append(body.Messages, goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleSystem, Content: p.cfg.Run.System})
	}
	body.Messages = append(body.Messages, goopenai.ChatCompletionMessage{Role: goopenai.ChatMessageRoleUser, Content: prompt})
	return json.Marshal(goopenai.BatchChatCompletionRequest{CustomID: strconv.Itoa(row.Index), Body: body,
		Method: http.MethodPost, URL: goopenai.BatchEndpointChatCompletions})
}

func (p *provRun) fits(pf *partFile, n int) bool {
	maxReq, maxBytes := p.cfg.PartRequests, p.cfg.PartBytes
	if maxReq <= 0 {
		maxReq = PartRequests
	}
	if maxBytes <= 0 {
		maxBytes = PartBytes
	}
	return pf.part.Requests < maxReq && pf.part.Bytes+int64(n)+1 <= maxBytes
}

// fileSafe keeps a run's name usable in a file's name.
func fileSafe(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return r
		}
		return '_'
	}, name)
}

// newPart starts part n's requests file (one left by a killed run is
// written over).
func (p *provRun) newPart(n int) (*partFile, error) {
	path := filepath.Join(p.cfg.tempDir(), fmt.Sprintf("batch-%s-part%d.jsonl", fileSafe(p.cfg.Run.Name), n))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot write the requests file %s: %s", path, oserr.Reason(err))
	}
	return &partFile{part: store.BatchPart{N: n, From: -1}, path: path, f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

// add writes row's request line to the part and stores the row as sent in
// it (a page at a time).
func (p *provRun) add(pf *partFile, row Row, line []byte) error {
	if pf.part.Requests > 0 {
		pf.w.WriteByte('\n')
		pf.part.Bytes++
	}
	if _, err := pf.w.Write(line); err != nil {
		return fmt.Errorf("cannot write the requests file %s: %s", pf.path, oserr.Reason(err))
	}
	pf.part.Bytes += int64(len(line))
	pf.part.Requests++
	if pf.part.From < 0 {
		pf.part.From = row.Index
	}
	pf.part.To = row.Index
	pf.pending = append(pf.pending, store.BatchRow{Index: row.Index, Names: row.Names, Values: row.Values,
		State: store.BatchRowWaiting, Part: pf.part.N, Provider: p.cfg.Provider.Name, Model: p.cfg.Run.Model})
	if len(pf.pending) >= maxCommit {
		return pf.flushRows(p.cfg.Store, p.cfg.Run.Name)
	}
	return nil
}

func (pf *partFile) flushRows(st *store.Store, name string) error {
	if len(pf.pending) == 0 {
		return nil
	}
	err := st.PutBatchRows(name, pf.pending)
	pf.pending = pf.pending[:0]
	return err
}

// discard removes the requests file of a part not sent.
func (pf *partFile) discard() {
	pf.f.Close()
	os.Remove(pf.path)
}

// ship uploads the part, records it, makes its batch and records that;
// the requests file is removed whatever happens (a resume writes it
// again).
func (p *provRun) ship(ctx context.Context, pf *partFile) error {
	defer pf.discard()
	if err := pf.flushRows(p.cfg.Store, p.cfg.Run.Name); err != nil {
		return err
	}
	if err := pf.w.Flush(); err != nil {
		return fmt.Errorf("cannot write the requests file %s: %s", pf.path, oserr.Reason(err))
	}
	if err := pf.f.Close(); err != nil {
		return fmt.Errorf("cannot write the requests file %s: %s", pf.path, oserr.Reason(err))
	}
	name := fmt.Sprintf("deskchat-%s-part%d.jsonl", fileSafe(p.cfg.Run.Name), pf.part.N)
	file, err := p.remote.upload(ctx, pf.path, name)
	if err != nil {
		return p.abandon(ctx, pf.part, err)
	}
	part := pf.part
	part.FileID, part.Status, part.CreatedAt = file.ID, "uploaded", p.cfg.clock().Now().UTC()
	if err := p.putPart(part, nil); err != nil {
		return err
	}
	return p.makeBatch(ctx, part, false)
}

// makeBatch makes the batch of part's uploaded file and records it; after
// a stop (again) it first looks for one made but not recorded.
func (p *provRun) makeBatch(ctx context.Context, part store.BatchPart, again bool) error {
	var b goopenai.Batch
	found := false
	var err error
	if again {
		if b, found, err = p.remote.find(ctx, part.FileID); err != nil {
			return err
		}
	}
	if !found {
		meta := map[string]any{"deskchat_run": p.cfg.Run.Name, "part": strconv.Itoa(part.N)}
		if b, err = p.remote.create(ctx, part.FileID, meta); err != nil {
			return p.abandon(ctx, part, err)
		}
	}
	update(&part, b)
	return p.putPart(part, nil)
}

// abandon gives up a part the provider refused (its upload or its
// batch) for a reason asking again would not change: its rows fail with
// the provider's sentence and the part is recorded as refused, so that
// nothing waits on it. A stop, or a failure that may pass (a 5xx, the
// network), keeps the part for the resume: uploaded, it is not sent
// again. It returns err.
func (p *provRun) abandon(ctx context.Context, part store.BatchPart, err error) error {
	if ctx.Err() != nil || transient(err) {
		return err
	}
	c := &collector{p: p, part: part}
	if ferr := c.failMissing(engine.UserMessage(err)); ferr != nil {
		return errors.Join(err, ferr)
	}
	if part.FileID == "" {
		return err // not recorded: nothing to mark
	}
	part.Status, part.Collected = "refused", true
	if perr := p.putPart(part, nil); perr != nil {
		return errors.Join(err, perr)
	}
	return err
}

// update copies what the provider says of a batch into its part.
func update(part *store.BatchPart, b goopenai.Batch) {
	part.BatchID, part.Status = b.ID, b.Status
	part.Completed, part.Failed = b.RequestCounts.Completed, b.RequestCounts.Failed
	if b.OutputFileID != nil {
		part.OutputFileID = *b.OutputFileID
	}
	if b.ErrorFileID != nil {
		part.ErrorFileID = *b.ErrorFileID
	}
}
