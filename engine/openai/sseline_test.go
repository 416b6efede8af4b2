package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// asciiJSON encodes s as a JSON string with every non-ASCII character
// escaped (\uXXXX, surrogate pairs beyond the BMP), as Python's json.dumps
// writes it by default.
func asciiJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(&b, `\u%04x\u%04X`, hi, lo)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func rawJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// streamBody answers every request with body as an event stream and
// returns what the adapter reads from it: the chunks and the stream's
// error.
func streamBody(t *testing.T, body string) ([]llm.Chunk, error) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	p := store.Provider{Name: "P", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "m"}
	s, err := New(p, "", NewHTTPClient(1)).Stream(context.Background(), llm.Request{Model: "m", Messages: []llm.ChatMessage{{Role: llm.RoleUser, Content: "q"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var chunks []llm.Chunk
	for s.Next() {
		chunks = append(chunks, s.Current())
	}
	return chunks, s.Err()
}

type gathered struct {
	text, reasoning, finish, model string
	longest                        int
}

func gather(chunks []llm.Chunk) gathered {
	var g gathered
	var text, reasoning strings.Builder
	for _, c := range chunks {
		text.WriteString(c.Text)
		reasoning.WriteString(c.Reasoning)
		g.longest = max(g.longest, len(c.Text), len(c.Reasoning))
		if c.Finish != "" {
			g.finish = c.Finish
		}
		if c.Model != "" {
			g.model = c.Model
		}
	}
	g.text, g.reasoning = text.String(), reasoning.String()
	return g
}

const done = "data: [DONE]\n\n"

// A data line longer than longLineBytes reaches the adapter as pieces: the
// same text, reasoning, finish reason and model as the line had, escapes
// of every kind decoded (also when a piece boundary falls inside one), no
// chunk longer than pieceBytes.
func TestALongDataLineArrivesInPieces(t *testing.T) {
	unit := "plain \"quoted\" back\\slash\nnew line é 日本語 😀 tab\t "
	text := strings.Repeat(unit, 3*longLineBytes/len(unit))
	reasoning := strings.Repeat("thinking… ", 40<<10)
	for name, enc := range map[string]func(string) string{"raw UTF-8": rawJSON, `\u escapes`: asciiJSON} {
		t.Run(name, func(t *testing.T) {
			line := `data: {"id":"x","model":"m-long","usage":{"prompt_tokens":3},"choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":` +
				enc(reasoning) + `,"content":` + enc(text) + `,"tool_calls":[{"a":[1,2,{"b":null}]},[]]},"finish_reason":"length"}]}` + "\n\n"
			chunks, err := streamBody(t, line+done)
			if err != nil {
				t.Fatal(err)
			}
			g := gather(chunks)
			if g.text != text || g.reasoning != reasoning {
				t.Fatalf("text %d bytes (want %d), reasoning %d (want %d), equal: %v %v", len(g.text), len(text), len(g.reasoning), len(reasoning), g.text == text, g.reasoning == reasoning)
			}
			if g.finish != "length" || g.model != "m-long" {
				t.Errorf("finish %q, model %q", g.finish, g.model)
			}
			if g.longest > pieceBytes || len(chunks) < len(text)/pieceBytes {
				t.Errorf("%d chunks, longest %d bytes; want pieces of at most %d", len(chunks), g.longest, pieceBytes)
			}
		})
	}
}

// A line just under the limit is passed on whole, as before.
func TestADataLineUnderTheLimitIsPassedWhole(t *testing.T) {
	text := strings.Repeat("z", longLineBytes-200)
	chunks, err := streamBody(t, `data: {"choices":[{"delta":{"content":`+rawJSON(text)+`}}]}`+"\n\n"+done)
	if err != nil || len(chunks) != 1 || chunks[0].Text != text {
		t.Fatalf("%d chunks, %v", len(chunks), err)
	}
}

// Long lines that are not text: a comment is dropped, an error object is
// reported with its message, "error": null is no error, and a line that is
// not a JSON object is a malformed response (keeping the text before it).
func TestLongLinesThatAreNotText(t *testing.T) {
	pad := strings.Repeat("p", 2*longLineBytes)
	short := `data: {"choices":[{"delta":{"content":"ok"}}]}` + "\n\n"
	cases := []struct {
		name, body string
		text       string
		kind       llm.ErrorKind // "": no error
		says       string
	}{
		{"a comment", ": " + pad + "\n" + short + done, "ok", "", ""},
		{"an event field", "event: " + pad + "\n" + short + done, "ok", "", ""},
		{"a blank line", strings.Repeat(" ", 2*longLineBytes) + "\n" + short + done, "ok", "", ""},
		{"an error object", short + `data: {"error":{"message":"quota gone","metadata":{"raw":"` + pad + `"}}}` + "\n\n", "ok", llm.KindStreamError, "quota gone"},
		{"a null error", `data: {"error":null,"x":"` + pad + `","choices":[{"delta":{"content":"fine"}}]}` + "\n\n" + done, "fine", "", ""},
		{"not an object", short + `data: ["` + pad + `"]` + "\n\n" + done, "ok", llm.KindMalformed, "malformed"},
		{"bad JSON after text", `data: {"choices":[{"delta":{"content":"` + pad + `"}}]} trailing` + "\n\n" + done, pad, llm.KindMalformed, "malformed"},
		{"cut off by the server", `data: {"choices":[{"delta":{"content":"` + pad, pad, llm.KindIncomplete, "closed the connection"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chunks, err := streamBody(t, tc.body)
			g := gather(chunks)
			if g.text != tc.text {
				t.Errorf("text of %d bytes, want %d", len(g.text), len(tc.text))
			}
			var pe *llm.ProviderError
			switch {
			case tc.kind == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.kind != "" && (!errors.As(err, &pe) || pe.Kind != tc.kind || !strings.Contains(pe.Sentence, tc.says)):
				t.Errorf("error %#v; want kind %v saying %q", err, tc.kind, tc.says)
			}
		})
	}
}

// Whatever a long line holds, and wherever the reads cut it, the splitter
// never panics and passes on only lines the adapter can read: chunks in
// valid JSON with valid UTF-8 text (or the one malformed marker). That the
// text is the line's is TestALongDataLineArrivesInPieces's part.
func FuzzLineSplitter(f *testing.F) {
	f.Add([]byte(`{"model":"m","choices":[{"delta":{"content":"a\u00e9\ud83d\ude00\n","reasoning":"r"},"finish_reason":"stop"}]}`), 7)
	f.Add([]byte(`{"error":{"message":"x\"y"}}`), 3)
	f.Add([]byte(`{"choices":[{"delta":{"content":"\ud800 lone \udc00"}}], "x":[1,{"y":[true,null,"\\"]}]}`), 20)
	f.Add([]byte(`{"choices":[{"delta":{"content":"cut`), 5)
	f.Add([]byte("{\"choices\":[{\"delta\":{\"content\":\"\xff\xfe raw \xe6\x97\"}}]}"), 30)
	f.Add([]byte(`{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{\"q\":\"\u00e9\"}"}},{"function":{"arguments":"x","name":"g"},"index":-1}]}}]}`), 40)
	f.Add([]byte(`{"choices":[{"message":{"tool_calls":[{"index":1e3,"id":"","function":{"arguments":{"o":1},"name":"f"}}]}}]}`), 12)
	f.Add([]byte(`{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"cut`), 50)
	f.Fuzz(func(t *testing.T, line []byte, cut int) {
		cut = min(max(cut, 0), len(line))
		var s lineSplitter
		out := s.end(s.feed(s.feed(nil, line[:cut]), line[cut:]))
		for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n\n"), "\n\n") {
			if l == "" || l == "data: {" {
				continue
			}
			var w wireChunk
			if !strings.HasPrefix(l, "data: ") || json.Unmarshal([]byte(l[len("data: "):]), &w) != nil {
				t.Fatalf("line %q is not a data line with a chunk", l)
			}
			for _, c := range w.Choices {
				if c.Delta.Content != nil && (!utf8.ValidString(*c.Delta.Content) || len(*c.Delta.Content) > pieceBytes) {
					t.Fatalf("text %q: not valid UTF-8 or longer than a piece", *c.Delta.Content)
				}
				var calls []wireToolDelta
				if len(c.Delta.ToolCalls) > 0 && json.Unmarshal(c.Delta.ToolCalls, &calls) != nil {
					t.Fatalf("tool calls %s are not a list of calls", c.Delta.ToolCalls)
				}
				for _, d := range calls {
					if a, err := d.arguments(); err != nil || !utf8.ValidString(a) || len(a) > pieceBytes {
						t.Fatalf("arguments %q: %v, not valid UTF-8 or longer than a piece", a, err)
					}
				}
			}
		}
	})
}
