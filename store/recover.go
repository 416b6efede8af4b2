package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/internal/oserr"
	"github.com/deskchat/deskchat/store/search"

	bolt "go.etcd.io/bbolt"
)

// RecoverReport says what Recover saved and lost.
type RecoverReport struct {
	Path   string // the history file, recovered
	KeptAs string // the damaged file, kept beside it
	// Saved counts the conversations saved, Partial those of them saved
	// in part, Lost those that could not be read at all.
	Saved, Partial, Lost int
	// MessagesSaved counts the messages saved; MessagesLost those met but
	// unreadable, and PagesLost the pages that could not be read at all
	// (what they held is not known).
	MessagesSaved, MessagesLost, PagesLost int
	// LostNames and PartialNames name the conversations (id and title
	// when readable).
	LostNames, PartialNames []string
}

// Sentence is the report for a user.
func (r RecoverReport) Sentence() string {
	saved := fmt.Sprintf("saved %s and %s", format.Count(r.Saved, "conversation", "conversations"), format.Count(r.MessagesSaved, "message", "messages"))
	if r.Partial > 0 {
		saved = fmt.Sprintf("saved %s (%d of them in part) and %s", format.Count(r.Saved, "conversation", "conversations"), r.Partial, format.Count(r.MessagesSaved, "message", "messages"))
	}
	var lost []string
	if r.Lost > 0 {
		lost = append(lost, format.Count(r.Lost, "conversation", "conversations"))
	}
	if r.MessagesLost > 0 {
		lost = append(lost, format.Count(r.MessagesLost, "unreadable message", "unreadable messages"))
	}
	if r.PagesLost > 0 {
		lost = append(lost, fmt.Sprintf("what %s held", format.Count(r.PagesLost, "unreadable page", "unreadable pages")))
	}
	lostText := "nothing was lost"
	if len(lost) > 0 {
		lostText = "lost " + strings.Join(lost, ", ")
	}
	return fmt.Sprintf("Recovered %s: %s; %s. The damaged file is kept as %s.", r.Path, saved, lostText, filepath.Base(r.KeptAs))
}

// recoverBatch bounds the conversations written per transaction.
const recoverBatch = 128

// Recover saves every conversation that can still be read from the history
// file in dir (damaged or not) into a new history file, with the providers,
// settings, usage ledger and import records that can be read; the search
// index is rebuilt and the response cache starts empty. The new file is
// written under a temporary name, synced, and renamed into place; the old
// one is kept beside it as deskchat.db.damaged-<time>. It reads the old
// file page by page (pagewalk.go), never through bbolt, so no damage can
// stop it; on failure nothing changed.
func Recover(dir string, now time.Time) (RecoverReport, error) {
	path := filepath.Join(dir, FileName)
	rep := RecoverReport{Path: path}
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return rep, &Error{Op: "recover", Msg: fmt.Sprintf("There is no history file in %s: nothing to recover.", dir), Err: ErrNoHistory}
	}
	if err == nil && fi.IsDir() {
		err = errors.New("a folder")
	}
	if err != nil {
		return rep, &Error{Op: "recover", Msg: fmt.Sprintf("Cannot read the history file %s: %s.", path, oserr.Reason(err)), Err: err}
	}
	_, release, err := lockShared(path)
	if err != nil {
		return rep, err
	}
	defer release()
	stamp := now.Format("20060102-150405")
	tmp := path + ".recover-" + stamp + ".tmp"
	if err := rescue(path, tmp, &rep); err != nil {
		os.Remove(tmp)
		return rep, err
	}
	// The damaged file gets its second name before the recovered one
	// takes the first: a kill in between leaves it in place, never a
	// folder without a history (which the next start would fill with a
	// new, empty one).
	if rep.KeptAs, err = keepAside(path, path+".damaged-"+stamp); err != nil {
		if rep.KeptAs != "" {
			os.Remove(rep.KeptAs)
			rep.KeptAs = ""
		}
		os.Remove(tmp)
		return rep, &Error{Op: "recover", Msg: fmt.Sprintf("Cannot keep the damaged file aside (%s); nothing was changed.", oserr.Reason(err)), Err: err}
	}
	beforeReplace(path)
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(rep.KeptAs) // the damaged file is still at path
		os.Remove(tmp)
		return rep, &Error{Op: "recover", Msg: fmt.Sprintf("Cannot put the recovered history in place (%s); nothing was changed.", oserr.Reason(err)), Err: err}
	}
	syncDir(dir) // best effort: not every system can sync a folder
	return rep, nil
}

// beforeReplace runs just before the recovered history is renamed over
// the damaged one: tests look at the folder there, where a kill would
// leave it.
var beforeReplace = func(path string) {}

// rescue writes what can be read of the file at path into a new history
// at tmp, counting into rep.
func rescue(path, tmp string, rep *RecoverReport) error {
	f, err := os.Open(path)
	if err != nil {
		return &Error{Op: "recover", Msg: fmt.Sprintf("Cannot read the history file %s: %s.", path, oserr.Reason(err)), Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return &Error{Op: "recover", Msg: fmt.Sprintf("Cannot read the history file %s: %s.", path, oserr.Reason(err)), Err: err}
	}
	os.Remove(tmp) // left by a recover that was killed
	dst, err := openPath(tmp, search.Config{})
	if err != nil {
		return err
	}
	if err := fill(dst, f, fi.Size(), rep); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return &Error{Op: "recover", Msg: "The recovered history could not be written; nothing was changed.", Err: err}
	}
	return syncFile(tmp)
}

