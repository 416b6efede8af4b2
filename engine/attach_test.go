package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deskchat/deskchat/attach"
	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/engine/tokens"
	"github.com/deskchat/deskchat/store"
)

// Fixtures: testdata/vision/openai_image_data_url.request.json is a copy of
// ../shared/fixtures/vision/ (an accepted image question, from
// tidyverse/ellmer).

// wirePart is one element of a message's content array.
type wirePart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	ImageURL *struct {
		URL    string `json:"url"`
		Detail string `json:"detail"`
	} `json:"image_url"`
}

// wireMsg is a message as a server received it: content a string or an
// array of parts.
type wireMsg struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

func (m wireMsg) text() (string, bool) {
	var s string
	return s, json.Unmarshal(m.Content, &s) == nil
}

func (m wireMsg) parts() []wirePart {
	var p []wirePart
	json.Unmarshal(m.Content, &p)
	return p
}

// visionServer is an OpenAI-compatible server that records each request's
// raw body and model, and answers "I see it." unless refuse gives a status
// and a body for the request.
type visionServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	refuse func(body []byte, model string) (int, string)
}

func newVisionServer(t *testing.T, refuse func(body []byte, model string) (int, string)) *visionServer {
	t.Helper()
	vs := &visionServer{refuse: refuse}
	vs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		buf.ReadFrom(r.Body)
		var body struct {
			Model string `json:"model"`
		}
		json.Unmarshal(buf.Bytes(), &body)
		vs.mu.Lock()
		vs.bodies = append(vs.bodies, buf.Bytes())
		vs.mu.Unlock()
		if vs.refuse != nil {
			if code, msg := vs.refuse(buf.Bytes(), body.Model); code != 0 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(code)
				w.Write([]byte(msg))
				return
			}
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{\"content\":\"I see it.\"}}]}\n\n")
		fmt.Fprint(w, "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(vs.Close)
	return vs
}

func (vs *visionServer) count() int {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return len(vs.bodies)
}

// messages returns the messages of request i.
func (vs *visionServer) messages(t *testing.T, i int) []wireMsg {
	t.Helper()
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if i >= len(vs.bodies) {
		t.Fatalf("request %d of %d", i, len(vs.bodies))
	}
	var body struct {
		Messages []wireMsg `json:"messages"`
	}
	if err := json.Unmarshal(vs.bodies[i], &body); err != nil {
		t.Fatal(err)
	}
	return body.Messages
}

// pngOf is a w×h PNG made in the test.
func pngOf(t testing.TB, w, h int, c color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var (
	photoOnce sync.Once
	photo     []byte
)

// bigPhoto is a 4000×3000 JPEG, made once (a grey ramp: encoding and
// decoding it costs less than a colour photo, its size is what counts).
func bigPhoto(t testing.TB) []byte {
	photoOnce.Do(func() {
		img := image.NewGray(image.Rect(0, 0, 4000, 3000))
		for i := range img.Pix {
			img.Pix[i] = uint8(i / 4000 / 12)
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 50}); err != nil {
			panic(err)
		}
		photo = b.Bytes()
	})
	return photo
}

func attachment(t testing.TB, name string, data []byte) store.Attachment {
	t.Helper()
	a, err := attach.Read(name, data)
	if err != nil {
		t.Fatalf("attach %s: %v", name, err)
	}
	return a
}

// pdfAttachment is a PDF as attach would read it (its text, pages
// marked); the bytes are only stored.
func pdfAttachment(name, text string) store.Attachment {
	data := []byte("%PDF-1.4\n% " + name + "\n%%EOF\n")
	return store.Attachment{Name: name, Mime: "application/pdf", Size: int64(len(data)), SHA256: store.SHA256(data), Data: data, Text: text, Pages: 2, Tokens: 30}
}

func visionEndpoint(url, model string) *store.Provider {
	return &store.Provider{Name: "test", Kind: store.KindCompatible, BaseURL: url, Model: model}
}

// decodedImage decodes a data: URL's image and returns its size.
func decodedImage(t *testing.T, url string) (mime string, w, h int) {
	t.Helper()
	head, b64, ok := strings.Cut(url, ";base64,")
	if !ok || !strings.HasPrefix(head, "data:") {
		t.Fatalf("not a base64 data: URL: %.60s", url)
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("base64: %v", err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if "image/"+format != strings.TrimPrefix(head, "data:") {
		t.Errorf("the URL says %s, the bytes are %s", head, format)
	}
	return strings.TrimPrefix(head, "data:"), cfg.Width, cfg.Height
}

// TestAQuestionsFilesGoAsPartsInOrder: the question's text is its own part,
// then each file in order: the photo as an image_url part whose data: URL
// decodes to a JPEG fitted within OpenAI's limits (a 4000×3000 photo goes as
// 1024×768, never whole), detail high; the text file and the PDF as text
// parts, fenced and named. The stored question keeps its files.
func TestAQuestionsFilesGoAsPartsInOrder(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	notes := attachment(t, "notes.txt", []byte("first line\nsecond line\n"))
	report := pdfAttachment("report.pdf", "--- page 1 of 2 ---\nRevenue grew.\n--- page 2 of 2 ---\nCosts fell.")
	atts := []store.Attachment{attachment(t, "photo.jpg", bigPhoto(t)), notes, report}

	events, err := e.Send(context.Background(), conv, "What do these say?", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o"), Attachments: atts})
	if err != nil {
		t.Fatal(err)
	}
	if r := drainWithin(t, events, 3*time.Minute); r.text != "I see it." {
		t.Fatalf("answer %q, final %#v", r.text, r.final)
	}
	msgs := srv.messages(t, 0)
	parts := msgs[len(msgs)-1].parts()
	if len(parts) != 4 {
		t.Fatalf("%d parts: %+v", len(parts), parts)
	}
	if parts[0].Type != "text" || parts[0].Text != "What do these say?" {
		t.Errorf("first part %+v", parts[0])
	}
	if parts[1].Type != "image_url" || parts[1].ImageURL == nil || parts[1].ImageURL.Detail != "high" {
		t.Fatalf("second part %+v", parts[1])
	}
	mime, w, h := decodedImage(t, parts[1].ImageURL.URL)
	if mime != "image/jpeg" || w != 1024 || h != 768 {
		t.Errorf("the photo went as %s %d×%d, want image/jpeg 1024×768", mime, w, h)
	}
	if want := attach.Prompt("notes.txt", "first line\nsecond line\n"); parts[2].Type != "text" || parts[2].Text != want {
		t.Errorf("third part %q, want %q", parts[2].Text, want)
	}
	if parts[3].Type != "text" || !strings.Contains(parts[3].Text, "report.pdf") || !strings.Contains(parts[3].Text, "--- page 2 of 2 ---\nCosts fell.") {
		t.Errorf("fourth part %q", parts[3].Text)
	}
	stored, _ := st.Messages(conv)
	if len(stored) != 2 || len(stored[0].Attachments) != 3 || stored[0].Attachments[0].SHA256 != atts[0].SHA256 {
		t.Fatalf("stored %+v", stored)
	}
	if b, err := st.Blob(atts[0].SHA256); err != nil || !bytes.Equal(b, bigPhoto(t)) {
		t.Errorf("the photo's blob: %d bytes, %v", len(b), err)
	}
}

// shape is a JSON value's structure: objects' keys and arrays' element
// shapes, without values.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			out[k] = shape(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = shape(x)
		}
		return out
	}
	return fmt.Sprintf("%T", v)
}

// TestAnImageQuestionHasTheRecordedShape: the user message of a question
// with a picture has the shape of a request OpenAI accepted (recorded):
// role, and content as [text, image_url{url}], plus detail.
func TestAnImageQuestionHasTheRecordedShape(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "vision", "openai_image_data_url.request.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Messages []map[string]any `json:"messages"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	want := shape(rec.Messages[1]).(map[string]any)
	want["content"].([]any)[1].(map[string]any)["image_url"].(map[string]any)["detail"] = "string"

	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	events, err := e.Send(context.Background(), conv, "What's in this image?", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4.1-mini"), System: "Be terse.",
		Attachments: []store.Attachment{attachment(t, "shape.png", pngOf(t, 300, 346, color.RGBA{200, 30, 30, 255}))}})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, events)
	srv.mu.Lock()
	var got struct {
		Messages []map[string]any `json:"messages"`
	}
	json.Unmarshal(srv.bodies[0], &got)
	srv.mu.Unlock()
	if len(got.Messages) != 2 || !reflect.DeepEqual(shape(got.Messages[0]), shape(rec.Messages[0])) {
		t.Errorf("system message %v", got.Messages)
	}
	if g := shape(got.Messages[1]); !reflect.DeepEqual(g, want) {
		t.Errorf("user message shaped\n%v\nwant\n%v", g, want)
	}
}

