package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/deskchat/deskchat/store"
)

// ChatGPT's conversations.json (Settings → Data controls → Export): an array
// of conversations, each a tree of nodes in "mapping" (a regenerated answer
// or an edited question is a branch), and "current_node", the leaf of the
// branch the user last saw. Import keeps every branch (gpttree.go), with
// current_node's branch as the active path. It leaves out the empty root,
// hidden system and context messages, tool calls and tool output (web
// browsing, code runs), and nodes without text, their children following
// the nearest message kept above them; "thoughts" (o-series reasoning)
// become the next answer's reasoning; images become attachments when the
// export's files are at hand (a zip archive, or an unpacked export's
// folder: see gptassets.go), else, like other attachments, a placeholder
// such as "[image]". Times are seconds since 1970 as floats;
// metadata.model_slug is the answer's model.

type gptConversation struct {
	ID             string             `json:"id"`
	ConversationID string             `json:"conversation_id"`
	Title          string             `json:"title"`
	CreateTime     *float64           `json:"create_time"`
	UpdateTime     *float64           `json:"update_time"`
	Mapping        map[string]gptNode `json:"mapping"`
	CurrentNode    string             `json:"current_node"`
	DefaultModel   string             `json:"default_model_slug"`

	assets func() *gptAssets           // the export's files; nil: none at hand
	cache  map[string]store.Attachment // images read, by pointer id
}

type gptNode struct {
	Parent  *string     `json:"parent"`
	Message *gptMessage `json:"message"`
}

