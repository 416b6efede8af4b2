package engine

import (
	"context"
	"reflect"
	"testing"

	"github.com/deskchat/deskchat/store"
)

func TestSendReplyToAsksFromAnEarlierMessageOnANewBranch(t *testing.T) {
	srv := newChatJournal(t)
	st := openStore(t)
	putProvider(t, st, store.Provider{Name: "p", BaseURL: srv.URL, Model: "m"})
	e := New(st, Options{})
	conv := newConversation(t, st)
	resendAsk(t, e, conv, SendOptions{Provider: "p"}, "about aardvarks", "about capybaras")

	events, err := e.Send(context.Background(), conv, "about okapis", SendOptions{ReplyTo: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := collect(t, events); r.text != "reply" {
		t.Fatalf("final %#v", r.final)
	}
	// The request: the path down to the message replied to, then the
	// question; not the branch after it.
	want := []sentMessage{{"user", "about aardvarks"}, {"assistant", "reply"}, {"user", "about okapis"}}
	if sent := srv.request(srv.count() - 1); !reflect.DeepEqual(sent, want) {
		t.Errorf("sent %+v, want %+v", sent, want)
	}
	all, _ := st.Messages(conv)
	if len(all) != 6 || all[4].Parent != 2 || all[2].Parent != 2 {
		t.Fatalf("stored %+v", all)
	}
	path, _ := st.Path(conv)
	if len(path) != 4 || path[2].Content != "about okapis" || path[3].Seq != 6 {
		t.Errorf("active path %+v", path)
	}
	// A follow-up goes on from the new branch.
	resendAsk(t, e, conv, SendOptions{}, "and more")
	if sent := srv.request(srv.count() - 1); len(sent) != 5 || sent[2].Content != "about okapis" {
		t.Errorf("follow-up sent %+v", sent)
	}
	// Switching back to the first branch: the next request follows it.
	if _, err := st.SwitchBranch(conv, 3); err != nil {
		t.Fatal(err)
	}
	resendAsk(t, e, conv, SendOptions{}, "back on capybaras")
	if sent := srv.request(srv.count() - 1); len(sent) != 5 || sent[2].Content != "about capybaras" {
		t.Errorf("after switching, sent %+v", sent)
	}
	// A message that is not there: refused, nothing stored.
	n := len(all)
	if _, err := e.Send(context.Background(), conv, "x", SendOptions{ReplyTo: 99}); err == nil {
		t.Error("a reply to a missing message was sent")
	}
	if all, _ = st.Messages(conv); len(all) != n+4 {
		t.Errorf("%d messages after a refused reply, want %d", len(all), n+4)
	}
}

func TestASummaryOfAnotherBranchIsLeftOut(t *testing.T) {
	path := []store.Message{{Seq: 1}, {Seq: 2}, {Seq: 5}, {Seq: 6}, {}}
	if sum := onPath(&store.Summary{Through: 5}, path); sum == nil {
		t.Error("a summary through a message of the path was left out")
	}
	if sum := onPath(&store.Summary{Through: 4}, path); sum != nil {
		t.Error("a summary through a message of another branch was kept")
	}
	if onPath(nil, path) != nil {
		t.Error("no summary became one")
	}
}
