package usage

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

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/chart"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// Days is the period the Usage window shows.
const Days = 30

// refreshEvery is how often the live metrics are read.
const refreshEvery = time.Second

// windowTitle is the Usage window's title.
const windowTitle = "Usage — deskchat"

// Host is what the Usage window needs of the app: a Fyne app to open its
// window in, the bridge to read off the UI goroutine, the engine (ledger,
// cache counters, live metrics) and the store (conversation titles), and a
// way to show a conversation in the main window.
type Host interface {
	App() fyne.App
	Bridge() *bridge.Bridge
	Engine() *engine.Engine
	Store() *store.Store
	// ShowConversation shows conversation id in the main window and brings
	// that forward, if the conversation is still there.
	ShowConversation(id string)
}

// Ticker calls f every d on the UI goroutine until f returns false or
// the returned stop is called (bridge.Bridge.Every, or a test's).
type Ticker func(d time.Duration, f func() bool) (stop func())

// ledger is what one load of the Usage window reads.
type ledger struct {
	recent       engine.RecentUsage
	titles       map[string]string // conversation id → title, for those still stored
	hits, misses uint64            // the response cache's counters
}

// Conversation is one row of the per-conversation table.
type Conversation struct {
	ID, Title string
	Total     engine.UsageTotal
}

// LiveRow is one provider's line in the live metrics.
type LiveRow struct {
	Name                                        *chart.Legend
	InFlight, Queued, Requests, Retries, Errors *widget.Label
	Breaker                                     *widget.Label
	obj                                         fyne.CanvasObject
}

// The per-day chart's modes.
const (
	ModeTokens = "Tokens"
	ModeCost   = "Cost"
)

// View is an open Usage window. Its widgets are exported for tests that
// look at what it shows; only the View changes them.
type View struct {
	host Host
	win  fyne.Window

	// loadData reads the ledger and the cache counters; states reads the
	// live metrics. They run on the bridge's goroutines.
	loadData func() (ledger, error)
	states   func() ([]engine.ProviderState, error)

	data     ledger
	loads    int // loads finished
	loadGen  int // loads started; only the latest one's result is shown
	mode     string
	colors   map[string]int // provider → chart.SeriesColor index
	convs    []Conversation
	live     []engine.ProviderState
	liveRows map[string]*LiveRow
	liveBusy bool  // a read of the live metrics is under way
	lastReqs int64 // requests counted by the live metrics last time (-1: none yet)
	recheck  bool  // load once more on the next tick (the ledger may lag the metrics)

	stop   func() // stops the ticker
	closed bool

	Status                        *widget.Label
	Tokens, Cost, Requests, Cache *widget.Card
	Mode                          *widget.RadioGroup
	Bars                          *chart.StackedBars
	Legend                        *chart.Legend
	DayInfo                       *widget.Label
	TTFT                          *chart.PercentileBars
	TTFTNote                      *widget.Label
	Ring                          *chart.Ring
	RingNote                      *widget.Label
	List                          *widget.List // per conversation
	ListEmpty                     *widget.Label
	LiveBox                       *fyne.Container
	LiveEmpty                     *widget.Label
}

// views holds the open Usage window of each host. Only the UI goroutine
// touches it.
var views = map[Host]*View{}

// Show opens the Usage window, or brings it forward when it is open.
func Show(h Host) { Open(h, h.Bridge().Every) }

// Open opens the Usage window with every as its ticker (the bridge's, or a
// test's), or brings it forward when it is open, and returns it.
func Open(h Host, every Ticker) *View {
	if u := views[h]; u != nil {
		u.win.RequestFocus()
		return u
	}
	u := newView(h)
	u.open(every)
	return u
}

// Of is h's open Usage window, or nil.
func Of(h Host) *View { return views[h] }

// Close closes h's Usage window if it is open (when the main window shuts
// down: its ticker stops).
func Close(h Host) {
	if u := views[h]; u != nil {
		u.win.Close()
	}
}

func newView(h Host) *View {
	u := &View{host: h, mode: ModeTokens, colors: map[string]int{}, liveRows: map[string]*LiveRow{}, lastReqs: -1}
	eng, st := h.Engine(), h.Store()
	u.loadData = func() (ledger, error) {
		var d ledger
		r, err := eng.RecentUsage(Days)
		if err != nil {
			return d, err
		}
		convs, err := st.Conversations()
		if err != nil {
			return d, err
		}
		d.recent, d.titles = r, make(map[string]string, len(convs))
		for _, c := range convs {
			d.titles[c.ID] = c.Title
		}
		d.hits, d.misses = eng.CacheCounters()
		return d, nil
	}
	u.states = eng.ProviderStates
	return u
}

