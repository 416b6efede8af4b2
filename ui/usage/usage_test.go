package usage

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/chart"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// fixedMeasure measures text as 7 px a character, 14 px high.
func fixedMeasure(s string) fyne.Size { return fyne.NewSize(float32(len([]rune(s)))*7, 14) }

func TestUsageWithNoRequestsSaysSo(t *testing.T) {
	h := newFakeHost(t, nil)
	u := Open(h, (&fakeTicker{}).every)
	h.settle()
	if g := chart.LayoutBars(u.Bars.Data(), fyne.NewSize(500, 300), fixedMeasure); !g.Empty || u.Bars.EmptyText() != noRequests {
		t.Errorf("bars: %q", u.Bars.EmptyText())
	}
	shown := everyText(test.LaidOutObjects(u.win.Content()))
	for _, want := range []string{noRequests, noAnswers, "No conversation made a request", "No provider has been used yet."} {
		if !strings.Contains(shown, want) {
			t.Errorf("the empty window does not say %q", want)
		}
	}
	if u.Tokens.Title != "0 tokens" || u.Cache.Title != "– cache hits" || !math.IsNaN(u.Ring.Frac()) {
		t.Errorf("tiles %q, %q, ring %v", u.Tokens.Title, u.Cache.Title, u.Ring.Frac())
	}
	u.win.Resize(fyne.NewSize(1000, 1100))
	capture(t, u.win, filepath.Join(pngDir(t), "usage-empty.png"))
	u.win.Close()
}

// TestUsageWindowRenders draws the window in light and dark with staged
// data (several providers, a month of days) and checks that the charts
// keep their drawing inside themselves. The PNGs go to $USAGE_PNG_DIR if
// set, else to a temporary directory.
func TestUsageWindowRenders(t *testing.T) {
	dir := pngDir(t)
	for _, variant := range []string{look.ThemeLight, look.ThemeDark} {
		t.Run(variant, func(t *testing.T) {
			h := newFakeHost(t, func(st *store.Store) { writeMonth(t, st) })
			h.app.Settings().SetTheme(theme.DefaultTheme()) // the test driver's own theme is neither
			look.ApplyTheme(h.app, variant)
			u := newView(h)
			u.states = func() ([]engine.ProviderState, error) { return liveSample(time.Now()), nil }
			load := u.loadData
			u.loadData = func() (ledger, error) {
				d, err := load()
				d.hits, d.misses = 23, 187 // as if the cache had been used all along
				return d, err
			}
			u.open((&fakeTicker{}).every)
			h.settle()
			if len(u.convs) != 5 || len(u.Bars.Data().Series) != 4 || len(u.TTFT.Rows()) != 4 {
				t.Fatalf("staged %d conversations, %d providers, %d ttft rows", len(u.convs), len(u.Bars.Data().Series), len(u.TTFT.Rows()))
			}
			u.win.Resize(fyne.NewSize(1000, 1500)) // tall enough to show it all
			for _, w := range []fyne.Widget{u.Bars, u.TTFT, u.Ring} {
				checkInside(t, w)
			}
			capture(t, u.win, filepath.Join(dir, "usage-"+variant+".png"))
			// Narrow, at the width the columns need: the charts lay out again.
			u.win.Resize(fyne.NewSize(u.win.Content().MinSize().Width, 900))
			for _, w := range []fyne.Widget{u.Bars, u.TTFT, u.Ring} {
				checkInside(t, w)
			}
			capture(t, u.win, filepath.Join(dir, "usage-"+variant+"-narrow.png"))
			u.win.Close()
		})
	}
}

// pngDir is where captures go: $USAGE_PNG_DIR, else a temporary directory.
func pngDir(t *testing.T) string {
	if dir := os.Getenv("USAGE_PNG_DIR"); dir != "" {
		return dir
	}
	return t.TempDir()
}

