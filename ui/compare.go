package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/engine"
	"deskchat/store"
	"deskchat/ui/internal/bridge"
	"deskchat/ui/internal/chat"
)

// Compare: one prompt is sent to 2–4 providers or models at once
// (engine.Compare); the answers stream side by side, one column each with
// its own status line (engine state, tokens, cost) and time to first token;
// once all have ended the user keeps one as the chat's answer and keeps the
// others as alternatives or discards them (engine.KeepAnswer). The chat is
// then rebuilt from the store, where the kept answer is the one sent with
// later requests.

// The choice offered beside the Keep buttons.
const (
	keepOthers    = "Keep the others as alternatives"
	discardOthers = "Discard the others"
)

// askCompare opens the dialog that picks the providers or models to compare
// and the prompt, in the shown chat.
func (w *window) askCompare() {
	if d := w.newCompareDialog(); d != nil {
		d.show()
	}
}

// compareDialog picks 2–4 provider and model pairs and the prompt.
type compareDialog struct {
	w       *window
	d       *dialog.CustomDialog
	rows    []*targetRow
	list    *fyne.Container // the rows
	addBtn  *widget.Button
	prompt  *escEntry
	problem *widget.Label // why Compare cannot go yet
	goBtn   *widget.Button
	// started is the comparison the dialog started, once it has.
	started *compareView
}

// targetRow is one provider and model to ask.
type targetRow struct {
	obj      fyne.CanvasObject
	provider *widget.Select
	model    *widget.SelectEntry
	remove   *widget.Button
}

// newCompareDialog builds the dialog for the shown chat, or returns nil
// when there is none or an answer streams in it.
func (w *window) newCompareDialog() *compareDialog {
	cv := w.chats[w.selected]
	if _, ok := w.current(); !ok || cv == nil || cv.live != nil {
		return nil
	}
	cd := &compareDialog{w: w, list: container.NewVBox()}
	opts := w.sendOptions()
	first := engine.Target{Provider: opts.Provider, Model: opts.Model}
	if first.Provider == "" {
		first = w.nextTarget(nil)
	}
	cd.addRow(first)
	cd.addRow(w.nextTarget([]engine.Target{first}))
	cd.addBtn = widget.NewButtonWithIcon("Add a model", theme.ContentAddIcon(), func() {
		cd.addRow(w.nextTarget(cd.targets()))
		cd.resize()
	})
	cd.addBtn.Importance = widget.LowImportance
	cd.prompt = newEscEntry(w, true) // Esc closes the dialog
	cd.prompt.SetMinRowsVisible(4)
	cd.prompt.SetPlaceHolder("The question every model answers")
	cd.prompt.SetText(w.composer.Text)
	cd.problem = widget.NewLabel("")
	cd.problem.Wrapping = fyne.TextWrapWord
	cd.problem.Importance = widget.DangerImportance
	cd.problem.Hide()
	intro := widget.NewLabel(fmt.Sprintf("Ask %d to %d providers or models at once. The answers stream side by side; then you keep one in the chat.", engine.MinCompare, engine.MaxCompare))
	intro.Wrapping = fyne.TextWrapWord
	cancel := widget.NewButton("Cancel", func() { cd.d.Hide() })
	cd.goBtn = widget.NewButtonWithIcon("Compare", theme.MailSendIcon(), cd.submit)
	cd.goBtn.Importance = widget.HighImportance
	content := container.NewVBox(intro, cd.list, container.NewHBox(cd.addBtn),
		widget.NewLabelWithStyle("Prompt", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), cd.prompt, cd.problem,
		container.NewHBox(layout.NewSpacer(), cancel, cd.goBtn))
	cd.d = dialog.NewCustomWithoutButtons("Compare answers", content, w.win)
	cd.update()
	return cd
}

func (cd *compareDialog) show() {
	cd.w.showDialog(cd.d)
	cd.resize()
	cd.w.win.Canvas().Focus(cd.prompt)
}

func (cd *compareDialog) resize() {
	cd.d.Resize(fyne.NewSize(640, cd.d.MinSize().Height))
}

