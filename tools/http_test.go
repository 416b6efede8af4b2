package tools

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// interaction is one exchange of a recorded MCP session.
type interaction struct {
	Method          string              `json:"method"`
	RequestBody     json.RawMessage     `json:"request_body"`
	Status          struct{ Code int }  `json:"status"`
	ResponseHeaders map[string][]string `json:"response_headers"`
	ResponseBody    string              `json:"response_body"`
}

// replay serves the real DeepWiki session recorded in
// testdata/deepwiki_http_session.DERIVED.jsonl (copied from
// ../shared/fixtures/mcp): each POST is answered with the recorded answer
// to its JSON-RPC method, its id set to the request's, in the recorded SSE
// framing (pings that are not JSON included); GET and DELETE get the
// recorded 405. It records the Authorization headers it saw.
func replay(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	f, err := os.Open("testdata/deepwiki_http_session.DERIVED.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byMethod := map[string]interaction{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var in interaction
		if err := json.Unmarshal(sc.Bytes(), &in); err != nil {
			t.Fatal(err)
		}
		key := in.Method
		if in.Method == "POST" {
			var body struct{ Method string }
			json.Unmarshal(in.RequestBody, &body)
			key = body.Method
		}
		byMethod[key] = in
	}
	var mu sync.Mutex
	var auth []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		key := r.Method
		var body struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		if r.Method == "POST" {
			raw, _ := io.ReadAll(r.Body)
			json.Unmarshal(raw, &body)
			key = body.Method
		}
		in, ok := byMethod[key]
		if !ok {
			http.Error(w, "not recorded: "+key, http.StatusNotImplemented)
			return
		}
		for k, v := range in.ResponseHeaders {
			if !strings.EqualFold(k, "content-length") {
				w.Header()[http.CanonicalHeaderKey(k)] = v
			}
		}
		w.WriteHeader(in.Status.Code)
		io.WriteString(w, withID(in.ResponseBody, body.ID))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), auth...) }
}

// withID sets the id of the JSON-RPC answers in an SSE body to id.
func withID(body string, id json.RawMessage) string {
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		data, ok := strings.CutPrefix(l, "data: ")
		if !ok || !strings.HasPrefix(data, "{") || id == nil {
			continue
		}
		var msg map[string]json.RawMessage
		if json.Unmarshal([]byte(data), &msg) == nil && msg["id"] != nil {
			msg["id"] = id
			out, _ := json.Marshal(msg)
			lines[i] = "data: " + string(out)
		}
	}
	return strings.Join(lines, "\n")
}

func TestStreamableHTTPSessionReplayed(t *testing.T) {
	srv, seen := replay(t)
	m := manager(t, Options{Secret: secretsMap(map[string]string{"mcp:deepwiki:header:Authorization": "Bearer t0ken"})},
		store.ToolServer{Name: "deepwiki", URL: srv.URL + "/mcp", Header: []string{"Authorization"}, Disabled: []string{"read_wiki_contents"}})
	infos, err := m.Tools(context.Background(), []string{"deepwiki"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ti := range infos {
		names = append(names, ti.Name)
	}
	if strings.Join(names, ",") != "read_wiki_structure,ask_question" {
		t.Fatalf("tools = %v; want read_wiki_structure and ask_question (read_wiki_contents is disabled)", names)
	}
	if !strings.Contains(string(infos[0].Schema), `"repoName"`) || infos[0].Description == "" {
		t.Fatalf("read_wiki_structure = %+v", infos[0])
	}
	res := call(t, m, "deepwiki", "ask_question", `{"repoName":"pydantic/pydantic-ai","question":"Can you provide a summary?"}`)
	if res.IsError || !strings.HasPrefix(res.Text, "The `pydantic/pydantic-ai` repository is a Python agent framework") {
		t.Fatalf("ask_question = %+v", res)
	}
	if st := m.State("deepwiki"); st.Status != Connected {
		t.Fatalf("state = %+v", st)
	}
	for _, a := range seen() {
		if a != "Bearer t0ken" {
			t.Fatalf("a request went without the header: %q", seen())
		}
	}
}

func TestHTTPServerAwaySaysSo(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	m := manager(t, Options{}, store.ToolServer{Name: "gone", URL: srv.URL + "/mcp"})
	res := call(t, m, "gone", "anything", `{}`)
	if !res.IsError || !strings.Contains(res.Text, "gone at "+srv.URL+"/mcp did not answer MCP") {
		t.Fatalf("call to a server that is away = %+v", res)
	}
}
