package ui

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"deskchat/engine"
	"deskchat/ui/internal/bridge"
	"deskchat/ui/internal/chart"
)

// The Usage window: what the last 30 days of requests used and cost (the
// engine's usage ledger, as `deskchat usage` prints it), drawn as charts,
// and each provider's live metrics (as `deskchat stats`), refreshed every
// second while the window is open.

// usageDays is the period the Usage window shows.
const usageDays = 30

// usageRefresh is how often the live metrics are read.
const usageRefresh = time.Second

// usageData is what one load of the Usage window reads.
type usageData struct {
	recent       engine.RecentUsage
	titles       map[string]string // conversation id → title, for those still stored
	hits, misses uint64            // the response cache's counters
}

// usageConv is one row of the per-conversation table.
type usageConv struct {
	id, title string
	total     engine.UsageTotal
}

// usageLiveRow is one provider's line in the live metrics.
type usageLiveRow struct {
	name                                        *chart.Legend
	inFlight, queued, requests, retries, errors *widget.Label
	breaker                                     *widget.Label
	obj                                         fyne.CanvasObject
}

const (
	usageModeTokens = "Tokens"
	usageModeCost   = "Cost"
)

// usageView is an open Usage window.
type usageView struct {
	w   *window
	win fyne.Window

	// loadData reads the ledger and the cache counters; states reads the
	// live metrics. They run on the bridge's goroutines.
	loadData func() (usageData, error)
	states   func() ([]engine.ProviderState, error)

	data     usageData
	loads    int // loads finished
	loadGen  int // loads started; only the latest one's result is shown
	mode     string
	colors   map[string]int // provider → chart.SeriesColor index
	convs    []usageConv
	live     []engine.ProviderState
	liveRows map[string]*usageLiveRow
	liveBusy bool  // a read of the live metrics is under way
	lastReqs int64 // requests counted by the live metrics last time (-1: none yet)
	recheck  bool  // load once more on the next tick (the ledger may lag the metrics)

	stop   func() // stops the ticker
	closed bool

	status                        *widget.Label
	tokens, cost, requests, cache *widget.Card
	modeSel                       *widget.RadioGroup
	bars                          *chart.StackedBars
	legend                        *chart.Legend
	dayInfo                       *widget.Label
	ttft                          *chart.PercentileBars
	ttftNote                      *widget.Label
	ring                          *chart.Ring
	ringNote                      *widget.Label
	convList                      *widget.List
	convEmpty                     *widget.Label
	liveBox                       *fyne.Container
	liveEmpty                     *widget.Label
}

// usageViews holds the open Usage window of each main window. Only the UI
// goroutine touches it.
var usageViews = map[*window]*usageView{}

// showUsage opens the Usage window, or brings it forward when it is open.
func (w *window) showUsage() { w.openUsage(w.b.Every) }

// openUsage opens the Usage window with every as its ticker (the bridge's,
// or a test's) and returns it.
func (w *window) openUsage(every func(time.Duration, func() bool) func()) *usageView {
	if u := usageViews[w]; u != nil {
		u.win.RequestFocus()
		return u
	}
	u := newUsageView(w)
	u.open(every)
	return u
}

func newUsageView(w *window) *usageView {
	u := &usageView{w: w, mode: usageModeTokens, colors: map[string]int{}, liveRows: map[string]*usageLiveRow{}, lastReqs: -1}
	u.loadData = func() (usageData, error) {
		var d usageData
		r, err := w.eng.RecentUsage(usageDays)
		if err != nil {
			return d, err
		}
		convs, err := w.st.Conversations()
		if err != nil {
			return d, err
		}
		d.recent, d.titles = r, make(map[string]string, len(convs))
		for _, c := range convs {
			d.titles[c.ID] = c.Title
		}
		d.hits, d.misses = w.eng.CacheCounters()
		return d, nil
	}
	u.states = w.eng.ProviderStates
	return u
}

