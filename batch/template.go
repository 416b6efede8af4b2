package batch

import (
	"fmt"
	"regexp"
	"strings"
)

// Template is a prompt with {{field}} places (spaces allowed inside the
// braces) filled from each row.
type Template struct {
	text   string
	parts  []string // literal text around the places: len(fields)+1
	fields []string
}

var placeRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// ParseTemplate reads text's places. An empty place ({{ }}) is refused.
func ParseTemplate(text string) (Template, error) {
	if strings.TrimSpace(text) == "" {
		return Template{}, fmt.Errorf("the template is empty: give it with --template 'Classify: {{text}}'")
	}
	t := Template{text: text}
	last := 0
	for _, m := range placeRE.FindAllStringSubmatchIndex(text, -1) {
		name := text[m[2]:m[3]]
		if name == "" {
			return Template{}, fmt.Errorf("the template has an empty {{ }}: name a field inside it, like {{text}}")
		}
		t.parts = append(t.parts, text[last:m[0]])
		t.fields = append(t.fields, name)
		last = m[1]
	}
	t.parts = append(t.parts, text[last:])
	return t, nil
}

// String is the template as given.
func (t Template) String() string { return t.text }

// Fields are the field names the template uses, in order (repeats kept).
func (t Template) Fields() []string { return t.fields }

// Fill returns the prompt for r, or the sentence for the first field r
// lacks.
func (t Template) Fill(r Row) (string, error) {
	var b strings.Builder
	for i, name := range t.fields {
		v, ok := r.Get(name)
		if !ok {
			return "", &InputError{Sentence: fmt.Sprintf("row %d has no field %q (the template uses it); nothing was sent.", r.Index+1, name)}
		}
		b.WriteString(t.parts[i])
		b.WriteString(v)
	}
	b.WriteString(t.parts[len(t.parts)-1])
	return b.String(), nil
}
