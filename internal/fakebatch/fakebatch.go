// Package fakebatch fakes OpenAI's Files and Batch APIs on an httptest
// server, for the tests of "deskchat batch run --mode provider" (package
// batch's and the command line's): uploads (multipart), batches made of
// them and answered after a number of looks, their output and error files
// built from the uploaded requests, each prompt answered with its hash.
package fakebatch

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
)

// Answer is the fake's answer to prompt: its hash.
func Answer(prompt string) string {
	h := sha256.Sum256([]byte(prompt))
	return hex.EncodeToString(h[:8])
}

// Server is the fake provider at URL+"/v1". Prompts containing "fail" get
// an error line, "garble" a line deskchat cannot read; with Expire set,
// batches expire leaving rows containing "late" unanswered. Set its
// fields before the run it serves (or holding Mu).
type Server struct {
	*httptest.Server
	t         testing.TB
	key       string
	DonePolls int
	Expire    bool
	NotFound  bool // every path answers 404
	NoFiles   bool // /files answers 404
	// CreateFails: the next create makes the batch but answers 500 (a
	// run stopped between making and recording it).
	CreateFails bool
	// CreateRefused: creates answer 400 (the model takes no batches).
	CreateRefused bool
	// Echo: errors echo the key the request sent.
	Echo bool
	// OnLook runs on each look at a batch (before it answers).
	OnLook func(n int)
	// LookFails: that many looks at a batch answer 500 first.
	LookFails int

	Mu       sync.Mutex
	files    map[string][]byte
	uploads  []string // each upload's content
	Chunked  []bool   // each upload sent without a length
	batches  map[string]*fakeBatch
	order    []string
	creates  int
	looks    int
	requests int
}

type fakeBatch struct {
	ID, InputFileID, Status string
	polls                   int
	output, errors          string
	total, ok, failed       int
}

// New starts the fake; it takes requests sent with key only (401 else)
// and stops when the test ends.
func New(t testing.TB, key string) *Server {
	f := &Server{t: t, key: key, DonePolls: 1, files: map[string][]byte{}, batches: map[string]*fakeBatch{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/files", f.upload)
	mux.HandleFunc("GET /v1/files/{id}/content", f.content)
	mux.HandleFunc("POST /v1/batches", f.create)
	mux.HandleFunc("GET /v1/batches", f.list)
	mux.HandleFunc("GET /v1/batches/{id}", f.look)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.Mu.Lock()
		f.requests++
		NotFound := f.NotFound || f.NoFiles && strings.HasPrefix(r.URL.Path, "/v1/files")
		f.Mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+key {
			f.fail(w, http.StatusUnauthorized, "Incorrect API key provided: "+r.Header.Get("Authorization"))
			return
		}
		if NotFound {
			f.fail(w, http.StatusNotFound, "Unknown request URL: "+r.URL.Path+" (key "+key+")")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *Server) fail(w http.ResponseWriter, status int, msg string) {
	if f.Echo {
		msg += " You sent " + f.key
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error"}})
}

func (f *Server) upload(w http.ResponseWriter, r *http.Request) {
	chunked := r.ContentLength < 0
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		f.fail(w, 400, "not multipart: "+err.Error())
		return
	}
	if r.FormValue("purpose") != "batch" {
		f.fail(w, 400, "purpose must be batch")
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		f.fail(w, 400, "no file")
		return
	}
	b, _ := io.ReadAll(file)
	f.Mu.Lock()
	id := fmt.Sprintf("file-in%d", len(f.uploads)+1)
	f.files[id] = b
	f.uploads = append(f.uploads, string(b))
	f.Chunked = append(f.Chunked, chunked)
	f.Mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"id": id, "object": "file", "bytes": len(b), "filename": hdr.Filename, "purpose": "batch"})
}

func (f *Server) content(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	b, ok := f.files[r.PathValue("id")]
	f.Mu.Unlock()
	if !ok {
		f.fail(w, 404, "no such file")
		return
	}
	w.Write(b)
}

func (f *Server) create(w http.ResponseWriter, r *http.Request) {
	var req struct {
		InputFileID      string `json:"input_file_id"`
		Endpoint         string `json:"endpoint"`
		CompletionWindow string `json:"completion_window"`
	}
	json.NewDecoder(r.Body).Decode(&req)
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.CreateRefused {
		f.fail(w, 400, "This model does not take batches.")
		return
	}
	in, ok := f.files[req.InputFileID]
	if !ok || req.Endpoint != "/v1/chat/completions" || req.CompletionWindow != "24h" {
		f.fail(w, 400, fmt.Sprintf("bad batch: %+v", req))
		return
	}
	f.creates++
	b := &fakeBatch{ID: fmt.Sprintf("batch_%d", f.creates), InputFileID: req.InputFileID, Status: "validating"}
	b.total = bytes.Count(in, []byte("\n")) + 1
	f.batches[b.ID] = b
	f.order = append(f.order, b.ID)
	if f.CreateFails {
		f.CreateFails = false
		f.fail(w, 500, "The server had an error while processing your request.")
		return
	}
	json.NewEncoder(w).Encode(b.json())
}

func (b *fakeBatch) json() map[string]any {
	m := map[string]any{"id": b.ID, "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": b.InputFileID,
		"completion_window": "24h", "status": b.Status,
		"request_counts": map[string]int{"total": b.total, "completed": b.ok, "failed": b.failed}}
	if b.output != "" {
		m["output_file_id"] = b.output
	}
	if b.errors != "" {
		m["error_file_id"] = b.errors
	}
	return m
}

func (f *Server) list(w http.ResponseWriter, _ *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	data := []any{}
	for i := len(f.order) - 1; i >= 0; i-- {
		data = append(data, f.batches[f.order[i]].json())
	}
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "has_more": false})
}

