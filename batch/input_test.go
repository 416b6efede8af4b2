package batch

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readAll(t *testing.T, path string) ([]Row, error) {
	t.Helper()
	in, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var rows []Row
	for {
		r, err := in.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, r)
	}
}

func TestCSVKeepsQuotesCommasNewlinesAndDropsTheBOM(t *testing.T) {
	path := writeFile(t, "tickets.csv", "\ufeffid,text,lang\r\n"+
		"1,\"Printer says \"\"PC LOAD LETTER\"\", what?\",en\r\n"+
		"2,\"first line\nsecond line, with a comma\",en\n"+
		"3,Ça marche pas,fr\n")
	rows, err := readAll(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	if !slices.Equal(rows[0].Names, []string{"id", "text", "lang"}) {
		t.Fatalf("header %q: the BOM must not stay in the first name", rows[0].Names)
	}
	want := []string{`Printer says "PC LOAD LETTER", what?`, "first line\nsecond line, with a comma", "Ça marche pas"}
	for i, r := range rows {
		if v, _ := r.Get("text"); v != want[i] || r.Index != i {
			t.Errorf("row %d: %q (index %d), want %q", i, v, r.Index, want[i])
		}
	}
	if id, _ := rows[2].Get("id"); id != "3" || rows[2].Line != 5 {
		t.Errorf("row 3: id %q line %d, want 3 and 5", id, rows[2].Line)
	}
}

func TestJSONLKeepsUnicodeOrderAndStringifiesValues(t *testing.T) {
	path := writeFile(t, "in.jsonl", `{"id": 7, "text": "日本語のテキスト 🎌", "tags": ["a", "b"], "ok": true, "none": null}`+"\n\n"+
		`{"text": "Grüße\nzwei Zeilen", "id": "x-2", "n": 1.50}`+"\n")
	rows, err := readAll(t, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	if !slices.Equal(rows[0].Names, []string{"id", "text", "tags", "ok", "none"}) {
		t.Fatalf("names %q", rows[0].Names)
	}
	if !slices.Equal(rows[0].Values, []string{"7", "日本語のテキスト 🎌", `["a","b"]`, "true", ""}) {
		t.Fatalf("values %q", rows[0].Values)
	}
	if v, _ := rows[1].Get("n"); v != "1.50" || rows[1].Line != 3 {
		t.Fatalf("row 2: n %q line %d", v, rows[1].Line)
	}
}

// Hostile inputs end with a sentence naming the row, before anything is
// sent.
func TestHostileInputIsASentenceAndNothingIsSent(t *testing.T) {
	wide := strings.Repeat("c,", 9999) + "c\n" + strings.Repeat("v,", 9999) + "v\n"
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	cases := []struct{ name, file, content, want string }{
		{"5 MB line jsonl", "big.jsonl", `{"text":"short"}` + "\n" + `{"text":"` + strings.Repeat("x", 5<<20) + `"}` + "\n", "row 2 (line 2) is longer than 1 MB"},
		{"5 MB line csv", "big.csv", "text\nshort\n" + strings.Repeat("x", 5<<20) + "\n", "row 2 near line 3 is longer than 1 MB"},
		{"binary csv", "bin.csv", "text\n" + string(binary), "is not text"},
		{"binary jsonl", "bin.jsonl", string(binary), "row 1 (line 1) is not"},
		{"10,000 columns", "wide.csv", wide, "has 10000 fields, more than 1000"},
		{"unclosed quote", "quote.csv", "id,text\n1,fine\n2,\"never closed\n3,more\n", "row 2 (from line 3) has a quote that is never closed"},
		{"field count", "count.csv", "id,text\n1,a,extra\n", "row 1 (line 2) has"},
		{"not an object", "arr.jsonl", "[1,2]\n", "row 1 (line 1) is not a JSON object"},
		{"two values", "two.jsonl", `{"a":1} {"b":2}` + "\n", "holds more than one JSON value"},
		{"empty csv", "empty.csv", "", "is empty"},
		{"other extension", "in.txt", "text\nx\n", "a .csv or a .jsonl file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, c.file, c.content)
			a := &hashAsker{}
			_, _, err := runOnce(t, context.Background(), openStore(t), a, path, "hostile", "{{text}}", 4)
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want an InputError containing %q", err, c.want)
			}
			if a.calls.Load() != 0 {
				t.Fatalf("%d requests sent", a.calls.Load())
			}
		})
	}
}

func TestTemplateFillsPlacesAndNamesAMissingField(t *testing.T) {
	tm := mustTemplate(t, "Classify ({{ lang }}): {{text}} / {{text}}")
	row := Row{Index: 4, Names: []string{"text", "lang"}, Values: []string{"hello", "en"}}
	got, err := tm.Fill(row)
	if err != nil || got != "Classify (en): hello / hello" {
		t.Fatalf("Fill: %q, %v", got, err)
	}
	_, err = tm.Fill(Row{Index: 4, Names: []string{"text"}, Values: []string{"x"}})
	if err == nil || !strings.Contains(err.Error(), `row 5 has no field "lang" (the template uses it)`) {
		t.Fatalf("missing field: %v", err)
	}
	if _, err := ParseTemplate("x {{ }} y"); err == nil {
		t.Fatal("an empty place was accepted")
	}
	// A missing field anywhere in the input stops the run before the
	// first request.
	path := writeFile(t, "in.jsonl", `{"text":"a"}`+"\n"+`{"txt":"b"}`+"\n")
	a := &hashAsker{}
	_, _, err = runOnce(t, context.Background(), openStore(t), a, path, "m", "{{text}}", 2)
	if err == nil || !strings.Contains(err.Error(), `row 2 has no field "text"`) || a.calls.Load() != 0 {
		t.Fatalf("error %v, %d sent", err, a.calls.Load())
	}
}