// capture saves what win shows as a PNG at path.
func capture(t *testing.T, win fyne.Window, path string) {
	t.Helper()
	img := win.Canvas().Capture()
	if distinct := colours(img); distinct < 20 {
		t.Errorf("the capture has %d colours: nothing drawn?", distinct)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s (%v)", path, win.Canvas().Size())
}

// checkInside fails when a visible part of w's drawing lies outside it.
func checkInside(t *testing.T, w fyne.Widget) {
	t.Helper()
	size := w.Size()
	if size.Width <= 0 || size.Height <= 0 {
		t.Errorf("%T has no size", w)
		return
	}
	for _, o := range test.WidgetRenderer(w).Objects() {
		if !o.Visible() {
			continue
		}
		p, s := o.Position(), o.Size()
		if l, ok := o.(*canvas.Line); ok {
			p, s = l.Position1, fyne.NewSize(l.Position2.X-l.Position1.X, l.Position2.Y-l.Position1.Y)
		}
		if t2, ok := o.(*canvas.Text); ok {
			s = t2.MinSize()
		}
		if p.X < -0.5 || p.Y < -0.5 || p.X+s.Width > size.Width+0.5 || p.Y+s.Height > size.Height+0.5 {
			t.Errorf("%T: %T at %v size %v is outside %v", w, o, p, s, size)
		}
	}
}

func colours(img image.Image) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true
		}
	}
	return len(seen)
}

// writeMonth stores five conversations and a month of ledger lines from
// four providers (one without a price), some answered from the cache.
func writeMonth(t *testing.T, st *store.Store) {
	t.Helper()
	var ids []string
	for _, title := range []string{"Refactor the billing service", "Go channels explained", "Trip to Lisbon", "SQL window functions", "Release notes for 2.4"} {
		c, err := st.CreateConversation(store.Conversation{Title: title})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	provs := []struct {
		name  string
		price float64 // $ per million tokens; 0: unknown
		ttft  int64
	}{{"OpenAI", 0.6, 420}, {"Anthropic", 4, 650}, {"Groq", 0.08, 140}, {"Ollama", 0, 900}}
	y, m, d := time.Now().Date()
	seq := 0
	for day := 0; day < Days; day++ {
		at := time.Date(y, m, d-Days+1+day, 9, 0, 0, 0, time.Local)
		for i := 0; i < 3+(day*7)%9; i++ {
			seq++
			p := provs[(seq*7+day)%len(provs)]
			in, out := 300+(seq*137)%2400, 120+(seq*61)%900
			rec := store.UsageRecord{Time: at.Add(time.Duration(i) * time.Minute), ConversationID: ids[seq%len(ids)], Provider: p.name, Model: "m",
				PromptTokens: in, CompletionTokens: out, Outcome: "done", TTFTMillis: p.ttft/2 + int64(seq*37%100)*p.ttft/60}
			if seq%9 == 0 {
				zero := 0.0
				rec.Cached, rec.Cost, rec.TTFTMillis = true, &zero, 3
			} else if p.price > 0 {
				c := float64(in+out) * p.price / 1e6
				rec.Cost = &c
			}
			if err := st.AddUsage(rec); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// liveSample is live metrics with work in flight, a queue, errors and an
// open breaker.
func liveSample(now time.Time) []engine.ProviderState {
	return []engine.ProviderState{
		{Metrics: engine.Metrics{Provider: "Anthropic", InFlight: 1, Requests: 96, Retries: 4, Errors: map[engine.ErrorKind]int64{engine.KindRateLimited: 2}}, Breaker: engine.BreakerClosed},
		{Metrics: engine.Metrics{Provider: "Groq", Requests: 61, Retries: 9, Errors: map[engine.ErrorKind]int64{engine.KindServer: 5}}, Breaker: engine.BreakerOpen, Failures: 3, ReopensAt: now.Add(24 * time.Second)},
		{Metrics: engine.Metrics{Provider: "Ollama", Requests: 58}, Breaker: engine.BreakerClosed},
		{Metrics: engine.Metrics{Provider: "OpenAI", InFlight: 2, Queued: 3, Requests: 214, Retries: 1}, Breaker: engine.BreakerHalfOpen, Failures: 3},
	}
}
