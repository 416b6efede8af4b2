package transfer

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// ImportOptions say how to read a file. The zero value detects the format.
type ImportOptions struct {
	From Source
	// Progress, when set, is called as the import advances with done and
	// total in bytes of work: the file is read twice (checked, then
	// imported), so total is twice its size (unpacked, for a zip). It runs on the importing
	// goroutine.
	Progress func(done, total int)
}

// Skip is a conversation left out of an import, and why.
type Skip struct {
	Title  string
	Reason string // "it has no messages"
}

// maxSkipsKept bounds Report.Skipped.
const maxSkipsKept = 100

// Report says what an import did.
type Report struct {
	Format        Source // the format read
	Conversations int    // conversations imported
	Messages      int    // their messages
	Already       int    // conversations imported before (or already here): left alone
	SkippedCount  int    // conversations that could not be imported
	Skipped       []Skip // the first of them (at most 100)
}

// String is the one-line summary for the user: Imported 12 conversations
// (340 messages); 1 skipped: "Title" — reason; 3 already imported.
func (r Report) String() string {
	if r.Conversations == 0 && r.Already == 0 && r.SkippedCount == 0 {
		return "Nothing to import: the file holds no conversations."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Imported %s (%s)", format.Count(r.Conversations, "conversation", "conversations"), format.Count(r.Messages, "message", "messages"))
	if r.SkippedCount > 0 {
		fmt.Fprintf(&b, "; %d skipped: ", r.SkippedCount)
		const listed = 10
		for i, s := range r.Skipped[:min(listed, len(r.Skipped))] {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "\"%s\" — %s", shorten(oneLine(s.Title), 60), s.Reason)
		}
		if more := r.SkippedCount - min(listed, len(r.Skipped)); more > 0 {
			fmt.Fprintf(&b, " and %d more", more)
		}
	}
	if r.Already > 0 {
		fmt.Fprintf(&b, "; %d already imported", r.Already)
	}
	b.WriteString(".")
	return b.String()
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func (r *Report) skip(title, reason string) {
	r.SkippedCount++
	if len(r.Skipped) < maxSkipsKept {
		r.Skipped = append(r.Skipped, Skip{Title: title, Reason: reason})
	}
}

// maxConversationBytes is the largest conversation Import decodes, not
// counting the attachments a deskchat export embeds; a larger one is
// skipped (and reported), not held in memory.
var maxConversationBytes int64 = 64 << 20

// maxConversationFileBytes bounds a conversation with its attachments
// (base64, "data"): room for a few dozen photos. Decoding one holds about
// 1.75 times the size of its attachments (the JSON and the bytes), far
// less than the seven times its size a conversation's text costs.
var maxConversationFileBytes int64 = 256 << 20

// Batches: conversations are stored together, in one transaction, until
// one of these is reached.
const (
	batchConversations = 256
	batchMessages      = 2000
	batchBytes         = 1 << 20
)

// ImportFile imports the conversations in the file at path (see Import): a
// conversations.json, or a zip archive holding one (as ChatGPT and Claude.ai
// send their exports; see ImportZip), told apart by the file's first bytes
// or its name.
func ImportFile(ctx context.Context, st *store.Store, path string, opts ImportOptions) (Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return Report{Format: opts.From}, openError(path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return Report{Format: opts.From}, &store.Error{Op: "import", Msg: fmt.Sprintf("%s is a folder; give the export file itself (conversations.json).", path), Err: fs.ErrInvalid}
	}
	if isZip(f) || strings.EqualFold(filepath.Ext(path), ".zip") {
		return importZip(ctx, st, f, path, opts)
	}
	// An unpacked ChatGPT export keeps its images beside conversations.json.
	dir := filepath.Dir(path)
	return importReader(ctx, st, f, opts, lazyAssets(func() *gptAssets { return dirAssets(dir) }))
}

// lazyAssets indexes an export's files the first time an image asks for
// them: most imports have none.
func lazyAssets(index func() *gptAssets) func() *gptAssets {
	var g *gptAssets
	return func() *gptAssets {
		if g == nil {
			g = index()
		}
		return g
	}
}

// openError is the error for a file that cannot be opened.
func openError(path string, err error) error {
	msg := fmt.Sprintf("Cannot read %s: %s.", path, reason(err))
	if errors.Is(err, fs.ErrNotExist) {
		msg = fmt.Sprintf("There is no file %s.", path)
	}
	return &store.Error{Op: "import", Msg: msg, Err: err}
}

// Import adds the conversations in r to st: deskchat's own JSON export, a
// ChatGPT or a Claude.ai conversations.json (opts.From, or detected).
//
// It reads the file twice (a reader that cannot seek, like a pipe, is first
// copied to a temporary file). The first pass checks the whole file: one that is not
// JSON, is cut short, or is not an export imports nothing, and the error's
// sentence says why. The second decodes one conversation at a time and
// stores them in batches: memory is bounded by the largest conversation,
// whatever the file's size or its whitespace. A
// conversation that cannot be imported (wrong shape, no messages, larger
// than 64 MB) is skipped and listed in the Report; a conversation imported
// before (same source id) is counted as already imported and left alone,
// so importing a file twice adds nothing (and writes nothing). When ctx is cancelled the batches
// stored so far stay; importing the file again adds the rest.
func Import(ctx context.Context, st *store.Store, file io.Reader, opts ImportOptions) (Report, error) {
	return importReader(ctx, st, file, opts, nil)
}

// importReader is Import; assets, when set, finds a ChatGPT export's images.
func importReader(ctx context.Context, st *store.Store, file io.Reader, opts ImportOptions, assets func() *gptAssets) (Report, error) {
	fail := func(msg string, err error) (Report, error) {
		return Report{Format: opts.From}, &store.Error{Op: "import", Msg: msg, Err: err}
	}
	r, ok := file.(io.ReadSeeker)
	start, err := int64(0), errors.ErrUnsupported
	if ok {
		start, err = r.Seek(0, io.SeekCurrent)
	}
	if err != nil { // a pipe: keep a copy to read twice
		tmp, serr := spool(ctx, file)
		if serr != nil {
			if ctx.Err() != nil {
				return fail("Stopped; nothing was imported.", ctx.Err())
			}
			return fail(fmt.Sprintf("Cannot keep a copy of the file to import: %s; nothing was imported.", reason(serr)), serr)
		}
		defer func() {
			tmp.Close()
			os.Remove(tmp.Name())
		}()
		r, start, err = tmp, 0, nil
	}
	var end int64
	if err == nil {
		end, err = r.Seek(0, io.SeekEnd) // each pass seeks back to start
	}
	if err != nil {
		return fail("Cannot read the file.", err)
	}
	if ra, ok := r.(io.ReaderAt); ok && isZipAt(ra, start) {
		return fail("This is a zip archive: give its path (deskchat import FILE.zip) rather than its content.", ErrNotExport)
	}
	in := input{size: end - start, assets: assets, open: func() (io.ReadCloser, error) {
		_, err := r.Seek(start, io.SeekStart)
		return io.NopCloser(r), err
	}}
	return importInput(ctx, st, in, opts)
}

// input is what an import reads, twice.
type input struct {
	open func() (io.ReadCloser, error) // the content from its start
	size int64
	// unreadable, when set, is the sentence for content that cannot be
	// read (a damaged zip entry).
	unreadable func(err error) string
	// assets, when set, finds a ChatGPT export's images (gptassets.go).
	assets func() *gptAssets
}

// importInput is Import's two passes over in.
func importInput(ctx context.Context, st *store.Store, in input, opts ImportOptions) (Report, error) {
	rep := Report{Format: opts.From}
	if rep.Format == "" {
		rep.Format = Auto
	}
	fail := func(msg string, err error) (Report, error) {
		return rep, &store.Error{Op: "import", Msg: msg, Err: err}
	}
	total := int(2 * in.size)
	progress := func(done int64) {
		if opts.Progress != nil {
			opts.Progress(min(int(done), total), total)
		}
	}

	// Pass 1: check, and learn the shape.
	r, err := in.open()
	if err != nil && in.unreadable != nil { // an unknown compression method, say
		return fail(in.unreadable(err), fmt.Errorf("%w: %w", ErrDamaged, err))
	}
	if err != nil {
		return fail("Cannot read the file.", err)
	}
	sh, err := scanShape(ctxReader{ctx, r}, maxConversationBytes, progress)
	r.Close()
	var se *syntaxError
	switch {
	case ctx.Err() != nil:
		return fail("Stopped; nothing was imported.", ctx.Err())
	case errors.Is(err, errEmpty):
		return fail("The file is empty; nothing was imported.", fmt.Errorf("%w: %w", ErrDamaged, err))
	case errors.As(err, &se):
		return fail(fmt.Sprintf("This file is damaged or incomplete (%s at line %d); nothing was imported.", se.Msg, se.Line), fmt.Errorf("%w: %w", ErrDamaged, err))
	case err != nil && in.unreadable != nil:
		return fail(in.unreadable(err), fmt.Errorf("%w: %w", ErrDamaged, err))
	case err != nil:
		return fail(fmt.Sprintf("Cannot read the file: %s; nothing was imported.", reason(err)), err)
	}
	src, lay, err := detect(sh, rep.Format)
	if err != nil {
		return rep, err
	}
	rep.Format = src
	if lay == layoutSingle && sh.whole.size > maxConversationBytes {
		sh.big[0] = sh.whole.size
		sh.blank = append(sh.blank, sh.whole)
	}

	// Pass 2: decode and store.
	if r, err = in.open(); err != nil {
		return fail("Cannot read the file again.", err)
	}
	defer r.Close()
	br := bufio.NewReaderSize(ctxReader{ctx, r}, 64<<10)
	var bom int64
	if b, err := br.Peek(3); err == nil && string(b) == "\xEF\xBB\xBF" {
		br.Discard(3)
		bom = 3
	}
	cr := newCompactReader(br, bom, sh.blank)
	imp := &importer{ctx: ctx, st: st, rep: &rep, shape: &sh, src: src, dec: json.NewDecoder(cr), now: time.Now().UTC(), assets: in.assets}
	imp.progress = func() { progress(in.size + cr.Offset()) }
	err = imp.run(lay)
	if err == nil {
		err = imp.flush()
	}
	switch {
	case err == nil:
		progress(2 * in.size)
		return rep, nil
	case ctx.Err() != nil:
		if rep.Conversations+rep.Already == 0 {
			return fail("Stopped; nothing was imported.", ctx.Err())
		}
		return fail(fmt.Sprintf("Stopped after importing %s; import the file again to add the rest.", format.Count(rep.Conversations, "conversation", "conversations")), ctx.Err())
	}
	var storeErr *store.Error
	if errors.As(err, &storeErr) {
		return rep, err
	}
	return fail(fmt.Sprintf("The import stopped: the file could not be read (%s). Conversations imported before that: %d; import the file again to add the rest.", reason(err), rep.Conversations), err)
}

// spool copies r into a temporary file and returns it, at its start.
func spool(ctx context.Context, r io.Reader) (*os.File, error) {
	f, err := os.CreateTemp("", "deskchat-import-*.json")
	if err != nil {
		return nil, err
	}
	if _, err = io.Copy(f, ctxReader{ctx, r}); err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// ctxReader stops reading once ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		err = readError{err}
	}
	return n, err
}

