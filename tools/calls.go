package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
)

// tools lists the server's enabled tools, starting it when needed.
func (s *server) tools(ctx context.Context) ([]engine.ToolInfo, error) {
	c, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	var all []engine.ToolInfo
	for t, err := range c.sess.Tools(ctx, nil) {
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("%s could not list its tools: %s.", s.cfg.Name, shortError(err))
		}
		if len(all) == maxTools {
			break
		}
		schema, err := json.Marshal(t.InputSchema)
		if err != nil || t.InputSchema == nil {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		all = append(all, engine.ToolInfo{Server: s.cfg.Name, Name: t.Name, Description: clip(t.Description, maxDescription), Schema: schema})
	}
	s.mu.Lock()
	if s.conn == c {
		s.listed = all
	}
	disabled, allowed := s.disabled, s.allowed
	s.mu.Unlock()
	enabled := make([]engine.ToolInfo, 0, len(all))
	for _, t := range all {
		if !slices.Contains(disabled, t.Name) {
			t.Allowed = slices.Contains(allowed, t.Name)
			enabled = append(enabled, t)
		}
	}
	return enabled, nil
}

// call runs tool with args (a JSON object) within the call timeout.
func (s *server) call(ctx context.Context, tool string, args json.RawMessage) (engine.ToolResult, error) {
	s.mu.Lock()
	off := slices.Contains(s.disabled, tool)
	s.mu.Unlock()
	if off {
		return failure("The tool %s of %s is turned off.", tool, s.cfg.Name), nil
	}
	c, err := s.session(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return engine.ToolResult{}, ctx.Err()
		}
		return failure("%s", err.Error()), nil
	}
	cctx, cancel := context.WithTimeout(ctx, s.m.opts.CallTimeout)
	defer cancel()
	res, err := c.sess.CallTool(cctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	switch {
	case err == nil:
		return result(res, s.m.opts.MaxResultBytes), nil
	case ctx.Err() != nil:
		return engine.ToolResult{}, ctx.Err()
	case cctx.Err() != nil:
		return failure("%s did not answer %s within %s; the call was cancelled.", s.cfg.Name, tool, within(s.m.opts.CallTimeout)), nil
	}
	var werr *jsonrpc.Error
	if errors.As(err, &werr) {
		return failure("%s refused %s: %s.", s.cfg.Name, tool, shortError(werr)), nil
	}
	// The connection broke: say how, once the watcher knows.
	t := time.NewTimer(closeGrace + closeGrace/2)
	defer t.Stop()
	select {
	case <-c.ended:
		return failure("%s stopped during the call to %s (%s).%s", s.cfg.Name, tool, c.why, s.lastWords()), nil
	case <-t.C:
		return failure("%s failed during the call to %s: %s.", s.cfg.Name, tool, shortError(err)), nil
	}
}

// maxDescription bounds a tool's description (a model reads each one with
// every request that offers the tool).
const maxDescription = 4 << 10

// clip cuts s at max bytes, with "…".
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return prefix(s, max) + "…"
}

// prefix is s's first max bytes or fewer, ending on a character boundary.
func prefix(s string, max int) string {
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// result is what the model reads of res: its text contents, the others
// named, cut at max bytes with a note.
func result(res *mcp.CallToolResult, max int) engine.ToolResult {
	var b strings.Builder
	for _, c := range res.Content {
		if b.Len() > max {
			break
		}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		switch c := c.(type) {
		case *mcp.TextContent:
			b.WriteString(c.Text)
		case *mcp.ImageContent:
			fmt.Fprintf(&b, "[an image, %s, %s]", c.MIMEType, format.Size(int64(len(c.Data))))
		case *mcp.AudioContent:
			fmt.Fprintf(&b, "[a sound, %s, %s]", c.MIMEType, format.Size(int64(len(c.Data))))
		case *mcp.ResourceLink:
			fmt.Fprintf(&b, "[a link to %s: %s]", c.Name, c.URI)
		case *mcp.EmbeddedResource:
			if c.Resource != nil && c.Resource.Text != "" {
				b.WriteString(c.Resource.Text)
			} else if c.Resource != nil {
				fmt.Fprintf(&b, "[a resource, %s, %s]", c.Resource.URI, format.Size(int64(len(c.Resource.Blob))))
			}
		default:
			raw, _ := json.Marshal(c)
			b.Write(raw)
		}
	}
	if b.Len() == 0 && res.StructuredContent != nil {
		raw, _ := json.Marshal(res.StructuredContent)
		b.Write(raw)
	}
	return engine.ToolResult{Text: cut(b.String(), max), IsError: res.IsError}
}

// cut shortens s to at most max bytes (on a character boundary) and says
// so at the end.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	return prefix(s, max) + fmt.Sprintf("\n[The result was cut here: it was longer than %s.]", format.Size(int64(max)))
}
