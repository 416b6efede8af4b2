package transfer

// The export and import dialogs. store/transfer does the work: ExportFile
// writes a temporary file beside the destination and renames it when
// complete (a failed or cancelled export leaves nothing behind and an older
// file at the destination untouched); Import checks the whole file before it
// stores anything and then stores conversations in batches, each batch one
// transaction (a cancelled import keeps the batches stored so far and says
// how many). Both run on a bridge goroutine; their progress reaches the
// dialog through progressFeed, at most one hand-off pending at a time.
//
// The destination of an export is a path in an Entry, filled by a folder
// chooser: Fyne's save dialog creates (or truncates) the chosen file before
// it returns, which would leave an empty file behind a failed export and
// destroy the file it was meant to replace.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
	storetransfer "github.com/deskchat/deskchat/store/transfer"
	"github.com/deskchat/deskchat/ui/internal/bridge"
	"github.com/deskchat/deskchat/ui/internal/look"
)

// exportFormat is a format the export dialog offers.
type exportFormat struct {
	label  string
	format storetransfer.Format
	ext    string
}

// exportFormats are the formats the export dialog offers.
var exportFormats = []exportFormat{
	{"JSON — deskchat, lossless", storetransfer.JSON, ".json"},
	{"Markdown", storetransfer.Markdown, ".md"},
	{"HTML", storetransfer.HTML, ".html"},
}

// The export dialog's choices of conversations.
const (
	exportThis   = "This chat"
	exportChosen = "Chosen chats…"
	exportAll    = "All chats"
)

// importSources are the formats the import dialog offers.
var importSources = []struct {
	label  string
	source storetransfer.Source
}{
	{"Detect automatically", storetransfer.Auto},
	{"ChatGPT", storetransfer.ChatGPT},
	{"Claude", storetransfer.Claude},
	{"deskchat", storetransfer.Deskchat},
}

// progressFeed hands a worker's progress to the UI goroutine: the latest
// numbers win and at most one hand-off waits at a time, however often the
// worker reports.
type progressFeed struct {
	mu          sync.Mutex
	done, total int
	pending     bool
}

// report is called on the worker goroutine.
func (p *progressFeed) report(b *bridge.Bridge, done, total int, show func(done, total int)) {
	p.mu.Lock()
	p.done, p.total = done, total
	if p.pending {
		p.mu.Unlock()
		return
	}
	p.pending = true
	p.mu.Unlock()
	b.Post(func() {
		p.mu.Lock()
		d, t := p.done, p.total
		p.pending = false
		p.mu.Unlock()
		show(d, t)
	})
}

// exchangeStage is one screen of a dialog that goes form → progress → summary.
type exchangeStage struct {
	dialog *dialog.CustomDialog
	body   *fyne.Container
}

func newExchangeStage(title string, h Host) exchangeStage {
	body := container.NewStack()
	d := dialog.NewCustomWithoutButtons(title, body, h.Window())
	d.Resize(fyne.NewSize(620, 540))
	return exchangeStage{dialog: d, body: body}
}

func (s exchangeStage) show(content fyne.CanvasObject, buttons ...fyne.CanvasObject) {
	s.body.Objects = []fyne.CanvasObject{content}
	s.body.Refresh()
	s.dialog.SetButtons(buttons)
}

// progressView is the progress stage: a bar, what is happening, Cancel.
type progressView struct {
	bar       *widget.ProgressBar
	status    *widget.Label
	cancelBtn *widget.Button
	content   fyne.CanvasObject
	feed      progressFeed
}

func newProgressView(status string, cancel func()) *progressView {
	p := &progressView{bar: widget.NewProgressBar(), status: widget.NewLabel(status)}
	p.cancelBtn = widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), func() {
		p.cancelBtn.Disable()
		p.status.SetText("Cancelling…")
		cancel()
	})
	p.content = container.NewVBox(p.status, p.bar)
	return p
}

// Export is the open export dialog.
type Export struct {
	h Host
	exchangeStage

	format *widget.Select
	// branches: Markdown and HTML show every branch of a chat, not only
	// the one shown (JSON always holds every branch).
	branches *widget.Check
	which    *widget.RadioGroup
	picker   *fyne.Container // the checklist of chats, shown for exportChosen
	list     *widget.List
	convs    []store.Conversation // listed in the checklist
	chosen   map[string]bool
	count    *widget.Label
	path     *widget.Entry // the destination file; "Choose folder…" fills it
	problem  *widget.Label // why the export did not run, in a sentence
	form     fyne.CanvasObject

	prog   *progressView
	cancel context.CancelFunc // stops the running export; nil when none runs

	heading, detail *widget.Label // the summary

	// openURL opens the destination's folder (the app's OpenURL).
	openURL func(*url.URL) error
	// OnProgress, when set (tests), is called on the exporting goroutine
	// each time the export reports progress, after it is handed to the UI.
	OnProgress func(done, total int)
}

