package ui

import (
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"deskchat/store"
	"deskchat/ui/internal/bridge"
)

// searchDelay is how long typing must pause before the search runs.
const searchDelay = 150 * time.Millisecond

// searchDialog is the open search dialog, kept for tests.
type searchDialog struct {
	entry   *escEntry
	list    *widget.List
	info    *widget.Label
	results []store.SearchResult
	dialog  dialog.Dialog
	gen     int         // searches started; only the latest one's results are shown
	timer   *time.Timer // the pending debounced search
}

// showSearch opens the search over every conversation (Ctrl+F): results
// as you type; choosing one opens its conversation at that message.
func (w *window) showSearch() {
	s := &searchDialog{entry: newEscEntry(w, false), info: widget.NewLabel("Type to search every conversation.")}
	s.entry.SetPlaceHolder("Search messages and titles")
	s.info.Importance, s.info.SizeName = hintStyle(widget.LowImportance)
	s.list = widget.NewList(
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
			rt.Segments = snippetSegments(r)
			rt.Refresh()
		})
	s.list.OnSelected = func(i widget.ListItemID) {
		r := s.results[i]
		s.dialog.Hide()
		w.openAt(r.ConversationID, r.Seq)
	}
	s.entry.OnChanged = func(q string) {
		if s.timer != nil {
			s.timer.Stop()
		}
		s.gen++
		gen := s.gen
		s.timer = w.b.After(searchDelay, func() { w.runSearch(s, gen, q) })
	}
	s.entry.OnSubmitted = func(string) {
		if len(s.results) > 0 {
			s.list.Select(0)
		}
	}
	content := container.NewBorder(container.NewVBox(s.entry, s.info), nil, nil, nil, s.list)
	s.dialog = dialog.NewCustom("Search", "Close", content, w.win)
	s.dialog.Resize(fyne.NewSize(640, 480))
	w.showDialog(s.dialog)
	w.win.Canvas().Focus(s.entry)
	w.search = s
}

// runSearch searches for q and shows the results if no newer search began.
func (w *window) runSearch(s *searchDialog, gen int, q string) {
	if gen != s.gen {
		return
	}
	if strings.TrimSpace(q) == "" {
		s.results = nil
		s.info.SetText("Type to search every conversation.")
		s.list.Refresh()
		return
	}
	bridge.Run(w.b, func() ([]store.SearchResult, error) {
		return w.st.Search(q, store.SearchOptions{Limit: 50, By: store.ByRelevance})
	}, func(rs []store.SearchResult, err error) {
		if gen != s.gen {
			return // typing went on
		}
		switch {
		case err != nil:
			s.info.SetText(sentence(err))
		case len(rs) == 0:
			s.info.SetText("Nothing matches “" + strings.TrimSpace(q) + "”.")
		case len(rs) == 1:
			s.info.SetText("1 match")
		default:
			s.info.SetText(strconv.Itoa(len(rs)) + " matches")
		}
		s.results = rs
		s.list.UnselectAll()
		s.list.Refresh()
	})
}

// snippetSegments is a result's snippet with its matches in bold.
func snippetSegments(r store.SearchResult) []widget.RichTextSegment {
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

// openAt shows conversation id scrolled to message seq (0: its end).
func (w *window) openAt(id string, seq uint64) {
	if _, ok := w.indexOf(id); !ok {
		w.loadConversations(id)
		return
	}
	w.show(id)
	if seq == 0 {
		return
	}
	cv := w.chats[id]
	if cv == nil {
		return
	}
	if cv.loading {
		cv.onLoad = append(cv.onLoad, func() { w.reveal(cv, seq) })
		return
	}
	w.reveal(cv, seq)
}
