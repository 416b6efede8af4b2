package providers

import (
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/redact"
	"github.com/deskchat/deskchat/store"
)

// Field names the part of a provider a sentence is about: the window shows
// it next to that field, the command line prints it.
type Field string

// Fields.
const (
	FieldName       Field = "name"
	FieldKind       Field = "kind"
	FieldBaseURL    Field = "base_url"
	FieldAPIVersion Field = "api_version"
	FieldKey        Field = "key"
	FieldModel      Field = "model"
	FieldLimits     Field = "limits"
	FieldFallback   Field = "fallback"
)

// fieldOrder is the order Problems.Error reads the fields in: the form's.
var fieldOrder = []Field{FieldName, FieldKind, FieldBaseURL, FieldAPIVersion, FieldKey, FieldModel, FieldLimits, FieldFallback}

// Problems are what is wrong with a draft: one sentence per field. A
// non-empty Problems is the error Check and Save return for bad input.
type Problems map[Field]string

// Error is every sentence, in the form's order.
func (p Problems) Error() string {
	var out []string
	for _, f := range fieldOrder {
		if s := p[f]; s != "" {
			out = append(out, s)
		}
	}
	var other []string
	for f, s := range p {
		if !contains(fieldOrder, f) && s != "" {
			other = append(other, s)
		}
	}
	sort.Strings(other)
	return strings.Join(append(out, other...), " ")
}

// MaxNameLen bounds a provider's name (in characters): it is a list entry,
// a keychain account and a picker's option, not a text.
const MaxNameLen = 100

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Check returns d's provider tidied up (name, base URL and commands
// trimmed, the model among the known models, the Azure API version
// defaulted, the key source inferred from a lone variable or command) and
// the problems that keep it from being stored. stored are the providers
// stored now; old is the name of the provider d replaces ("" for a new
// one). Check reads nothing: Admin.Save calls it on a fresh read.
func Check(d Draft, stored []store.Provider, old string) (store.Provider, Problems) {
	probs := Problems{}
	p := d.Provider
	p.Name = strings.TrimSpace(p.Name)
	p.BaseURL = strings.TrimRight(strings.TrimSpace(p.BaseURL), "/")
	p.Model = strings.TrimSpace(p.Model)
	p.KeyEnv = strings.TrimSpace(p.KeyEnv)
	p.KeyCommand = strings.TrimSpace(p.KeyCommand)
	p.APIVersion = strings.TrimSpace(p.APIVersion)
	p.Fallback = strings.TrimSpace(p.Fallback)
	if p.Model != "" && !contains(p.Models, p.Model) {
		p.Models = append([]string{p.Model}, p.Models...)
	}

	checkName(p.Name, stored, old, probs)
	switch p.Kind {
	case store.KindOpenAI, store.KindCompatible:
		p.APIVersion = ""
	case store.KindAzure:
		if p.APIVersion == "" {
			p.APIVersion = engine.DefaultAzureAPIVersion
		}
	default:
		probs[FieldKind] = fmt.Sprintf("The kind must be openai, azure or compatible, not “%s”.", oneLine(p.Kind))
	}
	checkBaseURL(p, probs)
	p.KeySource = checkKey(&p, d.Key, d.KeyLater, keychainBefore(stored, old), probs)
	if p.Model == "" {
		what := "the model new chats use"
		if p.Kind == store.KindAzure {
			what = "the deployment new chats use"
		}
		probs[FieldModel] = fmt.Sprintf("Name %s, for example %s.", what, firstNonEmpty(firstOf(p.Models), "llama3.2"))
	}
	checkLimits(p, probs)
	checkFallback(p, stored, old, probs)
	if len(probs) == 0 {
		return p, nil
	}
	return p, probs
}