// OpenExport opens the export dialog: format, which chats, destination.
func OpenExport(h Host) *Export {
	d := &Export{h: h, exchangeStage: newExchangeStage("Export chats", h), chosen: map[string]bool{}, openURL: h.OpenURL}
	d.convs = append([]store.Conversation(nil), h.Conversations()...)

	labels := make([]string, len(exportFormats))
	for i, f := range exportFormats {
		labels[i] = f.label
	}
	d.branches = widget.NewCheck("Every branch, not only the one shown", nil)
	d.format = widget.NewSelect(labels, func(string) { d.fixExtension() })
	d.format.SetSelectedIndex(0)

	d.path = widget.NewEntry()
	d.path.SetText(filepath.Join(userHome(), "deskchat-"+h.Now().Format("2006-01-02")+exportFormats[0].ext))
	folderBtn := widget.NewButtonWithIcon("Choose folder…", theme.FolderOpenIcon(), d.chooseFolder)

	d.count = widget.NewLabel("")
	d.list = widget.NewList(
		func() int { return len(d.convs) },
		func() fyne.CanvasObject { return widget.NewCheck("conversation title · 1 Jan 2006", nil) },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			c := d.convs[i]
			ch := o.(*widget.Check)
			ch.OnChanged = nil
			ch.SetText(sidebarTitle(c) + " · " + c.UpdatedAt.Local().Format("2 Jan 2006"))
			ch.SetChecked(d.chosen[c.ID])
			ch.OnChanged = func(on bool) { d.choose(c.ID, on) }
		})
	all := widget.NewButton("Select all", func() { d.chooseAll(true) })
	none := widget.NewButton("Select none", func() { d.chooseAll(false) })
	d.picker = container.NewBorder(container.NewBorder(nil, nil, nil, container.NewHBox(all, none), d.count), nil, nil, nil, d.list)
	d.picker.Hide()

	options := []string{exportThis, exportChosen, exportAll}
	d.which = widget.NewRadioGroup(options, func(s string) {
		if s == exportChosen {
			d.picker.Show()
		} else {
			d.picker.Hide()
		}
		d.updateCount()
	})
	d.which.Required = true
	d.which.Horizontal = true
	if _, ok := h.Current(); ok {
		d.which.SetSelected(exportThis)
	} else {
		d.which.SetSelected(exportAll)
	}
	if len(d.convs) == 0 {
		d.which.Disable() // nothing to choose from; Export says there is nothing to export
	}

	d.problem = look.Wrapped("", widget.DangerImportance)
	form := widget.NewForm(
		widget.NewFormItem("Format", d.format),
		widget.NewFormItem("", d.branches),
		widget.NewFormItem("Chats", d.which),
		widget.NewFormItem("Save to", container.NewBorder(nil, nil, nil, folderBtn, d.path)),
	)
	d.form = container.NewBorder(form, d.problem, nil, nil, d.picker)
	d.showForm()
	d.dialog.SetOnClosed(func() {
		if d.cancel != nil {
			d.cancel() // closed while exporting: the export is abandoned, and leaves nothing
		}
	})
	h.ShowDialog(d.dialog)
	return d
}

func (d *Export) showForm() {
	exportBtn := widget.NewButtonWithIcon("Export", theme.DocumentSaveIcon(), d.start)
	exportBtn.Importance = widget.HighImportance
	d.show(d.form, widget.NewButton("Cancel", d.dialog.Hide), exportBtn)
}

// chooseFolder lets the user pick the destination's folder; the file name
// stays.
func (d *Export) chooseFolder() {
	fd := dialog.NewFolderOpen(func(dir fyne.ListableURI, err error) {
		if err != nil || dir == nil {
			return
		}
		name := filepath.Base(d.path.Text)
		if strings.TrimSpace(d.path.Text) == "" || name == "." || name == string(filepath.Separator) {
			name = "deskchat-" + d.h.Now().Format("2006-01-02") + d.selectedFormat().ext
		}
		d.path.SetText(filepath.Join(dir.Path(), name))
	}, d.h.Window())
	fd.Resize(fyne.NewSize(760, 520))
	d.h.ShowDialog(fd)
}

