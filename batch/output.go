package batch

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/deskchat/deskchat/store"
)

// resultFields are the columns each output row has after its input's
// fields; an input field of the same name is left out (the result's wins).
var resultFields = []string{"answer", "state", "error", "tokens_in", "tokens_out", "cost", "cached", "provider", "model"}

// Writer writes finished rows, in the order given.
type Writer interface {
	Write(store.BatchRow) error
	// Close flushes; it does not close the underlying writer.
	Close() error
}

// FormatOf is the output format a path's extension names: "csv", else
// "jsonl".
func FormatOf(path string) string {
	if strings.EqualFold(filepath.Ext(path), ".csv") {
		return "csv"
	}
	return "jsonl"
}

// NewWriter writes rows to w as JSONL or CSV (format "csv").
func NewWriter(w io.Writer, format string) Writer {
	if format == "csv" {
		return &csvWriter{w: csv.NewWriter(w)}
	}
	return &jsonlWriter{w: bufio.NewWriter(w)}
}

func resultValues(r store.BatchRow) []string {
	return []string{r.Answer, r.State, r.Error, strconv.Itoa(r.TokensIn), strconv.Itoa(r.TokensOut),
		strconv.FormatFloat(r.Cost, 'f', -1, 64), strconv.FormatBool(r.Cached), r.Provider, r.Model}
}

type jsonlWriter struct{ w *bufio.Writer }

func (j *jsonlWriter) Write(r store.BatchRow) error {
	w := j.w
	w.WriteByte('{')
	first := true
	field := func(name string, value []byte) {
		if !first {
			w.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		w.Write(k)
		w.WriteByte(':')
		w.Write(value)
	}
	str := func(s string) []byte { b, _ := json.Marshal(s); return b }
	for i, name := range r.Names {
		if !slices.Contains(resultFields, name) {
			field(name, str(r.Values[i]))
		}
	}
	field("answer", str(r.Answer))
	field("state", str(r.State))
	field("error", str(r.Error))
	field("tokens_in", strconv.AppendInt(nil, int64(r.TokensIn), 10))
	field("tokens_out", strconv.AppendInt(nil, int64(r.TokensOut), 10))
	field("cost", strconv.AppendFloat(nil, r.Cost, 'f', -1, 64))
	field("cached", strconv.AppendBool(nil, r.Cached))
	field("provider", str(r.Provider))
	field("model", str(r.Model))
	w.WriteString("}\n")
	if w.Buffered() > 32<<10 {
		return w.Flush()
	}
	return nil
}

func (j *jsonlWriter) Close() error { return j.w.Flush() }

// csvWriter's header is the first row's fields: later rows fill the
// columns they share with it, in its order.
type csvWriter struct {
	w      *csv.Writer
	header []string
}

func (c *csvWriter) Write(r store.BatchRow) error {
	if c.header == nil {
		for _, n := range r.Names {
			if !slices.Contains(resultFields, n) {
				c.header = append(c.header, n)
			}
		}
		c.header = append(c.header, resultFields...)
		if err := c.w.Write(c.header); err != nil {
			return err
		}
	}
	rec := make([]string, 0, len(c.header))
	inputs := len(c.header) - len(resultFields)
	for _, n := range c.header[:inputs] {
		rec = append(rec, Row{Names: r.Names, Values: r.Values}.valueOr(n))
	}
	rec = append(rec, resultValues(r)...)
	if err := c.w.Write(rec); err != nil {
		return err
	}
	return c.w.Error()
}

func (r Row) valueOr(name string) string {
	v, _ := r.Get(name)
	return v
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// Export writes the stored rows of run name to w in input order, a page
// at a time (never the whole run in memory), and closes w.
func Export(st *store.Store, name string, w Writer) error {
	const page = 1024
	for from := 0; ; {
		rows, err := st.BatchRows(name, from, page)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := w.Write(r); err != nil {
				return err
			}
		}
		if len(rows) < page {
			return w.Close()
		}
		from = rows[len(rows)-1].Index + 1
	}
}