// TestTextFilesAloneGoAsOneString: without an image the content stays a
// string (every OpenAI-compatible server reads it): the question, then each
// file fenced and named.
func TestTextFilesAloneGoAsOneString(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	code := attachment(t, "main.go", []byte("package main\n\nfunc main() {}\n"))
	events, err := e.Send(context.Background(), conv, "Review this.", SendOptions{Endpoint: visionEndpoint(srv.URL, "llama3.1:8b"), Attachments: []store.Attachment{code}})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, events)
	msgs := srv.messages(t, 0)
	got, ok := msgs[len(msgs)-1].text()
	if want := "Review this.\n\n" + attach.Prompt("main.go", "package main\n\nfunc main() {}\n"); !ok || got != want {
		t.Errorf("sent %q, want %q", got, want)
	}
}

// TestAnImageIsEncodedOncePerChat: the history's photo goes with every
// later question, encoded once (the engine keeps it as sent, by its hash);
// a second photo is encoded once too.
func TestAnImageIsEncodedOncePerChat(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	var encodes atomic.Int32
	e.images.encode = func(b []byte) (string, error) { encodes.Add(1); return attach.ImageURL(b) }
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	ask := func(text string, atts ...store.Attachment) {
		t.Helper()
		events, err := e.Send(context.Background(), conv, text, SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o"), Attachments: atts, NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		drain(t, events)
	}
	ask("one", attachment(t, "a.png", pngOf(t, 40, 30, color.White)))
	ask("two")
	ask("three", attachment(t, "b.png", pngOf(t, 40, 30, color.Black)))
	ask("four")
	if n := encodes.Load(); n != 2 {
		t.Errorf("%d encodes for 2 images over 4 questions", n)
	}
	msgs := srv.messages(t, 3)
	images := 0
	for _, m := range msgs {
		for _, p := range m.parts() {
			if p.Type == "image_url" {
				images++
			}
		}
	}
	if images != 2 {
		t.Errorf("the fourth request has %d images, want 2", images)
	}
}

// TestSendDoesNotWaitForEncoding: Send returns while the photo is still
// being encoded (the job encodes it on its own goroutine); the request goes
// once it is done.
func TestSendDoesNotWaitForEncoding(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	release := make(chan struct{})
	encoding := make(chan struct{})
	e.images.encode = func(b []byte) (string, error) {
		close(encoding)
		<-release
		return attach.ImageURL(b)
	}
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	events, err := e.Send(context.Background(), conv, "look", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o"),
		Attachments: []store.Attachment{attachment(t, "a.png", pngOf(t, 40, 30, color.White))}})
	if err != nil {
		t.Fatal(err)
	}
	<-encoding // Send has returned, and the image is being encoded
	if n := srv.count(); n != 0 {
		t.Fatalf("%d requests before the image was encoded", n)
	}
	if msgs, _ := st.Messages(conv); len(msgs) != 2 || len(msgs[0].Attachments) != 1 {
		t.Fatalf("stored while encoding: %+v", msgs)
	}
	close(release)
	if r := drain(t, events); r.text != "I see it." {
		t.Fatalf("final %#v", r.final)
	}
}

