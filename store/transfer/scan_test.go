package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestScanAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`[]`, `{}`, ` [ {"a" : [1, -2.5e+3, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9"]} ] `, `"s"`, `0`, `-0.0E-0`,
		`[`, `]`, `[1,]`, `[,1]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{1:2}`, `01`, `1.`, `.5`, `-`, `1e`, `+1`, `tru`, `nul`,
		`"\x"`, `"\u12"`, `"\u12G4"`, "\"a\tb\"", `"unterminated`, `[1 2]`, `{"a":1 "b":2}`, `[] []`, `[]x`, "\xff", `[` + "\xc3\x28" + `]`,
		"[\"\xff\xfe\"]", `{"a":{"b":{"c":[[[]]]}}}`, "", " ", "\ufeff[]",
	} {
		_, err := scanShape(strings.NewReader(in), 1<<20, nil)
		// json.Valid does not accept a byte order mark; the scanner skips one.
		want := json.Valid([]byte(strings.TrimPrefix(in, "\ufeff")))
		if (err == nil) != want {
			t.Errorf("%q: scanner says %v, json.Valid %v", in, err, want)
		}
	}
}

func TestScanShape(t *testing.T) {
	envelope := `{"format":"deskchat","version":1,"exported_at":"x","conversations":[{"id":"a","messages":[{"seq":1}]},{"id":"b"},` + `{"id":"c","big":"` + strings.Repeat("x", 300) + `"}]}`
	sh, err := scanShape(iotest.OneByteReader(strings.NewReader(envelope)), 200, nil)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "keys", sh.keys, []string{"format", "version", "exported_at", "conversations"})
	if sh.top != '{' || sh.format != "deskchat" || sh.version != "1" || sh.listKind != '[' || sh.elems != 3 || sh.firstKind != '{' {
		t.Errorf("shape %+v", sh)
	}
	equal(t, "first element's keys", sh.first, []string{"id", "messages"})
	if len(sh.big) != 1 || sh.big[2] < 300 {
		t.Errorf("big %v", sh.big)
	}
	if sh.size != int64(len(envelope)) {
		t.Errorf("size %d, want %d", sh.size, len(envelope))
	}

	list := `[{"title":"t","mapping":{"x":{"parent":null}},"current_node":"x"}, 5, "s"]`
	sh, err = scanShape(strings.NewReader(list), 1<<20, nil)
	if err != nil || sh.top != '[' || sh.elems != 3 || sh.firstKind != '{' {
		t.Fatalf("list: %+v %v", sh, err)
	}
	equal(t, "first element's keys", sh.first, []string{"title", "mapping", "current_node"})
}

func TestScanReadError(t *testing.T) {
	boom := errors.New("disk went away")
	_, err := scanShape(&errReader{data: []byte(`[{"a":"b`), err: boom}, 1<<20, nil)
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want the read error", err)
	}
}

type errReader struct {
	data []byte
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

// FuzzScan holds the scanner to encoding/json: the same inputs are valid
// (up to the scanner's nesting limit, lower than encoding/json's).
func FuzzScan(f *testing.F) {
	for _, s := range []string{`[]`, `{"a":[1,"x",true,null,{"b":-1.5e3}]}`, `[1,]`, `"\u00e9\n"`, `[` + strings.Repeat("[", 600) + `]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sh, err := scanShape(bytes.NewReader(data), 1<<20, nil)
		var se *syntaxError
		if err != nil && !errors.As(err, &se) && !errors.Is(err, errEmpty) {
			t.Fatalf("not a syntax error: %v", err)
		}
		tooDeep := err != nil && strings.Contains(err.Error(), errTooDeep.Error())
		trimmed := bytes.TrimPrefix(data, []byte("\ufeff"))
		if !tooDeep && (err == nil) != json.Valid(trimmed) {
			t.Fatalf("scanner: %v; json.Valid: %v", err, json.Valid(trimmed))
		}
		if err == nil && sh.size != int64(len(data)) {
			t.Fatalf("size %d of %d bytes", sh.size, len(data))
		}
	})
}
