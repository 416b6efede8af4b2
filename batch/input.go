package batch

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/deskchat/deskchat/internal/oserr"
)

// Bounds of the input: a record longer than MaxRecordBytes or with more
// than MaxFields fields is refused with a sentence naming it, before
// anything is sent, rather than read into memory whole.
const (
	MaxRecordBytes = 1 << 20
	MaxFields      = 1000
)

// Row is one input row: its fields, names in input order.
type Row struct {
	Index  int // 0-based, in input order
	Line   int // the line it starts on, for sentences
	Names  []string
	Values []string
}

// Get returns the field called name.
func (r Row) Get(name string) (string, bool) {
	for i, n := range r.Names {
		if n == name {
			return r.Values[i], true
		}
	}
	return "", false
}

// InputError is a row the input cannot give: its sentence names it.
type InputError struct{ Sentence string }

func (e *InputError) Error() string { return e.Sentence }

func inputErrorf(format string, a ...any) error {
	return &InputError{Sentence: fmt.Sprintf(format, a...)}
}

// Reader gives an input's rows in order; Next returns io.EOF after the
// last one.
type Reader interface {
	Next() (Row, error)
	Close() error
}

// Open opens path as CSV (.csv) or JSONL (.jsonl, .ndjson) by its
// extension.
func Open(path string) (Reader, error) {
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".csv" && ext != ".jsonl" && ext != ".ndjson" {
		return nil, inputErrorf("%s: a batch input is a .csv or a .jsonl file.", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, inputErrorf("cannot read %s: %s.", path, oserr.Reason(err))
	}
	if ext == ".csv" {
		return newCSVReader(f), nil
	}
	return newJSONLReader(f), nil
}

// checkText refuses a field that is not text (a binary file read as CSV).
func checkText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// budgetReader fails once more than limit bytes have been read: it keeps
// encoding/csv, which reads a whole record before returning it, from
// reading an unclosed quote or a line without end into memory.
type budgetReader struct {
	r     io.Reader
	read  int64
	limit int64
}

var errTooLong = errors.New("record too long")

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.read >= b.limit {
		return 0, errTooLong
	}
	if room := b.limit - b.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

type csvReader struct {
	f      *os.File
	budget *budgetReader
	r      *csv.Reader
	header []string
	index  int
	// nextLine is the line the next record starts on.
	nextLine int
}

func newCSVReader(f *os.File) *csvReader {
	br := bufio.NewReader(f)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	budget := &budgetReader{r: br, limit: MaxRecordBytes + 64<<10}
	r := csv.NewReader(budget)
	r.ReuseRecord = false
	return &csvReader{f: f, budget: budget, r: r, nextLine: 1}
}

func (c *csvReader) Close() error { return c.f.Close() }

// read reads one record within the budget.
func (c *csvReader) read(what string) ([]string, int, error) {
	c.budget.limit = c.budget.read + MaxRecordBytes + 64<<10
	line := c.nextLine
	rec, err := c.r.Read()
	if err == nil {
		line, _ = c.r.FieldPos(0)
		end, _ := c.r.FieldPos(len(rec) - 1)
		c.nextLine = end + strings.Count(rec[len(rec)-1], "\n") + 1
	}
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, 0, io.EOF
	case errors.Is(err, errTooLong):
		return nil, 0, inputErrorf("%s near line %d is longer than 1 MB; nothing was sent.", what, line)
	case errors.As(err, &pe) && errors.Is(err, csv.ErrFieldCount):
		return nil, 0, inputErrorf("%s (line %d) has %d fields, the header %d; nothing was sent.", what, pe.StartLine, len(rec), len(c.header))
	case errors.As(err, &pe) && errors.Is(err, csv.ErrQuote):
		return nil, 0, inputErrorf("%s (from line %d) has a quote that is never closed; nothing was sent.", what, pe.StartLine)
	case errors.As(err, &pe):
		return nil, 0, inputErrorf("%s (line %d) is not valid CSV (%v); nothing was sent.", what, pe.Line, pe.Err)
	case err != nil:
		return nil, 0, inputErrorf("cannot read %s: %s.", c.f.Name(), oserr.Reason(err))
	}
	size := 0
	for _, v := range rec {
		size += len(v)
	}
	switch {
	case len(rec) > MaxFields:
		return nil, 0, inputErrorf("%s (line %d) has %d fields, more than %d; nothing was sent.", what, line, len(rec), MaxFields)
	case size > MaxRecordBytes:
		return nil, 0, inputErrorf("%s (line %d) is longer than 1 MB; nothing was sent.", what, line)
	}
	for _, v := range rec {
		if !checkText(v) {
			return nil, 0, inputErrorf("%s (line %d) is not text (is the file binary?); nothing was sent.", what, line)
		}
	}
	return rec, line, nil
}

func (c *csvReader) Next() (Row, error) {
	if c.header == nil {
		h, _, err := c.read("the header")
		if err == io.EOF {
			return Row{}, inputErrorf("%s is empty: a CSV input needs a header row naming its fields.", c.f.Name())
		}
		if err != nil {
			return Row{}, err
		}
		for i := range h {
			h[i] = strings.TrimSpace(h[i])
		}
		c.header = h
	}
	rec, line, err := c.read(fmt.Sprintf("row %d", c.index+1))
	if err != nil {
		return Row{}, err
	}
	row := Row{Index: c.index, Line: line, Names: c.header, Values: rec}
	c.index++
	return row, nil
}

type jsonlReader struct {
	f     *os.File
	sc    *bufio.Scanner
	index int
	line  int
}

func newJSONLReader(f *os.File) *jsonlReader {
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), MaxRecordBytes+1)
	return &jsonlReader{f: f, sc: sc}
}

func (j *jsonlReader) Close() error { return j.f.Close() }

func (j *jsonlReader) Next() (Row, error) {
	for j.sc.Scan() {
		j.line++
		text := j.sc.Bytes()
		if j.line == 1 {
			text = bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		what := fmt.Sprintf("row %d (line %d)", j.index+1, j.line)
		names, values, err := parseObject(text)
		if err != nil {
			return Row{}, inputErrorf("%s %s; nothing was sent.", what, err)
		}
		row := Row{Index: j.index, Line: j.line, Names: names, Values: values}
		j.index++
		return row, nil
	}
	switch err := j.sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return Row{}, inputErrorf("row %d (line %d) is longer than 1 MB; nothing was sent.", j.index+1, j.line+1)
	case err != nil:
		return Row{}, inputErrorf("cannot read %s: %s.", j.f.Name(), oserr.Reason(err))
	}
	return Row{}, io.EOF
}

// parseObject reads one JSON object, keeping its keys' order; values that
// are not strings are written as JSON (numbers as given, null as "").
func parseObject(text []byte) (names, values []string, err error) {
	if !utf8.Valid(text) || bytes.IndexByte(text, 0) >= 0 {
		return nil, nil, errors.New("is not text (is the file binary?)")
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, errors.New("is not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, errors.New("is not valid JSON")
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, errors.New("is not valid JSON")
		}
		if len(names) == MaxFields {
			return nil, nil, fmt.Errorf("has more than %d fields", MaxFields)
		}
		names, values = append(names, key), append(values, stringify(raw))
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, errors.New("is not valid JSON")
	}
	if dec.More() {
		return nil, nil, errors.New("holds more than one JSON value")
	}
	return names, values, nil
}

func stringify(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	if string(raw) == "null" {
		return ""
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return buf.String()
	}
	return string(raw)
}
