package transfer

import (
	"encoding/base64"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// htmlDoc writes one self-contained page: inline CSS, light and dark
// following the system (prefers-color-scheme), no scripts, nothing fetched:
// its Content-Security-Policy allows inline style and data: images only, so
// a browser that opens it makes no request. Messages and reasoning are
// rendered from Markdown (see htmlmd.go: raw HTML shown as text, code
// highlighted, images outside the file become links); every other piece of
// text from the store (titles, models, ids, the system prompt) goes through
// html.EscapeString.
//
// The messages are the active path, then with all the other branches (see
// branches.go), each after a heading "Branch from message N" that links to
// message N, whose number the messages then show.
//
// Attachments follow their message's text: images (PNG, JPEG, GIF, WebP)
// inline as data: URLs, other files as data: links that download them
// under their name (as application/octet-stream, so that no browser shows
// one as a page), all inside the page.
type htmlDoc struct {
	o     *out
	at    time.Time
	blobs *blobReader
	count int
}

// htmlStyle contains no '>' so that tests can tell markup from text simply.
const htmlStyle = `:root{color-scheme:light dark;--bg:#ffffff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--user:#eef6ff;--answer:#f6f8fa;--code:#f0f2f4;--err:#cf222e;--link:#0969da}
@media (prefers-color-scheme: dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--user:#0f2a44;--answer:#161b22;--code:#010409;--err:#ff7b72;--link:#4493f8}}
*{box-sizing:border-box}
body{margin:0 auto;max-width:54rem;padding:2rem 1.25rem 4rem;background:var(--bg);color:var(--fg);font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--link)}
h1{font-size:1.6rem;margin:0 0 .25rem}
h2{font-size:1.3rem;margin:2.5rem 0 .25rem;padding-top:1rem;border-top:1px solid var(--line)}
.meta,.head{color:var(--muted);font-size:.85rem}
nav ul{padding-left:1.25rem}
.msg{margin:1rem 0;padding:.75rem 1rem;border:1px solid var(--line);border-radius:.6rem;background:var(--answer)}
.msg.user{background:var(--user)}
.msg.superseded{opacity:.6}
.head{margin-bottom:.4rem}
.role{font-weight:600;color:var(--fg)}
.text{overflow-wrap:anywhere}
.text>:first-child{margin-top:0}.text>:last-child{margin-bottom:0}
.plain{white-space:pre-wrap}
.raw{white-space:pre-wrap;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88em}
pre{margin:.5rem 0;padding:.75rem;background:var(--code);border:1px solid var(--line);border-radius:.4rem;overflow-x:auto;white-space:pre}
code,pre{font:.88em/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
:not(pre)>code{padding:.1em .3em;background:var(--code);border-radius:.3em}
pre code{font-size:1em}
table{border-collapse:collapse;margin:.5rem 0;display:block;overflow-x:auto}
th,td{border:1px solid var(--line);padding:.3rem .6rem;text-align:left}
th{background:var(--code)}
blockquote{margin:.5rem 0;padding:0 1rem;border-left:.25rem solid var(--line);color:var(--muted)}
img{max-width:100%}
.attachments{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 0}
.attachments .shot{display:flex;flex-direction:column}
.attachments img{max-height:24rem;border:1px solid var(--line);border-radius:.4rem}
.attachments .file{margin:0;color:var(--muted);font-size:.85rem}
details{margin:.5rem 0;color:var(--muted)}
details pre{white-space:pre-wrap}
.error{color:var(--err)}
h3.branch{font-size:1.05rem;margin:2rem 0 .5rem;padding-top:.75rem;border-top:1px dashed var(--line);color:var(--muted)}
@media print{.msg{break-inside:avoid}}
`

// htmlCSP is the page's Content-Security-Policy: nothing may load but its
// own inline style and data: images; no script runs, whatever the page holds.
const htmlCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

const htmlTime = "2006-01-02 15:04 UTC"

func esc(s string) string { return html.EscapeString(s) }

func (h *htmlDoc) stamp(t time.Time) string {
	t = t.UTC()
	return `<time datetime="` + t.Format(time.RFC3339) + `">` + t.Format(htmlTime) + `</time>`
}

func (h *htmlDoc) begin(list []store.Conversation) {
	page := "deskchat export"
	if len(list) == 1 {
		page = title(list[0])
	}
	h.o.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	h.o.WriteString("<meta http-equiv=\"Content-Security-Policy\" content=\"" + htmlCSP + "\">\n")
	h.o.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	h.o.WriteString("<meta name=\"generator\" content=\"deskchat\">\n")
	h.o.WriteString("<title>" + esc(page) + "</title>\n<style>\n" + htmlStyle + codeStyle() + "</style>\n</head>\n<body>\n")
	h.o.WriteString("<header>\n<h1>" + esc(page) + "</h1>\n<p class=\"meta\">" + format.Count(len(list), "conversation", "conversations") +
		", exported from deskchat on " + h.stamp(h.at) + "</p>\n")
	if len(list) > 1 {
		h.o.WriteString("<nav>\n<ul>\n")
		for _, c := range list {
			h.o.WriteString(`<li><a href="#c-` + esc(c.ID) + `">` + esc(title(c)) + "</a></li>\n")
		}
		h.o.WriteString("</ul>\n</nav>\n")
	}
	h.o.WriteString("</header>\n")
}

func (h *htmlDoc) conversation(d store.Dump, all bool) int {
	c := d.Conversation
	s := toShow(d.Messages, c.Leaf, all)
	h.count++
	h.o.WriteString(`<article id="c-` + esc(c.ID) + "\">\n<h2>" + esc(title(c)) + "</h2>\n")
	h.o.WriteString(`<p class="meta">` + messageCount(s) + " · started " + h.stamp(c.CreatedAt) +
		" · last updated " + h.stamp(c.UpdatedAt))
	if model := oneLine(strings.Trim(c.Provider+" · "+c.Model, " ·")); model != "" {
		h.o.WriteString(" · " + esc(model))
	}
	h.o.WriteString("</p>\n")
	if c.SystemPrompt != "" {
		h.o.WriteString("<details><summary>System prompt</summary><pre>" + esc(c.SystemPrompt) + "</pre></details>\n")
	}
	// The Markdown of a few messages at a time is rendered on all cores
	// (highlighting code is most of an export's work), then written in
	// order: the export still holds one conversation, and of its HTML only
	// the window being written.
	branches, done := s.branches, 0
	for rest := s.msgs; len(rest) > 0; {
		batch := rest[:renderWindow(rest)]
		rest = rest[len(batch):]
		for i, r := range renderMessages(batch) {
			if len(branches) > 0 && branches[0].at == done {
				h.branch(c.ID, branches[0])
				branches = branches[1:]
			}
			anchor := ""
			if len(s.branches) > 0 {
				anchor = messageAnchor(c.ID, batch[i].Seq)
			}
			h.message(batch[i], r, anchor)
			done++
		}
	}
	h.o.WriteString("</article>\n")
	return len(s.msgs)
}

// messageAnchor is the id of a message's section, which branch headings
// link to.
func messageAnchor(conv string, seq uint64) string { return fmt.Sprintf("m-%s-%d", conv, seq) }

// branch writes the heading of a branch off the active path, linking to
// the message it continues.
func (h *htmlDoc) branch(conv string, b branch) {
	if b.from == 0 {
		h.o.WriteString("<h3 class=\"branch\">Branch from the start</h3>\n")
		return
	}
	h.o.WriteString(fmt.Sprintf("<h3 class=\"branch\">Branch from <a href=\"#%s\">message %d</a></h3>\n", esc(messageAnchor(conv, b.from)), b.from))
}

// message writes one message, its Markdown rendered already (r). anchor,
// when set, is the section's id, and the message's number is shown.
func (h *htmlDoc) message(m store.Message, r rendered, anchor string) {
	class := "msg " + roleClass(m.Role)
	if m.Superseded {
		class += " superseded"
	}
	h.o.WriteString(`<section class="` + class + `"`)
	if anchor != "" {
		h.o.WriteString(` id="` + esc(anchor) + `"`)
	}
	h.o.WriteString(">\n<div class=\"head\">")
	if anchor != "" {
		h.o.WriteString(fmt.Sprintf("message %d · ", m.Seq))
	}
	h.o.WriteString("<span class=\"role\">" + esc(roleName(m.Role)) + "</span>")
	if model := oneLine(m.Model); model != "" {
		h.o.WriteString(" · " + esc(model))
	}
	h.o.WriteString(" · " + h.stamp(m.CreatedAt))
	if m.State != "" && m.State != store.StateDone {
		h.o.WriteString(" · " + esc(string(m.State)))
	}
	if m.Superseded {
		h.o.WriteString(" · superseded")
	}
	if m.Pinned {
		h.o.WriteString(" · pinned")
	}
	h.o.WriteString("</div>\n")
	if r.reasoning != nil {
		h.o.WriteString("<details><summary>Reasoning</summary><div class=\"text\">\n")
		h.o.Write(r.reasoning)
		h.o.WriteString("</div></details>\n")
	}
	if r.content != nil {
		h.o.WriteString("<div class=\"text\">\n")
		h.o.Write(r.content)
		h.o.WriteString("</div>\n")
	}
	h.attachments(m.Attachments)
	for _, u := range m.Tools {
		h.o.WriteString(`<details class="tool"><summary>` + esc(toolSummary(u)) + "</summary>\n<p class=\"meta\">Arguments</p><pre>" + esc(u.Arguments) + "</pre>\n")
		if res := toolResult(u); res != "" {
			h.o.WriteString(`<p class="meta">Result</p><pre>` + esc(res) + "</pre>\n")
		}
		h.o.WriteString("</details>\n")
	}
	if m.Error != "" {
		h.o.WriteString(`<p class="error">` + esc(m.Error) + "</p>\n")
	}
	h.o.WriteString("</section>\n")
}

// roleClass is the CSS class of a role: one of a fixed few, never text from
// the file.
func roleClass(r store.Role) string {
	switch r {
	case store.RoleUser:
		return "user"
	case store.RoleSystem:
		return "system"
	}
	return "assistant"
}

func (h *htmlDoc) end() {
	if h.count == 0 {
		h.o.WriteString("<p class=\"meta\">No conversations.</p>\n")
	}
	h.o.WriteString("</body>\n</html>\n")
}

// attachments writes a message's attachments (see htmlDoc).
func (h *htmlDoc) attachments(as []store.Attachment) {
	if len(as) == 0 {
		return
	}
	h.o.WriteString(`<div class="attachments">` + "\n")
	for _, a := range as {
		name, size := esc(oneLine(a.Name)), esc(format.Size(a.Size))
		data, _, ok := h.blobs.load(a)
		mime := dataMime(a.Mime)
		switch {
		case !ok:
			h.o.WriteString(`<p class="file">` + name + " · " + size + ", not in the history</p>\n")
		case inlineImage([]byte("data:" + mime + ";")):
			h.o.WriteString(`<div class="shot"><img src="data:` + mime + ";base64,")
			h.base64(data)
			h.o.WriteString(`" alt="` + name + `"><span class="file">` + name + " · " + size + "</span></div>\n")
		default:
			// application/octet-stream whatever the file: the browser
			// saves it under its name, never shows it as a page.
			h.o.WriteString(`<p class="file"><a href="data:application/octet-stream;base64,`)
			h.base64(data)
			h.o.WriteString(`" download="` + name + `">` + name + "</a> · " + size + "</p>\n")
		}
	}
	h.o.WriteString("</div>\n")
}

// base64 writes data in base64, straight to the page.
func (h *htmlDoc) base64(data []byte) {
	enc := base64.NewEncoder(base64.StdEncoding, outWriter{h.o})
	enc.Write(data)
	enc.Close()
}

// outWriter is an out as an io.Writer.
type outWriter struct{ o *out }

func (w outWriter) Write(p []byte) (int, error) {
	w.o.Write(p)
	return len(p), w.o.err
}

// dataMime is the type a data: URL of an attachment says: its mime type
// without parameters, when that is a plain type/subtype, else
// application/octet-stream (nothing from the history reaches the page
// unchecked).
func dataMime(mime string) string {
	mime, _, _ = strings.Cut(mime, ";")
	mime = strings.ToLower(strings.TrimSpace(mime))
	typ, sub, ok := strings.Cut(mime, "/")
	if !ok || !mimeToken(typ) || !mimeToken(sub) {
		return "application/octet-stream"
	}
	return mime
}

func mimeToken(s string) bool {
	if s == "" || len(s) > 127 {
		return false
	}
	for _, r := range s {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || strings.ContainsRune("!#$&^_.+-", r)) {
			return false
		}
	}
	return true
}