// fill copies what the salvage reads into dst.
func fill(dst *Store, f *os.File, size int64, rep *RecoverReport) error {
	sv, ok := readSalvage(f, size)
	if !ok {
		return nil // nothing readable: a new, empty history
	}
	var batch []Import
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := importSalvaged(dst, batch, rep)
		batch = batch[:0]
		return err
	}
	for _, id := range sv.order {
		r, ok := sv.conversation(id)
		rep.MessagesLost += r.unreadable
		if !ok || !validID(id) {
			rep.Lost++
			rep.LostNames = append(rep.LostNames, sv.label(id))
			continue
		}
		if !r.whole {
			rep.Partial++
			rep.PartialNames = append(rep.PartialNames, sv.label(id))
		}
		batch = append(batch, Import{Dump: r.Dump})
		if len(batch) == recoverBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := copyRaw(dst, sv); err != nil {
		return err
	}
	sv.walkRest() // counts the pages lost elsewhere
	rep.PagesLost = len(sv.w.problems)
	return nil
}

// importSalvaged stores a batch; when the batch fails, one conversation at
// a time, so that one bad conversation loses only itself.
func importSalvaged(dst *Store, batch []Import, rep *RecoverReport) error {
	for i := range batch {
		batch[i].Messages = dedupe(batch[i].Messages)
	}
	if _, err := dst.ImportConversations(batch); err == nil {
		for _, im := range batch {
			rep.Saved++
			rep.MessagesSaved += len(im.Messages)
		}
		return nil
	} else if IsDamaged(err) {
		return err
	}
	for _, im := range batch {
		if _, err := dst.ImportConversations([]Import{im}); err != nil {
			if IsDamaged(err) {
				return err
			}
			rep.Lost++
			rep.LostNames = append(rep.LostNames, im.Conversation.ID)
			rep.MessagesLost += len(im.Messages)
			continue
		}
		rep.Saved++
		rep.MessagesSaved += len(im.Messages)
	}
	return nil
}

// dedupe drops messages whose sequence repeats (sorted input).
func dedupe(ms []Message) []Message {
	out := ms[:0]
	for i, m := range ms {
		if i > 0 && m.Seq == ms[i-1].Seq {
			continue
		}
		out = append(out, m)
	}
	return out
}

// rawChunk bounds the bytes of raw records one of copyRaw's transactions
// holds: bbolt keeps a transaction's records in memory until it commits.
const rawChunk = 8 << 20

// copyRaw stores the providers, settings, usage ledger, import records,
// attachments and batch runs as it reads them, in transactions of at most
// rawChunk bytes, so that a recover's memory does not grow with the
// attachments; providers that do not decode are left out.
func copyRaw(dst *Store, sv *salvage) error {
	type record struct {
		bucket string
		k, v   []byte
	}
	var (
		pending []record
		size    int
		err     error
	)
	flush := func() error {
		err := dst.update(func(tx *bolt.Tx) error {
			for _, r := range pending {
				b, err := tx.CreateBucketIfNotExists([]byte(r.bucket))
				if err != nil {
					return err
				}
				if err := b.Put(r.k, r.v); err != nil {
					return err
				}
			}
			return nil
		})
		pending, size = pending[:0], 0
		return err
	}
	sv.walkRaw(func(name string, k, v []byte) {
		if err != nil || len(k) == 0 || len(k) > bolt.MaxKeySize {
			return
		}
		if name == string(bucketProviders) {
			var p Provider
			if json.Unmarshal(v, &p) != nil || p.Name != string(k) {
				return
			}
		}
		// Copies: bbolt keeps what Put is given until the commit, and
		// k and v are the walker's only while fn runs.
		pending = append(pending, record{name, bytes.Clone(k), bytes.Clone(v)})
		if size += len(k) + len(v); size >= rawChunk {
			err = flush()
		}
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		err = dst.update(func(tx *bolt.Tx) error {
			for _, name := range rawBuckets {
				if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
					return err
				}
			}
			return pruneBlobs(tx)
		})
	}
	return wrap("recover", err)
}

// freeName returns name, or name with -2, -3 ... when name is taken.
func freeName(name string) string {
	out := name
	for i := 2; ; i++ {
		if _, err := os.Lstat(out); errors.Is(err, os.ErrNotExist) {
			return out
		}
		out = fmt.Sprintf("%s-%d", name, i)
	}
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err == nil {
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return &Error{Op: "recover", Msg: "The recovered history could not be written; nothing was changed.", Err: err}
	}
	return nil
}

// Lines lists what was lost, for a command's output: at most
// maxProblems lines.
func (r RecoverReport) Lines() []string {
	var out []string
	for _, l := range r.LostNames {
		out = append(out, "lost: conversation "+l)
	}
	for _, l := range r.PartialNames {
		out = append(out, "saved in part: conversation "+l)
	}
	if len(out) > maxProblems {
		out = append(out[:maxProblems], fmt.Sprintf("and %d more", len(out)-maxProblems))
	}
	return out
}
