package composer

import (
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
)

// newToolsButton is the Tools menu button; hidden while no tool server is
// set up (deskchat tools add).
func (b *Bar) newToolsButton() *widget.Button {
	btn := widget.NewButton("Tools", b.showToolsMenu)
	btn.Hide()
	return btn
}

// UpdateTools shows how many of the shown chat's tool servers are on.
func (b *Bar) UpdateTools() {
	if b == nil {
		return // not built yet
	}
	btn := b.Tools
	servers := b.host.ToolServers()
	if len(servers) == 0 {
		btn.Hide()
		return
	}
	label := "Tools"
	if n := countOn(b.chatTools(), servers); n > 0 {
		label = fmt.Sprintf("Tools · %d", n)
	}
	if btn.Text != label {
		btn.SetText(label)
	}
	btn.Show()
}

// countOn counts the chosen servers that are still set up.
func countOn(chosen, servers []string) int {
	n := 0
	for _, s := range servers {
		if slices.Contains(chosen, s) || slices.Contains(chosen, "all") {
			n++
		}
	}
	return n
}

// chatTools are the servers the shown chat chose; with no chat shown,
// those chosen for the chat the next question starts.
func (b *Bar) chatTools() []string {
	if c, ok := b.host.Current(); ok {
		return c.Tools
	}
	return b.NewTools
}

// ToolsMenu lists the tool servers, checked when the shown chat may use
// their tools; choosing one turns it on or off for this chat (with no chat
// shown: for the one the next question starts).
func (b *Bar) ToolsMenu() *fyne.Menu {
	c, ok := b.host.Current()
	chosen := b.chatTools()
	var items []*fyne.MenuItem
	for _, s := range b.host.ToolServers() {
		item := fyne.NewMenuItem(s, func() {
			if ok {
				b.setChatTools(c.ID, toggled(chosen, s))
				return
			}
			b.NewTools = toggled(chosen, s)
			b.UpdateTools()
		})
		item.Checked = slices.Contains(chosen, s)
		items = append(items, item)
	}
	return fyne.NewMenu("Tools", items...)
}

func (b *Bar) showToolsMenu() { b.host.ShowMenu(b.ToolsMenu(), b.Tools) }

// toggled is chosen with server turned on if it was off, off if it was on.
func toggled(chosen []string, server string) []string {
	if i := slices.Index(chosen, server); i >= 0 {
		return slices.Delete(slices.Clone(chosen), i, i+1)
	}
	return append(slices.Clone(chosen), server)
}

// setChatTools stores the servers a chat's answers may use.
func (b *Bar) setChatTools(id string, servers []string) {
	bridge.Run(b.host.Bridge(), func() (store.Conversation, error) {
		return b.host.Store().UpdateConversation(id, func(c *store.Conversation) { c.Tools = servers })
	}, func(c store.Conversation, err error) {
		if err != nil {
			b.host.ShowError("Could not change the chat's tools", err)
			return
		}
		b.host.ToolsChanged(id, c.Tools)
		b.UpdateTools()
	})
}
