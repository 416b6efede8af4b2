// Package redact removes credentials from text that came from outside the
// program: a provider's error body or in-stream error, a key command's
// stderr. Call it once where such text enters, before it is shown, stored,
// logged or exported.
//
// String replaces, with Mark:
//   - each given secret (the key that was sent), in any case, URL-encoded, in
//     base64 (whole, or inside a longer base64 text such as a Basic
//     credential "user:key") and JSON-escaped;
//   - the value of a Bearer, Basic or Token credential;
//   - the value after a label such as "api-key:", "x-api-key=",
//     "Authorization:" or a "?key=" / "&access_token=" query parameter;
//   - anything shaped like a known provider key: sk-… (OpenAI, OpenRouter
//     sk-or-…, Anthropic sk-ant-…, project sk-proj-…), gsk_… (Groq),
//     AIza… (Google), xai-…, pplx-…, hf_…, nvapi-…, and JSON web tokens.
//
// Strict does all that and also replaces any long word that mixes letters
// and digits, for text that may hold a key of unknown shape (a key
// command's output).
//
// Everything here is safe for concurrent use; nothing is remembered between
// calls. Hand-written on the standard library: the patterns are few and
// deskchat-specific, and no well-kept Go library does this job alone.
package redact

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Mark replaces every credential found.
const Mark = "[redacted]"

// MinSecret is the shortest given secret that is replaced: shorter ones
// (a local server's placeholder "none", "x") would blank ordinary words.
const MinSecret = 8

// These are compiled once and never changed (regexp values are safe for
// concurrent use).
var (
	// A credential scheme and its value; the value is replaced when it
	// looks like a secret (not "bearer authentication").
	schemeRE = regexp.MustCompile(`(?i)\b(?:bearer|basic|token)(?:\s+|%20|\+)([A-Za-z0-9._~+/=\-]{8,})`)
	// A label and its value, as a header, JSON member or form field.
	labelRE = regexp.MustCompile(`(?i)\b(?:x-)?(?:authorization|api[-_]?key|goog-api-key|access[-_]?token|auth[-_]?token|secret[-_]?key|client[-_]?secret|password)["']?\s*[:=]\s*["']?([^\s"'&,;{}\[\]]{6,})`)
	// A credential in a URL's query.
	queryRE = regexp.MustCompile(`(?i)[?&](?:key|api[-_]?key|access_token|token)=([^&\s"'#\[\]]{6,})`)
	// Known key shapes.
	shapeRE = regexp.MustCompile(`\b(?:sk-[A-Za-z0-9_\-]{12,}|gsk_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_\-]{20,}|xai-[A-Za-z0-9_\-]{16,}|pplx-[A-Za-z0-9]{16,}|hf_[A-Za-z0-9]{16,}|nvapi-[A-Za-z0-9_\-]{16,}|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*)`)
	// A long word of a key's alphabet (Strict only).
	wordRE = regexp.MustCompile(`[A-Za-z0-9_\-+/=.]{20,}`)
)

// String returns s with secrets and everything that looks like a
// credential replaced by Mark (see the package doc). Secrets shorter than
// MinSecret (after trimming spaces) are ignored.
func String(s string, secrets ...string) string {
	if s == "" {
		return s
	}
	low := asciiLower(s)
	for _, v := range variants(secrets) {
		if lv := asciiLower(v); strings.Contains(low, lv) {
			s = replaceFold(s, low, lv)
			low = asciiLower(s)
		}
	}
	// Each pattern runs only when a word it needs is there: a regexp scan
	// costs far more than a substring search.
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(low, w) {
				return true
			}
		}
		return false
	}
	if has("bearer", "basic", "token") {
		s = replaceGroup(s, schemeRE, looksSecret)
	}
	if has("authorization", "key", "token", "secret", "password") {
		s = replaceGroup(s, labelRE, labelValue)
	}
	if has("key=", "token=") {
		s = replaceGroup(s, queryRE, func(string) bool { return true })
	}
	if has("sk-", "gsk_", "aiza", "xai-", "pplx-", "hf_", "nvapi-", "eyj") {
		s = shapeRE.ReplaceAllLiteralString(s, Mark)
	}
	return s
}