// TestTheCacheKeyNamesFilesByHash: two requests alike but for their image
// (or file) have different keys; the same file gives the same key; the
// key is made from the hash, not from the bytes or the data: URL.
func TestTheCacheKeyNamesFilesByHash(t *testing.T) {
	cfg := store.Provider{Kind: store.KindOpenAI}
	req := func(parts ...llm.Part) llm.Request {
		return llm.Request{Model: "gpt-4o", Messages: []llm.ChatMessage{{Role: llm.RoleUser, Content: "what is it?", Parts: parts}}}
	}
	a := llm.Part{Type: llm.PartImage, SHA256: strings.Repeat("a", 64), Name: "x.png"}
	b := llm.Part{Type: llm.PartImage, SHA256: strings.Repeat("b", 64), Name: "x.png"}
	keys := map[string]string{
		"none":        string(cacheKey(cfg, req())),
		"a":           string(cacheKey(cfg, req(a))),
		"b":           string(cacheKey(cfg, req(b))),
		"a as a file": string(cacheKey(cfg, req(llm.Part{Type: llm.PartText, SHA256: a.SHA256, Text: "t"}))),
		"a named":     string(cacheKey(cfg, req(llm.Part{Type: llm.PartText, Text: "[image: x.png]"}))),
	}
	seen := map[string]string{}
	for name, k := range keys {
		if other, ok := seen[k]; ok {
			t.Errorf("%s and %s have the same key", name, other)
		}
		seen[k] = name
	}
	withURL := a
	withURL.ImageURL = "data:image/jpeg;base64,AAAA"
	if string(cacheKey(cfg, req(withURL))) != keys["a"] {
		t.Error("the data: URL changes the key")
	}
	// A request without parts keys as it did before attachments existed:
	// answers cached then are still found.
	before := []byte(`{"kind":"openai","base_url":"","model":"gpt-4o","temperature":null,"max_tokens":0,"messages":[{"r":"user","c":"what is it?"}]}`)
	if sum := sha256.Sum256(before); keys["none"] != string(sum[:]) {
		t.Errorf("no parts: another key than before (%s)", before)
	}

	// End to end: another image is another question; the same image is
	// answered from the cache.
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	send := func(img []byte) result {
		t.Helper()
		events, err := e.Send(context.Background(), newConversation(t, st), "what is it?", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o"),
			Attachments: []store.Attachment{attachment(t, "x.png", img)}})
		if err != nil {
			t.Fatal(err)
		}
		return drain(t, events)
	}
	white, black := pngOf(t, 20, 20, color.White), pngOf(t, 20, 20, color.Black)
	send(white)
	send(black)
	if n := srv.count(); n != 2 {
		t.Errorf("two images: %d requests", n)
	}
	if r := send(white); srv.count() != 2 || r.text != "I see it." {
		t.Errorf("the same image again: %d requests, %q", srv.count(), r.text)
	}
}

