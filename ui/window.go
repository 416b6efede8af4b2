package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/secrets"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/composer"
	"github.com/deskchat/deskchat/ui/internal/attachview"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chat"
	"github.com/deskchat/deskchat/ui/internal/markdown"
	"github.com/deskchat/deskchat/ui/search"
	"github.com/deskchat/deskchat/ui/settings"
	"github.com/deskchat/deskchat/ui/transfer"
)

// window is the main window: sidebar, chat pane, composer.
type window struct {
	app fyne.App
	win fyne.Window
	eng *engine.Engine
	st  *store.Store
	b   *bridge.Bridge
	// images fetches the images of messages when asked to (markdown/images.go).
	images *markdown.Loader
	now    func() time.Time

	header   headerBar // the chat's title, provider and model, and its buttons
	side     sidebar   // the list of chats
	pane     chatPane  // the chat shown
	compose  *composer.Bar
	overlays overlayState // the dialogs and menus open
	conf     config       // where the history is, the keychain, providers, defaults
	life     lifetime     // what ends when the window closes
	rest     restTimers   // memory given back after a burst of work
	start    startup      // the first moments after the window opens
}

// headerBar is the chat's header: its title and what it is asked with.
type headerBar struct {
	title       *widget.Label
	providerSel *widget.Select
	modelSel    *widget.SelectEntry
	renameBtn   *widget.Button
	deleteBtn   *widget.Button
	moreBtn     *widget.Button
	appMenuBtn  *widget.Button
	compareBtn  *widget.Button
}

// sidebar is the list of chats.
type sidebar struct {
	convs    []store.Conversation
	convsGen int // loads started; only the latest one's result is shown
	list     *widget.List
	names    sideNames // the names the sidebar shows (sidebar.go)
	// damageTold: the list came from a damaged file and the window said
	// so; every reload shows the same, without saying it again.
	damageTold bool
}

// chatPane is the chat shown. chats holds the shown conversation's view
// and those of conversations whose answer is still streaming.
type chatPane struct {
	selected  string
	chats     map[string]*chatView
	box       *fyne.Container // the shown chatView, or the empty state
	empty     fyne.CanvasObject
	hovers    chat.HoverGroup   // the messages as to the pointer
	countdown func()            // stops the countdown ticker; nil when none runs
	files     *attachview.Files // shows and opens the questions' attachments
}

// overlayState is what is open over the window.
type overlayState struct {
	settings *settings.Dialog // the settings dialog last opened
	search   *search.Dialog   // the search dialog last opened
	help     dialog.Dialog    // the shortcuts dialog last opened
	welcome  dialog.Dialog    // the first-run dialog, when shown
	// dialogs are the dialogs shown, by their overlay, for Esc (overlays.go).
	dialogs map[fyne.CanvasObject]dialog.Dialog
	menu    *widget.PopUpMenu // the menu last opened by a button
}

// config is what the window was started with and what the settings hold.
type config struct {
	dataDir     string
	keyring     secrets.Keyring  // nil: secrets.System()
	providers   []store.Provider // stored ones; the Simulator is added in pickers
	defaultProv string
	prefs       settings.Prefs // the defaults set in the settings
	tools       Toolbox        // the MCP servers (tools.go); nil: none
}

// lifetime is what ends with the window: exports and imports derive their
// context from quit, and shutdown waits for them (jobs) to stop; the
// automatic backups (backups() makes them) make one more at a clean exit.
type lifetime struct {
	quit    context.Context
	quitNow context.CancelFunc
	jobs    sync.WaitGroup
	backup  *transfer.Backups
}

// restTimers give memory back after a burst of work (trimSoon).
type restTimers struct {
	trimmer *time.Timer // gives memory back after a burst
	sweeper *time.Timer // lets Fyne sweep its cache a minute after a burst
}

// startup is the window's first moments.
type startup struct {
	// ready, if set, is called once the window shows its first chat (or
	// the empty state) with the composer focused; then it is cleared.
	ready   func()
	started bool  // the window has been ready once
	soaking *Soak // questions to ask once ready (soak.go); nil: none
}