type gptMessage struct {
	Author struct {
		Role string `json:"role"`
	} `json:"author"`
	CreateTime *float64 `json:"create_time"`
	UpdateTime *float64 `json:"update_time"`
	Content    struct {
		ContentType string            `json:"content_type"`
		Parts       []json.RawMessage `json:"parts"`
		Text        string            `json:"text"`
		Language    string            `json:"language"`
		Thoughts    []struct {
			Summary string `json:"summary"`
			Content string `json:"content"`
		} `json:"thoughts"`
	} `json:"content"`
	Status    string `json:"status"`
	Recipient string `json:"recipient"`
	Metadata  struct {
		Hidden        bool   `json:"is_visually_hidden_from_conversation"`
		ModelSlug     string `json:"model_slug"`
		FinishDetails struct {
			Type string `json:"type"`
		} `json:"finish_details"`
		Attachments []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"attachments"`
	} `json:"metadata"`
}

func (g *gptConversation) title() string { return g.Title }

func (g *gptConversation) id() string {
	if g.ConversationID != "" {
		return g.ConversationID
	}
	return g.ID
}

// currentNode is the node of the message the user last saw:
// current_node, or when it is not in the mapping the most recent message.
func (g *gptConversation) currentNode() string {
	leaf := g.CurrentNode
	if _, ok := g.Mapping[leaf]; ok {
		return leaf
	}
	best := -1.0
	for id, n := range g.Mapping {
		if n.Message != nil && n.Message.CreateTime != nil && (*n.Message.CreateTime > best || *n.Message.CreateTime == best && id < leaf) {
			best, leaf = *n.Message.CreateTime, id
		}
	}
	return leaf
}

// gptTime converts seconds since 1970 to a time, to the microsecond.
func gptTime(f *float64) (time.Time, bool) {
	if f == nil || *f <= 0 || *f > 1e11 || math.IsNaN(*f) {
		return time.Time{}, false
	}
	return time.UnixMicro(int64(math.Round(*f * 1e6))).UTC(), true
}

// gptText is a message's text, with placeholders for what is not text.
// image, when set, is offered each image part: true means it became an
// attachment and needs no placeholder.
func gptText(m *gptMessage, image func(gptImagePart) bool) string {
	c := &m.Content
	if len(c.Parts) == 0 {
		if c.ContentType == "code" && strings.TrimSpace(c.Text) != "" {
			f := literalFence(c.Text)
			return f + c.Language + "\n" + strings.TrimSuffix(c.Text, "\n") + "\n" + f
		}
		return c.Text
	}
	var parts []string
	for _, raw := range c.Parts {
		if s, ok := plainString(raw); ok {
			if s != "" {
				parts = append(parts, s)
			}
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s != "" {
				parts = append(parts, s)
			}
			continue
		}
		var obj struct {
			ContentType string `json:"content_type"`
			Text        string `json:"text"`
			Name        string `json:"name"`
			gptImagePart
		}
		if json.Unmarshal(raw, &obj) != nil {
			continue // a number, null: nothing to show
		}
		switch t := obj.ContentType; {
		case t == "audio_transcription" && obj.Text != "":
			parts = append(parts, obj.Text)
		case strings.HasPrefix(t, "image") && image != nil && obj.AssetPointer != "" && image(obj.gptImagePart):
		case strings.HasPrefix(t, "image"):
			parts = append(parts, "[image]")
		case strings.Contains(t, "audio"):
			parts = append(parts, "[audio]")
		case strings.Contains(t, "video"):
			parts = append(parts, "[video]")
		case obj.Name != "":
			parts = append(parts, "[attachment: "+oneLine(obj.Name)+"]")
		default:
			parts = append(parts, "[attachment]")
		}
	}
	return strings.Join(parts, "\n\n")
}

// plainString decodes a JSON string without escapes quickly (most parts
// are); false sends the others through encoding/json.
func plainString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	if bytes.IndexByte(body, '\\') >= 0 || !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}

var (
	errNoID       = errors.New("it has no id")
	errNoSeq      = errors.New("its messages have no numbers (seq)")
	errNoMessages = errors.New("it has no messages")
	errNoMapping  = errors.New("it has no messages (no \"mapping\")")
)

// convert keeps every branch of the mapping: each node with a message
// worth showing becomes a message whose parent is the nearest such message
// above it (the empty root, hidden and tool nodes are left out and their
// children moved up), in gptOrder; the leaf is current_node's message (or
// the nearest shown above it). Parents and the leaf name messages by their
// position from 1, as store.Import reads them.
func (g *gptConversation) convert(now time.Time) (store.Import, error) {
	var im store.Import
	id := g.id()
	if id == "" {
		return im, errNoID
	}
	if len(g.Mapping) == 0 {
		return im, errNoMapping
	}
	im.Source = "chatgpt:" + id
	order := g.gptOrder()
	above := make([]uint64, len(order.ids))     // by node: the nearest kept message at or above it
	pending := make([][]string, len(order.ids)) // by node: thoughts below it waiting for their answer
	for i, nid := range order.ids {
		var parent uint64
		var reasoning []string
		if from := order.from[i]; from >= 0 {
			parent, reasoning = above[from], pending[from]
		}
		m := g.Mapping[nid].Message
		if m != nil && !m.Metadata.Hidden && m.Content.ContentType == "thoughts" {
			reasoning = slices.Clip(reasoning) // siblings must not share what is appended
			for _, t := range m.Content.Thoughts {
				if s := strings.TrimSpace(t.Content); s != "" {
					reasoning = append(reasoning, s)
				}
			}
		}
		if msg, ok := g.message(m); ok {
			msg.Parent = parent
			if msg.Role == store.RoleAssistant {
				msg.Reasoning, reasoning = strings.Join(reasoning, "\n\n"), nil
			}
			im.Messages = append(im.Messages, msg)
			parent = uint64(len(im.Messages))
		}
		above[i], pending[i] = parent, reasoning
	}
	if len(im.Messages) == 0 {
		return im, errNoMessages
	}
	if leaf := slices.Index(order.ids, g.currentNode()); leaf >= 0 {
		im.Conversation.Leaf = above[leaf]
	}
	if im.Conversation.Leaf == 0 {
		im.Conversation.Leaf = uint64(len(im.Messages))
	}
	g.times(&im, now)
	im.Conversation.Model = g.DefaultModel
	for i := im.Conversation.Leaf; i != 0; i = im.Messages[i-1].Parent { // parents come first: this ends
		if m := im.Messages[i-1]; m.Role == store.RoleAssistant && m.Model != "" {
			im.Conversation.Model = m.Model
			break
		}
	}
	im.Conversation.Title = g.Title
	return im, nil
}

// message is what m becomes, or false when it is not shown (see the
// format's description above).
func (g *gptConversation) message(m *gptMessage) (store.Message, bool) {
	if m == nil || m.Metadata.Hidden {
		return store.Message{}, false
	}
	role := store.Role(m.Author.Role)
	switch {
	case m.Content.ContentType == "thoughts":
		return store.Message{}, false // the next answer's reasoning
	case role != store.RoleUser && role != store.RoleAssistant && role != store.RoleSystem:
		return store.Message{}, false // tool output
	case role == store.RoleAssistant && m.Recipient != "" && m.Recipient != "all":
		return store.Message{}, false // a call to a tool
	}
	switch m.Content.ContentType {
	case "user_editable_context", "model_editable_context", "reasoning_recap", "tether_browsing_display", "tether_quote", "system_error":
		return store.Message{}, false
	}
	text, attached := g.content(m)
	if strings.TrimSpace(text) == "" && len(attached) == 0 {
		return store.Message{}, false
	}
	msg := store.Message{Role: role, Content: text, State: store.StateDone, Attachments: attached}
	msg.CreatedAt, _ = gptTime(m.CreateTime)
	msg.UpdatedAt, _ = gptTime(m.UpdateTime)
	if role == store.RoleAssistant {
		msg.Model = m.Metadata.ModelSlug
		switch m.Metadata.FinishDetails.Type {
		case "stop":
			msg.Finish = "stop"
		case "max_tokens":
			msg.Finish = "length"
		case "interrupted":
			msg.State = store.StateStopped
		}
		if msg.State == store.StateDone && m.Status == "in_progress" {
			msg.State = store.StateInterrupted
		}
	}
	return msg, true
}

// times fills in the times the file leaves out: the conversation's
// created_at is the first message's time, else now; an untimed message
// takes its parent's time (the conversation's for a first message); the
// conversation's updated_at is its latest message's.
func (g *gptConversation) times(im *store.Import, now time.Time) {
	created, ok := gptTime(g.CreateTime)
	if !ok {
		created = now
		for _, m := range im.Messages {
			if !m.CreatedAt.IsZero() {
				created = m.CreatedAt
				break
			}
		}
	}
	latest := created
	for i := range im.Messages {
		m := &im.Messages[i]
		if m.CreatedAt.IsZero() {
			m.CreatedAt = created
			if m.Parent != 0 {
				m.CreatedAt = im.Messages[m.Parent-1].CreatedAt
			}
		}
		if m.UpdatedAt.IsZero() {
			m.UpdatedAt = m.CreatedAt
		}
		if m.UpdatedAt.After(latest) {
			latest = m.UpdatedAt
		}
	}
	updated, ok := gptTime(g.UpdateTime)
	if !ok {
		updated = latest
	}
	im.Conversation.CreatedAt, im.Conversation.UpdatedAt = created, updated
}

// content is a message's text and the images of it found in the export.
func (g *gptConversation) content(m *gptMessage) (string, []store.Attachment) {
	if g.assets == nil {
		return gptText(m, nil), nil
	}
	var names map[string]string
	for _, a := range m.Metadata.Attachments {
		if a.ID != "" && a.Name != "" {
			if names == nil {
				names = make(map[string]string)
			}
			names[a.ID] = a.Name
		}
	}
	var attached []store.Attachment
	text := gptText(m, func(p gptImagePart) bool {
		a, err := g.image(p, names)
		if err == nil {
			attached = append(attached, a)
		}
		return err == nil
	})
	return text, attached
}
