package transfer

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/deskchat/deskchat/store"
)

// deskchat's own JSON export, version 1:
//
//	{"format":"deskchat","version":1,"exported_at":"…","conversations":[
//	{"id":"…","title":"…",…,"messages":[
//	{"seq":1,"parent":0,"role":"user","content":"…","state":"done",…},
//	…
//	]},
//	…
//	]}
//
// "format" comes first (Import detects the file by it). Everything a
// conversation holds is kept: ids, message numbers, states, timestamps,
// provider and model, tokens, pinned and superseded flags, the running
// summary, attachments (see attachments.go), and the tree of messages: each
// message's "parent" (the seq of the message it follows, 0 for a first
// one) and the conversation's "leaf" (the seq of the active path's last
// message). Files written before the tree have neither; they import as a
// chain (see store.Import), so the version stays 1: a reader that ignores
// the two fields still reads every message. Providers and settings are
// not exported.

type fileHeader struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	ExportedAt time.Time `json:"exported_at"`
}

type fileConversation struct {
	ID             string        `json:"id"`
	Title          string        `json:"title"`
	Provider       string        `json:"provider,omitempty"`
	Model          string        `json:"model,omitempty"`
	SystemPrompt   string        `json:"system_prompt,omitempty"`
	CompressionOff bool          `json:"compression_off,omitempty"`
	TitleEdited    bool          `json:"title_edited,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	Leaf           uint64        `json:"leaf"`
	Summary        *fileSummary  `json:"summary,omitempty"`
	Messages       []fileMessage `json:"messages,omitempty"` // written by jsonDoc itself, one per line
}

type fileSummary struct {
	Through   uint64    `json:"through"`
	Text      string    `json:"text"`
	Model     string    `json:"model,omitempty"`
	Tokens    int       `json:"tokens,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

type fileMessage struct {
	Seq          uint64    `json:"seq"`
	Parent       uint64    `json:"parent"`
	Role         string    `json:"role"`
	Content      string    `json:"content"`
	Reasoning    string    `json:"reasoning,omitempty"`
	State        string    `json:"state"`
	Provider     string    `json:"provider,omitempty"`
	Model        string    `json:"model,omitempty"`
	Finish       string    `json:"finish,omitempty"`
	Error        string    `json:"error,omitempty"`
	Pinned       bool      `json:"pinned,omitempty"`
	Superseded   bool      `json:"superseded,omitempty"`
	PromptTokens int       `json:"prompt_tokens,omitempty"`
	OutputTokens int       `json:"output_tokens,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`

	Attachments []fileAttachment `json:"attachments,omitempty"`
	// Tools are an answer's calls to MCP tools with their results, as
	// the store keeps them.
	Tools []store.ToolUse `json:"tools,omitempty"`
}

func toFileConversation(c store.Conversation, sum *store.Summary) fileConversation {
	fc := fileConversation{ID: c.ID, Title: c.Title, Provider: c.Provider, Model: c.Model, SystemPrompt: c.SystemPrompt,
		CompressionOff: c.CompressionOff, TitleEdited: c.TitleEdited, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Leaf: c.Leaf}
	if sum != nil {
		fc.Summary = &fileSummary{Through: sum.Through, Text: sum.Text, Model: sum.Model, Tokens: sum.Tokens, UpdatedAt: sum.UpdatedAt}
	}
	return fc
}

func toFileMessage(m store.Message) fileMessage {
	return fileMessage{Seq: m.Seq, Parent: m.Parent, Role: string(m.Role), Content: m.Content, Reasoning: m.Reasoning, State: string(m.State),
		Provider: m.Provider, Model: m.Model, Finish: m.Finish, Error: m.Error, Pinned: m.Pinned, Superseded: m.Superseded,
		PromptTokens: m.PromptTokens, OutputTokens: m.OutputTokens, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Tools: m.Tools}
}

// fromDeskchat turns a decoded conversation back into what the store keeps.
func fromDeskchat(fc *fileConversation) (store.Import, error) {
	im := store.Import{Source: "deskchat:" + fc.ID}
	im.Conversation = store.Conversation{ID: fc.ID, Title: fc.Title, Provider: fc.Provider, Model: fc.Model,
		SystemPrompt: fc.SystemPrompt, CompressionOff: fc.CompressionOff, TitleEdited: fc.TitleEdited, CreatedAt: fc.CreatedAt, UpdatedAt: fc.UpdatedAt,
		Leaf: fc.Leaf}
	if s := fc.Summary; s != nil {
		im.Summary = &store.Summary{Through: s.Through, Text: s.Text, Model: s.Model, Tokens: s.Tokens, UpdatedAt: s.UpdatedAt}
	}
	im.Messages = make([]store.Message, 0, len(fc.Messages))
	seen := make(map[string]bool)
	for i, m := range fc.Messages {
		as, err := attachmentsFrom(i, m.Attachments, seen)
		if err != nil {
			return im, err
		}
		im.Messages = append(im.Messages, store.Message{Seq: m.Seq, Parent: m.Parent, Role: store.Role(m.Role), Content: m.Content,
			Reasoning: m.Reasoning, State: store.State(m.State), Provider: m.Provider, Model: m.Model, Finish: m.Finish,
			Error: m.Error, Pinned: m.Pinned, Superseded: m.Superseded, PromptTokens: m.PromptTokens,
			OutputTokens: m.OutputTokens, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, Attachments: as, Tools: m.Tools})
	}
	if fc.ID == "" {
		return im, errNoID
	}
	if len(im.Messages) > 0 && im.Messages[0].Seq == 0 {
		return im, errNoSeq
	}
	return im, nil
}

// jsonDoc writes deskchat's JSON export, one message per line.
type jsonDoc struct {
	o     *out
	blobs *blobReader
	at    time.Time
	buf   bytes.Buffer
	enc   *json.Encoder
	count int
}

// encode returns v as JSON without a trailing newline and without escaping
// <, > and & (the file is not HTML). The bytes are valid until the next call.
func (j *jsonDoc) encode(v any) []byte {
	if j.enc == nil {
		j.enc = json.NewEncoder(&j.buf)
		j.enc.SetEscapeHTML(false)
	}
	j.buf.Reset()
	if err := j.enc.Encode(v); err != nil {
		panic(err) // our own plain structs always encode
	}
	return bytes.TrimSuffix(j.buf.Bytes(), []byte("\n"))
}

func (j *jsonDoc) begin([]store.Conversation) {
	h := j.encode(fileHeader{Format: "deskchat", Version: Version, ExportedAt: j.at})
	j.o.Write(h[:len(h)-1])
	j.o.WriteString(`,"conversations":[`)
}

func (j *jsonDoc) conversation(d store.Dump, _ bool) int {
	if j.count > 0 {
		j.o.WriteString(",")
	}
	j.count++
	c := j.encode(toFileConversation(d.Conversation, d.Summary))
	j.o.WriteString("\n")
	j.o.Write(c[:len(c)-1]) // without its closing brace: the messages follow
	j.o.WriteString(`,"messages":[`)
	embedded := make(map[string]bool)
	for i, m := range d.Messages {
		if i > 0 {
			j.o.WriteString(",")
		}
		j.o.WriteString("\n")
		j.o.Write(j.encode(j.message(m, embedded)))
	}
	if len(d.Messages) > 0 {
		j.o.WriteString("\n")
	}
	j.o.WriteString("]}")
	return len(d.Messages)
}

// message is m as written, its attachments' bytes and text embedded the
// first time the conversation uses each (embedded).
func (j *jsonDoc) message(m store.Message, embedded map[string]bool) fileMessage {
	fm := toFileMessage(m)
	for _, a := range m.Attachments {
		fa := toFileAttachment(a)
		if !embedded[a.SHA256] {
			data, text, ok := j.blobs.load(a)
			fa.Data, fa.Text, fa.Missing = data, text, !ok
			embedded[a.SHA256] = ok
		}
		fm.Attachments = append(fm.Attachments, fa)
	}
	return fm
}

func (j *jsonDoc) end() {
	if j.count > 0 {
		j.o.WriteString("\n")
	}
	j.o.WriteString("]}\n")
}

func (fc *fileConversation) title() string { return fc.Title }

func (fc *fileConversation) convert(time.Time) (store.Import, error) { return fromDeskchat(fc) }