// liveAnswer is an answer being streamed into a chatView.
type liveAnswer struct {
	cancel context.CancelFunc
	view   *chat.Message
	onEnd  []func() // run on the UI goroutine once the answer has ended
}

func newWindow(a fyne.App, d Deps, b *bridge.Bridge) *window {
	w := &window{app: a, eng: d.Engine, st: d.Store, b: b, now: time.Now,
		pane: chatPane{chats: map[string]*chatView{}},
		conf: config{dataDir: d.DataDir, keyring: d.Keyring, tools: d.Tools, prefs: settings.Prefs{BackupsKeep: store.DefaultBackupsKeep}}}
	w.life.quit, w.life.quitNow = context.WithCancel(context.Background())
	w.images = markdown.NewLoader(b, w.life.quit)
	w.images.Changed = w.imagesChanged
	w.win = a.NewWindow(appTitle)
	w.pane.files = w.newFiles()
	w.win.SetContent(w.build())
	w.win.SetOnDropped(w.compose.Dropped)
	w.win.Resize(fyne.NewSize(1100, 720))
	w.addShortcuts()
	w.win.Canvas().Focus(w.compose.Input)
	w.loadProviders(w.firstRunIfNeeded)
	w.loadConversations(d.Open)
	return w
}

func (w *window) build() fyne.CanvasObject {
	sidebar := w.buildSidebar()

	// Chat header.
	w.header.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.header.title.Truncation = fyne.TextTruncateEllipsis
	w.header.providerSel = widget.NewSelect(nil, w.pickProvider)
	w.header.providerSel.PlaceHolder = "Provider"
	w.header.modelSel = widget.NewSelectEntry(nil)
	w.header.modelSel.PlaceHolder = "Model"
	w.header.renameBtn = widget.NewButtonWithIcon("", theme.DocumentCreateIcon(), w.askRename)
	w.header.moreBtn = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), w.showMore)
	w.header.deleteBtn = widget.NewButtonWithIcon("", theme.DeleteIcon(), w.askDelete)
	w.header.compareBtn = widget.NewButtonWithIcon("Compare", theme.ViewRestoreIcon(), w.askCompare)
	model := container.NewGridWrap(fyne.NewSize(220, w.header.modelSel.MinSize().Height), w.header.modelSel)
	header := container.NewBorder(nil, widget.NewSeparator(), nil,
		container.NewHBox(w.header.providerSel, model, w.header.compareBtn, w.header.renameBtn, w.header.deleteBtn, w.header.moreBtn), container.New(minWidth(titleMinWidth), w.header.title))

	// Composer.
	w.compose = composer.New(composerHost{w}, w.pane.files.Thumbs)
	w.compose.Input.OnShortcut, w.compose.Input.OnEscape, w.compose.Input.OnKey = w.shortcut, w.escape, w.typedKey
	w.compose.Input.OnChanged = func(string) { w.eng.Warm() } // typing: the first request will need the tokenizer

	w.pane.empty = w.buildEmptyPane()
	w.pane.box = container.New(&paneLayout{w: w}, w.pane.empty) // keeps the place read across a resize (resize.go)

	padded := container.NewPadded(w.compose.Obj)
	chat := container.NewBorder(container.NewPadded(header), padded, nil, nil, w.pane.box)
	w.compose.Outer = []*fyne.Container{chat, padded} // laid out again as chips come and go
	split := container.NewHSplit(sidebar, chat)
	split.Offset = 0.24
	w.updateHeader()
	return split
}

// current returns the shown conversation's record, if any.
func (w *window) current() (store.Conversation, bool) {
	for _, c := range w.side.convs {
		if c.ID == w.pane.selected {
			return c, true
		}
	}
	return store.Conversation{}, false
}

