package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/deskchat/deskchat/internal/redact"
	"github.com/deskchat/deskchat/store"
)

// maxResultLine bounds one line of a batch's output: a longer one is not
// read into memory (its row fails with a sentence).
const maxResultLine = 16 << 20

// resultLine is one line of a batch's output or error file.
type resultLine struct {
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// collector stores one part's answers, a page of rows at a time.
type collector struct {
	p                   *provRun
	part                store.BatchPart
	rows                []store.BatchRow
	tokensIn, tokensOut int
	cost                float64
	priced              bool
}

// collect stores the answers of part, whose batch b is over: its output
// and error files streamed, each line's row answered or failed; the rows
// the provider left unanswered fail with a sentence saying why. The part
// is then recorded collected, with its ledger line, in one transaction.
// Collecting again (after a stop midway) writes the same rows.
func (p *provRun) collect(ctx context.Context, part store.BatchPart, b goopenai.Batch) error {
	c := &collector{p: p, part: part, priced: true}
	for _, id := range []string{part.OutputFileID, part.ErrorFileID} {
		if id == "" {
			continue
		}
		if err := c.read(ctx, id); err != nil {
			return err
		}
	}
	if err := c.flush(); err != nil {
		return err
	}
	if err := c.failMissing(p.missing(part, b)); err != nil {
		return err
	}
	part.Collected = true
	return p.putPart(part, c.usage())
}

// read streams one file's lines into rows.
func (c *collector) read(ctx context.Context, fileID string) error {
	rc, err := c.p.remote.content(ctx, fileID)
	if err != nil {
		return err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 64<<10)
	for {
		line, long, err := readLine(br, maxResultLine)
		if len(line) > 0 && !long {
			if err := c.take(line); err != nil {
				return err
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return c.p.remote.fail(err, false)
		}
	}
}

// readLine reads one line of at most limit bytes; a longer one is skipped
// whole (long).
func readLine(br *bufio.Reader, limit int) ([]byte, bool, error) {
	var buf []byte
	long := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !long && len(buf)+len(chunk) > limit {
			long, buf = true, nil
		}
		if !long {
			buf = append(buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return buf, long, err
	}
}

// take stores one line's row: answered, or failed with the provider's
// sentence (scrubbed of the key). A line naming no row of this part is
// left out: its row, if any, fails as unanswered.
func (c *collector) take(line []byte) error {
	line = bytes.TrimSpace(line)
	var r resultLine
	if len(line) == 0 || json.Unmarshal(line, &r) != nil {
		return nil
	}
	index, err := strconv.Atoi(r.CustomID)
	if err != nil {
		return nil
	}
	rows, err := c.p.cfg.Store.BatchRows(c.p.cfg.Run.Name, index, 1)
	if err != nil {
		return err
	}
	if len(rows) == 0 || rows[0].Index != index || rows[0].Part != c.part.N {
		return nil
	}
	row := rows[0]
	row.Answer, row.Error, row.State = "", "", store.BatchRowFailed
	row.Provider, row.Model = c.p.cfg.Provider.Name, c.p.cfg.Run.Model
	var resp goopenai.ChatCompletionResponse
	switch {
	case r.Response != nil && r.Response.StatusCode == 200:
		if json.Unmarshal(r.Response.Body, &resp) != nil || len(resp.Choices) == 0 {
			row.Error = fmt.Sprintf("%s's answer for this row could not be read; %s asks it again.", c.p.cfg.Provider.Name, c.p.resumeCmd())
			break
		}
		row.Answer, row.State = resp.Choices[0].Message.Content, store.BatchRowDone
		row.TokensIn, row.TokensOut = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
		cost, ok := c.p.cost(row.TokensIn, row.TokensOut)
		row.Cost = cost
		c.tokensIn, c.tokensOut, c.cost, c.priced = c.tokensIn+row.TokensIn, c.tokensOut+row.TokensOut, c.cost+cost, c.priced && ok
	default:
		row.Error = c.p.rowError(r)
	}
	c.rows = append(c.rows, row)
	if len(c.rows) >= maxCommit {
		return c.flush()
	}
	return nil
}

// rowError is the sentence for a row the provider refused.
func (p *provRun) rowError(r resultLine) string {
	name := p.cfg.Provider.Name
	msg := ""
	if r.Response != nil {
		msg = errorMessage(r.Response.Body)
	}
	if msg == "" && r.Error != nil {
		msg = r.Error.Message
	}
	msg = clip(redact.String(msg, p.cfg.Key), 300)
	s := fmt.Sprintf("%s could not answer this row.", name)
	if r.Response != nil && r.Response.StatusCode != 0 {
		s = fmt.Sprintf("%s refused this row (HTTP %d).", name, r.Response.StatusCode)
	}
	if msg != "" {
		s += " It said: " + msg
	}
	return s
}

func (c *collector) flush() error {
	if len(c.rows) == 0 {
		return nil
	}
	err := c.p.cfg.Store.PutBatchRows(c.p.cfg.Run.Name, c.rows)
	c.rows = c.rows[:0]
	return err
}

// failMissing fails, with why, the rows sent in the part that no line
// answered.
func (c *collector) failMissing(why string) error {
	st, name := c.p.cfg.Store, c.p.cfg.Run.Name
	for from := c.part.From; from <= c.part.To; {
		page, err := st.BatchRows(name, from, journalPage)
		if err != nil {
			return err
		}
		for _, row := range page {
			if row.Index > c.part.To {
				break
			}
			if row.State == store.BatchRowWaiting && row.Part == c.part.N {
				row.State, row.Error = store.BatchRowFailed, why
				c.rows = append(c.rows, row)
			}
		}
		if err := c.flush(); err != nil {
			return err
		}
		if len(page) < journalPage {
			return nil
		}
		from = page[len(page)-1].Index + 1
	}
	return nil
}

// missing is the sentence of a row the part's batch b left unanswered.
func (p *provRun) missing(part store.BatchPart, b goopenai.Batch) string {
	again := p.resumeCmd() + " asks it again."
	switch part.Status {
	case "expired":
		return "The provider did not answer this row within 24 hours (the batch expired); " + again
	case "cancelled":
		return "The batch was cancelled at the provider before this row was answered; " + again
	case "failed":
		why := "it gave no reason"
		if b.Errors != nil {
			var msgs []string
			for _, e := range b.Errors.Data {
				if len(msgs) < 2 && e.Message != "" {
					msgs = append(msgs, clip(redact.String(e.Message, p.cfg.Key), 200))
				}
			}
			if len(msgs) > 0 {
				why = "it said: " + strings.Join(msgs, " ")
			}
		}
		return fmt.Sprintf("The provider's batch failed (%s); %s", why, again)
	}
	return "The provider's results have no readable answer for this row; " + again
}

func (p *provRun) resumeCmd() string {
	return fmt.Sprintf("\"deskchat batch resume %s\"", p.cfg.Run.Name)
}

// usage is the part's ledger line: its answers' tokens at the batch
// price; nil when nothing was answered.
func (c *collector) usage() *store.UsageRecord {
	if c.tokensIn == 0 && c.tokensOut == 0 {
		return nil
	}
	now := c.p.cfg.clock().Now()
	rec := &store.UsageRecord{Time: now, Label: "batch " + c.p.cfg.Run.Name, Provider: c.p.cfg.Provider.Name,
		Model: c.p.cfg.Run.Model, PromptTokens: c.tokensIn, CompletionTokens: c.tokensOut, Outcome: "done",
		DurationMs: now.Sub(c.part.CreatedAt).Milliseconds()}
	if c.priced {
		cost := c.cost
		rec.Cost = &cost
	}
	return rec
}