func (d *Export) selectedFormat() exportFormat {
	i := d.format.SelectedIndex()
	if i < 0 {
		i = 0
	}
	return exportFormats[i]
}

// fixExtension gives the destination the chosen format's extension, when it
// has one of the export extensions now.
func (d *Export) fixExtension() {
	if d.branches != nil {
		if d.selectedFormat().format == storetransfer.JSON {
			d.branches.SetChecked(true) // JSON holds every branch, always
			d.branches.Disable()
		} else if d.branches.Disabled() {
			d.branches.Enable()
			d.branches.SetChecked(false)
		}
	}
	if d.path == nil {
		return
	}
	p := d.path.Text
	ext := filepath.Ext(p)
	for _, f := range exportFormats {
		if strings.EqualFold(ext, f.ext) {
			d.path.SetText(strings.TrimSuffix(p, ext) + d.selectedFormat().ext)
			return
		}
	}
}

func (d *Export) choose(id string, on bool) {
	if on {
		d.chosen[id] = true
	} else {
		delete(d.chosen, id)
	}
	d.updateCount()
}

func (d *Export) chooseAll(on bool) {
	clear(d.chosen)
	if on {
		for _, c := range d.convs {
			d.chosen[c.ID] = true
		}
	}
	d.list.Refresh()
	d.updateCount()
}

func (d *Export) updateCount() {
	if d.count == nil {
		return
	}
	d.count.SetText(fmt.Sprintf("%d of %s chosen", len(d.chosen), format.Count(len(d.convs), "chat", "chats")))
}

// selection returns the ids to export (nil: all), or why there is nothing
// to export.
func (d *Export) selection() ([]string, string) {
	switch d.which.Selected {
	case exportThis:
		c, ok := d.h.Current()
		if !ok {
			return nil, "No chat is open; choose the chats to export."
		}
		return []string{c.ID}, ""
	case exportChosen:
		var ids []string
		for _, c := range d.convs { // in the list's order, newest first
			if d.chosen[c.ID] {
				ids = append(ids, c.ID)
			}
		}
		if len(ids) == 0 {
			return nil, "Choose at least one chat to export."
		}
		return ids, ""
	}
	if len(d.convs) == 0 {
		return nil, "There are no chats to export yet."
	}
	return nil, ""
}

// start checks the form, asks before replacing a file, then exports.
func (d *Export) start() {
	look.SetLabel(d.problem, "", widget.DangerImportance)
	ids, why := d.selection()
	if why != "" {
		look.SetLabel(d.problem, why, widget.DangerImportance)
		return
	}
	path, why := exportDestination(d.path.Text)
	if why != "" {
		look.SetLabel(d.problem, why, widget.DangerImportance)
		return
	}
	opts := storetransfer.ExportOptions{Format: d.selectedFormat().format, Conversations: ids, AllBranches: d.branches.Checked}
	bridge.Run(d.h.Bridge(), func() (bool, error) {
		fi, err := os.Stat(path)
		return err == nil && fi.Mode().IsRegular(), nil
	}, func(exists bool, _ error) {
		if !exists {
			d.run(path, opts)
			return
		}
		d.h.ShowDialog(dialog.NewConfirm("Replace the file?", fmt.Sprintf("%s already exists. Replace it with this export?", path), func(ok bool) {
			if ok {
				d.run(path, opts)
			}
		}, d.h.Window()))
	})
}

// exportOutcome is what an export did.
type exportOutcome struct {
	res  storetransfer.ExportResult
	size int64
}

// run exports to path, showing the progress, then the summary.
func (d *Export) run(path string, opts storetransfer.ExportOptions) {
	ctx, cancel := context.WithCancel(d.h.Quit()) // quitting stops it too
	d.cancel = cancel
	d.prog = newProgressView("Exporting…", cancel)
	p, hook := d.prog, d.OnProgress
	d.show(p.content, p.cancelBtn)
	opts.Progress = func(done, total int) {
		p.feed.report(d.h.Bridge(), done, total, func(done, total int) { d.showProgress(p, done, total) })
		if hook != nil {
			hook(done, total)
		}
	}
	d.h.Jobs().Add(1)
	bridge.Run(d.h.Bridge(), func() (exportOutcome, error) {
		defer d.h.Jobs().Done()
		res, err := storetransfer.ExportFile(ctx, d.h.Store(), path, opts)
		if err != nil {
			return exportOutcome{res: res}, err
		}
		var size int64
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		}
		return exportOutcome{res, size}, nil
	}, func(out exportOutcome, err error) {
		d.cancel = nil
		cancel()
		d.finish(path, out, err)
	})
}