// TestAnOldScreenshotIsTheFirstThingLeftOut: when the history does not
// fit, the older messages' images go as their names before any message is
// folded into a summary; the newest image and the question's are kept.
func TestAnOldScreenshotIsTheFirstThingLeftOut(t *testing.T) {
	const model = "gpt-4o"
	h := longHistory("c", 12, 60)
	shot := store.Attachment{Name: "old-screen.png", Mime: "image/png", Size: 900_000, SHA256: strings.Repeat("1", 64), Width: 2880, Height: 1800, Tokens: 2000}
	recent := store.Attachment{Name: "recent.png", Mime: "image/png", Size: 9_000, SHA256: strings.Repeat("2", 64), Width: 512, Height: 512, Tokens: 255}
	ask := store.Attachment{Name: "now.png", Mime: "image/png", Size: 9_000, SHA256: strings.Repeat("3", 64), Width: 512, Height: 512, Tokens: 255}
	h[2].Attachments = []store.Attachment{shot}
	h[8].Attachments = []store.Attachment{recent}
	h[11].Attachments = []store.Attachment{ask}
	counts := newCountCache(1000)
	all := planHistory(model, "", h, nil, tokens.Limits{Context: 100000, MaxOutput: 500}, false, counts)
	if all.NamedOnly != 0 || len(all.Folded) != 0 {
		t.Fatalf("a roomy window left out %d files, folded %d", all.NamedOnly, len(all.Folded))
	}
	need := tokens.PerRequest
	for _, m := range h {
		need += counts.count(model, m) + attachmentTokens(m)
	}
	// Room for everything but the old screenshot.
	p := planHistory(model, "", h, nil, limitsWithBudget(need-1000), false, counts)
	if len(p.Folded) != 0 || p.NamedOnly != 1 || p.Budget != need-1000 {
		t.Fatalf("folded %d, named %d (budget %d, need %d)", len(p.Folded), p.NamedOnly, p.Budget, need)
	}
	for k, hi := range p.KeptAt {
		if p.Named[k] != (hi == 2) {
			t.Errorf("message %d named %v", hi, p.Named[k])
		}
	}
	if got := promptTokens(model, p.Messages); p.Tokens > p.Budget || got > p.Tokens {
		t.Errorf("%d tokens planned (%d without the files), budget %d", p.Tokens, got, p.Budget)
	}
	// Tighter: messages are folded too; the screenshot is not sent whole,
	// the question keeps its image.
	tight := planHistory(model, "", h, nil, limitsWithBudget(need-2500), false, counts)
	if len(tight.Folded) == 0 {
		t.Fatalf("nothing folded in %d tokens of %d", tight.Budget, need)
	}
	for k, hi := range tight.KeptAt {
		if hi == 2 && !tight.Named[k] {
			t.Error("the old screenshot was sent whole")
		}
		if hi == 11 && tight.Named[k] {
			t.Error("the question's image was left out")
		}
	}
	if tight.Tokens > tight.Budget {
		t.Errorf("%d tokens planned, budget %d", tight.Tokens, tight.Budget)
	}
}

