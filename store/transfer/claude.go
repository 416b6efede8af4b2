package transfer

import (
	"strings"
	"time"

	"github.com/deskchat/deskchat/store"
)

// Claude.ai's conversations.json (Settings → Privacy → Export data): an array
// of conversations (a single one is accepted too), each with "uuid",
// "name" (or "title"), RFC 3339 "created_at"/"updated_at" and
// "chat_messages" in order: {uuid, sender: human|assistant, text,
// content: [{type: text, text}, …], created_at, attachments, files}. The
// text is taken from the content blocks when there are any, else from
// "text"; "thinking" blocks become the answer's reasoning, tool use and
// attachments a short placeholder. The export names no model.

type claudeConversation struct {
	UUID      string          `json:"uuid"`
	Name      string          `json:"name"`
	Title     string          `json:"title"`
	Model     string          `json:"model"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
	Messages  []claudeMessage `json:"chat_messages"`
}

type claudeMessage struct {
	Sender    string `json:"sender"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Content   []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		Thinking string `json:"thinking"`
		Name     string `json:"name"`
	} `json:"content"`
	Attachments []claudeFile `json:"attachments"`
	Files       []claudeFile `json:"files"`
}

type claudeFile struct {
	FileName string `json:"file_name"`
}

func (c *claudeConversation) title() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Title
}

func claudeTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// text returns the message's text and reasoning.
func (m *claudeMessage) text() (string, string) {
	var parts, thinking []string
	for _, f := range append(m.Attachments, m.Files...) {
		if name := oneLine(f.FileName); name != "" {
			parts = append(parts, "[attachment: "+name+"]")
		} else {
			parts = append(parts, "[attachment]")
		}
	}
	hasText := false
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			if b.Text != "" {
				parts = append(parts, b.Text)
				hasText = true
			}
		case "thinking":
			if s := strings.TrimSpace(b.Thinking); s != "" {
				thinking = append(thinking, s)
			}
		case "tool_use":
			parts = append(parts, "[tool use: "+oneLine(b.Name)+"]")
		case "tool_result":
			parts = append(parts, "[tool result]")
		case "image":
			parts = append(parts, "[image]")
		case "":
		default:
			parts = append(parts, "["+oneLine(b.Type)+"]")
		}
	}
	if !hasText && m.Text != "" {
		parts = append(parts, m.Text)
	}
	return strings.Join(parts, "\n\n"), strings.Join(thinking, "\n\n")
}

func (c *claudeConversation) convert(now time.Time) (store.Import, error) {
	var im store.Import
	if c.UUID == "" {
		return im, errNoID
	}
	im.Source = "claude:" + c.UUID
	created, updated := claudeTime(c.CreatedAt), claudeTime(c.UpdatedAt)
	if created.IsZero() {
		created = now
	}
	prev := created
	for i := range c.Messages {
		m := &c.Messages[i]
		var role store.Role
		switch m.Sender {
		case "human", "user":
			role = store.RoleUser
		case "assistant":
			role = store.RoleAssistant
		default:
			continue
		}
		text, reasoning := m.text()
		if strings.TrimSpace(text) == "" && reasoning == "" {
			continue
		}
		msg := store.Message{Role: role, Content: text, State: store.StateDone, CreatedAt: claudeTime(m.CreatedAt), UpdatedAt: claudeTime(m.UpdatedAt)}
		if role == store.RoleAssistant {
			msg.Reasoning, msg.Model = reasoning, c.Model
		}
		if msg.CreatedAt.IsZero() {
			msg.CreatedAt = prev
		}
		if msg.UpdatedAt.IsZero() {
			msg.UpdatedAt = msg.CreatedAt
		}
		prev = msg.CreatedAt
		im.Messages = append(im.Messages, msg)
	}
	if len(im.Messages) == 0 {
		return im, errNoMessages
	}
	if last := im.Messages[len(im.Messages)-1].UpdatedAt; updated.IsZero() || last.After(updated) {
		updated = last
	}
	if updated.Before(created) {
		updated = created
	}
	im.Conversation = store.Conversation{Title: c.title(), Model: c.Model, CreatedAt: created, UpdatedAt: updated}
	return im, nil
}
