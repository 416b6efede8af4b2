package transfer

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func compacted(t testing.TB, data string, blank []span, oneByte bool) string {
	t.Helper()
	var r io.Reader = strings.NewReader(data)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	cr := newCompactReader(r, 0, blank)
	var out io.Reader = cr
	if oneByte {
		out = iotest.OneByteReader(cr)
	}
	b, err := io.ReadAll(out)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Offset() != int64(len(data)) {
		t.Fatalf("offset %d of %d", cr.Offset(), len(data))
	}
	return string(b)
}

// TestCompactReader checks what the second pass decodes: whitespace outside
// strings goes (a run becomes one space), strings keep theirs, and a blank
// value becomes null, whatever the read sizes.
func TestCompactReader(t *testing.T) {
	at := func(data, value string) span {
		i := strings.Index(data, value)
		return span{start: int64(i), end: int64(i + len(value))}
	}
	big := `{"text":"` + strings.Repeat("x", 100) + `"}`
	list := "[\n  " + big + " ,\n\t{\"a\":  \"keep  these \\\"  spaces\"}\r\n]"
	env := `{"format":"deskchat", "junk": [` + big + `], "conversations": [ ]}`
	single := `{"mapping": {"n": ` + big + `}, "title": "t"}`
	for _, tc := range []struct {
		name, data string
		blank      []span
		want       string
	}{
		{"whitespace only", "[" + strings.Repeat(" \n\t\r", 1000) + "]", nil, "[ ]"},
		{"strings keep spaces", list, nil, `[ ` + big + ` , {"a": "keep  these \"  spaces"} ]`},
		{"a big element", list, []span{at(list, big)}, `[ null , {"a": "keep  these \"  spaces"} ]`},
		{"a big envelope value", env, []span{at(env, "["+big+"]")}, `{"format":"deskchat", "junk": null, "conversations": [ ]}`},
		{"nested blanks", single, []span{at(single, big), {start: 0, end: int64(len(single))}}, `null`},
	} {
		for _, oneByte := range []bool{false, true} {
			if got := compacted(t, tc.data, tc.blank, oneByte); got != tc.want {
				t.Errorf("%s (one byte at a time: %v):\n got %q\nwant %q", tc.name, oneByte, got, tc.want)
			}
		}
	}
}

// TestScanSpans checks where the first pass finds the values too large to
// decode, and that whitespace outside strings does not count.
func TestScanSpans(t *testing.T) {
	pad := strings.Repeat(" ", 200)
	small := `{"a":"` + strings.Repeat("y", 20) + `"}`
	padded := `{"a":` + pad + `"` + strings.Repeat("y", 20) + `"` + pad + `}`
	big := `{"a":"` + strings.Repeat("z", 120) + `"}`
	data := "[" + small + "," + padded + ",\n" + big + "]"
	sh, err := scanShape(strings.NewReader(data), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	i := int64(strings.Index(data, big))
	want := []span{{start: i, end: i + int64(len(big)), size: int64(len(big))}}
	equal(t, "blank", sh.blank, want)
	equal(t, "big", sh.big, map[int]int64{2: int64(len(big))})

	env := `{"format":"deskchat","version":1,"junk":` + big + `,"conversations":[` + padded + `]}`
	sh, err = scanShape(strings.NewReader(env), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	i = int64(strings.Index(env, big))
	equal(t, "envelope blank", sh.blank, []span{{start: i, end: i + int64(len(big)), size: int64(len(big))}})
	if len(sh.big) != 0 || sh.whole.size != int64(len(env)-2*len(pad)) {
		t.Fatalf("big %v, whole %+v", sh.big, sh.whole)
	}

	// What follows the list of conversations holds none.
	junk := `{"x":[` + big + `]}`
	env = `{"format":"deskchat","version":1,"conversations":[` + small + `],"junk":` + junk + `}`
	sh, err = scanShape(strings.NewReader(env), 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	i = int64(strings.Index(env, junk))
	equal(t, "after the list", sh.blank, []span{{start: i, end: i + int64(len(junk)), size: int64(len(junk))}})
	if sh.elems != 1 || len(sh.big) != 0 {
		t.Fatalf("%d conversations, big %v", sh.elems, sh.big)
	}
}

// FuzzCompact holds the compact reader to encoding/json: valid JSON stays
// the same JSON.
func FuzzCompact(f *testing.F) {
	for _, s := range []string{`[ 1 , "a  b\"  c" ]`, "{\n\t\"a\\\\\" : [true, null, -1.5e3]\r\n}", `"\u00e9 \\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) {
			return
		}
		got := compacted(t, string(data), nil, false)
		if slow := compacted(t, string(data), nil, true); slow != got {
			t.Fatalf("%q: %q read at once, %q a byte at a time", data, got, slow)
		}
		var a, b bytes.Buffer
		if err := json.Compact(&a, data); err != nil {
			t.Fatal(err)
		}
		if err := json.Compact(&b, []byte(got)); err != nil {
			t.Fatalf("compacted %q is not JSON: %v", got, err)
		}
		if a.String() != b.String() {
			t.Fatalf("%q became %q", data, got)
		}
	})
}

// TestImportWeighsConversationsWithoutTheirPadding: the size limit counts
// what the decoder holds, so a conversation padded with whitespace beyond
// the limit is imported, one with more text than the limit is skipped, and
// an envelope's oversized extra value is passed over.
func TestImportWeighsConversationsWithoutTheirPadding(t *testing.T) {
	defer func(old int64) { maxConversationBytes = old }(maxConversationBytes)
	maxConversationBytes = 4 << 10
	pad := strings.Repeat(" \n", 8<<10)
	padded := strings.Replace(gptConv("padded", "u", `u|root|user|{"content_type":"text","parts":["fits"]}`), `{`, `{`+pad, 1)
	big := gptConv("huge", "u", `u|root|user|{"content_type":"text","parts":["`+strings.Repeat("x", 5<<10)+`"]}`)
	st := openStore(t)
	rep := mustImport(t, st, "["+pad+padded+pad+","+big+"]", Auto)
	if want := `Imported 1 conversation (1 message); 1 skipped: "conversation 2" — it is too large to import (0 MB; the limit is 0 MB).`; rep.String() != want {
		t.Fatalf("report\n got %q\nwant %q", rep, want)
	}
	if d := only(t, st); d.Messages[0].Content != "fits" {
		t.Fatalf("imported %+v", d)
	}

	env := `{"format":"deskchat","version":1,"junk":["` + strings.Repeat("j", 5<<10) + `"],"conversations":[` + pad +
		`{"id":"envconv00001","title":"kept","messages":[{"seq":1,"role":"user","content":"hello","state":"done"}]}]}`
	rep = mustImport(t, openStore(t), env, Auto)
	if rep.String() != "Imported 1 conversation (1 message)." {
		t.Fatalf("envelope: %q", rep)
	}
}