func (d *Export) showProgress(p *progressView, done, total int) {
	if p != d.prog || d.cancel == nil {
		return // an old export's, or the export has ended
	}
	p.bar.Max, p.bar.Value = float64(max(total, 1)), float64(done)
	text := fmt.Sprintf("%s of %s", format.Number(int64(done)), format.Count(total, "chat", "chats"))
	p.bar.TextFormatter = func() string { return text }
	p.bar.Refresh()
	if p.cancelBtn.Disabled() {
		return // "Cancelling…" stays
	}
	p.status.SetText("Exporting…")
}

func (d *Export) finish(path string, out exportOutcome, err error) {
	switch {
	case err == nil:
		d.heading = widget.NewLabelWithStyle("Export complete", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		summary := fmt.Sprintf("Exported %s, %s (%s) to %s.",
			format.Count(out.res.Conversations, "chat", "chats"), format.Count(out.res.Messages, "message", "messages"), format.Size(out.size), path)
		if skipped := out.res.SkippedSentence(); skipped != "" {
			summary += " " + skipped // damaged chats are named; the rest is saved
		}
		d.detail = look.Wrapped(summary, widget.MediumImportance)
		open := widget.NewButtonWithIcon("Open folder", theme.FolderOpenIcon(), func() {
			const failed = " The folder could not be opened."
			if err := d.openURL(folderURL(filepath.Dir(path))); err != nil && !strings.HasSuffix(d.detail.Text, failed) {
				look.SetLabel(d.detail, d.detail.Text+failed, widget.MediumImportance)
			}
		})
		closeBtn := widget.NewButton("Close", d.dialog.Hide)
		closeBtn.Importance = widget.HighImportance
		d.show(container.NewVBox(d.heading, d.detail), open, closeBtn)
	case errors.Is(err, context.Canceled):
		d.heading = widget.NewLabelWithStyle("Export cancelled", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		d.detail = look.Wrapped(sentence(err), widget.MediumImportance)
		closeBtn := widget.NewButton("Close", d.dialog.Hide)
		d.show(container.NewVBox(d.heading, d.detail), widget.NewButton("Back", d.showForm), closeBtn)
	default:
		// Back to the form, with the sentence: the destination is what
		// usually needs changing.
		look.SetLabel(d.problem, sentence(err), widget.DangerImportance)
		d.showForm()
	}
}

// Import is the open import dialog.
type Import struct {
	h Host
	exchangeStage

	path    *widget.Entry // the file to import; "Choose file…" fills it
	from    *widget.Select
	problem *widget.Label
	form    fyne.CanvasObject

	prog   *progressView
	cancel context.CancelFunc // stops the running import; nil when none runs

	heading, detail *widget.Label // the summary
	skipped         []storetransfer.Skip
	skipList        *widget.List

	// OnProgress, when set (tests), is called on the importing goroutine
	// each time the import reports progress, after it is handed to the UI.
	OnProgress func(done, total int)
}

// OpenImport opens the import dialog: a file, its format, then progress and
// a summary.
func OpenImport(h Host) *Import {
	d := &Import{h: h, exchangeStage: newExchangeStage("Import chats", h)}
	d.path = widget.NewEntry()
	d.path.SetPlaceHolder("conversations.json, or the .zip file ChatGPT or Claude sent")
	fileBtn := widget.NewButtonWithIcon("Choose file…", theme.FolderOpenIcon(), d.chooseFile)
	labels := make([]string, len(importSources))
	for i, s := range importSources {
		labels[i] = s.label
	}
	d.from = widget.NewSelect(labels, nil)
	d.from.SetSelectedIndex(0)
	d.problem = look.Wrapped("", widget.DangerImportance)
	hint := look.Wrapped("Exports of ChatGPT and Claude.ai (conversations.json, or the .zip they come in) and deskchat's own JSON exports. Chats imported before are not imported again.", widget.LowImportance)
	form := widget.NewForm(
		widget.NewFormItem("File", container.NewBorder(nil, nil, nil, fileBtn, d.path)),
		widget.NewFormItem("Format", d.from),
	)
	d.form = container.NewVBox(form, hint, d.problem)
	d.showForm()
	d.dialog.SetOnClosed(func() {
		if d.cancel != nil {
			d.cancel() // closed while importing: stop; what is stored stays
		}
	})
	h.ShowDialog(d.dialog)
	return d
}

func (d *Import) showForm() {
	importBtn := widget.NewButtonWithIcon("Import", theme.DownloadIcon(), d.start)
	importBtn.Importance = widget.HighImportance
	d.show(d.form, widget.NewButton("Cancel", d.dialog.Hide), importBtn)
}

func (d *Import) chooseFile() {
	fd := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		d.path.SetText(r.URI().Path())
		r.Close()
	}, d.h.Window())
	fd.SetFilter(storage.NewExtensionFileFilter([]string{".json", ".zip"}))
	fd.Resize(fyne.NewSize(760, 520))
	d.h.ShowDialog(fd)
}