// open shows the window, loads it and starts the live metrics.
func (u *usageView) open(every func(time.Duration, func() bool) func()) {
	u.win = u.w.app.NewWindow("Usage — " + appTitle)
	u.win.SetContent(u.build())
	u.win.Resize(fyne.NewSize(1000, 780))
	u.win.SetOnClosed(u.close)
	u.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			u.win.Close()
		}
	})
	usageViews[u.w] = u
	u.win.Show()
	u.load()
	u.tick()
	u.stop = every(usageRefresh, u.tick)
}

// closeUsage closes the Usage window if it is open (for window.shutdown:
// its ticker stops).
func (w *window) closeUsage() {
	if u := usageViews[w]; u != nil {
		u.win.Close()
	}
}

// close stops the ticker; the window is closing.
func (u *usageView) close() {
	if u.closed {
		return
	}
	u.closed = true
	if u.stop != nil {
		u.stop()
	}
	if usageViews[u.w] == u {
		delete(usageViews, u.w)
	}
}

// usageMinHeight gives o at least height h.
func usageMinHeight(o fyne.CanvasObject, h float32) fyne.CanvasObject {
	return usageMinSize(o, fyne.NewSize(0, h))
}

// usageMinSize gives o at least size min.
func usageMinSize(o fyne.CanvasObject, min fyne.Size) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(min)
	return container.NewStack(r, o)
}

func usageHint(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Importance, l.SizeName = hintStyle(widget.LowImportance)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func (u *usageView) build() fyne.CanvasObject {
	title := widget.NewLabelWithStyle(fmt.Sprintf("Usage in the last %d days", usageDays), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	u.status = widget.NewLabel("Reading the usage ledger…")
	u.status.Importance, u.status.SizeName = hintStyle(widget.LowImportance)
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), u.load)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(u.status, refresh), title)

	u.tokens = widget.NewCard("…", "tokens", nil)
	u.cost = widget.NewCard("…", "cost", nil)
	u.requests = widget.NewCard("…", "requests", nil)
	u.cache = widget.NewCard("…", "cache hit rate", nil)
	tiles := container.NewGridWithColumns(4, u.tokens, u.cost, u.requests, u.cache)

	// Live metrics.
	u.liveBox = container.NewVBox()
	u.liveEmpty = usageHint("No provider has been used yet.")
	liveHead := usageLiveColumns.row(usageHeader("Provider", false), usageHeader("In flight", true), usageHeader("Queued", true), usageHeader("Requests", true),
		usageHeader("Retries", true), usageHeader("Errors", false), usageHeader("Breaker", false))
	live := widget.NewCard("Live", "Every provider, updated every second while this window is open; counts include earlier runs",
		container.NewVBox(liveHead, widget.NewSeparator(), u.liveBox, u.liveEmpty))

	// Per day.
	u.modeSel = widget.NewRadioGroup([]string{usageModeTokens, usageModeCost}, func(m string) {
		if m == "" { // a radio group can be cleared by tapping the choice again
			u.modeSel.SetSelected(u.mode)
			return
		}
		u.mode = m
		u.showBars()
	})
	u.modeSel.Horizontal = true
	u.modeSel.Selected = u.mode
	u.bars = chart.NewStackedBars(usageNoRequests)
	u.bars.OnHover = u.showDay
	u.legend = chart.NewLegend(nil)
	u.dayInfo = usageHint(usagePointAtADay)
	perDay := widget.NewCard("Per day, by provider", "",
		container.NewBorder(container.NewBorder(nil, nil, nil, u.modeSel, u.legend), u.dayInfo, nil, nil, usageMinHeight(u.bars, 240)))

	// Time to first token and the cache.
	u.ttft = chart.NewPercentileBars(usageNoAnswers)
	u.ttftNote = usageHint("Solid: half of the answers started sooner (p50). Fainter: 90% and 99% of them did (p90, p99).")
	ttft := widget.NewCard("Time to first token", "", container.NewBorder(nil, u.ttftNote, nil, nil, u.ttft))
	u.ring = chart.NewRing()
	u.ringNote = usageHint("")
	cache := widget.NewCard("Response cache", "", container.NewBorder(nil, nil, usageMinSize(u.ring, fyne.NewSize(120, 120)), nil, u.ringNote))
	cacheW := usageMinSize(cache, fyne.NewSize(340, 0))

	// Per conversation.
	u.convList = widget.NewList(
		func() int { return len(u.convs) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("conversation title")
			t.Truncation = fyne.TextTruncateEllipsis
			return usageConvColumns.row(t, usageCell("0", true), usageCell("0", true), usageCell("$0", true))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(u.convs) {
				return
			}
			c := u.convs[i]
			objs := o.(*fyne.Container).Objects
			objs[0].(*widget.Label).SetText(c.title)
			objs[1].(*widget.Label).SetText(groupDigits(int64(c.total.Requests)))
			objs[2].(*widget.Label).SetText(groupDigits(int64(c.total.PromptTokens + c.total.CompletionTokens)))
			objs[3].(*widget.Label).SetText(usageCostText(c.total))
		})
	u.convList.OnSelected = func(i widget.ListItemID) {
		u.convList.UnselectAll()
		if i < len(u.convs) {
			if _, ok := u.w.indexOf(u.convs[i].id); ok {
				u.w.show(u.convs[i].id)
				u.w.win.RequestFocus()
			}
		}
	}
	u.convEmpty = usageHint("No conversation made a request in the last 30 days.")
	convHead := usageConvColumns.row(usageHeader("Conversation", false), usageHeader("Requests", true), usageHeader("Tokens", true), usageHeader("Cost", true))
	convs := widget.NewCard("Per conversation", "Most expensive first; choose one to open it",
		container.NewBorder(container.NewVBox(convHead, widget.NewSeparator()), nil, nil, nil,
			container.NewStack(usageMinHeight(u.convList, 220), u.convEmpty)))

	body := container.NewVBox(top, tiles, live, perDay, container.NewBorder(nil, nil, nil, cacheW, ttft), convs)
	return container.NewVScroll(container.NewPadded(body))
}

