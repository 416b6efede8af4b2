package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/deskchat/deskchat/internal/oserr"
)

// salvage reads what can be read of a history file through the page walker
// (pagewalk.go), never through bbolt, so that no damage can stop it. It is
// the common part of Check and Recover.
type salvage struct {
	w     *pageWalker
	convs map[string]*Conversation // readable conversation records
	// order is every conversation id met: in the conversations bucket or
	// as a messages bucket (a record may be lost while its messages live).
	order   []string
	msgRefs map[string]bucketRef
	// badRecord counts conversation records met but unreadable.
	badRecords []string
	summaries  map[string]*Summary
	buckets    map[string]bucketRef // the top-level buckets
}

// rawBuckets are copied as they are by Recover, as it walks them
// (walkRaw): they are never held whole, since the attachments among them
// may be gigabytes. The blobs whose messages were lost are pruned
// afterwards (pruneBlobs).
var rawBuckets = []string{string(bucketProviders), string(bucketSettings), string(bucketUsage), string(bucketImports),
	string(bucketBlobs), string(bucketBlobText), string(bucketToolServers), string(bucketBatches), string(bucketBatchRows)}

// readSalvage walks the file's structure: the top-level buckets, the
// conversation records and the summaries. Messages are read later, one
// conversation at a time (conversation), and the raw buckets by walkRaw.
func readSalvage(r io.ReaderAt, size int64) (*salvage, bool) {
	m, why := readMetas(r, size)
	if why != "" {
		return nil, false
	}
	sv := &salvage{w: newPageWalker(r, size, m), convs: map[string]*Conversation{}, msgRefs: map[string]bucketRef{},
		summaries: map[string]*Summary{}, buckets: map[string]bucketRef{}}
	if m.pgid > uint64(size)/uint64(m.pageSize) {
		sv.w.problems = append(sv.w.problems, pageProblem{m.pgid, "file", fmt.Sprintf("the file was cut short: %d bytes of %d", size, m.pgid*uint64(m.pageSize))})
	}
	sv.w.checkFreelist(m.freelist)
	sv.w.forEach(bucketRef{root: m.root}, "root", func(k, v []byte, isBucket bool) {
		if ref, ok := bucketValue(v); ok && isBucket {
			sv.buckets[string(k)] = copyRef(ref)
		}
	})
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			sv.order = append(sv.order, id)
		}
	}
	if ref, ok := sv.buckets[string(bucketConversations)]; ok {
		sv.w.forEach(ref, string(bucketConversations), func(k, v []byte, _ bool) {
			var c Conversation
			if err := json.Unmarshal(v, &c); err != nil || c.ID != string(k) {
				sv.badRecords = append(sv.badRecords, string(k))
			} else {
				sv.convs[c.ID] = &c
			}
			add(string(k))
		})
	}
	if ref, ok := sv.buckets[string(bucketMessages)]; ok {
		sv.w.forEach(ref, string(bucketMessages), func(k, v []byte, isBucket bool) {
			if r, ok := bucketValue(v); ok && isBucket && validID(string(k)) {
				sv.msgRefs[string(k)] = copyRef(r)
				add(string(k))
			}
		})
	}
	if ref, ok := sv.buckets[string(bucketSummaries)]; ok {
		sv.w.forEach(ref, string(bucketSummaries), func(k, v []byte, _ bool) {
			var s Summary
			if json.Unmarshal(v, &s) == nil {
				sv.summaries[string(k)] = &s
			}
		})
	}
	return sv, true
}

// walkRaw walks the raw buckets, in rawBuckets' order, calling fn with each
// of their keys and values (not nested buckets). k and v are fn's only
// until it returns.
func (sv *salvage) walkRaw(fn func(name string, k, v []byte)) {
	for _, name := range rawBuckets {
		if ref, ok := sv.buckets[name]; ok {
			sv.w.forEach(ref, name, func(k, v []byte, isBucket bool) {
				if !isBucket {
					fn(name, k, v)
				}
			})
		}
	}
}

func copyRef(r bucketRef) bucketRef {
	r.inline = append([]byte(nil), r.inline...)
	return r
}

// rescued is one conversation as far as it could be read.
type rescued struct {
	Dump
	whole      bool // record and every message read
	unreadable int  // message entries met but not readable
}