func (d *Import) source() storetransfer.Source {
	if i := d.from.SelectedIndex(); i > 0 {
		return importSources[i].source
	}
	return storetransfer.Auto
}

// importOutcome is what an import did.
type importOutcome struct {
	rep storetransfer.Report
}

func (d *Import) start() {
	look.SetLabel(d.problem, "", widget.DangerImportance)
	path, why := importSourceFile(d.path.Text)
	if why != "" {
		look.SetLabel(d.problem, why, widget.DangerImportance)
		return
	}
	from := d.source()
	ctx, cancel := context.WithCancel(d.h.Quit()) // quitting stops it too
	d.cancel = cancel
	d.prog = newProgressView("Checking the file…", cancel)
	p, hook := d.prog, d.OnProgress
	d.show(p.content, p.cancelBtn)
	opts := storetransfer.ImportOptions{From: from, Progress: func(done, total int) {
		p.feed.report(d.h.Bridge(), done, total, func(done, total int) { d.showProgress(p, done, total) })
		if hook != nil {
			hook(done, total)
		}
	}}
	d.h.Jobs().Add(1)
	bridge.Run(d.h.Bridge(), func() (importOutcome, error) {
		defer d.h.Jobs().Done()
		rep, err := storetransfer.ImportFile(ctx, d.h.Store(), path, opts) // a conversations.json, or the .zip it came in
		return importOutcome{rep}, err
	}, func(out importOutcome, err error) {
		d.cancel = nil
		cancel()
		d.h.ConversationsChanged() // the sidebar shows what was stored, also before a cancel or a failure
		d.finish(from, out.rep, err)
	})
}

func (d *Import) showProgress(p *progressView, done, total int) {
	if p != d.prog || d.cancel == nil {
		return
	}
	p.bar.Max, p.bar.Value = float64(max(total, 1)), float64(done)
	p.bar.Refresh()
	if p.cancelBtn.Disabled() {
		return
	}
	// The file is read twice: checked, then imported (ImportOptions.Progress).
	if done < total/2 {
		p.status.SetText("Checking the file…")
	} else {
		p.status.SetText("Importing…")
	}
}