// addRow adds a row asking t.
func (cd *compareDialog) addRow(t engine.Target) {
	w := cd.w
	r := &targetRow{model: widget.NewSelectEntry(w.modelsOf(t.Provider))}
	r.model.PlaceHolder = "Model"
	r.model.SetText(t.Model)
	r.provider = widget.NewSelect(w.providerNames(), func(name string) {
		r.model.SetOptions(w.modelsOf(name))
		r.model.SetText(w.defaultModel(name))
	})
	r.provider.PlaceHolder = "Provider"
	r.provider.Selected = t.Provider // without OnChanged: the model stays
	r.remove = widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() {
		if i := slices.Index(cd.rows, r); i >= 0 && len(cd.rows) > engine.MinCompare {
			cd.rows = slices.Delete(cd.rows, i, i+1)
			cd.list.Remove(r.obj)
			cd.update()
			cd.resize()
		}
	})
	r.remove.Importance = widget.LowImportance
	r.obj = container.NewBorder(nil, nil, nil, r.remove, container.NewGridWithColumns(2, r.provider, r.model))
	cd.rows = append(cd.rows, r)
	cd.list.Add(r.obj)
	cd.update()
}

// update enables Add and Remove as the number of rows allows.
func (cd *compareDialog) update() {
	for _, r := range cd.rows {
		enable(r.remove, len(cd.rows) > engine.MinCompare)
	}
	if cd.addBtn != nil {
		enable(cd.addBtn, len(cd.rows) < engine.MaxCompare)
	}
}

func enable(b *widget.Button, on bool) {
	if on {
		b.Enable()
	} else {
		b.Disable()
	}
}

// targets are the rows' choices.
func (cd *compareDialog) targets() []engine.Target {
	out := make([]engine.Target, len(cd.rows))
	for i, r := range cd.rows {
		out[i] = engine.Target{Provider: r.provider.Selected, Model: strings.TrimSpace(r.model.Text)}
	}
	return out
}

// submit starts the comparison, or says what is missing.
func (cd *compareDialog) submit() {
	text := cd.prompt.Text
	targets := cd.targets()
	problem := ""
	switch {
	case strings.TrimSpace(text) == "":
		problem = "Write the prompt first."
	case slices.ContainsFunc(targets, func(t engine.Target) bool { return t.Provider == "" }):
		problem = "Choose a provider in every row."
	}
	if problem != "" {
		cd.problem.SetText(problem)
		cd.problem.Show()
		cd.resize()
		return
	}
	cd.d.Hide()
	cd.started = cd.w.compare(text, targets)
}

// nextTarget suggests a pair not in used: another model of the first
// row's provider, else another provider's model; else the first pair again.
func (w *window) nextTarget(used []engine.Target) engine.Target {
	names := w.providerNames()
	if len(used) > 0 {
		if i := slices.Index(names, used[0].Provider); i > 0 {
			names = append(append([]string{names[i]}, names[:i]...), names[i+1:]...)
		}
	}
	for _, p := range names {
		models := w.modelsOf(p)
		if d := w.defaultModel(p); d != "" {
			models = append([]string{d}, models...)
		}
		for _, m := range models {
			if t := (engine.Target{Provider: p, Model: m}); !slices.Contains(used, t) {
				return t
			}
		}
	}
	if len(used) > 0 {
		return used[0]
	}
	return engine.Target{}
}

// compareView shows a comparison's answers side by side in the chat.
type compareView struct {
	obj      *fyne.Container
	question *chat.Message
	cols     []*compareColumn
	choice   *widget.RadioGroup // keepOthers or discardOthers
	hint     *widget.Label
	keeping  bool   // a Keep is being stored
	kept     bool   // an answer was kept: the choice is made
	stopTick func() // stops the countdown ticker; nil when none runs
	// layoutDue: a layout of the chat is posted to the UI goroutine.
	layoutDue bool
	// selfLaid are the columns' markdown views, which lay their blocks out
	// themselves as text arrives (mdView.update), and the columns that did
	// not change since the last layout.
	selfLaid map[fyne.CanvasObject]bool
}

