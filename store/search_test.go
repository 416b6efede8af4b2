package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/deskchat/deskchat/store/search"

	bolt "go.etcd.io/bbolt"
)

// Both halves of the index answer the same way: a search right after the
// writes reads the recent segment, one after mergeNow the postings.
var searchModes = []struct {
	name  string
	merge bool
}{{"recent", false}, {"merged", true}}

func mergeNow(t *testing.T, s *Store) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		_, err := search.Merge(tx, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustSearch(t *testing.T, s *Store, q string, opts SearchOptions) []SearchResult {
	t.Helper()
	rs, err := s.Search(q, opts)
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return rs
}

// texts returns what each result matched: the message's content, or
// "title:" and the title.
func texts(t *testing.T, s *Store, rs []SearchResult) []string {
	t.Helper()
	var out []string
	for _, r := range rs {
		if r.InTitle {
			out = append(out, "title:"+r.Title)
			continue
		}
		m, err := s.Message(r.ConversationID, r.Seq)
		if err != nil {
			t.Fatalf("result %+v: %v", r, err)
		}
		if r.MessageID != m.ID() || r.Role != m.Role || !r.CreatedAt.Equal(m.CreatedAt) {
			t.Errorf("result %+v does not describe message %+v", r, m)
		}
		out = append(out, m.Content)
	}
	return out
}

// clock makes s's writes happen a second apart.
func clock(s *Store) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	s.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

func TestSearchFoldsCaseWidthAndFindsCJKSubstrings(t *testing.T) {
	docs := []string{
		"ÉCOLE NORMALE supérieure",     // 0
		"une petite école de quartier", // 1
		"Die Straße ist lang",          // 2
		"IN DER STRASSE",               // 3
		"東京都に住んでいます",                   // 4
		"我们今天去北京大学参观",                  // 5
		"Ｆｕｌｌｗｉｄｔｈ ＡＢＣ text",           // 6
		"e\u0301cole (décomposée)",     // 7: a decomposed é
		"The schoolhouse is red",       // 8
		"the cartoon is blue",          // 9
		"a blue car",                   // 10
		"コーヒーを飲みたい",                    // 11
		"use fmt.Println(err) here",    // 12
		"don’t panic",                  // 13
		"ｶﾀｶﾅ half-width",              // 14
	}
	cases := []struct {
		query string
		want  []int
	}{
		{"école", []int{0, 1, 7}},
		{"ÉCOLE", []int{0, 1, 7}},
		{"Straße", []int{2, 3}},
		{"strasse", []int{2, 3}},
		{"STRASSE", []int{2, 3}},
		{"京都", []int{4}},
		{"住ん", []int{4}},
		{"東京都に住んで", []int{4}},
		{"ます", []int{4}},
		{"北京大学", []int{5}},
		{"京大", []int{5}},
		{"北京 参观", []int{5}},
		{"京", []int{4, 5}}, // one character: still found, first or last of its run
		{"す", []int{4}},
		{"观", []int{5}},
		{"京住", nil},
		{"大北", nil},
		{"ABC", []int{6}},
		{"fullwidth abc", []int{6}},
		{"ｆｕｌｌ", []int{6}},   // the last word is a prefix
		{"school", []int{8}}, // prefix of schoolhouse
		{"school ", nil},     // a finished word is a whole word
		{"car blue", []int{10}},
		{"blue car", []int{9, 10}},
		{"コーヒー", []int{11}},
		{"カタカナ", []int{14}},
		{"fmt.Println", []int{12}},
		{"println(err)", []int{12}},
		{"fmt.Println(x)", nil},
		{"don't", []int{13}},
		{`"don't panic"`, []int{13}},
		{`"panic don't"`, nil},
		{"ecole", nil}, // accents are not removed, only composed
	}
	for _, mode := range searchModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			defer s.Close()
			c, err := s.CreateConversation(Conversation{})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range docs {
				if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: d}); err != nil {
					t.Fatal(err)
				}
			}
			if mode.merge {
				mergeNow(t, s)
			}
			for _, tc := range cases {
				t.Run(tc.query, func(t *testing.T) {
					got := texts(t, s, mustSearch(t, s, tc.query, SearchOptions{}))
					var want []string
					for _, i := range tc.want {
						want = append(want, docs[i])
					}
					slices.Sort(got)
					slices.Sort(want)
					if !slices.Equal(got, want) {
						t.Errorf("search %q: got %q, want %q", tc.query, got, want)
					}
				})
			}
		})
	}
}