// loadConversations reloads the sidebar and then shows selectID ("" keeps
// the current choice, or picks the most recent conversation).
func (w *window) loadConversations(selectID string) {
	w.side.convsGen++
	gen := w.side.convsGen
	bridge.Run(w.b, func() ([]store.Conversation, error) { return listConversations(w.st) }, func(convs []store.Conversation, err error) {
		if gen != w.side.convsGen {
			return // a newer load is on its way: this list may be stale
		}
		if err != nil && convs != nil { // damaged: what could be read, said once
			if !w.side.damageTold {
				w.side.damageTold = true
				w.showError("Some of your history could not be read", err)
			}
			err = nil
		}
		if err != nil {
			w.showError("Could not read your conversations", err)
			return
		}
		w.side.convs = convs
		w.side.list.Refresh()
		id := selectID
		if id == "" {
			id = w.pane.selected
		}
		if id == "" && len(convs) > 0 {
			id = convs[0].ID
		}
		if _, ok := w.indexOf(id); !ok {
			id = ""
			if len(convs) > 0 {
				id = convs[0].ID
			}
		}
		w.show(id)
	})
}

func (w *window) indexOf(id string) (int, bool) {
	for i, c := range w.side.convs {
		if c.ID == id {
			return i, true
		}
	}
	return 0, false
}

// show puts conversation id in the chat pane ("" shows the empty state).
func (w *window) show(id string) {
	if old := w.pane.chats[w.pane.selected]; old != nil && old.live == nil && w.pane.selected != id {
		delete(w.pane.chats, w.pane.selected) // a finished view is rebuilt from the store when needed
	}
	if w.compose.Editing() != nil && w.pane.selected != id {
		w.compose.CancelEdit() // the edit belongs to the chat being left
	}
	w.pane.selected = id
	if i, ok := w.indexOf(id); ok {
		w.side.list.Select(i)
	} else {
		w.side.list.UnselectAll()
	}
	w.updateHeader()
	if id == "" {
		w.pane.empty = w.buildEmptyPane() // with the recent questions as they are now
		w.pane.box.Objects = []fyne.CanvasObject{w.pane.empty}
		w.pane.box.Refresh()
		w.isReady()
		return
	}
	cv := w.pane.chats[id]
	if cv == nil {
		cv = newChatView(id)
		cv.loading = true
		w.watchScroll(cv)
		w.pane.chats[id] = cv
		bridge.Run(w.b, func() (page, error) {
			ms, more, err := w.st.MessagesBefore(id, 0, pageSize)
			return page{ms, more}, err
		}, func(p page, err error) {
			cv.loading = false
			w.updateSendButton()
			if err != nil {
				w.showError("Could not read this conversation", err)
				return
			}
			w.fill(cv, p.msgs, !p.more, true)
			w.offerIntro(cv)
			scrollToEnd(cv.scroll)
			w.pageIfNeeded(cv) // short messages: the page may not fill the screen
			w.isReady()
			w.trimSoon()
			for _, f := range cv.onLoad {
				f()
			}
			cv.onLoad = nil
		})
	}
	hadIntro := cv.intro != nil
	w.offerIntro(cv)
	if len(w.pane.box.Objects) != 1 || w.pane.box.Objects[0] != cv.scroll || (cv.intro != nil) != hadIntro {
		// Only when what is shown changes: a container's Refresh refreshes
		// every widget in it, and the conversation list is read again (and
		// the shown chat shown again) after every answer: that was a full
		// refresh of up to 40 messages per answer.
		w.pane.box.Objects = []fyne.CanvasObject{cv.scroll}
		w.pane.box.Refresh()
	}
	w.updateSendButton()
	w.win.Canvas().Focus(w.compose.Input)
}

// isReady runs the first time the window is ready for typing: it calls
// ready, then gives the memory start-up used and no longer needs (the
// conversation list's and the first page's decoding, font parsing) back to
// the system, off the UI goroutine.
func (w *window) isReady() {
	if w.start.started {
		return
	}
	w.start.started = true
	if f := w.start.ready; f != nil {
		w.start.ready = nil
		f()
	}
	if w.start.soaking != nil {
		w.soak(w.start.soaking)
	}
	w.trimSoon()
}