// readError marks a failure to read the file, as opposed to its content.
type readError struct{ err error }

func (e readError) Error() string { return "read: " + e.err.Error() }
func (e readError) Unwrap() error { return e.err }

// layout is how the conversations sit in the file.
type layout int

const (
	layoutList     layout = iota // [conv, conv, …]
	layoutEnvelope               // {"format":"deskchat",…,"conversations":[…]}
	layoutSingle                 // one conversation object
)

const errNotExportMsg = "This file is not a ChatGPT, Claude or deskchat export: expected a JSON array of conversations."

// detect decides the file's format from its shape, and checks it against
// the one asked for.
func detect(sh shape, from Source) (Source, layout, error) {
	notExport := func(detail string) (Source, layout, error) {
		return "", 0, &store.Error{Op: "import", Msg: errNotExportMsg, Err: fmt.Errorf("%w: %s", ErrNotExport, detail)}
	}
	var (
		found Source
		lay   layout
	)
	switch sh.top {
	case '[':
		lay = layoutList
		if sh.elems == 0 {
			return from, lay, nil // nothing to import, whatever it is
		}
		if sh.firstKind != '{' {
			return notExport("the list holds something other than conversations")
		}
		found = detectKeys(sh.first)
	case '{':
		if has(sh.keys, "format") {
			if sh.format != "deskchat" {
				return "", 0, &store.Error{Op: "import", Msg: fmt.Sprintf("This file is a %q export, which deskchat cannot import; it imports its own, ChatGPT and Claude exports.", shorten(sh.format, 40)), Err: ErrNotExport}
			}
			v, err := strconv.Atoi(sh.version)
			if err != nil || v < 1 {
				return notExport("a deskchat export without a valid version")
			}
			if v > Version {
				return "", 0, &store.Error{Op: "import", Msg: fmt.Sprintf("This file was exported by a newer deskchat (format version %d); update deskchat to import it.", v), Err: ErrNotExport}
			}
			if has(sh.keys, "conversations") && sh.listKind != '[' {
				return notExport("its conversations are not a list")
			}
			found, lay = Deskchat, layoutEnvelope
			break
		}
		found, lay = detectKeys(sh.keys), layoutSingle
	default:
		return notExport("not an array or an object")
	}
	if found == "" && from != Auto && from != "" && lay != layoutEnvelope {
		found = from // as the user says; each conversation is checked as it is read
	}
	if found == "" {
		return notExport("no conversation fields found")
	}
	if from != Auto && from != "" && from != found {
		return "", 0, &store.Error{Op: "import", Msg: fmt.Sprintf("This file is a %s export, not a %s one; nothing was imported.", found.label(), from.label()), Err: ErrNotExport}
	}
	return found, lay, nil
}

