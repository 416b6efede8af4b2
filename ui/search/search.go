package search

import (
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// Host is what the search dialog needs of the app.
type Host interface {
	// Window is the window the dialog shows over.
	Window() fyne.Window
	// ShowDialog shows d so that Esc closes it.
	ShowDialog(d dialog.Dialog)
	Bridge() *bridge.Bridge
	Store() *store.Store
	// Escape is the window's Esc, typed in the search field: it closes
	// the dialog.
	Escape()
	// OpenAt shows conversation convID scrolled to its message seq.
	OpenAt(convID string, seq uint64)
}

// delay is how long typing must pause before the search runs.
const delay = 150 * time.Millisecond

// Dialog is the open search dialog.
type Dialog struct {
	h Host
	// Entry is the query; List the results (choosing one opens it).
	Entry   *look.EscEntry
	List    *widget.List
	info    *widget.Label
	results []store.SearchResult
	dialog  dialog.Dialog
	gen     int         // searches started; only the latest one's results are shown
	timer   *time.Timer // the pending debounced search
}

// Open opens the search over every conversation (Ctrl+F): results
// as you type; choosing one opens its conversation at that message.
func Open(h Host) *Dialog {
	s := &Dialog{h: h, Entry: look.NewEscEntry(h.Escape, false), info: widget.NewLabel("Type to search every conversation.")}
	s.Entry.SetPlaceHolder("Search messages and titles")
	s.info.Importance, s.info.SizeName = look.HintStyle(widget.LowImportance)
	s.List = widget.NewList(
		func() int { return len(s.results) },
		func() fyne.CanvasObject {
			title := widget.NewLabelWithStyle("title", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			title.Truncation = fyne.TextTruncateEllipsis
			snippet := widget.NewRichText()
			snippet.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(title, snippet)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			r := s.results[i]
			box := o.(*fyne.Container)
			title := r.Title
			if title == "" {
				title = "New conversation"
			}
			if !r.InTitle {
				title += " · " + r.CreatedAt.Local().Format("2 Jan 15:04")
			}
			box.Objects[0].(*widget.Label).SetText(title)
			rt := box.Objects[1].(*widget.RichText)
			rt.Segments = Snippet(r)
			rt.Refresh()
		})
	s.List.OnSelected = func(i widget.ListItemID) {
		r := s.results[i]
		s.dialog.Hide()
		h.OpenAt(r.ConversationID, r.Seq)
	}
	s.Entry.OnChanged = func(q string) {
		if s.timer != nil {
			s.timer.Stop()
		}
		s.gen++
		gen := s.gen
		s.timer = h.Bridge().After(delay, func() { s.run(gen, q) })
	}
	s.Entry.OnSubmitted = func(string) {
		if len(s.results) > 0 {
			s.List.Select(0)
		}
	}
	content := container.NewBorder(container.NewVBox(s.Entry, s.info), nil, nil, nil, s.List)
	s.dialog = dialog.NewCustom("Search", "Close", content, h.Window())
	s.dialog.Resize(fyne.NewSize(640, 480))
	h.ShowDialog(s.dialog)
	h.Window().Canvas().Focus(s.Entry)
	return s
}

// Results are the results listed.
func (s *Dialog) Results() []store.SearchResult { return s.results }

// run searches for q and shows the results if no newer search began.
func (s *Dialog) run(gen int, q string) {
	if gen != s.gen {
		return
	}
	if strings.TrimSpace(q) == "" {
		s.results = nil
		s.info.SetText("Type to search every conversation.")
		s.List.Refresh()
		return
	}
	bridge.Run(s.h.Bridge(), func() ([]store.SearchResult, error) {
		return s.h.Store().Search(q, store.SearchOptions{Limit: 50, By: store.ByRelevance})
	}, func(rs []store.SearchResult, err error) {
		if gen != s.gen {
			return // typing went on
		}
		switch {
		case err != nil:
			s.info.SetText(engine.UserMessage(err))
		case len(rs) == 0:
			s.info.SetText("Nothing matches “" + strings.TrimSpace(q) + "”.")
		case len(rs) == 1:
			s.info.SetText("1 match")
		default:
			s.info.SetText(strconv.Itoa(len(rs)) + " matches")
		}
		s.results = rs
		s.List.UnselectAll()
		s.List.Refresh()
	})
}

// Snippet is a result's snippet with its matches in bold.
func Snippet(r store.SearchResult) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	plain := func(t string, bold bool) {
		if t == "" {
			return
		}
		st := widget.RichTextStyleInline
		if bold {
			st = widget.RichTextStyleStrong
		}
		segs = append(segs, &widget.TextSegment{Text: t, Style: st})
	}
	at := 0
	for _, h := range r.Highlights {
		if h.Start < at || h.End > len(r.Snippet) || h.Start > h.End {
			continue
		}
		plain(r.Snippet[at:h.Start], false)
		plain(r.Snippet[h.Start:h.End], true)
		at = h.End
	}
	plain(r.Snippet[at:], false)
	return segs
}
