// Command gen-history writes a deskchat history for benchmarks: -conversations
// chats of -messages messages each, plus one chat of -long messages, with
// markdown texts like a chat with an LLM has (questions; answers with
// headings, lists, code blocks, tables, links), through the store package's
// import path (store.ImportConversations: one transaction per batch, every
// message indexed for search). It prints the long chat's id on stdout; what
// it wrote, and how long it took, goes to stderr.
//
// Usage:
//
//	go run ./scripts/gen-history -dir D [-conversations 1000] [-messages 100] [-long 10000]
//	    [-long-newest] [-seed 1] [-batch 5000] [-default-provider Simulator] [-settle 120s]
//
// The chats get the built-in Simulator as provider, and the Simulator is made
// the default provider, so that the window opens without the first-run
// dialog. The long chat sits in the middle of the list (its last message is
// older than half of the others) unless -long-newest. After writing, the
// program keeps the store open until the search index's background merge is
// done (no write for 2.5 s, at most -settle), so that the window opens a
// history as a running deskchat leaves it. The same -seed gives the same
// texts; ids are new each run.
package main

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

func main() {
	dir := flag.String("dir", "", "data folder to write (created; must hold no conversations yet)")
	convs := flag.Int("conversations", 1000, "number of ordinary chats")
	perConv := flag.Int("messages", 100, "messages in each ordinary chat")
	long := flag.Int("long", 10000, "messages in the one long chat (0: none)")
	longNewest := flag.Bool("long-newest", false, "make the long chat the most recently updated one")
	seed := flag.Uint64("seed", 1, "seed of the generated texts")
	batch := flag.Int("batch", 5000, "messages per import transaction")
	defProvider := flag.String("default-provider", engine.SimulatorName, "default provider to set (empty: leave unset)")
	settle := flag.Duration("settle", 120*time.Second, "longest wait for the search index merge after writing (0: do not wait)")
	flag.Parse()
	if *dir == "" || flag.NArg() > 0 || *convs < 0 || *perConv < 1 || *long < 0 || *batch < 1 {
		fmt.Fprintln(os.Stderr, "usage: gen-history -dir D [-conversations N] [-messages N] [-long N] [-long-newest] [-seed N] [-batch N] [-default-provider NAME] [-settle DURATION]")
		os.Exit(2)
	}
	id, err := run(*dir, *convs, *perConv, *long, *longNewest, *seed, *batch, *defProvider, *settle)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-history:", err)
		os.Exit(1)
	}
	if id != "" {
		fmt.Println(id)
	}
}

func run(dir string, convs, perConv, long int, longNewest bool, seed uint64, batch int, defProvider string, settle time.Duration) (string, error) {
	start := time.Now()
	st, err := store.Open(dir)
	if err != nil {
		return "", errors.New(store.UserMessage(err))
	}
	defer st.Close()
	if existing, err := st.Conversations(); err != nil {
		return "", err
	} else if len(existing) > 0 {
		return "", fmt.Errorf("%s already holds %d conversations; give an empty or new folder", dir, len(existing))
	}
	if defProvider != "" {
		if err := st.SetSettings(map[string]string{store.SettingDefaultProvider: defProvider}); err != nil {
			return "", err
		}
	}

	g := newGen(seed)
	// Chats are written oldest first; the long one goes in at longAt.
	total := convs
	longAt := -1
	if long > 0 {
		total++
		longAt = convs / 2
		if longNewest {
			longAt = convs
		}
	}
	t := time.Date(2024, 1, 8, 9, 0, 0, 0, time.UTC)
	var (
		pending  []store.Import
		inBatch  int
		longID   string
		messages int
		text     int64
	)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		rs, err := st.ImportConversations(pending)
		if err != nil {
			return err
		}
		for i, r := range rs {
			if pending[i].Source == "gen-history:long" {
				longID = r.ID
			}
		}
		pending, inBatch = pending[:0], 0
		return nil
	}
	for i := 0; i < total; i++ {
		n, source := perConv, ""
		if i == longAt {
			n, source = long, "gen-history:long"
		}
		im := store.Import{Source: source, Dump: g.conversation(&t, n)}
		for _, m := range im.Messages {
			text += int64(len(m.Content))
		}
		messages += n
		if inBatch > 0 && inBatch+n > batch {
			if err := flush(); err != nil {
				return "", err
			}
		}
		pending = append(pending, im)
		inBatch += n
		// The next chat starts a few hours to two days later.
		t = t.Add(time.Duration(2+g.r.IntN(46)) * time.Hour)
	}
	if err := flush(); err != nil {
		return "", err
	}
	wrote := time.Since(start)

	merged := time.Duration(0)
	if settle > 0 {
		t0 := time.Now()
		if err := waitQuiet(st, 2500*time.Millisecond, settle); err != nil {
			return "", err
		}
		merged = time.Since(t0)
	}
	size := int64(0)
	if fi, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(os.Stderr, "gen-history: %d messages in %d conversations (%d MB of text, %d MB file) written in %.1f s, search index settled in %.1f s\n",
		messages, total, text>>20, size>>20, wrote.Seconds(), merged.Seconds())
	return longID, nil
}