// updateHeader shows the current conversation's title and provider.
func (w *window) updateHeader() {
	c, ok := w.current()
	for _, o := range []fyne.Disableable{w.header.providerSel, w.header.modelSel, w.header.compareBtn, w.header.renameBtn, w.header.deleteBtn, w.header.moreBtn} {
		if ok {
			o.Enable()
		} else {
			o.Disable()
		}
	}
	if !ok {
		w.header.title.SetText("")
		w.win.SetTitle(appTitle)
		w.updateSendButton()
		return
	}
	title := c.Title
	if title == "" {
		title = "New conversation"
	}
	w.header.title.SetText(title)
	w.win.SetTitle(appTitle + " — " + title)
	w.header.providerSel.Options = w.providerNames()
	prov := c.Provider
	if prov == "" {
		prov = w.conf.defaultProv
	}
	w.header.providerSel.SetSelectedIndex(-1)
	if prov != "" {
		w.header.providerSel.Selected = prov
	}
	w.header.providerSel.Refresh()
	model := c.Model
	if model == "" || c.Provider != prov {
		model = w.defaultModel(prov)
	}
	w.header.modelSel.SetOptions(w.modelsOf(prov))
	w.header.modelSel.SetText(model)
	w.updateSendButton()
}

// newConversation starts a new chat, unless the chat shown is still empty:
// then that one is the new chat (pressing Ctrl+N twice makes one, not two).
func (w *window) newConversation() {
	if cv := w.pane.chats[w.pane.selected]; cv != nil && len(cv.views) == 0 && cv.live == nil && !cv.loading && cv.atStart {
		w.win.Canvas().Focus(w.compose.Input)
		return
	}
	w.createConversation(func(c store.Conversation) {
		w.pane.chats[c.ID] = newChatView(c.ID) // new: nothing to read
		w.loadConversations(c.ID)
	})
}

// createConversation stores a new, empty conversation, then calls then.
func (w *window) createConversation(then func(store.Conversation)) {
	rec := w.newConversationRecord() // the default provider, model and system prompt
	bridge.Run(w.b, func() (store.Conversation, error) {
		return w.st.CreateConversation(rec)
	}, func(c store.Conversation, err error) {
		if err != nil {
			w.showError("Could not start a new chat", err)
			return
		}
		then(c)
	})
}

// stop stops the shown conversation's answer; its partial text is kept.
func (w *window) stop() {
	if cv := w.pane.chats[w.pane.selected]; cv != nil && cv.live != nil {
		cv.live.cancel()
	}
}

// send sends text in the shown conversation, starting one if none is shown.
func (w *window) send(text string) {
	if composer.IsBlank(text, w.compose.Tray.Attachments()) {
		return
	}
	if w.pane.selected == "" {
		w.createConversation(func(c store.Conversation) {
			w.side.convs = append([]store.Conversation{c}, w.side.convs...)
			w.side.list.Refresh()
			w.pane.chats[c.ID] = newChatView(c.ID) // new: nothing to read
			w.show(c.ID)
			w.send(text)
		})
		return
	}
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.live != nil || cv.loading || cv.paging {
		return // an answer is streaming here (the button is Stop), or the chat is not shown yet
	}
	if !cv.atEnd {
		w.toEnd(cv, func() { w.send(text) })
		return
	}
	atts, ok := w.compose.TakeAttachments()
	if !ok {
		return
	}
	opts := w.sendOptions()
	opts.Attachments = atts
	user := w.newView(store.Message{Role: store.RoleUser, Content: text, State: store.StateDone, Attachments: atts})
	cv.add(user, w.pin)
	w.compose.Input.SetText("")
	w.compose.Tray.Clear()
	w.ask(cv, user, "Sending…", opts, func(ctx context.Context) (<-chan engine.Event, error) {
		return w.eng.Send(ctx, cv.id, text, opts)
	}, func(err error) {
		// Nothing was stored: take the bubble back and give the text and
		// the files back.
		cv.remove(user)
		if w.compose.Input.Text == "" {
			w.compose.Input.SetText(text)
		}
		if len(w.compose.Tray.Items()) == 0 {
			w.compose.Tray.Set(atts)
		}
		w.showError("Could not send", err)
	})
}

// sendOptions are the provider and model picked in the header.
func (w *window) sendOptions() engine.SendOptions {
	return w.withTools(w.withPrefs(engine.SendOptions{Provider: w.header.providerSel.Selected, Model: strings.TrimSpace(w.header.modelSel.Text)}))
}

