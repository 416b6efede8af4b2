package store

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func importedDump(id string, seqs ...uint64) Dump {
	at := time.Date(2024, 5, 1, 17, 37, 11, 150442000, time.UTC)
	d := Dump{Conversation: Conversation{ID: id, Title: "imported " + id, Provider: "p", Model: "m", SystemPrompt: "be brief",
		CompressionOff: true, CreatedAt: at, UpdatedAt: at.Add(time.Hour)}}
	for i, seq := range seqs {
		role := RoleUser
		if i%2 == 1 {
			role = RoleAssistant
		}
		d.Messages = append(d.Messages, Message{Seq: seq, Role: role, Content: "text " + string(rune('a'+i)), State: StateDone,
			Model: "m", PromptTokens: 3, OutputTokens: 4, CreatedAt: at.Add(time.Duration(i) * time.Second), UpdatedAt: at.Add(time.Minute)})
	}
	return d
}

func TestImportConversationsKeepsEverythingAndContinuesNumbering(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	d := importedDump("abc123", 2, 5, 9)
	d.Messages[1].Pinned, d.Messages[2].Superseded = true, true
	d.Messages[1].Parent, d.Messages[2].Parent, d.Conversation.Leaf = 2, 5, 9 // a tree: kept as given
	d.Messages[2].State = StateStreaming                                      // nothing streams into an import
	d.Summary = &Summary{Through: 5, Text: "so far", Model: "m", Tokens: 7, UpdatedAt: d.Conversation.UpdatedAt}

	res, err := s.ImportConversations([]Import{{Source: "deskchat:abc123", Dump: d}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].ID != "abc123" || res[0].Existed {
		t.Fatalf("results %+v", res)
	}
	got, err := s.Dump("abc123")
	if err != nil {
		t.Fatal(err)
	}
	want := d
	want.Conversation.V = recordVersion
	sum := *d.Summary
	sum.V, sum.ConversationID = recordVersion, "abc123"
	want.Summary = &sum
	want.Messages = append([]Message(nil), d.Messages...)
	for i := range want.Messages {
		want.Messages[i].V, want.Messages[i].ConversationID = recordVersion, "abc123"
	}
	want.Messages[2].State = StateInterrupted
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("dump after import:\n got %+v\nwant %+v", got, want)
	}

	m, err := s.AppendMessage(Message{ConversationID: "abc123", Role: RoleUser, Content: "more"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Seq != 10 {
		t.Errorf("next message after imported seq 9 got seq %d", m.Seq)
	}
}

func TestImportConversationsIsIdempotentBySource(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	fresh := importedDump("", 0, 0, 0)
	res, err := s.ImportConversations([]Import{{Source: "chatgpt:x1", Dump: fresh}, {Source: "chatgpt:x1", Dump: fresh}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Existed || !res[1].Existed || res[0].ID != res[1].ID || len(res[0].ID) != 12 {
		t.Fatalf("same source twice in one batch: %+v", res)
	}
	msgs, err := s.Messages(res[0].ID)
	if err != nil || len(msgs) != 3 || msgs[0].Seq != 1 || msgs[2].Seq != 3 {
		t.Fatalf("numbered messages: %+v %v", msgs, err)
	}

	again, err := s.ImportConversations([]Import{{Source: "chatgpt:x1", Dump: fresh}})
	if err != nil || !again[0].Existed || again[0].ID != res[0].ID {
		t.Fatalf("second import: %+v %v", again, err)
	}

	// Deleted since: importing it again brings it back.
	if err := s.DeleteConversation(res[0].ID); err != nil {
		t.Fatal(err)
	}
	back, err := s.ImportConversations([]Import{{Source: "chatgpt:x1", Dump: fresh}})
	if err != nil || back[0].Existed || back[0].ID == res[0].ID {
		t.Fatalf("import after delete: %+v %v", back, err)
	}

	// A kept id that is already in the store is the same conversation.
	own, err := s.CreateConversation(Conversation{Title: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	dup := importedDump(own.ID, 1)
	r, err := s.ImportConversations([]Import{{Source: "deskchat:" + own.ID, Dump: dup}})
	if err != nil || !r[0].Existed {
		t.Fatalf("kept id already present: %+v %v", r, err)
	}
	if c, _ := s.Conversation(own.ID); c.Title != "mine" {
		t.Errorf("existing conversation overwritten: %+v", c)
	}
	convs, _ := s.Conversations()
	if len(convs) != 2 {
		t.Errorf("%d conversations, want 2", len(convs))
	}
}

func TestImportCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		im   Import
		want string // "" = valid
	}{
		{"fresh", Import{Dump: importedDump("", 0, 0)}, ""},
		{"kept", Import{Dump: importedDump("a-B_9", 1, 3)}, ""},
		{"bad id", Import{Dump: importedDump("a/b", 1)}, "not a deskchat id"},
		{"long id", Import{Dump: importedDump(strings.Repeat("a", 65), 1)}, "not a deskchat id"},
		{"nul id", Import{Dump: importedDump("a\x00b", 1)}, "not a deskchat id"},
		{"seq order", Import{Dump: importedDump("a", 2, 2)}, "out of order"},
		{"seq mixed", Import{Dump: importedDump("a", 1, 0)}, "out of order"},
		{"seq mixed other way", Import{Dump: importedDump("a", 0, 1)}, "out of order"},
		{"role", Import{Dump: func() Dump { d := importedDump("a", 1); d.Messages[0].Role = "tool"; return d }()}, `unknown role "tool"`},
		{"state", Import{Dump: func() Dump { d := importedDump("a", 1); d.Messages[0].State = "odd"; return d }()}, `unknown state "odd"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.im.Check()
			if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Check() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestImportConversationsStoresNothingWhenOneIsBad(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	bad := importedDump("b", 3, 1)
	_, err := s.ImportConversations([]Import{{Dump: importedDump("good", 1)}, {Dump: bad}})
	var se *Error
	if !errors.As(err, &se) || !strings.Contains(se.Msg, "out of order") {
		t.Fatalf("err %v", err)
	}
	if convs, _ := s.Conversations(); len(convs) != 0 {
		t.Fatalf("stored %d conversations", len(convs))
	}
}

func TestDumpMissingConversation(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	if _, err := s.Dump("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err %v", err)
	}
}

// Imported messages and titles are searchable at once, like written ones.
func TestImportedConversationsAreSearchable(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	d := importedDump("searchme", 1, 2)
	d.Conversation.Title = "Quarterly zeppelin report"
	d.Messages[1].Content = "東京都に住んでいます"
	if _, err := s.ImportConversations([]Import{{Source: "deskchat:searchme", Dump: d}}); err != nil {
		t.Fatal(err)
	}
	for query, want := range map[string]string{"zeppelin": "", "京都": "searchme-2"} {
		res, err := s.Search(query, SearchOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].ConversationID != "searchme" || res[0].MessageID != want {
			t.Errorf("search %q: %+v", query, res)
		}
	}
}

// TestImportConversationsAlreadyHereWritesNothing: conversations imported
// before are found in a read transaction, so importing them again commits
// no transaction at all (the history file's last transaction id stays),
// while a batch that holds one new conversation writes just that one.
func TestImportConversationsAlreadyHereWritesNothing(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	batch := []Import{{Source: "chatgpt:one", Dump: importedDump("", 1, 2)}, {Dump: importedDump("owned12", 1, 2)}}
	if _, err := s.ImportConversations(batch); err != nil {
		t.Fatal(err)
	}
	txid := func() int {
		tx, err := s.db.Begin(false)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		return tx.ID()
	}
	before := txid()
	res, err := s.ImportConversations(batch)
	if err != nil {
		t.Fatal(err)
	}
	if !res[0].Existed || !res[1].Existed || res[1].ID != "owned12" || res[0].ID == "" {
		t.Fatalf("results %+v", res)
	}
	if after := txid(); after != before {
		t.Fatalf("importing again committed %d transactions", after-before)
	}
	res, err = s.ImportConversations(append(batch, Import{Source: "chatgpt:two", Dump: importedDump("", 1)}))
	if err != nil {
		t.Fatal(err)
	}
	if res[2].Existed || !res[0].Existed || txid() != before+1 {
		t.Fatalf("results %+v, %d transactions", res, txid()-before)
	}
	if convs, _ := s.Conversations(); len(convs) != 3 {
		t.Fatalf("%d conversations", len(convs))
	}
}

// importedTree is each message's "seq<parent" and the conversation's leaf, as
// stored.
func importedTree(t *testing.T, s *Store, id string) (string, uint64) {
	t.Helper()
	d, err := s.Dump(id)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, m := range d.Messages {
		if m.Superseded {
			t.Errorf("message %d still marked superseded: the tree says it now", m.Seq)
		}
		parts = append(parts, fmt.Sprintf("%d<%d", m.Seq, m.Parent))
	}
	return strings.Join(parts, " "), d.Conversation.Leaf
}

// An import without a tree (an old deskchat export, Claude) is chained in
// order, except that superseded answers (a regenerated answer, a
// comparison's alternatives) become siblings under their question, off the
// active path, as the migration of an old history makes them.
func TestImportWithoutATreeIsChained(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	for _, tc := range []struct {
		name  string
		roles string // u user, a answer, s superseded answer, y system
		seqs  []uint64
		tree  string
		leaf  uint64
	}{
		{"plain", "uaua", []uint64{0, 0, 0, 0}, "1<0 2<1 3<2 4<3", 4},
		{"numbered with gaps", "uau", []uint64{2, 5, 9}, "2<0 5<2 9<5", 9},
		{"regenerated", "usaua", []uint64{0, 0, 0, 0, 0}, "1<0 2<1 3<1 4<3 5<4", 5},
		{"compared, the middle kept", "usasua", []uint64{0, 0, 0, 0, 0, 0}, "1<0 2<1 3<1 4<1 5<3 6<5", 6},
		{"regenerated last", "uaus", []uint64{0, 0, 0, 0}, "1<0 2<1 3<2 4<3", 3},
		{"answers in a row", "yuaa", []uint64{0, 0, 0, 0}, "1<0 2<1 3<2 4<3", 4},
		{"only superseded", "ss", []uint64{0, 0}, "1<0 2<0", 2},
		{"empty", "", nil, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := importedDump("", tc.seqs...)
			for i, r := range tc.roles {
				d.Messages[i].Role = map[rune]Role{'u': RoleUser, 'a': RoleAssistant, 's': RoleAssistant, 'y': RoleSystem}[r]
				d.Messages[i].Superseded = r == 's'
			}
			res, err := s.ImportConversations([]Import{{Dump: d}})
			if err != nil {
				t.Fatal(err)
			}
			if tree, leaf := importedTree(t, s, res[0].ID); tree != tc.tree || leaf != tc.leaf {
				t.Errorf("tree %q leaf %d, want %q leaf %d", tree, leaf, tc.tree, tc.leaf)
			}
		})
	}
}

// A tree is kept as given, parents and leaf naming messages by their Seq,
// or by their position from 1 when unnumbered; a damaged one imports
// anyway: a parent that is not an earlier message makes a root, a leaf that
// is not a message becomes the last.
func TestImportKeepsTheTree(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	for _, tc := range []struct {
		name    string
		seqs    []uint64
		parents []uint64
		leaf    uint64
		tree    string
		want    uint64
	}{
		{"numbered", []uint64{3, 4, 7, 8, 9}, []uint64{0, 3, 3, 7, 4}, 8, "3<0 4<3 7<3 8<7 9<4", 8},
		{"unnumbered", []uint64{0, 0, 0, 0}, []uint64{0, 1, 1, 3}, 2, "1<0 2<1 3<1 4<3", 2},
		{"roots with a leaf", []uint64{1, 2}, []uint64{0, 0}, 1, "1<0 2<0", 1},
		{"missing parent", []uint64{1, 2, 5}, []uint64{0, 1, 4}, 5, "1<0 2<1 5<0", 5},
		{"self and later parents", []uint64{1, 2, 3}, []uint64{3, 2, 1}, 3, "1<0 2<0 3<1", 3},
		{"unknown leaf", []uint64{1, 2, 3}, []uint64{0, 1, 1}, 99, "1<0 2<1 3<1", 3},
		{"leaf without parents", []uint64{1, 2, 3}, []uint64{0, 1, 1}, 0, "1<0 2<1 3<1", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := importedDump("", tc.seqs...)
			for i, p := range tc.parents {
				d.Messages[i].Parent = p
			}
			d.Messages[0].Superseded = true // a tree's flags are kept as given
			d.Conversation.Leaf = tc.leaf
			res, err := s.ImportConversations([]Import{{Dump: d}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Dump(res[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, m := range got.Messages {
				parts = append(parts, fmt.Sprintf("%d<%d", m.Seq, m.Parent))
			}
			if tree := strings.Join(parts, " "); tree != tc.tree || got.Conversation.Leaf != tc.want || !got.Messages[0].Superseded {
				t.Errorf("tree %q leaf %d, want %q leaf %d", tree, got.Conversation.Leaf, tc.tree, tc.want)
			}
		})
	}
}