// labelValue says whether v, found after a label, is a credential.
// "Authorization: Bearer …" is left to schemeRE, which keeps the scheme's
// name.
func labelValue(v string) bool {
	l := strings.ToLower(v)
	return l != "bearer" && l != "basic" && l != "token" && (looksSecret(v) || len(v) >= 20)
}

// Strict is String that also replaces every word of 20 characters or more
// (letters, digits and _-+/=.) that mixes letters and digits: a key whose
// shape nobody knows, as a password manager may print it.
func Strict(s string, secrets ...string) string {
	s = String(s, secrets...)
	return wordRE.ReplaceAllStringFunc(s, func(w string) string {
		if hasLetter(w) && strings.ContainsAny(w, "0123456789") {
			return Mark
		}
		return w
	})
}

// Error returns err with its text (Error()) passed through String, or nil
// for nil. errors.Is and errors.As still reach err's chain, whose own texts
// are not redacted: show only what Error() returns.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	var r *redacted
	msg := err.Error()
	clean := String(msg, secrets...)
	if clean == msg && errors.As(err, &r) {
		return err // already redacted, nothing new found
	}
	return &redacted{msg: clean, err: err}
}

// redacted shows msg in place of err's text.
type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// variants lists the forms of each secret to replace, longest first (so a
// form is not cut up by a shorter one found inside it).
func variants(secrets []string) []string {
	var out []string
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < MinSecret {
			continue
		}
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s))
		if b, err := json.Marshal(s); err == nil {
			out = append(out, string(b[1:len(b)-1]))
		}
		out = append(out, base64Forms(s)...)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}

// base64Forms are the base64 texts that encode s wherever it sits in a
// longer base64-encoded text (a Basic credential encodes "user:key"): for
// each of the three alignments, the characters that depend on s's bytes
// alone. Standard and URL alphabets; pieces under 12 characters are
// dropped (too likely to occur by chance).
func base64Forms(s string) []string {
	var out []string
	for off := range 3 {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, off), s...))
		start := 0
		if off > 0 {
			start = 4 // the first group holds padding bytes
		}
		end := (off + len(s)) / 3 * 4 // the last group holding s's bytes only
		if end-start < 12 {
			continue
		}
		piece := enc[start:end]
		out = append(out, piece, strings.NewReplacer("+", "-", "/", "_").Replace(piece))
	}
	return out
}

// replaceFold replaces every occurrence of lv (lowered by asciiLower) in s,
// whose asciiLower is ls, with Mark: a match that ignores ASCII case (a
// proxy may change a header's case). It works on bytes: s and lv need not
// be valid UTF-8.
func replaceFold(s, ls, lv string) string {
	i := strings.Index(ls, lv)
	if i < 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for i >= 0 {
		b.WriteString(s[last : last+i])
		b.WriteString(Mark)
		last += i + len(lv)
		i = strings.Index(ls[last:], lv)
	}
	b.WriteString(s[last:])
	return b.String()
}

// asciiLower lowers ASCII letters only, so that byte offsets stay those of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// replaceGroup replaces the first submatch of every match of re in s with
// Mark when ok says so.
func replaceGroup(s string, re *regexp.Regexp, ok func(string) bool) string {
	idx := re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		vs, ve := m[2], m[3]
		if vs < 0 || !ok(s[vs:ve]) {
			continue
		}
		b.WriteString(s[last:vs])
		b.WriteString(Mark)
		last = ve
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// looksSecret tells a credential from a word after "bearer" or "basic":
// it holds a digit or one of +/=_, or capitals after its first letter.
func looksSecret(v string) bool {
	if strings.ContainsAny(v, "0123456789+/=_") {
		return true
	}
	for i, r := range v {
		if i > 0 && unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	return strings.IndexFunc(s, unicode.IsLetter) >= 0
}