func TestEmptyQueriesFindNothing(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{Title: "anything"})
	s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "some text ??"})
	for _, q := range []string{"", "   ", "\t\n", "??", `""`} {
		rs, err := s.Search(q, SearchOptions{})
		if err != nil || len(rs) != 0 {
			t.Errorf("%q: %d results, %v", q, len(rs), err)
		}
	}
}

func TestStreamingAnswerIsFoundOnceFinished(t *testing.T) {
	for _, mode := range searchModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			defer s.Close()
			c, _ := s.CreateConversation(Conversation{})
			q, a, err := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: "tell me about zebras"},
				Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
			if err != nil {
				t.Fatal(err)
			}
			if mode.merge {
				mergeNow(t, s)
			}
			seq := recentSequence(t, s)
			for _, text := range []string{"Striped", "Striped quagga", "Striped quagga relatives"} {
				a.Content = text
				if err := s.PutMessage(a); err != nil { // a flush
					t.Fatal(err)
				}
				if rs := mustSearch(t, s, "quagga", SearchOptions{}); len(rs) != 0 {
					t.Fatalf("found while streaming: %+v", rs)
				}
			}
			if got := recentSequence(t, s); got != seq {
				t.Fatalf("flushes wrote %d docs", got-seq)
			}
			a.State, a.Content = StateDone, "Striped quagga relatives, finished."
			if err := s.FinishAnswer(a, nil, nil, nil); err != nil {
				t.Fatal(err)
			}
			rs := mustSearch(t, s, "quagga", SearchOptions{})
			if len(rs) != 1 || rs[0].Seq != a.Seq || rs[0].Role != RoleAssistant {
				t.Fatalf("after finish: %+v", rs)
			}
			if rs := mustSearch(t, s, "zebras", SearchOptions{}); len(rs) != 1 || rs[0].Seq != q.Seq {
				t.Fatalf("question: %+v", rs)
			}
			// Writing the same text again indexes nothing.
			seq = recentSequence(t, s)
			a.Pinned = true
			if err := s.PutMessage(a); err != nil {
				t.Fatal(err)
			}
			if got := recentSequence(t, s); got != seq {
				t.Fatalf("unchanged text indexed again (%d docs)", got-seq)
			}
		})
	}
}

// recentSequence is the number of docs ever added to the index.
func recentSequence(t *testing.T, s *Store) uint64 {
	t.Helper()
	var n uint64
	s.db.View(func(tx *bolt.Tx) error {
		n = search.Inspect(tx).Added
		return nil
	})
	return n
}

func TestEditsAndDeletesRemoveResults(t *testing.T) {
	for _, mode := range searchModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			defer s.Close()
			c, _ := s.CreateConversation(Conversation{Title: "Capybara facts"})
			other, _ := s.CreateConversation(Conversation{Title: "Other"})
			m1, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "the capybara is a rodent"})
			m2, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: "yes, the largest rodent"})
			m3, _ := s.AppendMessage(Message{ConversationID: other.ID, Role: RoleUser, Content: "a rodent called capybara"})
			if mode.merge {
				mergeNow(t, s)
			}
			if got := len(mustSearch(t, s, "capybara", SearchOptions{})); got != 3 {
				t.Fatalf("%d results before edits, want 3 (2 messages and a title)", got)
			}

			m1.Content = "the wombat is a marsupial"
			if err := s.PutMessage(m1); err != nil {
				t.Fatal(err)
			}
			if got := texts(t, s, mustSearch(t, s, "capybara", SearchOptions{})); !slices.Equal(got, []string{m3.Content, "title:Capybara facts"}) {
				t.Errorf("after edit: %q", got)
			}
			if got := texts(t, s, mustSearch(t, s, "wombat", SearchOptions{})); !slices.Equal(got, []string{m1.Content}) {
				t.Errorf("edited text: %q", got)
			}

			if err := s.DeleteMessage(c.ID, m2.Seq); err != nil {
				t.Fatal(err)
			}
			if got := texts(t, s, mustSearch(t, s, "largest", SearchOptions{})); len(got) != 0 {
				t.Errorf("deleted message found: %q", got)
			}
			if err := s.DeleteConversation(c.ID); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{"wombat", "facts"} {
				if got := texts(t, s, mustSearch(t, s, q, SearchOptions{})); len(got) != 0 {
					t.Errorf("%q in a deleted conversation found: %q", q, got)
				}
			}
			if got := texts(t, s, mustSearch(t, s, "rodent", SearchOptions{})); !slices.Equal(got, []string{m3.Content}) {
				t.Errorf("rodent: %q", got)
			}

			// The merge takes the deleted docs' postings out.
			mergeNow(t, s)
			st := indexState(t, s)
			if st.dead != 0 || st.recent != 0 || st.refs != 2 || st.docs != 2 {
				t.Errorf("after merge: %+v, want 2 docs and refs (a title, a message), no dead or recent docs", st)
			}
			for _, tok := range []string{"wombat", "largest", "facts", "marsupial"} {
				if st.tokens[tok] {
					t.Errorf("postings of %q left", tok)
				}
			}
			if !st.tokens["capybara"] || !st.tokens["rodent"] {
				t.Errorf("postings of live docs lost: %v", st.tokens)
			}
		})
	}
}

