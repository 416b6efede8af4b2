package transfer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/internal/oserr"
	"github.com/deskchat/deskchat/store"
)

// ExportOptions say what to export and how. The zero value exports every
// conversation as JSON.
type ExportOptions struct {
	Format Format
	// Conversations are the ids to export, in this order; none means all,
	// most recently updated first.
	Conversations []string
	// Progress, when set, is called with the number of conversations
	// written so far and the number to write: once with done = 0 before
	// the first, then after each. It runs on the exporting goroutine.
	Progress func(done, total int)
	// Time is written as the time of the export; zero means now.
	Time time.Time
	// AllBranches makes Markdown and HTML show every branch of a
	// conversation, after its active path; without it they show the active
	// path only. JSON always holds every message.
	AllBranches bool
}

// ExportResult counts what an export wrote.
type ExportResult struct {
	// Messages counts those written: in Markdown and HTML without
	// AllBranches, those of the active paths.
	Conversations, Messages int
	// Skipped are the conversations left out because the history file
	// is damaged where they are stored; the rest is exported.
	Skipped []Skipped
	// Rescued are the conversations whose records were lost with a
	// damaged list: their messages are exported, under a title beginning
	// "Recovered:" (as `deskchat recover` saves them).
	Rescued []Skipped
}

// Skipped names a conversation an export could not read.
type Skipped struct{ ID, Title string }

// SkippedSentence says which conversations an export left out or could
// only rescue, or "" when the history was read whole.
func (r ExportResult) SkippedSentence() string {
	var out []string
	if len(r.Skipped) > 0 {
		out = append(out, fmt.Sprintf("The history file is damaged: %s could not be read and %s left out of the export (%s); run `deskchat check` and `deskchat recover`.",
			format.Count(len(r.Skipped), "conversation", "conversations"), map[bool]string{true: "was", false: "were"}[len(r.Skipped) == 1], names(r.Skipped)))
	}
	if len(r.Rescued) > 0 {
		out = append(out, fmt.Sprintf("The history file is damaged where the list of conversations is kept: %s lost %s title and settings, and %s messages are in the export under a title beginning \"Recovered:\" (%s); run `deskchat check` and `deskchat recover`.",
			format.Count(len(r.Rescued), "conversation", "conversations"), map[bool]string{true: "its", false: "their"}[len(r.Rescued) == 1],
			map[bool]string{true: "its", false: "their"}[len(r.Rescued) == 1], names(r.Rescued)))
	}
	return strings.Join(out, " ")
}

// names lists conversations for a sentence: at most 10, by id and title.
func names(list []Skipped) string {
	out := make([]string, 0, min(len(list), 11))
	for i, s := range list {
		if i == 10 {
			out = append(out, fmt.Sprintf("and %d more", len(list)-10))
			break
		}
		if s.Title != "" {
			out = append(out, fmt.Sprintf("%s %q", s.ID, s.Title))
		} else {
			out = append(out, s.ID)
		}
	}
	return strings.Join(out, ", ")
}

// Export writes the conversations to w as it reads them. When it fails or
// ctx is cancelled, w has received part of the export: use ExportFile to
// write a file all or nothing.
func Export(ctx context.Context, st *store.Store, w io.Writer, opts ExportOptions) (ExportResult, error) {
	if _, err := newDocument(opts.Format, nil, time.Time{}, nil, nil); err != nil {
		return ExportResult{}, err
	}
	list, err := selection(st, opts.Conversations)
	if err != nil {
		return ExportResult{}, err
	}
	res, err := export(ctx, st, w, opts, list, nil)
	var we writeError
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return res, &store.Error{Op: "export", Msg: "Stopped; the export is incomplete.", Err: err}
	case errors.As(err, &we):
		return res, &store.Error{Op: "export", Msg: fmt.Sprintf("The export could not be written: %s.", reason(we.err)), Err: we.err}
	}
	return res, err
}

// ExportFile writes the export to path atomically: into a temporary file in
// the same folder, synced to disk, then renamed over path. When it fails or
// ctx is cancelled, nothing is left behind and a file already at path is
// untouched. The file is readable by its owner only (exports are private).
// Markdown puts the attachments in a folder named attachments beside the
// file (see attachDir), removed again when the export fails.
func ExportFile(ctx context.Context, st *store.Store, path string, opts ExportOptions) (ExportResult, error) {
	return exportFile(ctx, st, path, opts, nil)
}

