package store

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestMessagePages(t *testing.T) {
	s := open(t, t.TempDir())
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var d Dump
	d.Conversation = Conversation{Title: "long", CreatedAt: t0, UpdatedAt: t0}
	for i := 1; i <= 25; i++ {
		d.Messages = append(d.Messages, Message{Role: RoleUser, Content: fmt.Sprint("m", i), State: StateDone, CreatedAt: t0, UpdatedAt: t0})
	}
	res, err := s.ImportConversations([]Import{{Dump: d}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	seqs := func(ms []Message) (out []uint64) {
		for _, m := range ms {
			out = append(out, m.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		get   func() ([]Message, bool, error)
		first uint64
		n     int
		more  bool
	}{
		{"the end", func() ([]Message, bool, error) { return s.MessagesBefore(id, 0, 10) }, 16, 10, true},
		{"before 16", func() ([]Message, bool, error) { return s.MessagesBefore(id, 16, 10) }, 6, 10, true},
		{"before 6", func() ([]Message, bool, error) { return s.MessagesBefore(id, 6, 10) }, 1, 5, false},
		{"before past the end", func() ([]Message, bool, error) { return s.MessagesBefore(id, 100, 3) }, 23, 3, true},
		{"from 1", func() ([]Message, bool, error) { return s.MessagesFrom(id, 1, 10) }, 1, 10, true},
		{"from 20", func() ([]Message, bool, error) { return s.MessagesFrom(id, 20, 10) }, 20, 6, false},
		{"from past the end", func() ([]Message, bool, error) { return s.MessagesFrom(id, 26, 10) }, 0, 0, false},
	} {
		ms, more, err := tc.get()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got := seqs(ms)
		if len(got) != tc.n || more != tc.more || (tc.n > 0 && got[0] != tc.first) {
			t.Errorf("%s: seqs %v more %v, want %d from %d, more %v", tc.name, got, more, tc.n, tc.first, tc.more)
		}
		for i := 1; i < len(got); i++ {
			if got[i] != got[i-1]+1 {
				t.Errorf("%s: not in order: %v", tc.name, got)
			}
		}
		if tc.n > 0 && ms[0].Content != fmt.Sprint("m", tc.first) {
			t.Errorf("%s: first message %q", tc.name, ms[0].Content)
		}
	}
	if _, _, err := s.MessagesBefore("nope", 0, 10); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown conversation: %v", err)
	}
}