func has(keys []string, k string) bool {
	for _, key := range keys {
		if key == k {
			return true
		}
	}
	return false
}

// detectKeys tells a conversation's format by its keys.
func detectKeys(keys []string) Source {
	switch {
	case has(keys, "mapping") || has(keys, "current_node"):
		return ChatGPT
	case has(keys, "chat_messages") || has(keys, "uuid"):
		return Claude
	}
	return ""
}

// element is one conversation as decoded from a file.
type element interface {
	title() string
	// convert returns what to store, or why the conversation is skipped.
	convert(now time.Time) (store.Import, error)
}

func (im *importer) newElement() element {
	switch im.src {
	case ChatGPT:
		return &gptConversation{assets: im.assets}
	case Claude:
		return new(claudeConversation)
	}
	return new(fileConversation)
}

type importer struct {
	ctx      context.Context
	st       *store.Store
	rep      *Report
	shape    *shape
	src      Source
	dec      *json.Decoder
	now      time.Time
	progress func()
	elems    int               // conversations read so far
	assets   func() *gptAssets // a ChatGPT export's images; nil: none

	batch         []store.Import
	batchMessages int
	batchBytes    int
}

func (im *importer) run(lay layout) error {
	switch lay {
	case layoutSingle:
		return im.element(0)
	case layoutList:
		return im.list()
	}
	if err := im.delim('{'); err != nil {
		return err
	}
	for im.dec.More() {
		key, err := im.dec.Token()
		if err != nil {
			return err
		}
		if key == "conversations" {
			if err := im.list(); err != nil {
				return err
			}
			continue
		}
		if err := skipValue(im.dec); err != nil {
			return err
		}
	}
	return im.delim('}')
}

