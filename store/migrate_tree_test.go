package store

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// openFixture copies testdata/history-b9556e2.db.gz (a history written by
// commit b9556e2, before trees: see testdata/treefixture) into a new data
// folder, lets damage change the raw file first, and opens it.
func openFixture(t *testing.T, damage func(tx *bolt.Tx) error) *Store {
	t.Helper()
	f, err := os.Open("testdata/history-b9556e2.db.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, err := os.OpenFile(filepath.Join(dir, FileName), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	out.Close()
	if damage != nil {
		db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(damage); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// byTitle returns the fixture's conversations by title.
func byTitle(t *testing.T, s *Store) map[string]Conversation {
	t.Helper()
	cs, err := s.Conversations()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Conversation{}
	for _, c := range cs {
		out[c.Title] = c
	}
	return out
}

func contents(ms []Message) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Content)
	}
	return out
}

func TestMigrationMakesAnOldHistoryATree(t *testing.T) {
	s := openFixture(t, nil)
	names, version, err := s.Migrations()
	if err != nil || !slices.Contains(names, "0003_message_tree") || version != SchemaVersion() {
		t.Fatalf("migrations %v, version %d, %v", names, version, err)
	}
	convs := byTitle(t, s)
	for _, tc := range []struct {
		title   string
		all     []string // every message, in Seq order: nothing lost
		parents []uint64
		path    []uint64
	}{
		{"plain", []string{"What is a tree?", "A plant with a trunk.", "And in computing?", "Nodes with one parent each."},
			[]uint64{0, 1, 2, 3}, []uint64{1, 2, 3, 4}},
		// Two answers superseded by regenerating: siblings of the third.
		{"regenerated", []string{"Name a colour.", "Red.", "Green.", "Blue.", "Why that one?", "It is the sky's."},
			[]uint64{0, 1, 1, 1, 4, 5}, []uint64{1, 4, 5, 6}},
		// A comparison where the second answer was kept: the three are
		// siblings, the kept one on the active path.
		{"compared", []string{"Hello.", "Hi.", "Which animal swims best?", "alpha: the otter", "bravo: the dolphin", "charlie: the penguin", "How fast?", "Very."},
			[]uint64{0, 1, 2, 3, 3, 3, 5, 7}, []uint64{1, 2, 3, 5, 7, 8}},
		{"with a file", []string{"Summarise this.", "The notes say"}, []uint64{0, 1}, []uint64{1, 2}},
		{"empty", nil, nil, nil},
	} {
		t.Run(tc.title, func(t *testing.T) {
			c, ok := convs[tc.title]
			if !ok {
				t.Fatalf("no conversation %q", tc.title)
			}
			all := mustMessages(t, s, c.ID)
			if !slices.Equal(contents(all), tc.all) {
				t.Fatalf("messages %q", contents(all))
			}
			for i, m := range all {
				if m.Parent != tc.parents[i] || m.Superseded {
					t.Errorf("message %d: parent %d (want %d), superseded %v", m.Seq, m.Parent, tc.parents[i], m.Superseded)
				}
			}
			if got := mustPath(t, s, c.ID); !slices.Equal(got, tc.path) {
				t.Errorf("active path %v, want %v", got, tc.path)
			}
			wantLeaf := uint64(0)
			if len(tc.path) > 0 {
				wantLeaf = tc.path[len(tc.path)-1]
			}
			if c.Leaf != wantLeaf {
				t.Errorf("leaf %d, want %d", c.Leaf, wantLeaf)
			}
		})
	}
	// What came with the messages is still there: the file, the search
	// index, and the interrupted answer can be continued (it is the leaf).
	file := convs["with a file"]
	q, _ := s.Message(file.ID, 1)
	if len(q.Attachments) != 1 {
		t.Fatalf("attachments %+v", q.Attachments)
	}
	if text, err := s.BlobText(q.Attachments[0].SHA256); err != nil || text == "" {
		t.Errorf("the file's text: %q, %v", text, err)
	}
	if _, err := s.ReopenAnswer(file.ID, 2); err != nil {
		t.Errorf("continue the interrupted answer: %v", err)
	}
	if got := texts2(t, s, "dolphin"); len(got) != 1 {
		t.Errorf("search finds %q", got)
	}
	// A question asked now follows the active path's end.
	reg := convs["regenerated"]
	m, err := s.AppendMessage(Message{ConversationID: reg.ID, Role: RoleUser, Content: "And the sea?"})
	if err != nil || m.Parent != 6 {
		t.Errorf("append after the migration: %+v, %v", m, err)
	}
	if sib, _ := s.Siblings(reg.ID, 4); !slices.Equal(sib, []uint64{2, 3, 4}) {
		t.Errorf("siblings of the kept answer %v", sib)
	}
}

func TestMigrationGoesOnPastDamagedRecords(t *testing.T) {
	ids := map[string]string{}
	s := openFixture(t, func(tx *bolt.Tx) error {
		convs, msgs := tx.Bucket(bucketConversations), tx.Bucket(bucketMessages)
		if err := convs.ForEach(func(k, v []byte) error {
			var c Conversation
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			ids[c.Title] = string(k)
			return nil
		}); err != nil {
			return err
		}
		// A conversation record that is not JSON, with messages.
		if err := convs.Put([]byte("badrecord000"), []byte("{not json")); err != nil {
			return err
		}
		b, err := msgs.CreateBucket([]byte("badrecord000"))
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(1), []byte(`{"v":1,"conversation_id":"badrecord000","seq":1,"role":"user","content":"orphan"}`)); err != nil {
			return err
		}
		// In "plain", a message that cannot be read after readable ones.
		return msgs.Bucket([]byte(ids["plain"])).Put(seqKey(5), []byte("garbage"))
	})
	names, _, err := s.Migrations()
	if err != nil || !slices.Contains(names, "0003_message_tree") {
		t.Fatalf("migrations %v, %v", names, err)
	}
	if got := mustPath(t, s, ids["compared"]); !slices.Equal(got, []uint64{1, 2, 3, 5, 7, 8}) {
		t.Errorf("the others were not migrated: compared's path %v", got)
	}
	// The readable messages of "plain" are its tree; the unreadable one is
	// left where it was, for check and recover to find.
	if got := mustPath(t, s, ids["plain"]); !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Errorf("plain's path %v", got)
	}
}