// compareColumn is one target's answer.
type compareColumn struct {
	obj   fyne.CanvasObject
	title *widget.Label // provider · model
	ttft  *widget.Label // "first token 420 ms"
	view  *chat.Message
	keep  *widget.Button
	sent  time.Time // when the prompt was sent
	first bool      // the first text has arrived
	ended bool
	dirty bool // changed since the comparison was last laid out
}

func newCompareView(question *chat.Message, targets []engine.Target, sent time.Time, views []*chat.Message) *compareView {
	cmp := &compareView{question: question, selfLaid: map[fyne.CanvasObject]bool{}}
	cols := make([]fyne.CanvasObject, len(targets))
	for i, t := range targets {
		col := &compareColumn{view: views[i], sent: sent}
		col.title = widget.NewLabelWithStyle(targetText(t.Provider, t.Model), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		col.title.Truncation = fyne.TextTruncateEllipsis
		col.ttft = widget.NewLabel("waiting for the first token…")
		col.ttft.SizeName = theme.SizeNameCaptionText
		col.ttft.Importance = widget.LowImportance
		col.view.Header.Hide() // the column's title says who answers
		cmp.selfLaid[col.view.Md.Box], cmp.selfLaid[col.view.Reasoning.Box] = true, true
		col.keep = widget.NewButtonWithIcon("Keep this", theme.ConfirmIcon(), nil)
		col.keep.Disable()
		cmp.cols = append(cmp.cols, col)
		col.obj = container.NewBorder(container.NewVBox(col.title, col.ttft), container.NewHBox(col.keep), nil, nil, col.view.Obj)
		cols[i] = col.obj
	}
	cmp.choice = widget.NewRadioGroup([]string{keepOthers, discardOthers}, nil)
	cmp.choice.Horizontal, cmp.choice.Required = true, true
	cmp.choice.SetSelected(keepOthers)
	cmp.hint = widget.NewLabel("Keep one answer once all have arrived, or press Stop.")
	cmp.hint.SizeName = theme.SizeNameCaptionText
	cmp.hint.Wrapping = fyne.TextWrapWord
	cmp.obj = container.NewVBox(question.Obj,
		container.NewGridWithColumns(len(cols), cols...),
		container.NewBorder(nil, nil, nil, cmp.choice, cmp.hint),
		widget.NewSeparator())
	return cmp
}

// ttftText formats a time to first token: "420 ms", "1.3 s".
func ttftText(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func targetText(provider, model string) string {
	switch {
	case provider == "":
		return model
	case model == "":
		return provider
	}
	return provider + " · " + model
}

// apply shows an update of column i; now is when it is shown.
func (cmp *compareView) apply(i int, u bridge.Update, now time.Time) {
	col := cmp.cols[i]
	col.dirty = true
	if !col.first && (u.Text != "" || u.Reasoning != "") {
		col.first = true
		col.ttft.SetText("first token " + ttftText(now.Sub(col.sent)))
	}
	if u.Started != nil {
		col.title.SetText(targetText(u.Started.Provider, u.Started.Model))
	}
	col.view.Apply(u)
	if u.Final != nil {
		col.ended = true
		if !col.first {
			col.ttft.SetText("no tokens")
		}
		cmp.update()
	}
}

// allEnded reports whether every answer has ended.
func (cmp *compareView) allEnded() bool {
	return !slices.ContainsFunc(cmp.cols, func(c *compareColumn) bool { return !c.ended })
}

// update enables Keep on the answers that ended with something to keep,
// once all have ended (the store refuses while one streams).
func (cmp *compareView) update() {
	all := cmp.allEnded()
	for _, col := range cmp.cols {
		enable(col.keep, all && !cmp.keeping && !cmp.kept && col.ended && col.view.Seq != 0 && col.view.Md.Text() != "")
	}
	if all && !cmp.kept {
		cmp.hint.SetText("Keep one answer in the chat: it is sent with your next questions.")
	}
}

// countdowns redraws the columns' countdowns; it reports whether one runs.
func (cmp *compareView) countdowns() bool {
	running := false
	for _, col := range cmp.cols {
		if !col.ended && col.view.Countdown() {
			running = true
		}
	}
	return running
}

// compare asks text of every target in the shown chat and shows the
// answers side by side. It returns the comparison's view, or nil when it
// was not started now (no chat shown, an answer streams, a page loads; or
// the chat's end is read first, and the comparison starts then).
func (w *window) compare(text string, targets []engine.Target) *compareView {
	cv := w.chats[w.selected]
	if strings.TrimSpace(text) == "" || cv == nil || cv.live != nil || cv.loading || cv.paging {
		return nil
	}
	if !cv.atEnd {
		// The comparison goes where new messages go: the chat's end.
		w.toEnd(cv, func() { w.compare(text, targets) })
		return nil
	}
	opts := w.sendOptions()
	sent := w.now()
	question := w.newView(store.Message{Role: store.RoleUser, Content: text, State: store.StateDone})
	question.OnEdit, question.OnDelete, question.OnPin = nil, nil, w.pin
	views := make([]*chat.Message, len(targets))
	for i, t := range targets {
		v := w.newView(store.Message{Role: store.RoleAssistant, State: store.StateStreaming, Provider: t.Provider, Model: t.Model})
		// A column's answer is not the chat's last message: it is kept,
		// copied or pinned here, not continued, edited or deleted.
		v.OnRegenerate, v.OnContinue, v.OnEdit, v.OnDelete, v.OnPin = nil, nil, nil, nil, w.pin
		v.Pending("Sending…")
		views[i] = v
	}
	cmp := newCompareView(question, targets, sent, views)
	for i, col := range cmp.cols {
		col.keep.OnTapped = func() { w.keepCompared(cv, cmp, i) }
	}
	cv.addRow(cmp.obj)
	if w.composer.Text == text {
		w.composer.SetText("")
	}
	ctx, cancel := context.WithCancel(context.Background())
	// One Stop stops every column; the first stands for them where the
	// window looks at one live answer.
	cv.live = &liveAnswer{cancel: cancel, view: views[0]}
	cv.setBusy(true)
	w.updateSendButton()
	w.list.Refresh()
	w.layoutChat(cv, true)
	bridge.Run(w.b, func() (*engine.Comparison, error) {
		return w.eng.Compare(ctx, cv.id, text, targets, opts)
	}, func(c *engine.Comparison, err error) {
		if err != nil {
			// Nothing was stored: take the comparison back, give the text back.
			cancel()
			cv.removeRow(cmp.obj)
			w.layoutChat(cv, false)
			w.endLive(cv)
			if w.composer.Text == "" {
				w.composer.SetText(text)
			}
			w.showError("Could not compare", err)
			return
		}
		question.Conv, question.Seq = c.Question.ConversationID, c.Question.Seq
		question.UpdatePin()
		for i, a := range c.Answers {
			views[i].Conv, views[i].Seq = a.ConversationID, a.Seq
			cmp.cols[i].title.SetText(targetText(a.Provider, a.Model))
		}
		w.loadConversations("") // the title and order may have changed
		for i, events := range c.Events {
			w.b.Follow(events, func(u bridge.Update) {
				w.changeCompare(cv, cmp, func() { cmp.apply(i, u, w.now()) })
				if cmp.cols[i].view.Wait != nil && cmp.stopTick == nil {
					cmp.stopTick = w.b.Every(time.Second, func() bool {
						if cmp.countdowns() {
							return true
						}
						cmp.stopTick = nil
						return false
					})
				}
				if u.Final != nil && cmp.allEnded() {
					if cmp.stopTick != nil {
						cmp.stopTick()
						cmp.stopTick = nil
					}
					cancel()
					w.endLive(cv)
					w.loadConversations("")
				}
			})
		}
	})
	return cmp
}

// keepCompared keeps column i's answer as the chat's and the others as
// alternatives or not at all, then shows the chat as stored.
func (w *window) keepCompared(cv *chatView, cmp *compareView, i int) {
	keep := cmp.cols[i].view.Seq
	if cv.live != nil || cmp.keeping || keep == 0 {
		return
	}
	var others []uint64
	for j, col := range cmp.cols {
		if j != i && col.view.Seq != 0 {
			others = append(others, col.view.Seq)
		}
	}
	discard := cmp.choice.Selected == discardOthers
	cmp.keeping = true
	cmp.update()
	bridge.Run(w.b, func() (struct{}, error) {
		return struct{}{}, w.eng.KeepAnswer(cv.id, keep, others, discard)
	}, func(_ struct{}, err error) {
		cmp.keeping = false
		if err != nil {
			cmp.update()
			w.showError("Could not keep the answer", err)
			return
		}
		cmp.kept = true
		cmp.update()
		cmp.hint.SetText("Kept the answer of " + cmp.cols[i].title.Text + ".")
		if len(cv.views) == 0 && cv.atStart {
			w.nameChat(cv.id) // the chat's first exchange (the question is in the comparison's row)
		}
		// The chat as stored: the kept answer in place, the others as
		// replaced answers or gone. A view not shown is rebuilt anyway
		// when it is shown again.
		if w.chats[cv.id] == cv && cv.live == nil {
			delete(w.chats, cv.id)
		}
		w.loadConversations("") // the chat's provider and model changed
	})
}

// changeCompare makes a change to what cmp shows, then, once the changes
// already waiting for the UI goroutine (the other columns' updates of the
// same frame) are made too, lays the chat out for its new height, keeping
// to its end if the user was there.
func (w *window) changeCompare(cv *chatView, cmp *compareView, change func()) {
	if !cmp.layoutDue {
		cmp.layoutDue = true
		follow := isAtBottom(cv.scroll) // before the change: it grows the content
		w.b.Post(func() {
			cmp.layoutDue = false
			w.layoutCompare(cv, cmp, follow)
		})
	}
	change()
}

// layoutCompare lays the chat and the comparison out again after columns
// changed. Layout only: the widgets that changed refreshed themselves, and
// refreshing the scroll container (Fyne 2.7's Scroll.Refresh refreshes its
// content, i.e. every widget of the chat, each RichText measuring all its
// text again) cost most of a frame with four answers streaming.
func (w *window) layoutCompare(cv *chatView, cmp *compareView, follow bool) {
	// The scroll's renderer resizes its content when the content's minimum
	// size changed (the chat grew), which lays out what changed size; the
	// containers of the comparison whose size did not change are laid out
	// after it.
	cv.scroll.Base.Refresh()
	defer fitContent(cv)
	skip := cmp.selfLaid
	for _, col := range cmp.cols {
		skip[col.obj] = !col.dirty // unchanged: laid out when its size changes
		col.dirty = false
	}
	if !layoutPath(cv.scroll.Content, cmp.obj, skip) {
		cv.scroll.Refresh() // not in a container of the chat: lay out everything
	}
	if follow {
		cv.scroll.ScrollToBottom()
	}
}

// layoutPath lays out the containers from o down to target, which may have
// grown, and then target's tree (see layoutTree). It reports false when
// target is not in a container under o.
func layoutPath(o, target fyne.CanvasObject, skip map[fyne.CanvasObject]bool) bool {
	if o == target {
		layoutTree(target, skip)
		return true
	}
	c, ok := o.(*fyne.Container)
	if !ok || !holds(c, target) {
		return false
	}
	if c.Layout != nil {
		c.Layout.Layout(c.Objects, c.Size())
	}
	for _, child := range c.Objects {
		if layoutPath(child, target, skip) {
			return true
		}
	}
	return false
}

// holds reports whether target is in a container under c.
func holds(c *fyne.Container, target fyne.CanvasObject) bool {
	for _, child := range c.Objects {
		if child == target {
			return true
		}
		if cc, ok := child.(*fyne.Container); ok && holds(cc, target) {
			return true
		}
	}
	return false
}

// layoutTree lays out every container of o's tree at its current size,
// refreshing no widget; the containers in skip lay themselves out.
func layoutTree(o fyne.CanvasObject, skip map[fyne.CanvasObject]bool) {
	c, ok := o.(*fyne.Container)
	if !ok || c.Hidden || skip[o] {
		return
	}
	if c.Layout != nil {
		c.Layout.Layout(c.Objects, c.Size())
	}
	for _, child := range c.Objects {
		layoutTree(child, skip)
	}
}

// layoutChat lays cv out again, refreshing it, and shows its end when
// follow is set.
func (w *window) layoutChat(cv *chatView, follow bool) {
	cv.scroll.Refresh()
	if follow {
		cv.scroll.ScrollToBottom()
	}
}
