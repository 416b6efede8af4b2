package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/internal/oserr"
)

// CheckReport is what Check found.
type CheckReport struct {
	Path    string
	Healthy bool
	// Conversations and Messages count what can be read.
	Conversations, Messages int
	// Lost names the conversations that cannot be read at all, Partial
	// those of which only a part can (id and title when readable).
	Lost, Partial []string
	// Problems are short lines saying what is damaged, for a list.
	Problems []string
	// why is the sentence for a file that is no history at all.
	why string
}

// Sentence is the report's first line.
func (r CheckReport) Sentence() string {
	switch {
	case r.why != "":
		return r.why
	case r.Healthy:
		return fmt.Sprintf("The history file %s is healthy: %s, %s.", r.Path, format.Count(r.Conversations, "conversation", "conversations"), format.Count(r.Messages, "message", "messages"))
	}
	readable := fmt.Sprintf("%s (%s) can be read", format.Count(r.Conversations, "conversation", "conversations"), format.Count(r.Messages, "message", "messages"))
	if len(r.Lost) > 0 {
		readable += fmt.Sprintf(", %d cannot", len(r.Lost))
	}
	if len(r.Partial) > 0 {
		readable += fmt.Sprintf(", %d only in part", len(r.Partial))
	}
	return fmt.Sprintf("The history file %s is damaged: %s. Run `deskchat recover` to save what can be read into a new history file.", r.Path, readable)
}

// maxProblems bounds the problems a report lists.
const maxProblems = 20

// Check reads the whole history file in dir, read-only, and reports what is
// damaged. It never writes and never panics: the file is read page by page
// with every page checked (pagewalk.go). bbolt's own Tx.Check is not run:
// it reads pages on a goroutine of its own, where a fault through the
// memory map (a page id past the file's end, met by a fuzzed history that
// the walk passed) could not be caught and ended the process. Its error is
// for a file that cannot be checked at all: missing (ErrNoHistory), in use
// by a writer (ErrLocked), unreadable; damage is in the report.
func Check(dir string) (CheckReport, error) {
	return checkFile(filepath.Join(dir, FileName), fmt.Sprintf("There is no history in %s yet: nothing to check.", dir))
}

// checkFile is Check for the history file at path; missing is the
// sentence for a file that is not there.
func checkFile(path, missing string) (CheckReport, error) {
	rep := CheckReport{Path: path}
	if err := probeFile("check", path, false); err != nil {
		switch {
		case errors.Is(err, os.ErrNotExist):
			return rep, &Error{Op: "check", Msg: missing, Err: ErrNoHistory}
		case errors.Is(err, ErrNotHistory):
			rep.why = UserMessage(err)
			rep.Problems = []string{"the file is no bbolt database"}
			return rep, nil
		case !errors.Is(err, ErrDamaged):
			return rep, err
		}
	}
	_, release, err := lockShared(path)
	if err != nil {
		return rep, err
	}
	defer release()
	f, err := os.Open(path)
	if err != nil {
		return rep, &Error{Op: "check", Msg: fmt.Sprintf("Cannot open the history file %s: %s.", path, oserr.Reason(err)), Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return rep, &Error{Op: "check", Msg: fmt.Sprintf("Cannot open the history file %s: %s.", path, oserr.Reason(err)), Err: err}
	}
	sv, ok := readSalvage(f, fi.Size())
	if !ok {
		rep.Problems = []string{"both of the file's header pages are damaged"}
		return rep, nil
	}
	for _, id := range sv.order {
		r, ok := sv.conversation(id)
		switch {
		case !ok:
			rep.Lost = append(rep.Lost, sv.label(id))
		case !r.whole:
			rep.Partial = append(rep.Partial, sv.label(id))
		}
		if ok {
			rep.Conversations++
			rep.Messages += len(r.Messages)
		}
	}
	sv.walkRaw(func(string, []byte, []byte) {})
	sv.walkRest()
	for _, p := range sv.w.problems {
		rep.Problems = append(rep.Problems, fmt.Sprintf("page %d in %s: %s", p.page, part(p.where), p.what))
	}
	for _, id := range sv.badRecords {
		rep.Problems = append(rep.Problems, fmt.Sprintf("the record of conversation %s cannot be read", id))
	}
	rep.Healthy = len(rep.Problems) == 0 && len(rep.Lost) == 0 && len(rep.Partial) == 0
	return rep, nil
}

// walkRest reads every top-level bucket the salvage did not, with their
// nested buckets, so that damage in the search index or the cache shows.
func (sv *salvage) walkRest() {
	done := map[string]bool{string(bucketConversations): true, string(bucketMessages): true, string(bucketSummaries): true}
	for _, name := range rawBuckets {
		done[name] = true
	}
	var walk func(ref bucketRef, where string, depth int)
	walk = func(ref bucketRef, where string, depth int) {
		sv.w.forEach(ref, where, func(k, v []byte, isBucket bool) {
			if r, ok := bucketValue(v); ok && isBucket && depth < maxDepth {
				walk(copyRef(r), where, depth+1)
			}
		})
	}
	for name, ref := range sv.buckets {
		if !done[name] {
			walk(ref, name, 0)
		}
	}
}

// lockShared takes the history file's shared lock, as a read-only bbolt
// open does, so that no deskchat writes it while it is checked or
// salvaged. A file bbolt cannot open at all is read without the lock
// (nothing else can use it either): db is then nil.
func lockShared(path string) (db *bolt.DB, release func(), err error) {
	db, err = openBolt(path, &bolt.Options{Timeout: LockTimeout, ReadOnly: true})
	switch {
	case err == nil:
		return db, func() { runGuarded(db.Close) }, nil
	case errors.Is(err, ErrLocked):
		return nil, nil, err
	}
	return nil, func() {}, nil
}

// Lines returns the report's list: what is damaged, at most maxProblems
// lines and a count of the rest.
func (r CheckReport) Lines() []string {
	var out []string
	for _, l := range r.Lost {
		out = append(out, "conversation "+l+": cannot be read")
	}
	for _, l := range r.Partial {
		out = append(out, "conversation "+l+": only a part can be read")
	}
	out = append(out, r.Problems...)
	if len(out) > maxProblems {
		out = append(out[:maxProblems], fmt.Sprintf("and %d more", len(out)-maxProblems))
	}
	for i, l := range out {
		out[i] = strings.TrimSpace(l)
	}
	return out
}