// Sentences shown when a chart has nothing to draw.
const (
	usageNoRequests  = "No requests in the last 30 days."
	usageNoAnswers   = "No answers from a provider in the last 30 days."
	usagePointAtADay = "Point at a day to see its figures."
)

func usageHeader(text string, trailing bool) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if trailing {
		l.Alignment = fyne.TextAlignTrailing
	}
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func usageCell(text string, trailing bool) *widget.Label {
	l := widget.NewLabel(text)
	if trailing {
		l.Alignment = fyne.TextAlignTrailing
	}
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// load reads the ledger and shows it.
func (u *usageView) load() {
	u.loadGen++
	gen := u.loadGen
	if u.loads == 0 {
		u.status.SetText("Reading the usage ledger…")
	}
	bridge.Run(u.w.b, u.loadData, func(d usageData, err error) {
		if gen != u.loadGen || u.closed {
			return
		}
		if err != nil {
			setLabel(u.status, "Could not read the usage: "+sentence(err), widget.DangerImportance)
			return
		}
		u.loads++
		setLabel(u.status, "Updated "+time.Now().Format("15:04:05"), widget.LowImportance)
		u.apply(d)
	})
}

// colorOf is provider's colour index: the ledger's providers in order of
// name, then those only the live metrics know.
func (u *usageView) colorOf(provider string) int {
	if i, ok := u.colors[provider]; ok {
		return i
	}
	i := len(u.colors)
	u.colors[provider] = i
	return i
}

// apply shows d.
func (u *usageView) apply(d usageData) {
	u.data = d
	r := d.recent
	u.colors = map[string]int{}
	for _, p := range r.ByProvider {
		u.colorOf(p.Key)
	}
	for _, s := range u.live {
		u.colorOf(s.Provider)
	}

	// Totals.
	t := r.Total
	u.tokens.SetTitle(usageCompact(int64(t.PromptTokens+t.CompletionTokens)) + " tokens")
	u.tokens.SetSubTitle(usageCompact(int64(t.PromptTokens)) + " in · " + usageCompact(int64(t.CompletionTokens)) + " out")
	u.cost.SetTitle(usageCostTotal(t))
	switch {
	case t.Unpriced > 0:
		u.cost.SetSubTitle(usagePlural(t.Unpriced, "request", "requests") + " of unknown price")
	case t.Requests == 0:
		u.cost.SetSubTitle("nothing spent")
	default:
		u.cost.SetSubTitle("spent")
	}
	u.requests.SetTitle(usagePlural(t.Requests, "request", "requests"))
	sub := fmt.Sprintf("%d from the cache", t.Cached)
	if t.Estimated > 0 {
		sub += fmt.Sprintf(" · %d counted by deskchat", t.Estimated)
	}
	u.requests.SetSubTitle(sub)
	rate, rateText := usageCacheRate(d.hits, d.misses)
	u.cache.SetTitle(rateText + " cache hits")
	u.cache.SetSubTitle(fmt.Sprintf("%s of %s lookups, all time", groupDigits(int64(d.hits)), groupDigits(int64(d.hits+d.misses))))
	u.ring.Set(rate, rateText)
	note := fmt.Sprintf("%s hits and %s misses since the data file was created.", groupDigits(int64(d.hits)), groupDigits(int64(d.misses)))
	if t.Cached > 0 {
		note += fmt.Sprintf(" In the last %d days %s came from the cache: %s tokens not sent, nothing paid.",
			usageDays, usagePlural(t.Cached, "answer", "answers"), usageCompact(int64(r.CachedTokens)))
	} else {
		note += fmt.Sprintf(" No answer came from the cache in the last %d days.", usageDays)
	}
	u.ringNote.SetText(note)

	u.showBars()

	rows := make([]chart.PercentileRow, 0, len(r.TTFT))
	for _, s := range r.TTFT {
		rows = append(rows, chart.PercentileRow{Name: s.Provider, Color: u.colorOf(s.Provider), P50: float64(s.P50Millis), P90: float64(s.P90Millis), P99: float64(s.P99Millis), N: s.Samples})
	}
	u.ttft.SetRows(rows, usageNoAnswers)
	u.ttftNote.Hidden = len(rows) == 0
	u.ttftNote.Refresh()

	u.convs = u.convs[:0]
	for _, c := range r.ByConversation {
		title, ok := d.titles[c.Key]
		switch {
		case !ok:
			title = "Deleted chat"
		case title == "":
			title = "New conversation"
		}
		u.convs = append(u.convs, usageConv{id: c.Key, title: title, total: c})
	}
	sort.SliceStable(u.convs, func(i, j int) bool {
		a, b := u.convs[i].total, u.convs[j].total
		if a.Cost != b.Cost {
			return a.Cost > b.Cost
		}
		if ta, tb := a.PromptTokens+a.CompletionTokens, b.PromptTokens+b.CompletionTokens; ta != tb {
			return ta > tb
		}
		return u.convs[i].title < u.convs[j].title
	})
	u.convEmpty.Hidden = len(u.convs) > 0
	u.convEmpty.Refresh()
	u.convList.Refresh()
	u.applyLive(u.live) // colours may have moved
}

// barData is the per-day chart for the mode shown.
func (u *usageView) barData() (chart.BarData, string) {
	r := u.data.recent
	d := chart.BarData{Money: u.mode == usageModeCost}
	for _, p := range r.ByProvider {
		d.Series = append(d.Series, chart.Series{Name: p.Key, Color: u.colorOf(p.Key)})
	}
	index := map[string]int{}
	for i, s := range d.Series {
		index[s.Name] = i
	}
	for _, day := range r.Days {
		d.Labels = append(d.Labels, usageDay(day.Day, "2 Jan"))
		row := make([]float64, len(d.Series))
		for _, p := range day.ByProvider {
			if d.Money {
				row[index[p.Key]] = p.Cost
			} else {
				row[index[p.Key]] = float64(p.PromptTokens + p.CompletionTokens)
			}
		}
		d.Values = append(d.Values, row)
	}
	empty := usageNoRequests
	if d.Money && r.Total.Requests > 0 {
		empty = fmt.Sprintf("Nothing was spent in the last %d days.", usageDays)
		if r.Total.Unpriced > 0 {
			empty = "The models used have no known price (deskchat prices set MODEL INPUT OUTPUT adds one)."
		}
	}
	return d, empty
}

func (u *usageView) showBars() {
	d, empty := u.barData()
	u.bars.SetData(d, empty)
	u.legend.SetItems(d.Series)
	u.dayInfo.SetText(usagePointAtADay)
	u.dayInfo.Hidden = !d.Drawable()
	u.dayInfo.Refresh()
}

// showDay writes the figures of day i (-1: none) under the chart.
func (u *usageView) showDay(i int) {
	days := u.data.recent.Days
	if i < 0 || i >= len(days) {
		u.dayInfo.SetText(usagePointAtADay)
		return
	}
	day := days[i]
	var parts []string
	for _, p := range day.ByProvider {
		parts = append(parts, p.Key+" "+u.amount(p))
	}
	text := usageDay(day.Day, "Monday 2 January") + ": "
	if len(parts) == 0 {
		text += "no requests"
	} else {
		text += strings.Join(parts, " · ") + fmt.Sprintf(" — %s in all, %s", u.amount(day.Total), usagePlural(day.Total.Requests, "request", "requests"))
		if day.Total.Cached > 0 {
			text += fmt.Sprintf(" (%d from the cache)", day.Total.Cached)
		}
	}
	u.dayInfo.SetText(text)
}

// amount is t's tokens or cost, as the chart shows.
func (u *usageView) amount(t engine.UsageTotal) string {
	if u.mode == usageModeCost {
		return usageCostText(t)
	}
	return groupDigits(int64(t.PromptTokens+t.CompletionTokens)) + " tokens"
}

// tick reads the live metrics; it says whether to go on ticking.
func (u *usageView) tick() bool {
	if u.closed {
		return false
	}
	if u.liveBusy {
		return true // the last read has not come back: skip this one
	}
	u.liveBusy = true
	bridge.Run(u.w.b, u.states, func(states []engine.ProviderState, err error) {
		u.liveBusy = false
		if u.closed {
			return
		}
		if err != nil {
			setLabel(u.status, "Could not read the live metrics: "+sentence(err), widget.DangerImportance)
			return
		}
		u.applyLive(states)
		// A request ended since the last tick: the ledger has a new line.
		var reqs int64
		for _, s := range states {
			reqs += s.Requests
		}
		changed := u.lastReqs >= 0 && reqs != u.lastReqs
		if changed || u.recheck {
			u.load()
		}
		u.recheck, u.lastReqs = changed, reqs
	})
	return true
}

// usageLiveColumns and usageConvColumns are the tables' column widths (0: the rest).
var (
	usageLiveColumns = usageColumns{0, 80, 80, 90, 80, 170, 170}
	usageConvColumns = usageColumns{0, 90, 110, 170}
)

// applyLive shows the providers' live metrics.
func (u *usageView) applyLive(states []engine.ProviderState) {
	u.live = states
	same := len(states) == len(u.liveRows)
	for _, s := range states {
		if u.liveRows[s.Provider] == nil {
			same = false
		}
	}
	if !same {
		u.liveRows = map[string]*usageLiveRow{}
		u.liveBox.Objects = nil
		for _, s := range states {
			r := &usageLiveRow{name: chart.NewLegend(nil), inFlight: usageCell("", true), queued: usageCell("", true), requests: usageCell("", true),
				retries: usageCell("", true), errors: usageCell("", false), breaker: usageCell("", false)}
			name := container.New(layout.NewCustomPaddedLayout(0, 0, theme.InnerPadding(), 0), r.name) // in line with the labels' text
			r.obj = usageLiveColumns.row(name, r.inFlight, r.queued, r.requests, r.retries, r.errors, r.breaker)
			u.liveRows[s.Provider] = r
			u.liveBox.Add(r.obj)
		}
		u.liveBox.Refresh()
	}
	for _, s := range states {
		r := u.liveRows[s.Provider]
		r.name.SetItems([]chart.Series{{Name: s.Provider, Color: u.colorOf(s.Provider)}})
		r.inFlight.SetText(strconv.Itoa(s.InFlight))
		r.queued.SetText(strconv.Itoa(s.Queued))
		r.requests.SetText(groupDigits(s.Requests))
		r.retries.SetText(groupDigits(s.Retries))
		r.errors.SetText(usageErrors(s.Errors))
		text, imp := usageBreaker(s)
		r.breaker.Importance = imp
		r.breaker.SetText(text)
	}
	u.liveEmpty.Hidden = len(states) > 0
	u.liveEmpty.Refresh()
}

// usageBreaker says whether a provider takes requests.
func usageBreaker(s engine.ProviderState) (string, widget.Importance) {
	switch s.Breaker {
	case engine.BreakerOpen:
		return "open until " + s.ReopensAt.Local().Format("15:04:05"), widget.DangerImportance
	case engine.BreakerHalfOpen:
		return "half-open: trying again", widget.WarningImportance
	}
	if s.Failures > 0 {
		return fmt.Sprintf("closed (%d failed)", s.Failures), widget.MediumImportance
	}
	return "closed", widget.MediumImportance
}

// usageErrors lists error counts by kind: "auth 2, server 1", or "none".
func usageErrors(errs map[engine.ErrorKind]int64) string {
	var parts []string
	for k, n := range errs {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(string(k), "_", " "), n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// usageCacheRate is hits over lookups (NaN when there were none) and that as a
// percentage.
func usageCacheRate(hits, misses uint64) (float64, string) {
	if hits+misses == 0 {
		return math.NaN(), "–"
	}
	r := float64(hits) / float64(hits+misses)
	return r, strconv.Itoa(int(math.Round(r*100))) + "%"
}

// usageCostText is a total's cost, saying so when part of it is unknown (as
// `deskchat usage` does).
func usageCostText(t engine.UsageTotal) string {
	switch {
	case t.Unpriced == t.Requests && t.Requests > 0:
		return "unknown"
	case t.Unpriced > 0:
		return fmt.Sprintf("%s + %d unknown", usageDollars(t.Cost), t.Unpriced)
	}
	return usageDollars(t.Cost)
}

// usageCostTotal is the cost tile's figure.
func usageCostTotal(t engine.UsageTotal) string {
	if t.Unpriced == t.Requests && t.Requests > 0 {
		return "unknown"
	}
	return usageDollars(t.Cost)
}

// usageDollars writes US dollars: $12.40, $0.0075.
func usageDollars(c float64) string {
	switch {
	case c == 0:
		return "$0"
	case c >= 1:
		return "$" + strconv.FormatFloat(c, 'f', 2, 64)
	}
	return "$" + strconv.FormatFloat(c, 'f', 4, 64)
}

// usageCompact writes n shortly once it is large: 9,876, 12.3k, 4.5M.
func usageCompact(n int64) string {
	f := float64(n)
	switch {
	case f >= 1e9:
		return usageOneDecimal(f/1e9) + "B"
	case f >= 1e6:
		return usageOneDecimal(f/1e6) + "M"
	case f >= 1e4:
		return usageOneDecimal(f/1e3) + "k"
	}
	return groupDigits(n)
}

func usageOneDecimal(v float64) string {
	return strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
}

func usagePlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return groupDigits(int64(n)) + " " + many
}

// usageDay writes a ledger day (2006-01-02) in layout.
func usageDay(day, layout string) string {
	t, err := time.ParseInLocation("2006-01-02", day, time.Local)
	if err != nil {
		return day
	}
	return t.Format(layout)
}

// usageColumns lays objects out side by side at fixed widths; a width of 0 takes
// what is left (one such column).
type usageColumns []float32

func (c usageColumns) row(objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(c, objs...)
}

func (c usageColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	var fixed float32
	for _, w := range c {
		fixed += w
	}
	rest := chart.Len(size.Width - fixed - pad*float32(len(c)-1))
	var x float32
	for i, o := range objs {
		w := rest
		if i < len(c) && c[i] > 0 {
			w = c[i]
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w + pad
	}
}

func (c usageColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		ms := o.MinSize()
		h = max(h, ms.Height)
		if i < len(c) && c[i] > 0 {
			w += c[i]
		} else {
			w += ms.Width
		}
	}
	return fyne.NewSize(w+theme.Padding()*float32(max(len(objs)-1, 0)), h)
}