func checkName(name string, stored []store.Provider, old string, probs Problems) {
	switch {
	case name == "":
		probs[FieldName] = "Give the provider a name."
	case strings.EqualFold(name, engine.SimulatorName):
		probs[FieldName] = fmt.Sprintf("“%s” is the built-in provider's name: choose another.", name)
	case len([]rune(name)) > MaxNameLen:
		probs[FieldName] = fmt.Sprintf("A provider's name is at most %d characters long.", MaxNameLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		probs[FieldName] = "A provider's name is one line, without tabs or control characters."
	default:
		for _, o := range stored {
			if o.Name != old && strings.EqualFold(o.Name, name) {
				probs[FieldName] = fmt.Sprintf("There is already a provider called “%s”: choose another name.", o.Name)
			}
		}
	}
}

func checkBaseURL(p store.Provider, probs Problems) {
	if p.BaseURL == "" {
		switch p.Kind {
		case store.KindCompatible:
			probs[FieldBaseURL] = "Enter the base URL, for example http://localhost:11434/v1."
		case store.KindAzure:
			probs[FieldBaseURL] = "Enter the endpoint of your Azure resource, for example https://RESOURCE.openai.azure.com."
		}
		return
	}
	u, err := url.Parse(p.BaseURL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		probs[FieldBaseURL] = fmt.Sprintf("“%s” is not a web address: it should start with http:// or https://, for example http://localhost:11434/v1.", oneLine(p.BaseURL))
	case strings.Contains(strings.ToUpper(u.Host), "YOUR-RESOURCE"):
		probs[FieldBaseURL] = "Put your Azure resource's name in place of YOUR-RESOURCE: the endpoint is shown in the Azure portal under Keys and Endpoint."
	}
}

// keychainBefore reports whether the provider called old keeps its key in
// the keychain now (its key can then stay, or move on a rename).
func keychainBefore(stored []store.Provider, old string) bool {
	for _, o := range stored {
		if old != "" && o.Name == old {
			return o.KeySource == store.KeyFromKeychain
		}
	}
	return false
}

// checkKey checks where p's key comes from and returns the key source to
// store: a lone variable or command names its source.
func checkKey(p *store.Provider, key string, later, hadKeychain bool, probs Problems) string {
	src := p.KeySource
	if src == "" {
		switch {
		case p.KeyEnv != "" && p.KeyCommand != "":
			probs[FieldKey] = "Name either an environment variable or a key command, not both."
			return src
		case p.KeyCommand != "":
			src = store.KeyFromCommand
		case p.KeyEnv != "":
			src = store.KeyFromEnv
		}
	}
	switch src {
	case "":
	case store.KeyFromKeychain:
		switch {
		case p.KeyEnv != "" || p.KeyCommand != "":
			probs[FieldKey] = "A key kept in the keychain needs neither an environment variable nor a key command."
		case strings.TrimSpace(key) == "" && !later && !hadKeychain:
			probs[FieldKey] = "Enter the API key. It is kept in the system keychain, never in deskchat's files."
		}
	case store.KeyFromEnv:
		switch {
		case p.KeyCommand != "":
			probs[FieldKey] = "A key read from an environment variable needs no key command."
		case p.KeyEnv == "":
			probs[FieldKey] = "Enter the name of the environment variable that holds the key, for example OPENAI_API_KEY."
		case looksLikeKey(p.KeyEnv):
			probs[FieldKey] = "That looks like the key itself: enter the NAME of the environment variable that holds it, like OPENAI_API_KEY."
		case !envName.MatchString(p.KeyEnv):
			probs[FieldKey] = fmt.Sprintf("“%s” is not an environment variable name: use letters, digits and _.", oneLine(p.KeyEnv))
		}
	case store.KeyFromCommand:
		switch {
		case p.KeyEnv != "":
			probs[FieldKey] = "A key printed by a key command needs no environment variable."
		case p.KeyCommand == "":
			probs[FieldKey] = "Enter the command that prints the key, for example: pass show openai/api-key."
		case !strings.ContainsAny(p.KeyCommand, " \t") && looksLikeKey(p.KeyCommand):
			probs[FieldKey] = "That looks like the key itself: enter a command that prints it, like pass show openai/api-key."
		}
	default:
		probs[FieldKey] = fmt.Sprintf("The key source must be keychain, env or command, not “%s”.", oneLine(src))
	}
	return src
}

// looksLikeKey reports whether s looks like an API key pasted where its
// name or command belongs; such text is never repeated in a sentence.
func looksLikeKey(s string) bool {
	return strings.HasPrefix(s, "sk-") || redact.String(s) != s
}

func checkLimits(p store.Provider, probs Problems) {
	bad := p.MaxConcurrent < 0 || p.MaxQueued < 0 || p.RequestsPerMinute < 0 || p.TokensPerMinute < 0 ||
		(p.MaxRetries != nil && *p.MaxRetries < 0)
	if bad {
		probs[FieldLimits] = "Limits are whole numbers of 0 or more (0: the default, or no limit)."
		return
	}
	for model, l := range p.ModelLimits {
		if l.Context <= 0 || l.MaxOutput < 0 || l.MaxOutput >= l.Context {
			probs[FieldLimits] = fmt.Sprintf("The context window of %s is a number of tokens above 0, and its longest answer a smaller one.", oneLine(model))
			return
		}
	}
}

func checkFallback(p store.Provider, stored []store.Provider, old string, probs Problems) {
	fb := p.Fallback
	switch {
	case fb == "":
	case strings.EqualFold(fb, p.Name) || (old != "" && fb == old):
		probs[FieldFallback] = "A provider cannot fall back to itself: choose another provider, or none."
	case fb == engine.SimulatorName:
	default:
		for _, o := range stored {
			if o.Name == fb {
				return
			}
		}
		probs[FieldFallback] = fmt.Sprintf("There is no provider called “%s” to fall back to.", oneLine(fb))
	}
}

// oneLine is s for a sentence: its first line, at most 80 characters.
func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

func contains[T comparable](list []T, x T) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func firstOf(list []string) string {
	if len(list) > 0 {
		return list[0]
	}
	return ""
}