func (f *Server) look(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	f.looks++
	n, hook := f.looks, f.OnLook
	f.Mu.Unlock()
	if hook != nil {
		hook(n)
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.LookFails > 0 {
		f.LookFails--
		f.fail(w, 500, "The server had an error while processing your request.")
		return
	}
	b, ok := f.batches[r.PathValue("id")]
	if !ok {
		f.fail(w, 404, "no such batch")
		return
	}
	b.polls++
	switch {
	case b.output != "" || b.errors != "":
	case b.polls >= f.DonePolls:
		f.answer(b)
	default:
		b.Status = "in_progress"
		b.ok = b.total / 2
	}
	json.NewEncoder(w).Encode(b.json())
}

// answer completes (or expires) b, writing its output and error files.
func (f *Server) answer(b *fakeBatch) {
	var out, errs strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(f.files[b.InputFileID]))
	sc.Buffer(nil, 4<<20)
	b.ok, b.failed = 0, 0
	for sc.Scan() {
		var req struct {
			CustomID string `json:"custom_id"`
			Method   string `json:"method"`
			URL      string `json:"url"`
			Body     struct {
				Model     string `json:"model"`
				Messages  []struct{ Role, Content string }
				MaxTokens int `json:"max_completion_tokens"`
			} `json:"body"`
		}
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil || req.Method != "POST" || req.URL != "/v1/chat/completions" || req.Body.MaxTokens == 0 {
			f.t.Errorf("bad request line %q: %v", sc.Text(), err)
			continue
		}
		prompt := req.Body.Messages[len(req.Body.Messages)-1].Content
		switch {
		case f.Expire && strings.Contains(prompt, "late"):
		case strings.Contains(prompt, "fail"):
			b.failed++
			fmt.Fprintf(&errs, `{"id":"r","custom_id":%q,"response":{"status_code":400,"body":{"error":{"message":"This row is refused (key %s)."}}},"error":null}`+"\n", req.CustomID, f.keyIf())
		case strings.Contains(prompt, "garble"):
			b.ok++
			fmt.Fprintf(&out, `{"id":"r","custom_id":%q,"response":{"status_code":200,"body":{"choices":"nope"}}}`+"\n{not json at all\n", req.CustomID)
		default:
			b.ok++
			body := map[string]any{"id": "c", "object": "chat.completion", "model": req.Body.Model,
				"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": Answer(prompt)}, "finish_reason": "stop"}},
				"usage":   map[string]int{"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}}
			line, _ := json.Marshal(map[string]any{"id": "r", "custom_id": req.CustomID, "response": map[string]any{"status_code": 200, "body": body}, "error": nil})
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	b.Status = "completed"
	if f.Expire {
		b.Status = "expired"
	}
	if out.Len() > 0 {
		b.output = "file-out-" + b.ID
		f.files[b.output] = []byte(out.String())
	}
	if errs.Len() > 0 {
		b.errors = "file-err-" + b.ID
		f.files[b.errors] = []byte(errs.String())
	}
}

func (f *Server) keyIf() string {
	if f.Echo {
		return f.key
	}
	return "none"
}

// CustomIDs are the custom_ids of upload i, sorted as numbers.
func (f *Server) CustomIDs(i int) []int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	var ids []int
	for _, line := range strings.Split(f.uploads[i], "\n") {
		var req struct {
			CustomID string `json:"custom_id"`
		}
		json.Unmarshal([]byte(line), &req)
		var n int
		fmt.Sscan(req.CustomID, &n)
		ids = append(ids, n)
	}
	sort.Ints(ids)
	return ids
}

func (f *Server) Counts() (uploads, creates, looks int) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return len(f.uploads), f.creates, f.looks
}

// UploadSize is the size of upload i's file, in bytes.
func (f *Server) UploadSize(i int) int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return len(f.uploads[i])
}