// conversation reads conversation id's record and messages. ok is false
// when nothing of it can be read.
func (sv *salvage) conversation(id string) (rescued, bool) {
	var r rescued
	before := len(sv.w.problems)
	r.whole = true
	if ref, ok := sv.msgRefs[id]; ok {
		sv.w.forEach(ref, "messages/"+id, func(k, v []byte, isBucket bool) {
			var m Message
			if isBucket || len(k) != 8 || json.Unmarshal(v, &m) != nil || !knownMessage(m) {
				r.unreadable++
				return
			}
			m.ConversationID, m.Seq = id, le64be(k)
			r.Messages = append(r.Messages, m)
		})
	}
	if len(sv.w.problems) > before || r.unreadable > 0 {
		r.whole = false
	}
	sort.SliceStable(r.Messages, func(i, j int) bool { return r.Messages[i].Seq < r.Messages[j].Seq })
	if c, ok := sv.convs[id]; ok {
		r.Conversation = *c
	} else {
		// The record is lost but messages live: keep them under a
		// title that says so.
		if len(r.Messages) == 0 {
			return r, false
		}
		r.whole = false
		first := r.Messages[0]
		r.Conversation = Conversation{ID: id, Title: "Recovered chat " + id, CreatedAt: first.CreatedAt, UpdatedAt: r.Messages[len(r.Messages)-1].CreatedAt}
		for _, m := range r.Messages {
			if m.Role == RoleUser {
				r.Conversation.Title = "Recovered: " + oneLineTitle(m.Content)
				break
			}
		}
	}
	if _, ok := sv.msgRefs[id]; !ok {
		r.whole = false // its messages' bucket is lost
	}
	r.Summary = sv.summaries[id]
	return r, true
}

// le64be reads a message key (8 bytes, big-endian).
func le64be(k []byte) uint64 {
	var n uint64
	for _, b := range k {
		n = n<<8 | uint64(b)
	}
	return n
}

// knownMessage reports whether m passes Import.Check's rules.
func knownMessage(m Message) bool {
	switch m.Role {
	case RoleSystem, RoleUser, RoleAssistant:
	default:
		return false
	}
	switch m.State {
	case "", StateStreaming, StateDone, StateStopped, StateFailed, StateInterrupted:
		return true
	}
	return false
}

func oneLineTitle(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return s
}

// label names a conversation for a user: its id, and its title when read.
func (sv *salvage) label(id string) string {
	if c, ok := sv.convs[id]; ok && c.Title != "" {
		return fmt.Sprintf("%s %q", id, oneLineTitle(c.Title))
	}
	return id
}

// part names the bucket a problem was met in, for a user.
func part(where string) string {
	switch {
	case where == "root":
		return "the file's table of contents"
	case where == "file":
		return "the file's end"
	case where == "freelist":
		return "the file's list of free pages (recover rewrites it)"
	case where == string(bucketConversations):
		return "the list of conversations"
	case where == string(bucketMessages):
		return "the index of messages"
	case strings.HasPrefix(where, "messages/"):
		return "conversation " + strings.TrimPrefix(where, "messages/")
	case strings.HasPrefix(where, "search_"):
		return "the search index (recover rebuilds it)"
	case strings.HasPrefix(where, "cache"):
		return "the response cache (recover empties it)"
	case where == string(bucketUsage):
		return "the usage ledger"
	case where == string(bucketProviders):
		return "the providers"
	case where == string(bucketSettings):
		return "the settings"
	case where == string(bucketSummaries):
		return "the summaries of long chats"
	}
	return "the bucket " + where
}

// ReadableConversations lists the conversations whose records can still be
// read, most recently updated first, by reading s's file page by page: for
// when Conversations fails because the file is damaged where the list is
// stored. It is slower than Conversations (it reads the file's structure).
// Unreadable names, in the file's order, the conversations whose messages
// are in the file but whose record is lost, so that a caller can say they
// were left out (`deskchat recover` saves them).
func (s *Store) ReadableConversations() (readable []Conversation, unreadable []string, err error) {
	sv, done, err := s.salvageFile("list conversations")
	if err != nil {
		return nil, nil, err
	}
	defer done()
	readable = make([]Conversation, 0, len(sv.convs))
	for _, id := range sv.order {
		if c, ok := sv.convs[id]; ok {
			readable = append(readable, *c)
		} else {
			unreadable = append(unreadable, id)
		}
	}
	sortNewestFirst(readable)
	return readable, unreadable, nil
}

// Rescue reads, page by page, the conversations ids whose records are lost
// (ReadableConversations' unreadable) and calls fn with what is left of
// each, one at a time: its messages, under a record made from them whose
// title begins "Recovered:" (as `deskchat recover` saves them). Those of
// which nothing can be read are left out. fn's error stops the reading.
func (s *Store) Rescue(ids []string, fn func(Dump) error) error {
	if len(ids) == 0 {
		return nil
	}
	sv, done, err := s.salvageFile("rescue conversations")
	if err != nil {
		return err
	}
	defer done()
	for _, id := range ids {
		if r, ok := sv.conversation(id); ok {
			if err := fn(r.Dump); err != nil {
				return err
			}
		}
	}
	return nil
}

// salvageFile reads s's file page by page (readSalvage); done closes it.
func (s *Store) salvageFile(op string) (sv *salvage, done func(), err error) {
	cannotRead := func(err error) error {
		return &Error{Op: op, Msg: fmt.Sprintf("Cannot read the history file %s: %s.", s.path, oserr.Reason(err)), Err: err}
	}
	f, err := os.Open(s.path)
	if err != nil {
		return nil, nil, cannotRead(err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, cannotRead(err)
	}
	sv, ok := readSalvage(f, fi.Size())
	if !ok {
		f.Close()
		return nil, nil, damagedError(op, s.path, errors.New("no valid meta page"))
	}
	return sv, func() { f.Close() }, nil
}