// Window is the Usage window.
func (u *View) Window() fyne.Window { return u.win }

// Loads counts the loads of the ledger shown so far.
func (u *View) Loads() int { return u.loads }

// Conversations are the per-conversation table's rows, most expensive
// first.
func (u *View) Conversations() []Conversation { return u.convs }

// LiveRow is provider's line in the live metrics, or nil.
func (u *View) LiveRow(provider string) *LiveRow { return u.liveRows[provider] }

// open shows the window, loads it and starts the live metrics.
func (u *View) open(every Ticker) {
	u.win = u.host.App().NewWindow(windowTitle)
	u.win.SetContent(u.build())
	u.win.Resize(fyne.NewSize(1000, 780))
	u.win.SetOnClosed(u.close)
	u.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		if k.Name == fyne.KeyEscape {
			u.win.Close()
		}
	})
	views[u.host] = u
	u.win.Show()
	u.load()
	u.tick()
	u.stop = every(refreshEvery, u.tick)
}

// close stops the ticker; the window is closing.
func (u *View) close() {
	if u.closed {
		return
	}
	u.closed = true
	if u.stop != nil {
		u.stop()
	}
	if views[u.host] == u {
		delete(views, u.host)
	}
}

// minHeight gives o at least height h.
func minHeight(o fyne.CanvasObject, h float32) fyne.CanvasObject {
	return minSize(o, fyne.NewSize(0, h))
}

// minSize gives o at least size min.
func minSize(o fyne.CanvasObject, min fyne.Size) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(min)
	return container.NewStack(r, o)
}

func hint(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Importance, l.SizeName = look.HintStyle(widget.LowImportance)
	l.Wrapping = fyne.TextWrapWord
	return l
}