type searchState struct {
	docs, refs, recent, dead int
	tokens                   map[string]bool
}

func indexState(t *testing.T, s *Store) searchState {
	t.Helper()
	var st searchState
	err := s.db.View(func(tx *bolt.Tx) error {
		is := search.Inspect(tx)
		st = searchState{docs: is.Docs, refs: is.Refs, recent: is.Recent, dead: is.Dead, tokens: is.Tokens}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestTitlesAreSearchable(t *testing.T) {
	for _, mode := range searchModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			defer s.Close()
			c, _ := s.CreateConversation(Conversation{Title: "Quarterly budget review"})
			if _, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "numbers please"}); err != nil {
				t.Fatal(err)
			}
			later, _ := s.CreateConversation(Conversation{})
			// The engine names a conversation with its first question.
			if _, err := s.AppendMessage(Message{ConversationID: later.ID, Role: RoleUser, Content: "hi"},
				func(c *Conversation) { c.Title = "Sourdough starter" }); err != nil {
				t.Fatal(err)
			}
			if mode.merge {
				mergeNow(t, s)
			}
			rs := mustSearch(t, s, "budget", SearchOptions{})
			if len(rs) != 1 || !rs[0].InTitle || rs[0].ConversationID != c.ID || rs[0].Seq != 0 || rs[0].MessageID != "" ||
				rs[0].Title != c.Title || rs[0].Snippet != c.Title || rs[0].Highlights[0] != (Range{Start: 10, End: 16}) {
				t.Fatalf("title match: %+v", rs)
			}
			if rs := mustSearch(t, s, "sourdough", SearchOptions{}); len(rs) != 1 || rs[0].ConversationID != later.ID {
				t.Fatalf("title set with the first question: %+v", rs)
			}
			if _, err := s.UpdateConversation(c.ID, func(c *Conversation) { c.Title = "Annual plan" }); err != nil {
				t.Fatal(err)
			}
			if rs := mustSearch(t, s, "budget", SearchOptions{}); len(rs) != 0 {
				t.Errorf("old title found: %+v", rs)
			}
			if rs := mustSearch(t, s, "annual", SearchOptions{}); len(rs) != 1 || rs[0].Title != "Annual plan" {
				t.Errorf("new title: %+v", rs)
			}
			// Every result carries its conversation's current title.
			if rs := mustSearch(t, s, "numbers", SearchOptions{}); len(rs) != 1 || rs[0].Title != "Annual plan" || rs[0].InTitle {
				t.Errorf("message result: %+v", rs)
			}
		})
	}
}