func (im *importer) delim(want json.Delim) error {
	tok, err := im.dec.Token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("%w: expected %v, found %v", ErrDamaged, want, tok)
	}
	return nil
}

// list reads an array of conversations.
func (im *importer) list() error {
	if err := im.delim('['); err != nil {
		return err
	}
	for im.dec.More() {
		if err := im.element(im.elems); err != nil {
			return err
		}
		im.elems++ // counted across lists, as the first pass counts them
	}
	return im.delim(']')
}

// element reads conversation number i and adds it to the batch, or to the
// report's skipped ones. Only a failure of the file or the store is
// returned.
func (im *importer) element(i int) error {
	if err := im.ctx.Err(); err != nil {
		return err
	}
	defer im.progress()
	if size, big := im.shape.big[i]; big {
		if err := skipValue(im.dec); err != nil {
			return err
		}
		limit := fmt.Sprintf("the limit is %d MB", maxConversationBytes>>20)
		if size > maxConversationFileBytes {
			limit = fmt.Sprintf("the limit is %d MB with its attachments", maxConversationFileBytes>>20)
		}
		im.rep.skip(fmt.Sprintf("conversation %d", i+1), fmt.Sprintf("it is too large to import (%d MB; %s)", size>>20, limit))
		return nil
	}
	el := im.newElement()
	if err := im.dec.Decode(el); err != nil {
		if fatal(err) {
			return err
		}
		im.rep.skip(titleOr(el.title(), i), decodeReason(err))
		return nil
	}
	imp, err := el.convert(im.now)
	if err == nil {
		err = imp.Check()
	}
	if err != nil {
		im.rep.skip(titleOr(el.title(), i), err.Error())
		return nil
	}
	im.batch = append(im.batch, imp)
	im.batchMessages += len(imp.Messages)
	for _, m := range imp.Messages {
		im.batchBytes += len(m.Content) + len(m.Reasoning) + 200
		for _, a := range m.Attachments {
			im.batchBytes += len(a.Data) + len(a.Text)
		}
	}
	if len(im.batch) >= batchConversations || im.batchMessages >= batchMessages || im.batchBytes >= batchBytes {
		return im.flush()
	}
	return nil
}