// regenerate asks the shown chat's last question again; the answer it
// replaces stays in the store, a sibling of the new one behind ‹ ›.
func (w *window) regenerate() {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.live != nil || cv.loading || cv.paging {
		return
	}
	if !cv.atEnd {
		w.toEnd(cv, w.regenerate)
		return
	}
	var old *chat.Message
	if n := len(cv.views); n > 0 && cv.views[n-1].Role == store.RoleAssistant {
		old = cv.views[n-1]
		cv.remove(old) // the new answer takes its place on the path
	}
	opts := w.sendOptions()
	w.ask(cv, nil, "Asking again…", opts, func(ctx context.Context) (<-chan engine.Event, error) {
		return w.eng.Regenerate(ctx, cv.id, opts)
	}, func(err error) {
		if old != nil {
			cv.add(old, w.pin) // nothing was stored: the answer is back
		}
		w.showError("Could not ask again", err)
	})
}

// ask adds an answer view to cv and streams into it what start returns.
// user, if set, is the question's view (its pin button appears once it is
// stored). failed runs when start fails (nothing was stored).
func (w *window) ask(cv *chatView, user *chat.Message, pending string, opts engine.SendOptions, start func(context.Context) (<-chan engine.Event, error), failed func(error)) {
	answer := w.newView(store.Message{Role: store.RoleAssistant, State: store.StateStreaming, Provider: opts.Provider, Model: opts.Model})
	answer.Pending(pending)
	cv.add(answer, w.pin)
	scrollToEnd(cv.scroll)
	w.stream(cv, user, answer, start, func(err error) {
		cv.remove(answer)
		failed(err)
	})
}

// continueAnswer goes on with the shown chat's unfinished last answer; what
// arrives is appended to its text.
func (w *window) continueAnswer(v *chat.Message) {
	cv := w.pane.chats[w.pane.selected]
	if cv == nil || cv.live != nil || cv.loading || v.Seq == 0 {
		return
	}
	prev := v.State
	v.Reopen()
	v.Pending("Continuing…")
	opts := w.sendOptions()
	w.stream(cv, nil, v, func(ctx context.Context) (<-chan engine.Event, error) {
		return w.eng.Continue(ctx, cv.id, v.Seq, opts)
	}, func(err error) {
		v.State = prev // nothing changed in the store
		v.Finish("")
		w.showError("Could not continue", err)
	})
}

// stream streams into answer what start returns. user, if set, is the
// question's view (its pin button appears once it is stored). failed runs
// when start fails (nothing was stored).
func (w *window) stream(cv *chatView, user, answer *chat.Message, start func(context.Context) (<-chan engine.Event, error), failed func(error)) {
	ctx, cancel := context.WithCancel(context.Background())
	cv.live = &liveAnswer{cancel: cancel, view: answer}
	cv.setBusy(true)
	w.updateSendButton()
	w.side.list.Refresh()
	bridge.Run(w.b, func() (<-chan engine.Event, error) {
		return start(ctx)
	}, func(events <-chan engine.Event, err error) {
		if err != nil {
			cancel()
			w.endLive(cv)
			failed(err)
			return
		}
		w.loadConversations("") // the title and order may have changed
		w.b.Follow(events, func(u bridge.Update) {
			atBottom := isAtBottom(cv.scroll)
			if u.Started != nil && user != nil {
				user.Conv, user.Seq = u.Started.ConversationID, u.Started.UserSeq
				user.UpdatePin()
			}
			answer.Apply(u)
			if answer.Wait != nil {
				w.watchCountdowns()
			}
			// Lay the chat out for the answer's new height and follow the
			// answer if the user was following.
			w.layoutLive(cv, answer)
			if atBottom {
				cv.scroll.ScrollToBottom()
			}
			if u.Final != nil {
				cancel()
				w.endLive(cv)
				w.trimSoon()
				w.loadConversations("")
				if _, done := u.Final.(engine.Done); done {
					w.suggestTitle(cv)
				}
				if answer.Seq == 0 {
					w.findStored(cv.id, user, answer)
				}
			}
		})
	})
}