func TestResultsAreNewestFirstOrByRelevance(t *testing.T) {
	for _, mode := range searchModes {
		t.Run(mode.name, func(t *testing.T) {
			s := open(t, t.TempDir())
			defer s.Close()
			clock(s)
			c, _ := s.CreateConversation(Conversation{})
			short, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: "kubernetes kubernetes kubernetes"})
			filler := strings.Repeat("lorem ipsum dolor sit amet ", 40)
			var want []string
			for i := 0; i < 5; i++ {
				m, _ := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleAssistant, Content: fmt.Sprintf("%d %s kubernetes %s", i, filler, filler)})
				want = append([]string{m.Content}, want...)
			}
			want = append(want, short.Content)
			// An import adds an old message last: it still sorts by its time.
			old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			err := s.db.Update(func(tx *bolt.Tx) error {
				return s.appendMessages(tx, old, nil, nil, make([]Message, 1), Message{ConversationID: c.ID, Role: RoleUser, Content: "old kubernetes note"})
			})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, "old kubernetes note")
			if mode.merge {
				mergeNow(t, s)
			}
			got := texts(t, s, mustSearch(t, s, "kubernetes", SearchOptions{}))
			if !slices.Equal(got, want) {
				t.Fatalf("newest first:\n got %.30q\nwant %.30q", got, want)
			}
			rs := mustSearch(t, s, "kubernetes", SearchOptions{By: ByRelevance})
			if got := texts(t, s, rs); got[0] != short.Content || got[len(got)-1] == short.Content {
				t.Fatalf("by relevance, the short text with the word thrice comes first: %.30q", got)
			}
			for i := 1; i < len(rs); i++ {
				if rs[i].Score > rs[i-1].Score {
					t.Fatalf("scores not descending: %v then %v", rs[i-1].Score, rs[i].Score)
				}
			}
			if rs := mustSearch(t, s, "kubernetes", SearchOptions{Limit: 2}); len(rs) != 2 || rs[0].CreatedAt.Before(rs[1].CreatedAt) {
				t.Fatalf("limit 2: %+v", rs)
			}
		})
	}
}

