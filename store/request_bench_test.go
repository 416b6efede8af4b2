package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/deskchat/deskchat/store/search"

	bolt "go.etcd.io/bbolt"
)

// The store's share of one chat request, as the engine makes it: Snapshot,
// AppendExchange (the question and the empty streaming answer), then
// FinishAnswer (the answer of about 1,500 characters, its ledger line and two
// stat records), with 64 requests at once over 5,000 conversations of a few
// messages each, 5,000 requests per iteration. It reports
// store_cpu_us_per_request_sync (user + system CPU of the process, GC
// included, per request); _nosync is the same without fsync, to tell the
// store's own work from the kernel's.
func BenchmarkStoreRequest(b *testing.B) {
	const convs = 5000
	tmpl := b.TempDir()
	texts := genRequestTexts(b, tmpl, convs)
	for _, nosync := range []bool{false, true} {
		name := "sync"
		if nosync {
			name = "nosync"
		}
		b.Run(name, func(b *testing.B) {
			s, err := Open(copyDB(b, tmpl))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			s.db.NoSync = nosync
			ids, err := s.Conversations()
			if err != nil {
				b.Fatal(err)
			}
			// A fixed number of requests per iteration, so that make bench
			// (-benchtime 1x) prints a figure worth reading.
			const requests, workers = 5000, 64
			var next atomic.Int64
			b.ReportAllocs()
			var before syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &before)
			b.ResetTimer()
			for range b.N {
				next.Store(0)
				var wg sync.WaitGroup
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := int(next.Add(1)); i <= requests; i = int(next.Add(1)) {
							if err := benchRequest(s, ids[i%len(ids)].ID, texts, i); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
			}
			b.StopTimer()
			var after syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &after)
			cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*requests), "store_cpu_us_per_request_"+name+"@us")
		})
	}
}

type requestTexts struct {
	questions, answers []string
}

// benchRequest is the store's part of request i on conversation id.
func benchRequest(s *Store, id string, texts *requestTexts, i int) error {
	snap, err := s.Snapshot(id)
	if err != nil {
		return err
	}
	question := texts.questions[i%len(texts.questions)]
	q, a, err := s.AppendExchange(
		Message{ConversationID: id, Role: RoleUser, Content: question, State: StateDone},
		Message{ConversationID: id, Role: RoleAssistant, Provider: "openai", Model: "gpt-4o-mini", State: StateStreaming},
		func(c *Conversation) {
			c.Provider, c.Model = "openai", "gpt-4o-mini"
			if c.Title == "" {
				c.Title = question
			}
		})
	if err != nil {
		return err
	}
	a.Content = texts.answers[i%len(texts.answers)]
	a.State, a.Finish = StateDone, "stop"
	a.PromptTokens, a.OutputTokens = 40*len(snap.Messages)+len(q.Content)/4, len(a.Content)/4
	cost := 0.00042
	rec := UsageRecord{ConversationID: id, Provider: "openai", Model: "gpt-4o-mini", PromptTokens: a.PromptTokens,
		CompletionTokens: a.OutputTokens, TTFTMillis: 180, DurationMs: 2400, Cost: &cost, Outcome: "done"}
	stats := map[string][]byte{
		"provider:openai": fmt.Appendf(nil, `{"requests":%d,"failures":3,"retries":7,"prompt_tokens":%d,"completion_tokens":%d,"ttft_ms_sum":%d,"breaker_opens":0}`, i, 120*i, 375*i, 180*i),
		"cache":           fmt.Appendf(nil, `{"hits":%d,"misses":%d}`, i/10, i-i/10),
	}
	return s.FinishAnswer(a, &rec, statsOf(stats), nil)
}

// genRequestTexts writes n conversations of one exchange each into a new
// store in dir, in one transaction, with their search index merged, and
// returns the questions and answers of the requests to come.
func genRequestTexts(tb testing.TB, dir string, n int) *requestTexts {
	tb.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	h := &history{rare: inventWords(rand.New(rand.NewPCG(3, 4)), 3000)}
	h.zipf = rand.NewZipf(r, 1.1, 2, uint64(len(h.rare)-1))
	texts := &requestTexts{}
	for i := 0; i < 256; i++ {
		q := h.sentence(r)
		for len(q) < 50 {
			q += " " + h.sentence(r)
		}
		texts.questions = append(texts.questions, strings.TrimSpace(q[:50])+"?")
		var a strings.Builder
		for a.Len() < 1400 {
			if a.Len() > 0 {
				a.WriteByte(' ')
			}
			a.WriteString(h.sentence(r))
			if a.Len() > 500 && a.Len() < 700 {
				code := strings.NewReplacer("{i}", h.ident(r), "{j}", h.ident(r), "{k}", h.ident(r)).Replace(h.pick(r, benchCode))
				a.WriteString("\n\n" + code + "\n\n")
			}
		}
		texts.answers = append(texts.answers, a.String())
	}
	s, err := Open(dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	if err := s.PutProvider(Provider{Name: "openai", Kind: KindOpenAI, Model: "gpt-4o-mini", Models: []string{"gpt-4o-mini", "gpt-4o"}, KeyEnv: "OPENAI_API_KEY"}); err != nil {
		tb.Fatal(err)
	}
	if err := s.PutProvider(Provider{Name: "local", Kind: KindCompatible, BaseURL: "http://localhost:11434/v1", Model: "llama3"}); err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	err = s.db.Update(func(tx *bolt.Tx) error {
		for i := 0; i < n; i++ {
			c := Conversation{V: recordVersion, ID: newID(), Title: texts.questions[i%len(texts.questions)], Provider: "openai", Model: "gpt-4o-mini", CreatedAt: now, UpdatedAt: now}
			if _, err := tx.Bucket(bucketMessages).CreateBucket([]byte(c.ID)); err != nil {
				return err
			}
			if err := putJSON(tx.Bucket(bucketConversations), []byte(c.ID), c); err != nil {
				return err
			}
			var out [2]Message
			q := Message{ConversationID: c.ID, Role: RoleUser, Content: c.Title}
			a := Message{ConversationID: c.ID, Role: RoleAssistant, Content: texts.answers[(i+1)%len(texts.answers)], Provider: "openai", Model: "gpt-4o-mini"}
			if err := s.appendMessages(tx, now, nil, nil, out[:], q, a); err != nil {
				return err
			}
			now = now.Add(time.Minute)
		}
		_, err := search.Merge(tx, 0)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return texts
}