// findStored learns the seqs of an answer that failed before the engine
// said where it is stored (Started), so that it can be retried, deleted and
// pinned.
func (w *window) findStored(convID string, user, answer *chat.Message) {
	bridge.Run(w.b, func() ([]store.Message, error) { return w.st.Path(convID) }, func(msgs []store.Message, err error) {
		if err != nil || len(msgs) == 0 || answer.Seq != 0 {
			return
		}
		last := msgs[len(msgs)-1]
		if last.Role != store.RoleAssistant || last.State == store.StateStreaming {
			return
		}
		answer.Conv, answer.Seq = last.ConversationID, last.Seq
		answer.UpdatePin()
		if user != nil && len(msgs) > 1 && msgs[len(msgs)-2].Role == store.RoleUser {
			user.Conv, user.Seq = convID, msgs[len(msgs)-2].Seq
			user.UpdatePin()
		}
	})
}

// layoutLive lays cv out for its answer's new height without refreshing
// any widget (Scroll.Refresh would refresh every message of the chat, and
// every RichText re-measures its text): the scroll resizes its content if
// it grew, then the containers from the content down to the answer, and the
// answer's own, are laid out again.
func (w *window) layoutLive(cv *chatView, answer *chat.Message) {
	cv.scroll.Base.Refresh()
	defer fitContent(cv)
	if !chat.LayoutPath(cv.scroll.Content, answer.Obj, nil) {
		cv.scroll.Refresh()
	}
}

// endLive marks cv's answer as ended.
func (w *window) endLive(cv *chatView) {
	live := cv.live
	cv.live = nil
	cv.setBusy(false)
	if cv.id != w.pane.selected {
		delete(w.pane.chats, cv.id)
	} else {
		w.dropOldest(cv)
	}
	w.updateSendButton()
	w.side.list.Refresh()
	if w.pane.chats[cv.id] == cv {
		w.showBranches(cv, cv.views) // a new version (regenerated, edited) has siblings now
	}
	if live != nil {
		for _, f := range live.onEnd {
			f()
		}
	}
}

// scrollToEnd lays out content just added and shows its end. Layout only:
// Scroll.Refresh refreshes its content, every message of the chat, and a
// question was sent that way each time (a cost that grew with the chat's
// window of messages, for every answer of a long session).
func scrollToEnd(s *container.Scroll) {
	s.Base.Refresh()
	s.ScrollToBottom()
}

func isAtBottom(s *container.Scroll) bool {
	return s.Offset.Y+s.Size().Height >= s.Content.MinSize().Height-2*theme.Padding()-24
}

func (w *window) askRename() {
	c, ok := w.current()
	if !ok {
		return
	}
	entry := newEscEntry(w, false) // Esc closes the dialog
	entry.SetText(c.Title)
	entry.Validator = func(s string) error {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("a title cannot be empty")
		}
		return nil
	}
	d := dialog.NewForm("Rename chat", "Rename", "Cancel", []*widget.FormItem{widget.NewFormItem("Title", entry)}, func(ok bool) {
		if ok {
			w.rename(c.ID, strings.TrimSpace(entry.Text))
		}
	}, w.win)
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	w.showDialog(d)
	w.win.Canvas().Focus(entry)
}

func (w *window) rename(id, title string) {
	bridge.Run(w.b, func() (store.Conversation, error) {
		return w.st.UpdateConversation(id, func(c *store.Conversation) { c.Title, c.TitleEdited = title, true })
	}, func(_ store.Conversation, err error) {
		if err != nil {
			w.showError("Could not rename the chat", err)
			return
		}
		w.loadConversations("")
	})
}

func (w *window) askDelete() {
	c, ok := w.current()
	if !ok {
		return
	}
	title := c.Title
	if title == "" {
		title = "this chat"
	} else {
		title = "“" + title + "”"
	}
	w.showDialog(dialog.NewConfirm("Delete chat?", fmt.Sprintf("Delete %s and all its messages from this computer? This cannot be undone.", title), func(ok bool) {
		if ok {
			w.delete(c.ID)
		}
	}, w.win))
}