// waitQuiet returns once the store has gone quiet long without a committed
// write (the search index's merger runs after the writes pause), or fails
// after limit.
func waitQuiet(st *store.Store, quiet, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	last := writes(st)
	lastChange := time.Now()
	for time.Since(lastChange) < quiet {
		if time.Now().After(deadline) {
			return fmt.Errorf("the search index was still being merged after %v", limit)
		}
		time.Sleep(100 * time.Millisecond)
		if w := writes(st); w != last {
			last, lastChange = w, time.Now()
		}
	}
	return nil
}

// gen makes the texts.
type gen struct {
	r *rand.Rand
}

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, 0x6465736b63686174))} }

func (g *gen) pick(l []string) string { return l[g.r.IntN(len(l))] }

// conversation makes a chat of n messages, alternating question and answer,
// starting at *t and moving *t to its last message.
func (g *gen) conversation(t *time.Time, n int) store.Dump {
	topic := g.pick(topics)
	tech := g.pick(techs)
	msgs := make([]store.Message, 0, n)
	var title string
	for i := 0; i < n; i++ {
		m := store.Message{CreatedAt: *t, UpdatedAt: *t, State: store.StateDone}
		if i%2 == 0 {
			m.Role = store.RoleUser
			m.Content = g.question(topic, tech, i == 0)
			if i == 0 {
				title = firstSentence(m.Content)
			}
			*t = t.Add(time.Duration(2+g.r.IntN(20)) * time.Second)
		} else {
			m.Role = store.RoleAssistant
			m.Provider, m.Model = engine.SimulatorName, engine.SimulatorModel
			m.Content = g.answer(topic, tech)
			m.PromptTokens = 200 + 40*i + g.r.IntN(400)
			m.OutputTokens = len(m.Content)/4 + 1
			if g.r.IntN(60) == 0 {
				m.State, m.Finish = store.StateStopped, ""
			} else {
				m.Finish = "stop"
			}
			m.UpdatedAt = t.Add(time.Duration(1+len(m.Content)/300) * time.Second)
			*t = m.UpdatedAt.Add(time.Duration(20+g.r.IntN(600)) * time.Second)
		}
		msgs = append(msgs, m)
	}
	created := msgs[0].CreatedAt
	return store.Dump{
		Conversation: store.Conversation{
			Title: title, Provider: engine.SimulatorName, Model: engine.SimulatorModel,
			CreatedAt: created, UpdatedAt: msgs[len(msgs)-1].UpdatedAt,
		},
		Messages: msgs,
	}
}

func firstSentence(s string) string {
	if i := strings.IndexAny(s, "?.!\n"); i > 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60])
	}
	return strings.TrimSpace(s)
}