// flush stores the batch in one transaction.
func (im *importer) flush() error {
	if len(im.batch) == 0 {
		return nil
	}
	res, err := im.st.ImportConversations(im.batch)
	if err != nil {
		return err
	}
	for i, r := range res {
		if r.Existed {
			im.rep.Already++
			continue
		}
		im.rep.Conversations++
		im.rep.Messages += len(im.batch[i].Messages)
	}
	clear(im.batch) // let the messages go
	im.batch, im.batchMessages, im.batchBytes = im.batch[:0], 0, 0
	return nil
}

func titleOr(title string, i int) string {
	if t := oneLine(title); t != "" {
		return t
	}
	return fmt.Sprintf("conversation %d", i+1)
}

// fatal reports whether a Decode error is the file's (or the reader's)
// rather than one conversation's: the stream cannot go on after it.
func fatal(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, new(readError))
}

// decodeReason is why a conversation that is JSON but not the expected
// shape is skipped.
func decodeReason(err error) string {
	var te *json.UnmarshalTypeError
	var pe *time.ParseError
	var be base64.CorruptInputError
	switch {
	case errors.As(err, &be):
		return "an attachment in it is damaged (its data is not valid base64)"
	case errors.As(err, &te) && te.Field == "":
		return fmt.Sprintf("it is %s, not a conversation", article(te.Value))
	case errors.As(err, &te):
		return fmt.Sprintf("its %q is %s where %s was expected", te.Field, article(te.Value), kindWord(te.Type.Kind().String()))
	case errors.As(err, &pe):
		return fmt.Sprintf("a date in it (%q) is not a valid time", shorten(pe.Value, 40))
	}
	return "it is not in the expected form"
}

func article(v string) string {
	switch v {
	case "array":
		return "a list"
	case "object":
		return "an object"
	case "bool":
		return "true or false"
	}
	if strings.HasPrefix(v, "number") {
		return "a number"
	}
	return "a " + v
}

func kindWord(kind string) string {
	switch kind {
	case "string":
		return "text"
	case "slice", "array":
		return "a list"
	case "struct", "map", "ptr":
		return "an object"
	case "bool":
		return "true or false"
	}
	return "a number"
}

// skipValue reads past one value token by token, holding no more than one
// string or number of it in memory.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}