func (u *View) build() fyne.CanvasObject {
	title := widget.NewLabelWithStyle(fmt.Sprintf("Usage in the last %d days", Days), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	u.Status = widget.NewLabel("Reading the usage ledger…")
	u.Status.Importance, u.Status.SizeName = look.HintStyle(widget.LowImportance)
	refresh := widget.NewButtonWithIcon("Refresh", theme.ViewRefreshIcon(), u.load)
	top := container.NewBorder(nil, nil, nil, container.NewHBox(u.Status, refresh), title)

	u.Tokens = widget.NewCard("…", "tokens", nil)
	u.Cost = widget.NewCard("…", "cost", nil)
	u.Requests = widget.NewCard("…", "requests", nil)
	u.Cache = widget.NewCard("…", "cache hit rate", nil)
	tiles := container.NewGridWithColumns(4, u.Tokens, u.Cost, u.Requests, u.Cache)

	// Live metrics.
	u.LiveBox = container.NewVBox()
	u.LiveEmpty = hint("No provider has been used yet.")
	liveHead := liveColumns.row(header("Provider", false), header("In flight", true), header("Queued", true), header("Requests", true),
		header("Retries", true), header("Errors", false), header("Breaker", false))
	live := widget.NewCard("Live", "Every provider, updated every second while this window is open; counts include earlier runs",
		container.NewVBox(liveHead, widget.NewSeparator(), u.LiveBox, u.LiveEmpty))

	// Per day.
	u.Mode = widget.NewRadioGroup([]string{ModeTokens, ModeCost}, func(m string) {
		if m == "" { // a radio group can be cleared by tapping the choice again
			u.Mode.SetSelected(u.mode)
			return
		}
		u.mode = m
		u.showBars()
	})
	u.Mode.Horizontal = true
	u.Mode.Selected = u.mode
	u.Bars = chart.NewStackedBars(noRequests)
	u.Bars.OnHover = u.ShowDay
	u.Legend = chart.NewLegend(nil)
	u.DayInfo = hint(pointAtADay)
	perDay := widget.NewCard("Per day, by provider", "",
		container.NewBorder(container.NewBorder(nil, nil, nil, u.Mode, u.Legend), u.DayInfo, nil, nil, minHeight(u.Bars, 240)))

	// Time to first token and the cache.
	u.TTFT = chart.NewPercentileBars(noAnswers)
	u.TTFTNote = hint("Solid: half of the answers started sooner (p50). Fainter: 90% and 99% of them did (p90, p99).")
	ttft := widget.NewCard("Time to first token", "", container.NewBorder(nil, u.TTFTNote, nil, nil, u.TTFT))
	u.Ring = chart.NewRing()
	u.RingNote = hint("")
	cache := widget.NewCard("Response cache", "", container.NewBorder(nil, nil, minSize(u.Ring, fyne.NewSize(120, 120)), nil, u.RingNote))
	cacheW := minSize(cache, fyne.NewSize(340, 0))

	// Per conversation.
	u.List = widget.NewList(
		func() int { return len(u.convs) },
		func() fyne.CanvasObject {
			t := widget.NewLabel("conversation title")
			t.Truncation = fyne.TextTruncateEllipsis
			return convColumns.row(t, cell("0", true), cell("0", true), cell("$0", true))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(u.convs) {
				return
			}
			c := u.convs[i]
			objs := o.(*fyne.Container).Objects
			objs[0].(*widget.Label).SetText(c.Title)
			objs[1].(*widget.Label).SetText(format.Number(int64(c.Total.Requests)))
			objs[2].(*widget.Label).SetText(format.Number(int64(c.Total.PromptTokens + c.Total.CompletionTokens)))
			objs[3].(*widget.Label).SetText(format.TotalCost(c.Total.Cost, c.Total.Unpriced, c.Total.Requests))
		})
	u.List.OnSelected = func(i widget.ListItemID) {
		u.List.UnselectAll()
		if i < len(u.convs) {
			u.host.ShowConversation(u.convs[i].ID)
		}
	}
	u.ListEmpty = hint("No conversation made a request in the last 30 days.")
	convHead := convColumns.row(header("Conversation", false), header("Requests", true), header("Tokens", true), header("Cost", true))
	convs := widget.NewCard("Per conversation", "Most expensive first; choose one to open it",
		container.NewBorder(container.NewVBox(convHead, widget.NewSeparator()), nil, nil, nil,
			container.NewStack(minHeight(u.List, 220), u.ListEmpty)))

	body := container.NewVBox(top, tiles, live, perDay, container.NewBorder(nil, nil, nil, cacheW, ttft), convs)
	return container.NewVScroll(container.NewPadded(body))
}

// Sentences shown when a chart has nothing to draw.
const (
	noRequests  = "No requests in the last 30 days."
	noAnswers   = "No answers from a provider in the last 30 days."
	pointAtADay = "Point at a day to see its figures."
)

func header(text string, trailing bool) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	if trailing {
		l.Alignment = fyne.TextAlignTrailing
	}
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

func cell(text string, trailing bool) *widget.Label {
	l := widget.NewLabel(text)
	if trailing {
		l.Alignment = fyne.TextAlignTrailing
	}
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// load reads the ledger and shows it.
func (u *View) load() {
	u.loadGen++
	gen := u.loadGen
	if u.loads == 0 {
		u.Status.SetText("Reading the usage ledger…")
	}
	bridge.Run(u.host.Bridge(), u.loadData, func(d ledger, err error) {
		if gen != u.loadGen || u.closed {
			return
		}
		if err != nil {
			look.SetLabel(u.Status, "Could not read the usage: "+engine.UserMessage(err), widget.DangerImportance)
			return
		}
		u.loads++
		look.SetLabel(u.Status, "Updated "+time.Now().Format("15:04:05"), widget.LowImportance)
		u.apply(d)
	})
}

// colorOf is provider's colour index: the ledger's providers in order of
// name, then those only the live metrics know.
func (u *View) colorOf(provider string) int {
	if i, ok := u.colors[provider]; ok {
		return i
	}
	i := len(u.colors)
	u.colors[provider] = i
	return i
}

// apply shows d.
func (u *View) apply(d ledger) {
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
	u.Tokens.SetTitle(format.Tokens(int64(t.PromptTokens + t.CompletionTokens)))
	u.Tokens.SetSubTitle(format.Compact(int64(t.PromptTokens)) + " in · " + format.Compact(int64(t.CompletionTokens)) + " out")
	// The subtitle counts the requests of unknown price, so the title
	// leaves out TotalCost's "+ N unknown".
	cost := format.Cost(t.Cost)
	if t.Requests > 0 && t.Unpriced >= t.Requests {
		cost = "unknown"
	}
	u.Cost.SetTitle(cost)
	switch {
	case t.Unpriced > 0:
		u.Cost.SetSubTitle(format.Count(t.Unpriced, "request", "requests") + " of unknown price")
	case t.Requests == 0:
		u.Cost.SetSubTitle("nothing spent")
	default:
		u.Cost.SetSubTitle("spent")
	}
	u.Requests.SetTitle(format.Count(t.Requests, "request", "requests"))
	sub := fmt.Sprintf("%d from the cache", t.Cached)
	if t.Estimated > 0 {
		sub += fmt.Sprintf(" · %d counted by deskchat", t.Estimated)
	}
	u.Requests.SetSubTitle(sub)
	rate, rateText := CacheRate(d.hits, d.misses)
	u.Cache.SetTitle(rateText + " cache hits")
	u.Cache.SetSubTitle(fmt.Sprintf("%s of %s lookups, all time", format.Number(int64(d.hits)), format.Number(int64(d.hits+d.misses))))
	u.Ring.Set(rate, rateText)
	note := fmt.Sprintf("%s hits and %s misses since the data file was created.", format.Number(int64(d.hits)), format.Number(int64(d.misses)))
	if t.Cached > 0 {
		note += fmt.Sprintf(" In the last %d days %s came from the cache: %s tokens not sent, nothing paid.",
			Days, format.Count(t.Cached, "answer", "answers"), format.Compact(int64(r.CachedTokens)))
	} else {
		note += fmt.Sprintf(" No answer came from the cache in the last %d days.", Days)
	}
	u.RingNote.SetText(note)

	u.showBars()

	rows := make([]chart.PercentileRow, 0, len(r.TTFT))
	for _, s := range r.TTFT {
		rows = append(rows, chart.PercentileRow{Name: s.Provider, Color: u.colorOf(s.Provider), P50: float64(s.P50Millis), P90: float64(s.P90Millis), P99: float64(s.P99Millis), N: s.Samples})
	}
	u.TTFT.SetRows(rows, noAnswers)
	u.TTFTNote.Hidden = len(rows) == 0
	u.TTFTNote.Refresh()

	u.convs = u.convs[:0]
	for _, c := range r.ByConversation {
		title, ok := d.titles[c.Key]
		switch {
		case !ok:
			title = "Deleted chat"
		case title == "":
			title = "New conversation"
		}
		u.convs = append(u.convs, Conversation{ID: c.Key, Title: title, Total: c})
	}
	sort.SliceStable(u.convs, func(i, j int) bool {
		a, b := u.convs[i].Total, u.convs[j].Total
		if a.Cost != b.Cost {
			return a.Cost > b.Cost
		}
		if ta, tb := a.PromptTokens+a.CompletionTokens, b.PromptTokens+b.CompletionTokens; ta != tb {
			return ta > tb
		}
		return u.convs[i].Title < u.convs[j].Title
	})
	u.ListEmpty.Hidden = len(u.convs) > 0
	u.ListEmpty.Refresh()
	u.List.Refresh()
	u.applyLive(u.live) // colours may have moved
}

// barData is the per-day chart for the mode shown.
func (u *View) barData() (chart.BarData, string) {
	r := u.data.recent
	d := chart.BarData{Money: u.mode == ModeCost}
	for _, p := range r.ByProvider {
		d.Series = append(d.Series, chart.Series{Name: p.Key, Color: u.colorOf(p.Key)})
	}
	index := map[string]int{}
	for i, s := range d.Series {
		index[s.Name] = i
	}
	for _, day := range r.Days {
		d.Labels = append(d.Labels, dayText(day.Day, "2 Jan"))
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
	empty := noRequests
	if d.Money && r.Total.Requests > 0 {
		empty = fmt.Sprintf("Nothing was spent in the last %d days.", Days)
		if r.Total.Unpriced > 0 {
			empty = "The models used have no known price (deskchat prices set MODEL INPUT OUTPUT adds one)."
		}
	}
	return d, empty
}

func (u *View) showBars() {
	d, empty := u.barData()
	u.Bars.SetData(d, empty)
	u.Legend.SetItems(d.Series)
	u.DayInfo.SetText(pointAtADay)
	u.DayInfo.Hidden = !d.Drawable()
	u.DayInfo.Refresh()
}

// ShowDay writes the figures of day i (-1: none) under the chart.
func (u *View) ShowDay(i int) {
	days := u.data.recent.Days
	if i < 0 || i >= len(days) {
		u.DayInfo.SetText(pointAtADay)
		return
	}
	day := days[i]
	var parts []string
	for _, p := range day.ByProvider {
		parts = append(parts, p.Key+" "+u.amount(p))
	}
	text := dayText(day.Day, "Monday 2 January") + ": "
	if len(parts) == 0 {
		text += "no requests"
	} else {
		text += strings.Join(parts, " · ") + fmt.Sprintf(" — %s in all, %s", u.amount(day.Total), format.Count(day.Total.Requests, "request", "requests"))
		if day.Total.Cached > 0 {
			text += fmt.Sprintf(" (%d from the cache)", day.Total.Cached)
		}
	}
	u.DayInfo.SetText(text)
}

// amount is t's tokens or cost, as the chart shows.
func (u *View) amount(t engine.UsageTotal) string {
	if u.mode == ModeCost {
		return format.TotalCost(t.Cost, t.Unpriced, t.Requests)
	}
	return format.Number(int64(t.PromptTokens+t.CompletionTokens)) + " tokens"
}

// tick reads the live metrics; it says whether to go on ticking.
func (u *View) tick() bool {
	if u.closed {
		return false
	}
	if u.liveBusy {
		return true // the last read has not come back: skip this one
	}
	u.liveBusy = true
	bridge.Run(u.host.Bridge(), u.states, func(states []engine.ProviderState, err error) {
		u.liveBusy = false
		if u.closed {
			return
		}
		if err != nil {
			look.SetLabel(u.Status, "Could not read the live metrics: "+engine.UserMessage(err), widget.DangerImportance)
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

// liveColumns and convColumns are the tables' column widths (0: the rest).
var (
	liveColumns = columns{0, 80, 80, 90, 80, 170, 170}
	convColumns = columns{0, 90, 110, 170}
)

// applyLive shows the providers' live metrics.
func (u *View) applyLive(states []engine.ProviderState) {
	u.live = states
	same := len(states) == len(u.liveRows)
	for _, s := range states {
		if u.liveRows[s.Provider] == nil {
			same = false
		}
	}
	if !same {
		u.liveRows = map[string]*LiveRow{}
		u.LiveBox.Objects = nil
		for _, s := range states {
			r := &LiveRow{Name: chart.NewLegend(nil), InFlight: cell("", true), Queued: cell("", true), Requests: cell("", true),
				Retries: cell("", true), Errors: cell("", false), Breaker: cell("", false)}
			name := container.New(layout.NewCustomPaddedLayout(0, 0, theme.InnerPadding(), 0), r.Name) // in line with the labels' text
			r.obj = liveColumns.row(name, r.InFlight, r.Queued, r.Requests, r.Retries, r.Errors, r.Breaker)
			u.liveRows[s.Provider] = r
			u.LiveBox.Add(r.obj)
		}
		u.LiveBox.Refresh()
	}
	for _, s := range states {
		r := u.liveRows[s.Provider]
		r.Name.SetItems([]chart.Series{{Name: s.Provider, Color: u.colorOf(s.Provider)}})
		r.InFlight.SetText(strconv.Itoa(s.InFlight))
		r.Queued.SetText(strconv.Itoa(s.Queued))
		r.Requests.SetText(format.Number(s.Requests))
		r.Retries.SetText(format.Number(s.Retries))
		r.Errors.SetText(errorsText(s.Errors))
		text, imp := breakerText(s)
		r.Breaker.Importance = imp
		r.Breaker.SetText(text)
	}
	u.LiveEmpty.Hidden = len(states) > 0
	u.LiveEmpty.Refresh()
}

// breakerText says whether a provider takes requests.
func breakerText(s engine.ProviderState) (string, widget.Importance) {
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

// errorsText lists error counts by kind: "auth 2, server 1", or "none".
func errorsText(errs map[engine.ErrorKind]int64) string {
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

// CacheRate is hits over lookups (NaN when there were none) and that as a
// percentage.
func CacheRate(hits, misses uint64) (float64, string) {
	if hits+misses == 0 {
		return math.NaN(), "–"
	}
	r := float64(hits) / float64(hits+misses)
	return r, strconv.Itoa(int(math.Round(r*100))) + "%"
}

// dayText writes a ledger day (2006-01-02) in layout.
func dayText(day, layout string) string {
	t, err := time.ParseInLocation("2006-01-02", day, time.Local)
	if err != nil {
		return day
	}
	return t.Format(layout)
}

// columns lays objects out side by side at fixed widths; a width of 0 takes
// what is left (one such column).
type columns []float32

func (c columns) row(objs ...fyne.CanvasObject) *fyne.Container {
	return container.New(c, objs...)
}

func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
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

func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
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