func TestDefaultLimitAndConversationFilter(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	a, _ := s.CreateConversation(Conversation{})
	b, _ := s.CreateConversation(Conversation{})
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i := 0; i < 60; i++ {
			id := a.ID
			if i%3 == 0 {
				id = b.ID
			}
			if err := s.appendMessages(tx, time.Now(), nil, nil, make([]Message, 1), Message{ConversationID: id, Role: RoleUser, Content: "same words " + strconv.Itoa(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rs := mustSearch(t, s, "same words", SearchOptions{}); len(rs) != DefaultSearchLimit {
		t.Errorf("default limit: %d results", len(rs))
	}
	rs := mustSearch(t, s, "same", SearchOptions{ConversationID: b.ID, Limit: 100})
	if len(rs) != 20 {
		t.Errorf("conversation filter: %d results, want 20", len(rs))
	}
	for _, r := range rs {
		if r.ConversationID != b.ID {
			t.Errorf("result from %s", r.ConversationID)
		}
	}
}

func TestSnippetsHighlightExactUTF8SafeRanges(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{})
	find := func(t *testing.T, content, query string) SearchResult {
		t.Helper()
		m, err := s.AppendMessage(Message{ConversationID: c.ID, Role: RoleUser, Content: content})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range mustSearch(t, s, query, SearchOptions{Limit: 1000}) {
			if r.Seq == m.Seq {
				return r
			}
		}
		t.Fatalf("%q not found by %q", content, query)
		return SearchResult{}
	}
	marked := func(r SearchResult) []string {
		var out []string
		for _, h := range r.Highlights {
			out = append(out, r.Snippet[h.Start:h.End])
		}
		return out
	}

	t.Run("exact ranges", func(t *testing.T) {
		r := find(t, "Go is fun. I like GO, and go.", "go")
		if r.Snippet != "Go is fun. I like GO, and go." || !slices.Equal(r.Highlights, []Range{{Start: 0, End: 2}, {Start: 18, End: 20}, {Start: 26, End: 28}}) {
			t.Fatalf("%q %v", r.Snippet, r.Highlights)
		}
	})
	t.Run("folded matches of another length", func(t *testing.T) {
		r := find(t, "STRASSE and Straße and ＳＴＲＡＳＳＥ", "strasse")
		if got := marked(r); !slices.Equal(got, []string{"STRASSE", "Straße", "ＳＴＲＡＳＳＥ"}) {
			t.Fatalf("%q", got)
		}
	})
	t.Run("one line", func(t *testing.T) {
		r := find(t, "line one\n\n   line two\tneedle\r\nend", "needle")
		if r.Snippet != "line one line two needle end" || !slices.Equal(marked(r), []string{"needle"}) {
			t.Fatalf("%q %v", r.Snippet, r.Highlights)
		}
	})
	t.Run("CJK", func(t *testing.T) {
		r := find(t, "私は東京都に住んでいます。京都にも行きました。", "京都")
		if got := marked(r); !slices.Equal(got, []string{"京都", "京都"}) || r.Highlights[0] != (Range{Start: 9, End: 15}) {
			t.Fatalf("%q %v", got, r.Highlights)
		}
	})
	t.Run("long text, match anywhere", func(t *testing.T) {
		pieces := []string{"é", "東", "😀", "ab", " ", "\u0301", "ﬁ", "\n"}
		for k := 0; k < 400; k += 7 {
			var b strings.Builder
			for i := 0; i < k; i++ {
				b.WriteString(pieces[i%len(pieces)])
			}
			b.WriteString(" Needle ")
			for i := 0; i < 300; i++ {
				b.WriteString(pieces[(i*5)%len(pieces)])
			}
			r := find(t, b.String(), "needle")
			if !utf8.ValidString(r.Snippet) {
				t.Fatalf("k=%d: snippet not UTF-8: %q", k, r.Snippet)
			}
			if n := utf8.RuneCountInString(r.Snippet); n > 160+2 || n < 40 {
				t.Fatalf("k=%d: snippet of %d characters: %q", k, n, r.Snippet)
			}
			if got := marked(r); len(got) != 1 || got[0] != "Needle" {
				t.Fatalf("k=%d: highlights %q in %q", k, got, r.Snippet)
			}
			if strings.HasPrefix(r.Snippet, "…") != (k > 40) || !strings.HasSuffix(r.Snippet, "…") {
				t.Fatalf("k=%d: ellipses: %q", k, r.Snippet)
			}
		}
	})
}

func TestInterruptedAnswerIsSearchableAfterACrash(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	c, _ := s.CreateConversation(Conversation{})
	_, a, _ := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: "q"},
		Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
	a.Content = "half an answer about pelicans"
	if err := s.PutMessage(a); err != nil {
		t.Fatal(err)
	}
	if rs := mustSearch(t, s, "pelicans", SearchOptions{}); len(rs) != 0 {
		t.Fatalf("found while streaming: %+v", rs)
	}
	s.Close() // dies mid-stream

	s = open(t, dir)
	defer s.Close()
	rs := mustSearch(t, s, "pelicans", SearchOptions{})
	if len(rs) != 1 || rs[0].Seq != a.Seq {
		t.Fatalf("interrupted answer: %+v", rs)
	}
}

func TestSearchResultJSONIsStable(t *testing.T) {
	r := SearchResult{ConversationID: "c", Title: "t", Seq: 2, MessageID: "c-2", Role: RoleUser, Snippet: "s", Highlights: []Range{{Start: 0, End: 1}}}
	b, _ := json.Marshal(r)
	for _, key := range []string{`"conversation_id"`, `"title"`, `"seq"`, `"message_id"`, `"role"`, `"created_at"`, `"snippet"`, `"highlights":[{"start":0,"end":1}]`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("%s missing in %s", key, b)
		}
	}
}

func TestContinuedAnswerIsReindexedWhenItEnds(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	c, _ := s.CreateConversation(Conversation{})
	_, a, _ := s.AppendExchange(Message{ConversationID: c.ID, Role: RoleUser, Content: "q"},
		Message{ConversationID: c.ID, Role: RoleAssistant, State: StateStreaming})
	a.Content, a.State = "llamas are", StateStopped
	if err := s.PutMessage(a); err != nil {
		t.Fatal(err)
	}
	mergeNow(t, s)
	a, err := s.ReopenAnswer(c.ID, a.Seq)
	if err != nil {
		t.Fatal(err)
	}
	a.Content += " cousins of alpacas"
	if err := s.PutMessage(a); err != nil { // a flush of the continuation
		t.Fatal(err)
	}
	if rs := mustSearch(t, s, "llamas", SearchOptions{}); len(rs) != 1 {
		t.Fatalf("the text so far is still found while it continues: %+v", rs)
	}
	if rs := mustSearch(t, s, "alpacas", SearchOptions{}); len(rs) != 0 {
		t.Fatalf("found while streaming: %+v", rs)
	}
	a.State = StateDone
	if err := s.FinishAnswer(a, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"llamas", "alpacas"} {
		if rs := mustSearch(t, s, q, SearchOptions{}); len(rs) != 1 || rs[0].Seq != a.Seq {
			t.Errorf("%q after the continuation: %+v", q, rs)
		}
	}
}