func (d *Import) finish(from storetransfer.Source, rep storetransfer.Report, err error) {
	stored := rep.Conversations > 0 || rep.Already > 0
	var heading string
	var lines []string
	switch {
	case err == nil:
		heading = "Import complete"
		if l := readAsLine(rep.Format, from); l != "" {
			lines = append(lines, l)
		}
		lines = append(lines, importReportLines(rep)...)
	case errors.Is(err, context.Canceled):
		heading = "Import cancelled"
		lines = append(lines, sentence(err))
		if rep.Conversations > 0 {
			lines = append(lines, fmt.Sprintf("The %s imported before you cancelled %s kept, with %s; the rest of the file was not imported.",
				format.Count(rep.Conversations, "chat", "chats"), isAre(rep.Conversations), format.Count(rep.Messages, "message", "messages")))
		}
		if rep.Already > 0 {
			lines = append(lines, alreadyHereLine(rep.Already))
		}
	case !stored:
		// Nothing changed: back to the form, where another file can be chosen.
		look.SetLabel(d.problem, sentence(err), widget.DangerImportance)
		d.showForm()
		return
	default:
		heading = "Import stopped"
		lines = append(lines, sentence(err))
		lines = append(lines, fmt.Sprintf("Before that, %s (%s) %s imported.",
			format.Count(rep.Conversations, "chat", "chats"), format.Count(rep.Messages, "message", "messages"), wasWere(rep.Conversations)))
		if rep.Already > 0 {
			lines = append(lines, alreadyHereLine(rep.Already))
		}
	}
	d.heading = widget.NewLabelWithStyle(heading, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	d.detail = look.Wrapped(strings.Join(lines, "\n"), widget.MediumImportance)
	top := container.NewVBox(d.heading, d.detail)
	var content fyne.CanvasObject = top
	d.skipped = rep.Skipped
	if rep.SkippedCount > 0 {
		head := fmt.Sprintf("Skipped %s:", format.Count(rep.SkippedCount, "chat", "chats"))
		if more := rep.SkippedCount - len(rep.Skipped); more > 0 {
			head = fmt.Sprintf("Skipped %s (the first %d are listed):", format.Count(rep.SkippedCount, "chat", "chats"), len(rep.Skipped))
		}
		top.Add(widget.NewLabelWithStyle(head, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		d.skipList = widget.NewList(
			func() int { return len(d.skipped) },
			func() fyne.CanvasObject {
				l := widget.NewLabel("title — reason")
				l.Truncation = fyne.TextTruncateEllipsis
				return l
			},
			func(i widget.ListItemID, o fyne.CanvasObject) {
				s := d.skipped[i]
				o.(*widget.Label).SetText(fmt.Sprintf("“%s” — %s", s.Title, s.Reason))
			})
		content = container.NewBorder(top, nil, nil, nil, d.skipList)
	}
	closeBtn := widget.NewButton("Close", d.dialog.Hide)
	closeBtn.Importance = widget.HighImportance
	d.show(content, closeBtn)
}

// readAsLine says which format the file was read as ("" when none was found:
// an empty list).
func readAsLine(found, asked storetransfer.Source) string {
	if sourceArticle(found) == "" {
		return ""
	}
	if asked == storetransfer.Auto || asked == "" {
		return fmt.Sprintf("Read as %s export (detected automatically).", sourceArticle(found))
	}
	return fmt.Sprintf("Read as %s export.", sourceArticle(found))
}

func sourceArticle(s storetransfer.Source) string {
	switch s {
	case storetransfer.ChatGPT:
		return "a ChatGPT"
	case storetransfer.Claude:
		return "a Claude"
	case storetransfer.Deskchat:
		return "a deskchat"
	}
	return ""
}

// importReportLines are a finished import's counts, one sentence a line.
func importReportLines(rep storetransfer.Report) []string {
	var lines []string
	switch {
	case rep.Conversations > 0:
		lines = append(lines, fmt.Sprintf("Imported %s, %s.", format.Count(rep.Conversations, "chat", "chats"), format.Count(rep.Messages, "message", "messages")))
	case rep.Already == 0 && rep.SkippedCount == 0:
		lines = append(lines, "The file holds no chats; nothing was imported.")
	default:
		lines = append(lines, "No new chats were imported.")
	}
	if rep.Already > 0 {
		lines = append(lines, alreadyHereLine(rep.Already))
	}
	return lines
}

func alreadyHereLine(n int) string {
	if n == 1 {
		return "1 chat was already here (imported before) and was left as it was."
	}
	return fmt.Sprintf("%s chats were already here (imported before) and were left as they were.", format.Number(int64(n)))
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// exportDestination is the export path the user typed, made absolute (a relative
// one is taken from the home folder), or why it cannot be used.
func exportDestination(typed string) (string, string) {
	p := strings.TrimSpace(typed)
	if p == "" {
		return "", "Give the file to export to."
	}
	p = expandUserPath(p)
	if strings.HasSuffix(typed, string(filepath.Separator)) || strings.HasSuffix(typed, "/") {
		return "", fmt.Sprintf("%s is a folder; give the export a file name.", p)
	}
	return p, ""
}

// importSourceFile is the import path the user typed, made absolute, or why it
// cannot be used.
func importSourceFile(typed string) (string, string) {
	p := strings.TrimSpace(typed)
	if p == "" {
		return "", "Choose the file to import."
	}
	return expandUserPath(p), ""
}

func expandUserPath(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, "~"+string(filepath.Separator)) {
		p = filepath.Join(userHome(), p[1:])
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(userHome(), p)
	}
	return filepath.Clean(p)
}

// userHome is the user's home folder (the current folder if there is none).
func userHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return h
	}
	return "."
}

// folderURL is a file:// URL of dir, for OpenURL.
func folderURL(dir string) *url.URL {
	u, err := url.Parse(storage.NewFileURI(dir).String())
	if err != nil {
		return &url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}
	}
	return u
}

// sidebarTitle is a conversation's title as the sidebar shows it.
func sidebarTitle(c store.Conversation) string {
	if c.Title == "" {
		return "New conversation"
	}
	return c.Title
}