// exportFile is ExportFile; tests pass wrap to put a failing writer (a full
// disk) between the export and the file.
func exportFile(ctx context.Context, st *store.Store, path string, opts ExportOptions, wrap func(io.Writer) io.Writer) (ExportResult, error) {
	if _, err := newDocument(opts.Format, nil, time.Time{}, nil, nil); err != nil {
		return ExportResult{}, err
	}
	list, err := selection(st, opts.Conversations)
	if err != nil {
		return ExportResult{}, err
	}
	path = filepath.Clean(path)
	dir := filepath.Dir(path)
	existed := false
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return ExportResult{}, &store.Error{Op: "export", Msg: fmt.Sprintf("%s is a folder; give the export a file name.", path), Err: fs.ErrExist}
		}
		existed = true
	}
	fail := func(what string, err error) error {
		left := "nothing was exported"
		if existed {
			left = "the file already there was left as it was"
		}
		return &store.Error{Op: "export", Msg: fmt.Sprintf("%s; %s.", what, left), Err: err}
	}
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return ExportResult{}, fail(fmt.Sprintf("The folder %s does not exist", dir), err)
	case err != nil:
		return ExportResult{}, fail(fmt.Sprintf("Cannot open the folder %s: %s", dir, reason(err)), err)
	case !fi.IsDir():
		return ExportResult{}, fail(fmt.Sprintf("%s is not a folder", dir), syscall.ENOTDIR)
	}

	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return ExportResult{}, fail(fmt.Sprintf("Cannot write in the folder %s: %s", dir, reason(err)), err)
	}
	tmp, kept := f.Name(), false
	var files *attachDir
	if opts.Format == Markdown {
		files = newAttachDir(dir)
	}
	defer func() {
		if !kept {
			f.Close()
			os.Remove(tmp)
		}
		if files != nil {
			files.finish(kept)
		}
	}()
	var w io.Writer = f
	if wrap != nil {
		w = wrap(f)
	}
	res, err := export(ctx, st, w, opts, list, files)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	var we writeError
	var ae attachError
	switch {
	case err == nil:
		kept = true
		syncDir(dir)
		return res, nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return res, fail("Stopped", err)
	case errors.As(err, &we):
		err = we.err
	case errors.As(err, &ae):
		return res, fail(ae.what, ae.err)
	}
	var se *store.Error
	if errors.As(err, &se) {
		return res, err
	}
	return res, fail(fmt.Sprintf("Cannot write %s: %s", path, reason(err)), err)
}

// syncDir makes a rename durable. Best effort: not every system can sync a
// folder, and the export itself is complete either way.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// reason is the short phrase for an OS error: a known one's, else "the
// system refused" (an export's sentence never quotes the system's own
// words).
func reason(err error) string {
	if s, ok := oserr.Known(err); ok {
		return s
	}
	return "the system refused"
}

// picked is what an export is to write: the conversations; those whose
// records were lost with a damaged list, to be read page by page
// (store.Rescue) after the others; and those known to be left out.
type picked struct {
	list    []store.Conversation
	rescued []store.Conversation // made from their messages: "Recovered: …"
	lost    []Skipped            // nothing of them can be read
}

// selection returns the conversations to export, checking that every id
// asked for exists before anything is written.
func selection(st *store.Store, ids []string) (picked, error) {
	if len(ids) == 0 {
		list, err := st.Conversations()
		if !store.IsDamaged(err) {
			return picked{list: list}, err
		}
		// The list itself is damaged: export what the page walk can
		// still read (Dump skips what it cannot), then the messages of
		// the conversations whose records went with the damaged pages.
		list, unreadable, err := st.ReadableConversations()
		if err != nil {
			return picked{}, err
		}
		p := picked{list: list}
		found := map[string]bool{}
		err = st.Rescue(unreadable, func(d store.Dump) error {
			p.rescued = append(p.rescued, d.Conversation)
			found[d.Conversation.ID] = true
			return nil
		})
		for _, id := range unreadable {
			if !found[id] {
				p.lost = append(p.lost, Skipped{ID: id})
			}
		}
		return p, err
	}
	seen := make(map[string]bool, len(ids))
	list := make([]store.Conversation, 0, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		c, err := st.Conversation(id)
		if errors.Is(err, store.ErrNotFound) {
			return picked{}, &store.Error{Op: "export", Msg: fmt.Sprintf("There is no conversation %q; nothing was exported.", id), Err: err}
		}
		if err != nil {
			return picked{}, err
		}
		list = append(list, c)
	}
	return picked{list: list}, nil
}

