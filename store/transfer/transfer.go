// Package transfer moves conversation history in and out of a deskchat
// store: export to JSON (lossless, re-importable), Markdown or a
// self-contained HTML page; import from deskchat's own JSON, a ChatGPT
// conversations.json or a Claude.ai conversations.json.
//
// Both directions stream: an export reads one conversation at a time from
// the store and writes it out before reading the next; an import decodes one
// conversation at a time and stores them in batches, so the size of a file
// does not bound the memory needed. ExportFile writes atomically (a
// temporary file beside the destination, synced, then renamed), and an
// import first checks the whole file, so a damaged file imports nothing.
//
// Attachments travel whole (attachments.go): the JSON export embeds them and
// an import restores them byte for byte, checked against their sha256; HTML
// holds them inside the page; Markdown written to a file puts them in an
// attachments/ folder beside it; a ChatGPT export's images become
// attachments when its files are at hand (gptassets.go).
//
// Errors are *store.Error values: Msg is the sentence for the user, Err the
// cause. A cancelled ctx stops either direction; the error then also matches
// context.Canceled. The functions are safe to call concurrently with each
// other and with the rest of the application; options' zero values are the
// defaults (all conversations, JSON, automatic detection).
package transfer

import (
	"errors"
	"strings"
)

// Format is an export format.
type Format string

// Export formats.
const (
	JSON     Format = "json" // lossless; Import reads it back
	Markdown Format = "md"
	HTML     Format = "html"
)

// ParseFormat accepts "json", "md" (or "markdown") and "html".
func ParseFormat(s string) (Format, bool) {
	switch strings.ToLower(s) {
	case "", "json":
		return JSON, true
	case "md", "markdown":
		return Markdown, true
	case "html", "htm":
		return HTML, true
	}
	return "", false
}

// Source is the kind of file an import reads.
type Source string

// Import sources.
const (
	Auto     Source = "auto" // detect from the file's first conversation
	Deskchat Source = "deskchat"
	ChatGPT  Source = "chatgpt"
	Claude   Source = "claude"
)

// ParseSource accepts "auto", "deskchat", "chatgpt" and "claude".
func ParseSource(s string) (Source, bool) {
	switch src := Source(strings.ToLower(s)); src {
	case "":
		return Auto, true
	case Auto, Deskchat, ChatGPT, Claude:
		return src, true
	}
	return "", false
}

func (s Source) label() string {
	switch s {
	case Deskchat:
		return "deskchat"
	case ChatGPT:
		return "ChatGPT"
	case Claude:
		return "Claude"
	}
	return string(s)
}

// Version is the version of deskchat's JSON export format that Export writes
// and the newest that Import reads.
const Version = 1

// Sentinel causes, for errors.Is.
var (
	// ErrNotExport: the file is JSON, but not an export Import knows.
	ErrNotExport = errors.New("not a known export")
	// ErrDamaged: the file is not valid JSON (truncated, corrupt, nested too deeply).
	ErrDamaged = errors.New("damaged file")
)

// oneLine folds s onto one line (titles, model names in headings).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