// limitsWithBudget are limits that leave exactly budget tokens for the
// history.
func limitsWithBudget(budget int) tokens.Limits {
	l := tokens.Limits{Context: budget, MaxOutput: 500}
	for l.Context-l.MaxOutput-compressMargin(l.Context) < budget {
		l.Context++
	}
	return l
}

// TestCompressionNamesAnOldScreenshotInTheRequest: end to end, the old
// message goes with "[image: NAME]" and no picture, the question with its
// picture, and a Compressed event says so.
func TestCompressionNamesAnOldScreenshotInTheRequest(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	big := pngOf(t, 60, 40, color.White)
	old := attachment(t, "old-screen.png", big)
	old.Tokens = 6000 // as a 2880×1800 screenshot would cost
	if _, err := st.AppendMessage(store.Message{ConversationID: conv, Role: store.RoleUser, Content: "what is on my screen?", State: store.StateDone, Attachments: []store.Attachment{old}}); err != nil {
		t.Fatal(err)
	}
	st.AppendMessage(store.Message{ConversationID: conv, Role: store.RoleAssistant, Content: "A terminal.", State: store.StateDone})
	seed(t, st, conv, 4)
	p := store.Provider{Name: "small", Kind: store.KindCompatible, BaseURL: srv.URL, Model: "gpt-4o",
		ModelLimits: map[string]store.ModelLimits{"gpt-4o": {Context: 4000, MaxOutput: 500}}}
	st.PutProvider(p)
	events, err := e.Send(context.Background(), conv, "and this one?", SendOptions{Provider: "small",
		Attachments: []store.Attachment{attachment(t, "new.png", pngOf(t, 30, 20, color.Black))}})
	if err != nil {
		t.Fatal(err)
	}
	r, comp, _ := collect(t, events)
	if r.text != "I see it." {
		t.Fatalf("final %#v", r.final)
	}
	if len(comp) != 1 || comp[0].Attachments != 1 || comp[0].Folded != 0 {
		t.Errorf("compressed %+v", comp)
	}
	msgs := srv.messages(t, 0)
	first, ok := msgs[0].text()
	if !ok || first != "what is on my screen?\n\n[image: old-screen.png]" {
		t.Errorf("old message sent as %s", msgs[0].Content)
	}
	last := msgs[len(msgs)-1].parts()
	if len(last) != 2 || last[1].Type != "image_url" {
		t.Errorf("question sent as %s", msgs[len(msgs)-1].Content)
	}
}