// delete removes a conversation; a streaming answer is stopped first.
func (w *window) delete(id string) {
	if cv := w.pane.chats[id]; cv != nil && cv.live != nil {
		cv.live.onEnd = append(cv.live.onEnd, func() { w.delete(id) })
		cv.live.cancel()
		return
	}
	bridge.Run(w.b, func() (struct{}, error) {
		return struct{}{}, w.st.DeleteConversation(id)
	}, func(_ struct{}, err error) {
		if err != nil {
			w.showError("Could not delete the chat", err)
			return
		}
		delete(w.pane.chats, id)
		if w.pane.selected == id {
			w.pane.selected = ""
		}
		w.loadConversations("")
	})
}

// pin pins or unpins a stored message.
func (w *window) pin(v *chat.Message, pinned bool) {
	conv, seq := v.Conv, v.Seq
	bridge.Run(w.b, func() (store.Message, error) {
		return w.st.SetPinned(conv, seq, pinned)
	}, func(m store.Message, err error) {
		if err != nil {
			w.showError("Could not pin the message", err)
			return
		}
		v.SetPinned(m.Pinned)
	})
}

// moreMenu is the chat's menu of less used actions.
func (w *window) moreMenu() *fyne.Menu {
	c, _ := w.current()
	compress := fyne.NewMenuItem("Summarise old messages when the chat is too long", func() {
		w.setCompression(c.ID, !c.CompressionOff)
	})
	compress.Checked = !c.CompressionOff
	system := fyne.NewMenuItem("System prompt…", w.askSystemPrompt)
	export := fyne.NewMenuItem("Export chats…", w.showExport)
	keys := fyne.NewMenuItem("Keyboard shortcuts", w.showShortcuts)
	return fyne.NewMenu("", system, compress, fyne.NewMenuItemSeparator(), export, keys)
}

// appMenu is what the sidebar's menu button offers: the whole app's
// actions, each also on a shortcut.
func (w *window) appMenu() *fyne.Menu {
	return fyne.NewMenu("",
		fyne.NewMenuItem("Search… (Ctrl+F)", w.showSearch),
		fyne.NewMenuItem("Export chats… (Ctrl+E)", w.showExport),
		fyne.NewMenuItem("Import chats… (Ctrl+O)", w.showImport),
		fyne.NewMenuItem("Usage and cost (Ctrl+Shift+D)", w.showUsage),
		fyne.NewMenuItem("Batch runs…", w.showBatch),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Settings (Ctrl+,)", w.openSettings),
		fyne.NewMenuItem("Keyboard shortcuts (F1)", w.showShortcuts),
	)
}

func (w *window) showAppMenu() {
	w.showMenu(w.appMenu(), w.header.appMenuBtn)
}

func (w *window) showMore() {
	if _, ok := w.current(); !ok {
		return
	}
	w.showMenu(w.moreMenu(), w.header.moreBtn)
}

// setCompression turns history compression off (off = true) or on for a
// conversation.
func (w *window) setCompression(id string, off bool) {
	bridge.Run(w.b, func() (store.Conversation, error) {
		return w.st.UpdateConversation(id, func(c *store.Conversation) { c.CompressionOff = off })
	}, func(c store.Conversation, err error) {
		if err != nil {
			w.showError("Could not change the setting", err)
			return
		}
		if i, ok := w.indexOf(c.ID); ok {
			w.side.convs[i] = c
		}
	})
}

// showError tells the user what failed in a sentence they can act on.
func (w *window) showError(what string, err error) {
	msg := widget.NewLabel(sentence(err))
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(what, "OK", msg, w.win)
	d.Resize(fyne.NewSize(440, 0))
	w.showDialog(d)
}

// shutdown stops every streaming answer, export and import, and waits up to
// d for answers' text to be saved and for exports to take back their
// unfinished files.
func (w *window) shutdown(d time.Duration) {
	w.life.quitNow()
	defer bridge.WaitFor(&w.life.jobs, d)
	if w.pane.countdown != nil {
		w.pane.countdown()
	}
	w.closeUsage()
	w.closeBatch(d)
	for _, cv := range w.pane.chats {
		if cv.live != nil {
			cv.live.cancel()
		}
	}
	w.b.WaitStreams(d)
	w.closeTools()
}
