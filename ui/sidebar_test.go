package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
)

func TestChatDates(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	now := time.Date(2026, 11, 12, 14, 30, 0, 0, loc) // a Thursday
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 11, 12, 14, 5, 0, 0, loc), "14:05"},
		{time.Date(2026, 11, 12, 0, 0, 0, 0, loc), "00:00"},
		{time.Date(2026, 11, 11, 23, 59, 0, 0, loc), "Yesterday"},
		{time.Date(2026, 11, 11, 0, 0, 0, 0, loc), "Yesterday"},
		{time.Date(2026, 11, 9, 10, 0, 0, 0, loc), "Mon"},
		{time.Date(2026, 11, 6, 10, 0, 0, 0, loc), "Fri"}, // six days back
		{time.Date(2026, 11, 5, 10, 0, 0, 0, loc), "5 Nov"},
		{time.Date(2026, 1, 3, 10, 0, 0, 0, loc), "3 Jan"},
		{time.Date(2025, 12, 31, 10, 0, 0, 0, loc), "31 Dec 2025"},
		{time.Date(2026, 11, 12, 13, 5, 0, 0, time.UTC), "14:05"},  // stored in UTC, shown in local time
		{time.Date(2026, 11, 11, 23, 30, 0, 0, time.UTC), "00:30"}, // UTC's yesterday is today here
		{time.Date(2026, 11, 13, 9, 0, 0, 0, loc), "09:00"},        // a clock set back: the time
		{time.Time{}, ""},
	} {
		if got := chatDate(tc.at, now); got != tc.want {
			t.Errorf("chatDate(%v) = %q, want %q", tc.at, got, tc.want)
		}
	}
}

// sidebarRow returns the sidebar's row for conversation i as drawn.
func sidebarRow(h *harness, i int) (title, date string) {
	o := h.w.side.list.CreateItem()
	h.w.side.list.UpdateItem(i, o)
	row := o.(*fyne.Container)
	return row.Objects[0].(*widget.Label).Text, row.Objects[1].(*look.MutedText).Text
}

func TestTheSidebarShowsDatesAndTellsSameTitlesApart(t *testing.T) {
	var ids []string
	h := newHarness(t, func(st *store.Store) {
		for _, title := range []string{"Trip to Lisbon", "Other", "trip to lisbon ", "Trip to Lisbon", "", ""} {
			c, err := st.CreateConversation(store.Conversation{Title: title})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
	})
	stored, _ := h.st.Conversations()
	byID := map[string]store.Conversation{}
	for _, c := range stored {
		byID[c.ID] = c
	}
	// A fake clock a day after the chats were made.
	h.w.now = func() time.Time { return byID[ids[0]].UpdatedAt.Add(24 * time.Hour) }
	got := map[string]string{}
	for i, c := range h.w.side.convs {
		title, date := sidebarRow(h, i)
		got[c.ID] = title
		if date != "Yesterday" {
			t.Errorf("row %d (%q) dated %q, want Yesterday", i, title, date)
		}
	}
	want := []string{"Trip to Lisbon", "Other", "trip to lisbon  · 2", "Trip to Lisbon · 3", "New conversation", "New conversation · 2"}
	for i, id := range ids {
		if got[id] != want[i] {
			t.Errorf("chat %d shown as %q, want %q", i, got[id], want[i])
		}
	}
	// A rename makes the names again.
	h.w.rename(ids[3], "Lisbon, day two")
	h.settle()
	for i, c := range h.w.side.convs {
		if title, _ := sidebarRow(h, i); c.ID == ids[3] && title != "Lisbon, day two" {
			t.Errorf("renamed chat shown as %q", title)
		}
	}
}