// TestAMissingBlobIsASentence: the question's image whose bytes are gone
// from the history fails the answer with a sentence naming it; an earlier
// message's goes as a note and the question is answered.
func TestAMissingBlobIsASentence(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	gone := store.Attachment{Name: "lost.png", Mime: "image/png", Size: 1234, SHA256: strings.Repeat("f", 64), Width: 10, Height: 10}
	if _, err := st.AppendMessage(store.Message{ConversationID: conv, Role: store.RoleUser, Content: "see this", State: store.StateDone, Attachments: []store.Attachment{gone}}); err != nil {
		t.Fatal(err)
	}
	events, err := e.Regenerate(context.Background(), conv, SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o")})
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, events)
	f, ok := r.final.(Failed)
	if !ok || !strings.HasPrefix(f.Sentence, "lost.png is no longer in the history") || strings.Contains(f.Sentence, "blob") || srv.count() != 0 {
		t.Fatalf("final %#v, %d requests", r.final, srv.count())
	}
	// A later question: the lost image is named, the question answered.
	events, err = e.Send(context.Background(), conv, "never mind; hello", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o")})
	if err != nil {
		t.Fatal(err)
	}
	if r := drain(t, events); r.text != "I see it." {
		t.Fatalf("final %#v", r.final)
	}
	if s, _ := srv.messages(t, 0)[0].text(); s != "see this\n\n[image: lost.png: no longer in the history]" {
		t.Errorf("sent %q", s)
	}
}

// TestADamagedImageIsASentence: bytes that claim to be a PNG and are not
// fail the answer with a sentence naming the file, not a decoder's error.
func TestADamagedImageIsASentence(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	good := pngOf(t, 20, 20, color.White)
	bad := append(append([]byte(nil), good[:40]...), bytes.Repeat([]byte{0xde, 0xad}, 200)...)
	a := store.Attachment{Name: "broken.png", Mime: "image/png", Size: int64(len(bad)), SHA256: store.SHA256(bad), Data: bad, Width: 20, Height: 20}
	events, err := e.Send(context.Background(), conv, "what is it?", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o"), Attachments: []store.Attachment{a}})
	if err != nil {
		t.Fatal(err)
	}
	r := drain(t, events)
	f, ok := r.final.(Failed)
	if !ok || !strings.HasPrefix(f.Sentence, "broken.png ") || strings.Contains(f.Sentence, "png:") || srv.count() != 0 {
		t.Fatalf("final %#v", r.final)
	}
	if msgs, _ := st.Messages(conv); len(msgs[0].Attachments) != 1 {
		t.Error("the question lost its file")
	}
}

// TestAnEditedQuestionKeepsItsFiles: Resend stores the edited question with
// the old one's attachments (their blobs survive the old question's
// removal) and sends them.
func TestAnEditedQuestionKeepsItsFiles(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	img := attachment(t, "plot.png", pngOf(t, 30, 30, color.Black))
	notes := attachment(t, "notes.md", []byte("# Notes\n\nsome text\n"))
	events, err := e.Send(context.Background(), conv, "explain", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o"), Attachments: []store.Attachment{img, notes}})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, events)
	msgs, _ := st.Messages(conv)
	events, err = e.Resend(context.Background(), conv, msgs[0].Seq, "explain briefly", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o")})
	if err != nil {
		t.Fatal(err)
	}
	if r := drain(t, events); r.text != "I see it." {
		t.Fatalf("final %#v", r.final)
	}
	msgs, _ = st.Path(conv)
	if len(msgs) != 2 || msgs[0].Content != "explain briefly" || len(msgs[0].Attachments) != 2 {
		t.Fatalf("active path %+v", msgs)
	}
	if all, _ := st.Messages(conv); len(all) != 4 {
		t.Fatalf("the old question was not kept: %+v", all)
	}
	if _, err := st.Blob(img.SHA256); err != nil {
		t.Errorf("the image's blob: %v", err)
	}
	if text, _ := st.BlobText(notes.SHA256); text != "# Notes\n\nsome text\n" {
		t.Errorf("the notes' text: %q", text)
	}
	parts := srv.messages(t, 1)[0].parts()
	if len(parts) != 3 || parts[0].Text != "explain briefly" || parts[1].Type != "image_url" || !strings.Contains(parts[2].Text, "some text") {
		t.Errorf("resent %+v", parts)
	}
}

// TestTooManyFilesStoreNothing: more than attach.MaxFiles files are refused
// with one sentence before anything is stored or sent.
func TestTooManyFilesStoreNothing(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	conv := newConversation(t, st)
	var atts []store.Attachment
	for i := range attach.MaxFiles + 1 {
		atts = append(atts, attachment(t, fmt.Sprintf("f%d.txt", i), []byte(fmt.Sprintf("file %d", i))))
	}
	_, err := e.Send(context.Background(), conv, "read all", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o"), Attachments: atts})
	if s := UserMessage(err); err == nil || !strings.Contains(s, "At most 20 files") {
		t.Fatalf("%v (%q)", err, s)
	}
	if msgs, _ := st.Messages(conv); len(msgs) != 0 || srv.count() != 0 {
		t.Errorf("stored %d, sent %d", len(msgs), srv.count())
	}
}

// TestImageCacheIsBoundedAndEncodesOnce: the cache keeps at most its bytes
// (least recently used out first), shares one encoding between callers
// that ask at once, does not remember failures, and survives an encoder
// that panics.
func TestImageCacheIsBoundedAndEncodesOnce(t *testing.T) {
	var calls atomic.Int32
	gate := make(chan struct{})
	c := newImageCache(250, func(b []byte) (string, error) {
		calls.Add(1)
		if string(b) == "panic" {
			panic("hostile image")
		}
		if string(b) == "slow" {
			<-gate
		}
		if string(b) == "bad" {
			return "", fmt.Errorf("not an image")
		}
		return strings.Repeat("u", 100) + string(b), nil
	})
	load := func(s string) func() ([]byte, error) { return func() ([]byte, error) { return []byte(s), nil } }
	c.url("a", load("a"))
	c.url("b", load("b"))
	c.url("a", load("a")) // a is now the most recent
	c.url("c", load("c")) // over 250 bytes: b goes
	if calls.Load() != 3 {
		t.Errorf("%d encodes", calls.Load())
	}
	if _, ok := c.items["b"]; ok || c.bytes > 250 || len(c.items) != 2 {
		t.Errorf("kept %v (%d bytes)", keysOf(c.items), c.bytes)
	}
	started := make(chan struct{})
	c.encode = func(enc func([]byte) (string, error)) func([]byte) (string, error) {
		return func(b []byte) (string, error) {
			if string(b) == "slow" {
				close(started)
			}
			return enc(b)
		}
	}(c.encode)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if u, err := c.url("s", load("slow")); err != nil || !strings.HasSuffix(u, "slow") {
				t.Errorf("%q %v", u, err)
			}
		}()
	}
	<-started
	close(gate)
	wg.Wait()
	if n := calls.Load(); n != 4 {
		t.Errorf("five callers: %d encodes", n-3)
	}
	for range 2 {
		if _, err := c.url("x", load("bad")); err == nil {
			t.Error("no error")
		}
	}
	if _, err := c.url("p", load("panic")); err == nil || !strings.Contains(err.Error(), "panic") {
		t.Errorf("panic: %v", err)
	}
	if n := calls.Load(); n != 7 {
		t.Errorf("failures were remembered: %d encodes", n)
	}
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestAFoldedImageIsSummarisedByName: an old question's picture is named
// in what the summariser reads ("[image: NAME]"), never sent to it.
func TestAFoldedImageIsSummarisedByName(t *testing.T) {
	srv := newChatJournal(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m",
		ModelLimits: map[string]store.ModelLimits{"m": {Context: 3000, MaxOutput: 300}}})
	c, _ := st.CreateConversation(store.Conversation{})
	chart := attachment(t, "chart.png", pngOf(t, 20, 20, color.White))
	if _, err := st.AppendMessage(store.Message{ConversationID: c.ID, Role: store.RoleUser, Content: "look at this chart", State: store.StateDone, Attachments: []store.Attachment{chart}}); err != nil {
		t.Fatal(err)
	}
	seed(t, st, c.ID, 40)
	e := New(st, Options{})
	events, err := e.Send(context.Background(), c.ID, "latest question", SendOptions{Provider: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if r, comp, _ := collect(t, events); r.text != "reply" || len(comp) != 1 || comp[0].Folded == 0 {
		t.Fatalf("answer %#v, compressed %+v", r.final, comp)
	}
	if srv.summaries.Load() == 0 {
		t.Fatal("nothing summarised")
	}
	if in := srv.request(0)[1].Content; !strings.Contains(in, "user: look at this chart\n[image: chart.png]\n\n") || strings.Contains(in, "base64") {
		t.Errorf("the summariser read %.200q", in)
	}
}

// TestTwentyImagesGoTogether: the most files a question takes, all images,
// are encoded (several at once) and sent in their order.
func TestTwentyImagesGoTogether(t *testing.T) {
	st := openStore(t)
	e := New(st, Options{})
	srv := newVisionServer(t, nil)
	var atts []store.Attachment
	for i := range attach.MaxFiles {
		atts = append(atts, attachment(t, fmt.Sprintf("shot-%02d.png", i), pngOf(t, 16+i, 16, color.Gray{uint8(i * 10)})))
	}
	events, err := e.Send(context.Background(), newConversation(t, st), "compare them", SendOptions{Endpoint: visionEndpoint(srv.URL, "gpt-4o"), Attachments: atts})
	if err != nil {
		t.Fatal(err)
	}
	if r := drain(t, events); r.text != "I see it." {
		t.Fatalf("final %#v", r.final)
	}
	parts := srv.messages(t, 0)[0].parts()
	if len(parts) != attach.MaxFiles+1 {
		t.Fatalf("%d parts", len(parts))
	}
	for i, p := range parts[1:] {
		if p.Type != "image_url" || p.ImageURL == nil {
			t.Fatalf("part %d: %+v", i+1, p)
		}
		if _, w, _ := decodedImage(t, p.ImageURL.URL); w != 16+i {
			t.Errorf("image %d is %d wide, want %d: out of order", i, w, 16+i)
		}
	}
}
