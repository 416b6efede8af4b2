package ui

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// buildSidebar makes the left column: New chat, the app's menu and
// settings, and the list of conversations.
func (w *window) buildSidebar() fyne.CanvasObject {
	w.side.list = widget.NewList(
		func() int { return len(w.side.convs) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("conversation title")
			l.Truncation = fyne.TextTruncateEllipsis
			date := look.NewMutedText("Yesterday")
			date.Alignment = fyne.TextAlignTrailing
			return container.NewBorder(nil, nil, nil, date, l)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(w.side.convs) {
				return
			}
			c := w.side.convs[i]
			t := w.side.names.of(w.side.convs)[c.ID]
			if cv := w.pane.chats[c.ID]; cv != nil && cv.live != nil {
				t = "● " + t
			}
			row := o.(*fyne.Container)
			row.Objects[0].(*widget.Label).SetText(t)
			row.Objects[1].(*look.MutedText).SetText(chatDate(c.UpdatedAt, w.now()))
		})
	w.side.list.OnSelected = func(i widget.ListItemID) {
		if i < len(w.side.convs) && w.side.convs[i].ID != w.pane.selected {
			w.show(w.side.convs[i].ID)
		}
	}
	newBtn := widget.NewButtonWithIcon("New chat", theme.ContentAddIcon(), w.newConversation)
	newBtn.Importance = widget.HighImportance
	settingsBtn := widget.NewButtonWithIcon("", theme.SettingsIcon(), w.showSettings)
	w.header.appMenuBtn = widget.NewButtonWithIcon("", theme.MenuIcon(), w.showAppMenu)
	return container.NewBorder(container.NewPadded(container.NewBorder(nil, nil, nil, container.NewHBox(w.header.appMenuBtn, settingsBtn), newBtn)), nil, nil, nil, w.side.list)
}

// chatDate is when a chat was last used, as the sidebar says it: the time
// today ("14:05"), "Yesterday", the weekday within the week ("Mon"), the
// day this year ("3 Nov"), else with the year ("3 Nov 2024"). Days are
// counted in now's time zone.
func chatDate(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(now.Location())
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, now.Location())
	switch {
	case !t.Before(today):
		return t.Format("15:04") // today, or a clock set back: the time says most
	case !t.Before(today.AddDate(0, 0, -1)):
		return "Yesterday"
	case !t.Before(today.AddDate(0, 0, -6)):
		return t.Format("Mon")
	case t.Year() == y:
		return t.Format("2 Jan")
	}
	return t.Format("2 Jan 2006")
}

// sideNames are the names the sidebar shows, worked out once per list of
// conversations: chats with the same title are told apart by a number in
// the order they were started ("Trip", "Trip · 2").
type sideNames struct {
	first *store.Conversation // the list they were worked out for
	n     int
	names map[string]string
}

// of returns the names for convs, working them out if convs is a new list.
func (s *sideNames) of(convs []store.Conversation) map[string]string {
	if len(convs) > 0 && s.first == &convs[0] && s.n == len(convs) && s.names != nil {
		return s.names
	}
	s.names = sidebarNames(convs)
	s.n = len(convs)
	if len(convs) > 0 {
		s.first = &convs[0]
	}
	return s.names
}

// sidebarNames maps each conversation's id to its name in the sidebar.
func sidebarNames(convs []store.Conversation) map[string]string {
	groups := map[string][]store.Conversation{}
	for _, c := range convs {
		k := strings.ToLower(strings.TrimSpace(displayTitle(c)))
		groups[k] = append(groups[k], c)
	}
	names := make(map[string]string, len(convs))
	for _, g := range groups {
		sort.SliceStable(g, func(i, j int) bool {
			if !g[i].CreatedAt.Equal(g[j].CreatedAt) {
				return g[i].CreatedAt.Before(g[j].CreatedAt)
			}
			return g[i].ID < g[j].ID // made in the same instant: still one order
		})
		for i, c := range g {
			names[c.ID] = displayTitle(c)
			if i > 0 {
				names[c.ID] += fmt.Sprintf(" · %d", i+1)
			}
		}
	}
	return names
}

// displayTitle is a chat's title, or what an untitled chat is called.
func displayTitle(c store.Conversation) string {
	if strings.TrimSpace(c.Title) == "" {
		return "New conversation"
	}
	return c.Title
}