// fill replaces {n} {v} {a} {t} {T} (the chat's tech) {x} (topic) {num} {id} in s.
func (g *gen) fill(s, topic, tech string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return anArticle.Replace(b.String())
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return anArticle.Replace(b.String())
		}
		b.WriteString(s[:i])
		switch s[i+1 : i+j] {
		case "n":
			b.WriteString(g.pick(nouns))
		case "v":
			b.WriteString(g.pick(verbs))
		case "a":
			b.WriteString(g.pick(adjs))
		case "t":
			b.WriteString(g.pick(techs))
		case "T":
			b.WriteString(tech)
		case "x":
			b.WriteString(topic)
		case "num":
			fmt.Fprint(&b, 2+g.r.IntN(250))
		case "id":
			b.WriteString(g.pick(verbs) + capitalize(g.pick(nouns)))
		default:
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

func (g *gen) sentence(topic, tech string) string { return g.fill(g.pick(sentences), topic, tech) }

func (g *gen) paragraph(topic, tech string, min, max int) string {
	n := min + g.r.IntN(max-min+1)
	parts := make([]string, n)
	for i := range parts {
		s := g.sentence(topic, tech)
		switch g.r.IntN(12) { // some inline markdown
		case 0:
			w := g.pick(nouns)
			s = strings.Replace(s, w, "**"+w+"**", 1)
		case 1:
			w := g.pick(verbs)
			s = strings.Replace(s, w, "*"+w+"*", 1)
		case 2:
			s += " See `" + g.fill("{id}", topic, tech) + "()`."
		case 3:
			s += " ([docs](https://example.org/" + strings.ToLower(tech) + "/" + g.pick(nouns) + "))"
		}
		parts[i] = s
	}
	return strings.Join(parts, " ")
}

// question: one to three sentences, now and then with a snippet or an
// error. A chat's first question starts with the question itself (it names
// the chat) and is no follow-up.
func (g *gen) question(topic, tech string, first bool) string {
	qs := questions
	if first {
		qs = questions[:len(questions)-2]
	}
	q := g.fill(g.pick(qs), topic, tech)
	switch g.r.IntN(8) {
	case 0:
		q += "\n\n" + g.codeBlock(topic, tech)
	case 1:
		q += "\n\nI get this error:\n\n```\n" + g.fill("error: cannot {v} {n} \"{id}\": {n} is {a} (code {num})", topic, tech) + "\n```"
	case 2, 3:
		if first {
			q += " " + g.paragraph(topic, tech, 1, 2)
		} else {
			q = g.paragraph(topic, tech, 1, 2) + " " + q
		}
	}
	return q
}

// answer: a paragraph, then two to five blocks (heading, list, numbered
// steps, code, table, quote, paragraph), sometimes a closing line.
func (g *gen) answer(topic, tech string) string {
	var b strings.Builder
	b.WriteString(g.paragraph(topic, tech, 1, 3))
	for i, n := 0, 2+g.r.IntN(4); i < n; i++ {
		b.WriteString("\n\n")
		switch g.r.IntN(9) {
		case 0, 1:
			b.WriteString("## " + anArticle.Replace(capitalize(g.fill(g.pick(headings), topic, tech))) + "\n\n")
			b.WriteString(g.paragraph(topic, tech, 1, 4))
		case 2:
			for j, m := 0, 2+g.r.IntN(4); j < m; j++ {
				fmt.Fprintf(&b, "- **%s**: %s\n", capitalize(g.pick(nouns)), g.sentence(topic, tech))
			}
		case 3:
			for j, m := 0, 3+g.r.IntN(4); j < m; j++ {
				fmt.Fprintf(&b, "%d. %s\n", j+1, g.sentence(topic, tech))
			}
		case 4, 5:
			b.WriteString(g.codeBlock(topic, tech))
		case 6:
			b.WriteString(g.table(topic, tech))
		case 7:
			b.WriteString("> " + g.sentence(topic, tech))
		default:
			b.WriteString(g.paragraph(topic, tech, 2, 5))
		}
	}
	if g.r.IntN(3) == 0 {
		b.WriteString("\n\n" + g.fill(g.pick(closings), topic, tech))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (g *gen) codeBlock(topic, tech string) string {
	return g.fill(g.pick(codes), topic, tech)
}

func (g *gen) table(topic, tech string) string {
	cols := 2 + g.r.IntN(3)
	var b strings.Builder
	head := make([]string, cols)
	sep := make([]string, cols)
	for i := range head {
		head[i], sep[i] = capitalize(g.pick(nouns)), "---"
	}
	b.WriteString("| " + strings.Join(head, " | ") + " |\n| " + strings.Join(sep, " | ") + " |\n")
	for r, rows := 0, 2+g.r.IntN(5); r < rows; r++ {
		cells := make([]string, cols)
		for i := range cells {
			switch g.r.IntN(3) {
			case 0:
				cells[i] = g.pick(adjs)
			case 1:
				cells[i] = fmt.Sprintf("%d ms", 1+g.r.IntN(900))
			default:
				cells[i] = g.pick(techs)
			}
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

// anArticle turns "a" before a vowel into "an" ("a old" → "an old").
var anArticle = strings.NewReplacer(" a a", " an a", " a e", " an e", " a i", " an i", " a o", " an o", " a u", " an u",
	"A a", "An a", "A e", "An e", "A i", "An i", "A o", "An o", "A u", "An u")

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var (
	nouns = strings.Fields(`database server function request response error query index cache thread process file table
		column user session token model network memory disk buffer stream channel message event handler config option value key
		record transaction lock timeout retry result test benchmark report budget schedule meeting recipe garden travel ticket hotel
		flight book chapter story character song camera photo bicycle kitchen coffee bread market price invoice contract
		design layout colour font window button screen keyboard battery engine planet river forest weather city
		language grammar sentence letter email password account project deadline team customer product feature
		release version package library module interface struct pointer slice map goroutine container cluster deployment pipeline
		workflow migration backup snapshot permission`)
	verbs = strings.Fields(`use check build run write read update delete create configure install deploy test measure compare
		explain improve fix debug refactor parse encode decode store load send receive cancel restart monitor optimize translate
		summarize plan cook visit buy learn teach review approve cache index retry`)
	adjs = strings.Fields(`fast slow large small simple complex new old safe secure reliable cheap expensive quick careful
		modern legacy remote local global private public empty full broken stable concurrent readable efficient quiet busy fresh`)
	techs = strings.Fields(`Go Python Rust JavaScript TypeScript Kubernetes Docker PostgreSQL SQLite Redis bbolt Linux macOS
		Windows GitHub Terraform nginx gRPC JSON YAML HTTP TLS OAuth React Django pandas NumPy PyTorch Fyne Bash Kafka Prometheus`)
	topics = strings.Fields(`caching deployment testing logging search migrations concurrency packaging profiling
		authentication pagination retries backups monitoring parsing scheduling streaming indexing`)
	sentences = []string{
		"The {n} should be {a} enough to {v} every {n}.",
		"You can {v} the {n} with {T} and then {v} the {n}.",
		"First, {v} the {n}; then {v} the {a} {n}.",
		"In {T}, a {n} is usually {a}, so {v} it carefully.",
		"This happens because the {n} is {a} when the {n} is {a}.",
		"A common mistake is to {v} the {n} before you {v} the {n}.",
		"If the {n} fails, {T} will {v} the {n} after {num} seconds.",
		"Here is a {a} way to handle {x} with {T}.",
		"Make sure the {n} and the {n} are {a}.",
		"Note that {T} does not {v} {a} {n}s by default.",
		"For {x}, most teams {v} a {a} {n} first.",
		"That keeps the {n} {a} even under load.",
		"With {num} {n}s the difference is small; with thousands it matters.",
		"{t} takes the opposite approach: it lets you {v} the {n} directly.",
	}
	questions = []string{
		"How do I {v} the {n} in {T}?",
		"Can you explain why my {n} is so {a}?",
		"What is the difference between a {n} and a {n} in {T}?",
		"I want to {v} a {a} {n} for {x}. Where do I start?",
		"Why does {T} {v} the {n} twice?",
		"Is it better to {v} the {n} or to {v} the {n}?",
		"Could you show a {a} example of {x} in {T}?",
		"My {n} stops after {num} requests. What should I check?",
		"Rewrite this so the {n} is {a}.",
		"Thanks! And how would that work with {t}?",
	}
	headings = []string{"why the {n} is {a}", "{v} the {n}", "a {a} {n}", "{x} in {T}", "what to check", "example", "summary"}
	closings = []string{
		"Let me know if you want me to {v} the {n} as well.",
		"If you share the {n}, I can {v} it for you.",
		"Hope this helps with {x}!",
	}
	codes = []string{
		"```go\nfunc {id}(ctx context.Context, n int) error {\n\tfor i := 0; i < n; i++ {\n\t\tif err := {id}(ctx); err != nil {\n\t\t\treturn fmt.Errorf(\"{v} {n} %d: %w\", i, err)\n\t\t}\n\t}\n\treturn nil\n}\n```",
		"```python\ndef {id}(items):\n    \"\"\"{v} every {n}.\"\"\"\n    out = []\n    for item in items:\n        if item.{n}:\n            out.append(item)\n    return out\n```",
		"```bash\n$ kubectl get pods -n {n} | grep {v}\n$ docker logs --tail {num} {n}\n```",
		"```sql\nSELECT {n}, count(*) AS total\nFROM {n}s\nWHERE {n} IS NOT NULL\nGROUP BY {n}\nORDER BY total DESC\nLIMIT {num};\n```",
		"```js\nconst {id} = await fetch(`/api/{n}s?limit={num}`).then((r) => r.json());\nconsole.log({id}.length);\n```",
		"```yaml\n{n}:\n  enabled: true\n  timeout: {num}s\n  {n}: {a}\n```",
		"```rust\nfn {id}(v: &[u32]) -> u32 {\n    v.iter().filter(|x| **x > {num}).sum()\n}\n```",
	}
)

// writes is the number of page writes the store has committed so far.
func writes(st *store.Store) int64 {
	s := st.DB().Stats()
	return s.TxStats.GetWrite()
}
