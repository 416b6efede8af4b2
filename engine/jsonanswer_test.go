package engine

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/deskchat/deskchat/store"
)

// A server that ignores "stream": true answers with one chat.completion
// JSON body (some proxies and local servers do). The engine reads it as the
// answer: content, reasoning, usage and finish reason, as a stream's.

// jsonServer answers every chat request with body as application/json
// (status 200), gzip'd when gz is set.
func jsonServer(t *testing.T, body string, gz bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if !gz {
			io.WriteString(w, body)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		io.WriteString(zw, body)
		zw.Close()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// ask sends one question to srv and returns what was delivered and the
// answer as stored.
func ask(t *testing.T, srv *httptest.Server) (result, store.Message) {
	t.Helper()
	st := openStore(t)
	conv := newConversation(t, st)
	events, err := New(st, Options{}).Send(context.Background(), conv, "q", SendOptions{Endpoint: endpoint(srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, events)
	msgs, err := st.Messages(conv)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	return r, msgs[1]
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAJSONAnswerIsTheAnswer(t *testing.T) {
	tests := []struct {
		name, body           string
		gz                   bool
		text, reasoning      string
		usage                *Usage
		finish, storedFinish string
	}{
		// Recorded bodies, pretty-printed as the servers sent them.
		{name: "openai recorded", body: fixture(t, "openai_nonstream_completion.json"),
			text:  `The image is inside a hexagon shape. It features a red silhouette of a baseball player swinging a bat, with a red baseball nearby. The text "htr2" is written in white above the player.`,
			usage: &Usage{PromptTokens: 207, CompletionTokens: 43}, finish: "stop"},
		{name: "azure recorded", body: fixture(t, "azure_nonstream_content_filter_results.json"),
			text: "The capital of France is **Paris**.", usage: &Usage{PromptTokens: 14, CompletionTokens: 9}, finish: "stop"},
		{name: "gzip'd", body: fixture(t, "azure_nonstream_content_filter_results.json"), gz: true,
			text: "The capital of France is **Paris**.", usage: &Usage{PromptTokens: 14, CompletionTokens: 9}, finish: "stop"},
		{name: "no usage, reasoning, cut at the length limit",
			body: `{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","reasoning_content":"Think\n\"hard\"","content":"Line 1\nLine 2 \u00e9 語"},"finish_reason":"length"}]}`,
			text: "Line 1\nLine 2 é 語", reasoning: "Think\n\"hard\"", finish: "length"},
		{name: "reasoning as reasoning, no finish reason",
			body: "{\r\n \"choices\": [ {\"message\": {\"reasoning\": \"r\", \"content\": \"ok\"}, \"finish_reason\": null} ]\r\n}\r\n",
			text: "ok", reasoning: "r"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, a := ask(t, jsonServer(t, tc.body, tc.gz))
			done, ok := r.final.(Done)
			if !ok {
				t.Fatalf("final %#v", r.final)
			}
			if r.text != tc.text || r.reasoning != tc.reasoning {
				t.Errorf("shown text %q reasoning %q", r.text, r.reasoning)
			}
			if a.Content != tc.text || a.Reasoning != tc.reasoning || a.State != store.StateDone || a.Error != "" {
				t.Errorf("stored %+v", a)
			}
			if done.Finish != tc.finish || a.Finish != tc.finish {
				t.Errorf("finish shown %q stored %q, want %q", done.Finish, a.Finish, tc.finish)
			}
			if (r.usage == nil) != (tc.usage == nil) || tc.usage != nil && *r.usage != *tc.usage {
				t.Errorf("usage %+v, want %+v", r.usage, tc.usage)
			}
			if tc.usage != nil && (a.PromptTokens != tc.usage.PromptTokens || a.OutputTokens != tc.usage.CompletionTokens) {
				t.Errorf("stored tokens %d/%d", a.PromptTokens, a.OutputTokens)
			}
		})
	}
}

// What goes wrong in a JSON answer is one sentence, never "closed the
// connection" and never Go's own words.
func TestABadJSONAnswerIsOneSentence(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"error object, status 200", `{"error":{"message":"The model is overloaded","type":"server_error","code":null}}`,
			"test reported an error: The model is overloaded"},
		{"error object, spaced and pretty", "{\n  \"error\": {\n    \"message\": \"Quota exceeded\"\n  }\n}\n",
			"test reported an error: Quota exceeded"},
		{"error as a string", `{"error":"bad model"}`, "test reported an error: bad model"},
		{"cut short", `{"choices":[{"message":{"content":"half an ans`,
			"test answered with one JSON body instead of a stream, and it is not valid JSON; the answer stops here."},
		{"not JSON", "<html>502 Bad Gateway</html>",
			"test answered with one JSON body instead of a stream, and it is not valid JSON; the answer stops here."},
		{"an array", `[{"choices":[]}]`,
			"test answered with one JSON body instead of a stream, and it is not valid JSON; the answer stops here."},
		{"no choices", `{"object":"list","data":[]}`, "test answered with JSON that holds no answer (no choices, no error)."},
		{"empty", "", "test answered with one JSON body instead of a stream, and it is not valid JSON; the answer stops here."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, a := ask(t, jsonServer(t, tc.body, false))
			f, ok := r.final.(Failed)
			if !ok {
				t.Fatalf("final %#v", r.final)
			}
			if f.Sentence != tc.want || a.Error != tc.want || a.State != store.StateFailed {
				t.Errorf("sentence %q, stored %q (%s); want %q", f.Sentence, a.Error, a.State, tc.want)
			}
		})
	}
}

// A JSON answer longer than the answer cap is cut where a stream's is, with
// the same sentence, and read piece by piece rather than whole (through
// lineSplitter): the body is 9 MB, of which 8.5 MB are text with three-byte
// characters after 512 KB of other things, and the stored answer is the
// text's first 8 MiB, on a character boundary.
func TestAHugeJSONAnswerIsCappedAsAStreamIs(t *testing.T) {
	text := strings.Repeat("語x", (17<<20)/8)
	body := `{"id":"` + strings.Repeat("i", 512<<10) + `","choices":[{"index":0,"message":{"content":"` + text + `"},"finish_reason":"stop"}]}`
	r, a := ask(t, jsonServer(t, body, false))
	f, ok := r.final.(Failed)
	if !ok || !strings.Contains(f.Sentence, "sent more than 8 MB for one answer; deskchat stopped it at 8 MB and kept the answer up to there") {
		t.Fatalf("final %#v", r.final)
	}
	n := MaxAnswerBytes
	for !utf8.RuneStart(text[n]) {
		n--
	}
	if a.Content != text[:n] || r.text != a.Content {
		t.Errorf("stored %d bytes, shown %d; want the first %d", len(a.Content), len(r.text), n)
	}
}

// maxJSONBody is how much of a JSON answer the openai adapter reads (8x the
// answer cap, see engine/openai/sse.go).
const maxJSONBody = 8 * MaxAnswerBytes

// A JSON body of little answer and much else is read up to maxJSONBody and
// no further; what answer came before is kept.
func TestAJSONBodyPastItsLimitIsNotReadOn(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		n, _ := io.WriteString(w, `{"choices":[{"message":{"content":"kept"}}],"padding":"`)
		sent.Add(int64(n))
		pad := strings.Repeat(" ", 1<<20)
		for range maxJSONBody/len(pad) + 16 {
			n, err := io.WriteString(w, pad)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
		io.WriteString(w, `"}`)
	}))
	defer srv.Close()
	r, a := ask(t, srv)
	want := fmt.Sprintf("test answered with a JSON body over %d MB; deskchat stopped reading it and kept the answer up to there.", maxJSONBody>>20)
	if f, ok := r.final.(Failed); !ok || f.Sentence != want {
		t.Fatalf("final %#v", r.final)
	}
	if a.Content != "kept" || a.Error != want {
		t.Errorf("stored %q, %q", a.Content, a.Error)
	}
}