// writeError marks a failure of the destination, as opposed to the store.
type writeError struct{ err error }

func (e writeError) Error() string { return "write export: " + e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// out is a buffered writer whose first error sticks, so that document
// writers can write without checking each call; the export checks err
// after every conversation.
type out struct {
	w   *bufio.Writer
	err error
}

func (o *out) WriteString(s string) {
	if o.err == nil {
		_, o.err = o.w.WriteString(s)
	}
}

func (o *out) Write(p []byte) {
	if o.err == nil {
		_, o.err = o.w.Write(p)
	}
}

func (o *out) Printf(format string, a ...any) {
	if o.err == nil {
		_, o.err = fmt.Fprintf(o.w, format, a...)
	}
}

// document is one export format.
type document interface {
	begin(list []store.Conversation)
	// conversation writes one conversation (with all, every branch of it)
	// and returns how many of its messages it wrote.
	conversation(d store.Dump, all bool) int
	end()
}

// newDocument returns the writer of format f. blobs loads attachments;
// files, for Markdown written to a file, is the attachments/ folder beside
// it (nil: attachments are named, not written).
func newDocument(f Format, o *out, at time.Time, blobs *blobReader, files *attachDir) (document, error) {
	switch f {
	case "", JSON:
		return &jsonDoc{o: o, at: at, blobs: blobs}, nil
	case Markdown:
		return &markdownDoc{o: o, blobs: blobs, files: files}, nil
	case HTML:
		return &htmlDoc{o: o, at: at, blobs: blobs}, nil
	}
	return nil, &store.Error{Op: "export", Msg: fmt.Sprintf("%q is not an export format; use json, md or html.", f), Err: errors.ErrUnsupported}
}

func export(ctx context.Context, st *store.Store, w io.Writer, opts ExportOptions, sel picked, files *attachDir) (ExportResult, error) {
	res := ExportResult{Skipped: sel.lost}
	list := sel.list
	at := opts.Time
	if at.IsZero() {
		at = time.Now()
	}
	o := &out{w: bufio.NewWriterSize(w, 64<<10)}
	blobs := &blobReader{st: st}
	doc, err := newDocument(opts.Format, o, at.UTC(), blobs, files)
	if err != nil {
		return res, err
	}
	progress := opts.Progress
	if progress == nil {
		progress = func(int, int) {}
	}
	total := len(list) + len(sel.rescued)
	progress(0, total)
	doc.begin(append(list[:len(list):len(list)], sel.rescued...))
	// write writes one conversation; its error stops the export.
	write := func(d store.Dump) error {
		written := doc.conversation(d, opts.AllBranches)
		switch {
		case o.err != nil:
			return writeError{o.err}
		case blobs.err != nil:
			return blobs.err
		case files != nil && files.err != nil:
			return files.err
		}
		res.Conversations++
		res.Messages += written
		return nil
	}
	for i, c := range list {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		d, err := st.Dump(c.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the list was read
		}
		if store.IsDamaged(err) {
			// One damaged conversation must not cost the others.
			res.Skipped = append(res.Skipped, Skipped{ID: c.ID, Title: c.Title})
			progress(i+1, total)
			continue
		}
		if err != nil {
			return res, err
		}
		if err := write(d); err != nil {
			return res, err
		}
		progress(i+1, total)
	}
	if len(sel.rescued) > 0 {
		ids := make([]string, len(sel.rescued))
		for i, c := range sel.rescued {
			ids[i] = c.ID
		}
		err := st.Rescue(ids, func(d store.Dump) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := write(d); err != nil {
				return err
			}
			// By id alone: the made title only repeats the first question.
			res.Rescued = append(res.Rescued, Skipped{ID: d.Conversation.ID})
			progress(len(list)+len(res.Rescued), total)
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	doc.end()
	if o.err == nil {
		o.err = o.w.Flush()
	}
	if o.err != nil {
		return res, writeError{o.err}
	}
	return res, ctx.Err()
}
