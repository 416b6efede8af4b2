package crashtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/deskchat/deskchat/cli"
	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

const (
	envChild      = "DESKCHAT_CRASH_CHILD"      // "1" in the child process
	envChildArgs  = "DESKCHAT_CRASH_ARGS"       // the child's deskchat arguments, as a JSON array
	envIterations = "DESKCHAT_CRASH_ITERATIONS" // children to run (default defaultIterations)
	envSeed       = "DESKCHAT_CRASH_SEED"       // seed of the plan (default: the clock)

	defaultIterations = 50

	// maxMissing is the promise under test: a killed answer misses at
	// most the text the server sent in the last 250 ms before the kill.
	maxMissing = 250 * time.Millisecond

	tokenEvery   = 4 * time.Millisecond // the slow server's pace
	minTokens    = 60                   // an answer streams for 0.24 s ...
	maxTokens    = 300                  // ... to 1.2 s
	maxExchanges = 3                    // questions per conversation: histories stay far below the model's budget, so nothing is summarised
	watchdog     = 60 * time.Second     // a child taking longer than this is stuck
)

// token is the i-th (0-based) piece of every answer: distinct and of fixed
// length, so the number of whole tokens in a stored prefix is its length
// divided by tokenLen.
func token(i int) string { return fmt.Sprintf(" w%04d", i+1) }

var tokenLen = len(token(0))

func fullAnswer(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(token(i))
	}
	return b.String()
}

// TestHelperChild is the child process: it runs "deskchat" with the
// arguments in DESKCHAT_CRASH_ARGS and exits with its code. It does
// nothing when DESKCHAT_CRASH_CHILD is unset.
func TestHelperChild(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(os.Getenv(envChildArgs)), &args); err != nil {
		fmt.Fprintln(os.Stderr, "crashtest child:", err)
		os.Exit(3)
	}
	getenv := func(k string) string {
		if k == "OPENAI_API_KEY" {
			return "" // a compatible base URL needs no key; never send a real one to the test server
		}
		return os.Getenv(k)
	}
	code := cli.Main(args, cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: os.Stderr, Getenv: getenv})
	if code != 0 {
		os.Exit(code)
	}
	// Exit 0 by returning: the testing package treats os.Exit(0) in a test
	// as a failure.
}

// answer is what the slow server sends for one question, and when.
type answer struct {
	question string
	tokens   int

	arrived chan struct{} // closed when the request has been read and the response headers sent
	done    chan struct{} // closed when the finish chunk and [DONE] have been sent

	mu        sync.Mutex
	requests  int
	arrivedAt time.Time
	sent      []time.Time // sent[i]: when token i had been written and flushed
	doneAt    time.Time
}

// sentBefore returns the send times of the tokens sent before t.
func (a *answer) sentBefore(t time.Time) []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for n < len(a.sent) && a.sent[n].Before(t) {
		n++
	}
	return append([]time.Time(nil), a.sent[:n]...)
}

func (a *answer) times() (requests int, arrivedAt, doneAt time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests, a.arrivedAt, a.doneAt
}

// slowServer is an OpenAI-compatible chat endpoint that streams each
// expected question's answer one token every tokenEvery.
type slowServer struct {
	*httptest.Server
	mu      sync.Mutex
	answers map[string]*answer // by question
	other   atomic.Int64       // requests for no expected question (e.g. summaries)
}

func newSlowServer(t *testing.T) *slowServer {
	s := &slowServer{answers: map[string]*answer{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// expect registers the answer to question, n tokens long.
func (s *slowServer) expect(question string, n int) *answer {
	a := &answer{question: question, tokens: n, arrived: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	s.answers[question] = a
	s.mu.Unlock()
	return a
}

func chunk(content string) string {
	b, _ := json.Marshal(content)
	return `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":` + string(b) + `},"finish_reason":null}]}` + "\n\n"
}

const finish = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"

func (s *slowServer) serve(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.NotFound(w, r)
		return
	}
	var req struct {
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	question := ""
	for _, m := range req.Messages {
		if m.Role == "user" {
			question = m.Content
		}
	}
	s.mu.Lock()
	a := s.answers[question]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if a == nil {
		s.other.Add(1)
		io.WriteString(w, chunk("a short answer")+finish)
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	a.mu.Lock()
	a.requests++
	first := a.requests == 1
	if first {
		a.arrivedAt = time.Now()
	}
	a.mu.Unlock()
	if !first {
		return // counted; the test fails on a second request for one question
	}
	close(a.arrived)

	tick := time.NewTicker(tokenEvery)
	defer tick.Stop()
	for i := range a.tokens {
		if i > 0 {
			select {
			case <-tick.C:
			case <-r.Context().Done():
				return
			}
		}
		if _, err := io.WriteString(w, chunk(token(i))); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		now := time.Now()
		a.mu.Lock()
		a.sent = append(a.sent, now)
		a.mu.Unlock()
	}
	if _, err := io.WriteString(w, finish); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	a.mu.Lock()
	a.doneAt = time.Now()
	a.mu.Unlock()
	close(a.done)
}

// The moments a child is killed.
type killPlan int

const (
	killEarly killPlan = iota // at a random moment after start, usually before the request reaches the server
	killMid                   // at a random moment of the stream
	killAfter                 // shortly after the server sent [DONE]: racing the answer's last commit
	killNever                 // let it finish
)

func (p killPlan) String() string {
	return [...]string{"early", "mid-stream", "after [DONE]", "never"}[p]
}

// history is every message in the store, by conversation id.
type history map[string][]store.Message

// stats are what a run observed.
type stats struct {
	early, mid, afterDone, completed int
	emptyConvs                       int // conversations left without messages by a kill before the question was stored
	unstored                         int // kills after the request reached the server but before the question was stored
	missing                          []time.Duration
	worst                            string // the iteration with the largest missing time
}

// note records the missing time of one killed answer.
func (st *stats) note(missing time.Duration, desc string) {
	if len(st.missing) == 0 || missing > slices.Max(st.missing) {
		st.worst = "; worst: " + desc
	}
	st.missing = append(st.missing, missing)
}

func TestCrashSafety(t *testing.T) {
	if os.Getenv(envChild) != "" {
		t.Skip("in the child process")
	}
	iterations := defaultIterations
	if v := os.Getenv(envIterations); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("%s=%q: want a positive number", envIterations, v)
		}
		iterations = n
	}
	seed := time.Now().UnixNano()
	if v := os.Getenv(envSeed); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: want an integer", envSeed, v)
		}
		seed = n
	}
	t.Logf("seed %d (replay with %s=%d), %d iterations", seed, envSeed, seed, iterations)
	rng := rand.New(rand.NewSource(seed))

	srv := newSlowServer(t)
	dir := t.TempDir()
	hist := history{}
	var order []string // conversation ids in the order they appeared, so that a seed replays the same choices
	var st stats
	arrival := 150 * time.Millisecond // last observed start-to-request time, to aim early kills
	began := time.Now()

	for i := range iterations {
		// Draw the whole plan first, so that a seed replays the same plan
		// whatever the timing does.
		r, u, nTokens, pick, newConv := rng.Float64(), rng.Float64(), minTokens+rng.Intn(maxTokens-minTokens+1), rng.Int(), rng.Float64() < 0.4
		plan := killMid
		switch {
		case i == 0 || r < 0.08:
			plan = killNever
		case r < 0.18:
			plan = killEarly
		case r < 0.28:
			plan = killAfter
		}
		conv := ""
		if !newConv {
			var open []string
			for _, id := range order {
				if questions(hist[id]) < maxExchanges {
					open = append(open, id)
				}
			}
			if len(open) > 0 {
				conv = open[pick%len(open)]
			}
		}
		question := fmt.Sprintf("question %d", i+1)
		a := srv.expect(question, nTokens)

		args := []string{"ask", "--data-dir", dir, "--base-url", srv.URL, "--model", "m", "--quiet"}
		if conv != "" {
			args = append(args, "--conversation", conv)
		}
		args = append(args, question)
		ch := runChild(t, args)

		// The kill moment: a timer chosen on purpose, started from the
		// event it is relative to.
		var delay time.Duration
		var from <-chan struct{}
		switch plan {
		case killEarly:
			delay = time.Duration(u * float64(arrival))
		case killMid:
			from, delay = a.arrived, time.Duration(u*float64(nTokens))*tokenEvery
		case killAfter:
			from, delay = a.done, time.Duration(u*float64(40*time.Millisecond))
		}
		killAt := ch.killAfter(t, plan != killNever, from, delay)

		// What happened, from the server's side.
		requests, arrivedAt, doneAt := a.times()
		if requests > 1 {
			t.Errorf("iteration %d: the server got %d requests for %q, want one", i+1, requests, question)
		}
		if !arrivedAt.IsZero() {
			arrival = arrivedAt.Sub(ch.start)
		}
		desc := fmt.Sprintf("iteration %d (%s, plan %s, %d tokens, kill delay %v)", i+1, question, plan, nTokens, delay.Round(time.Millisecond))
		if conv != "" {
			desc += " continuing " + conv
		}
		killed := ch.killed()
		if !killed {
			if code := ch.state.ExitCode(); code != 0 {
				t.Fatalf("%s: the child exited with %d (%v): %s", desc, code, ch.state, ch.stderr.String())
			}
			st.completed++
		} else {
			switch {
			case arrivedAt.IsZero() || !arrivedAt.Before(killAt):
				st.early++
			case doneAt.IsZero() || !doneAt.Before(killAt):
				st.mid++
			default:
				st.afterDone++
			}
		}

		hist = check(t, desc, dir, hist, conv, question, a, killed, killAt, &st)
		if t.Failed() {
			t.Logf("%s: child stderr: %s", desc, ch.stderr.String())
			t.FailNow() // the history no longer means what the next iterations assume
		}
		for id := range hist {
			if !slices.Contains(order, id) {
				order = append(order, id)
			}
		}
	}

	slices.Sort(st.missing)
	var maxMiss, p50, p99 time.Duration
	if n := len(st.missing); n > 0 {
		maxMiss, p50, p99 = st.missing[n-1], st.missing[n/2], st.missing[(n*99)/100]
	}
	t.Logf("%d iterations in %v: %d killed early (before the request reached the server), %d killed mid-stream, %d killed after [DONE], %d completed (not killed); %d kills after the request reached the server but before the question was stored; %d other requests; %d empty conversations left by early kills",
		iterations, time.Since(began).Round(time.Millisecond), st.early, st.mid, st.afterDone, st.completed, st.unstored, srv.other.Load(), st.emptyConvs)
	over := len(st.missing) - sort.Search(len(st.missing), func(i int) bool { return st.missing[i] > engine.DefaultFlushInterval })
	t.Logf("missing text of killed answers (kill time minus send time of the first token not stored), %d answers: max %.1f ms, p99 %.1f ms, median %.1f ms, %d over the %v flush interval (limit %v)%s",
		len(st.missing), ms(maxMiss), ms(p99), ms(p50), over, engine.DefaultFlushInterval, maxMissing, st.worst)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func questions(ms []store.Message) int {
	n := 0
	for _, m := range ms {
		if m.Role == store.RoleUser {
			n++
		}
	}
	return n
}

// child is a running "deskchat ask".
type child struct {
	cmd    *exec.Cmd
	start  time.Time
	stderr bytes.Buffer
	exited chan struct{} // closed when cmd.Wait has returned
	state  *os.ProcessState
}

func runChild(t *testing.T, args []string) *child {
	t.Helper()
	js, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	c := &child{exited: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestHelperChild$", "-test.count=1")
	c.cmd.Env = append(os.Environ(), envChild+"=1", envChildArgs+"="+string(js))
	c.cmd.Stderr = &c.stderr
	c.start = time.Now()
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.cmd.Wait()
		c.state = c.cmd.ProcessState
		close(c.exited)
	}()
	return c
}

// killAfter waits for from (nil: the start) and then delay, kills the child
// with SIGKILL unless it has exited by then, waits for it to exit and
// returns the moment of the kill. With kill false it waits for the child to
// exit.
func (c *child) killAfter(t *testing.T, kill bool, from <-chan struct{}, delay time.Duration) time.Time {
	t.Helper()
	stuck := time.NewTimer(watchdog)
	defer stuck.Stop()
	// wait returns when ch is closed (true) or the child has exited (false).
	wait := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		case <-c.exited:
			return false
		case <-stuck.C:
			c.cmd.Process.Kill()
			<-c.exited
			t.Fatalf("the child is stuck after %v: %s", watchdog, c.stderr.String())
			return false
		}
	}
	if !kill {
		wait(nil)
		return time.Time{}
	}
	if from != nil && !wait(from) {
		return time.Time{}
	}
	if delay > 0 {
		elapsed := make(chan struct{})
		timer := time.AfterFunc(delay, func() { close(elapsed) })
		defer timer.Stop()
		if !wait(elapsed) {
			return time.Time{}
		}
	}
	killAt := time.Now()
	if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("kill: %v", err)
	}
	<-c.exited
	return killAt
}

// killed reports whether the child died of SIGKILL.
func (c *child) killed() bool {
	ws, ok := c.state.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// check opens the store after a child has ended and verifies it: bbolt's
// consistency check, no message left streaming, every message of prev
// unchanged, and the question's exchange as the kill allows. It returns
// the store's messages.
func check(t *testing.T, desc, dir string, prev history, conv, question string, a *answer, killed bool, killAt time.Time, st *stats) history {
	t.Helper()
	s, err := store.Open(dir)
	if err != nil {
		t.Errorf("%s: open the store: %v", desc, err)
		return nil
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("%s: close the store: %v", desc, err)
		}
	}()
	err = s.DB().View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
	if err != nil {
		t.Errorf("%s: bbolt consistency check: %v", desc, err)
	}
	convs, err := s.Conversations()
	if err != nil {
		t.Errorf("%s: read the conversations: %v", desc, err)
		return nil
	}
	now := history{}
	for _, c := range convs {
		ms, err := s.Messages(c.ID)
		if err != nil {
			t.Errorf("%s: read the messages of %s: %v", desc, c.ID, err)
			return nil
		}
		now[c.ID] = ms
		for _, m := range ms {
			if m.State == store.StateStreaming {
				t.Errorf("%s: message %s is still streaming after Open", desc, m.ID())
			}
		}
	}

	// Every earlier message is intact.
	for id, was := range prev {
		is, ok := now[id]
		if !ok {
			t.Errorf("%s: conversation %s (%d messages) is gone", desc, id, len(was))
			continue
		}
		if len(is) < len(was) {
			t.Errorf("%s: conversation %s has %d messages, had %d", desc, id, len(is), len(was))
			continue
		}
		for j, w := range was {
			g := is[j]
			if g.Seq != w.Seq || g.Role != w.Role || g.State != w.State || g.Content != w.Content {
				t.Errorf("%s: message %s changed: was seq %d %s %s %q, is seq %d %s %s %q", desc, w.ID(),
					w.Seq, w.Role, w.State, clip(w.Content), g.Seq, g.Role, g.State, clip(g.Content))
			}
		}
	}

	// New messages are the question's exchange, in its conversation only.
	target := conv
	for id := range now {
		if _, ok := prev[id]; ok {
			continue
		}
		if conv != "" || target != "" {
			t.Errorf("%s: unexpected new conversation %s", desc, id)
			continue
		}
		target = id
	}
	for id, ms := range now {
		if id != target && len(ms) != len(prev[id]) {
			t.Errorf("%s: conversation %s, not asked, has %d new messages", desc, id, len(ms)-len(prev[id]))
		}
	}
	var added []store.Message
	if target != "" {
		added = now[target][len(prev[target]):]
	}
	requests, arrivedAt, _ := a.times()
	if len(added) == 0 {
		if target != "" && len(now[target]) == 0 {
			st.emptyConvs++
		}
		if !killed {
			t.Errorf("%s: the child completed but stored nothing", desc)
			return now
		}
		if requests > 0 {
			// The question goes out while it is being stored
			// (engine.Send), so the kill may fall between the two. No
			// text may be lost for more than maxMissing, though: the
			// answer "misses" everything the server sent.
			st.unstored++
			if sent := a.sentBefore(killAt); len(sent) > 0 {
				missing := killAt.Sub(sent[0])
				st.note(missing, fmt.Sprintf("%s, question not stored, %d tokens sent before the kill", desc, len(sent)))
				if missing > maxMissing {
					t.Errorf("%s: the question is not stored, yet the server sent its first token %.1f ms before the kill (limit %v)", desc, ms(missing), maxMissing)
				}
			}
		}
		return now
	}
	if len(added) != 2 {
		t.Errorf("%s: %d new messages, want the question and its answer", desc, len(added))
		return now
	}
	q, ans := added[0], added[1]
	if q.Role != store.RoleUser || q.Content != question || q.State != store.StateDone {
		t.Errorf("%s: question stored as %s %s %q, want user done %q", desc, q.Role, q.State, q.Content, question)
	}
	if ans.Role != store.RoleAssistant {
		t.Errorf("%s: answer stored with role %s", desc, ans.Role)
	}
	full := fullAnswer(a.tokens)
	_, _, doneAt := a.times()
	switch {
	case !killed:
		if ans.State != store.StateDone || ans.Content != full {
			t.Errorf("%s: completed answer stored as %s, %d of %d bytes", desc, ans.State, len(ans.Content), len(full))
		}
		return now
	case ans.State == store.StateDone:
		if doneAt.IsZero() || ans.Content != full {
			t.Errorf("%s: killed answer stored as done with %d of %d bytes (server finished: %v)", desc, len(ans.Content), len(full), !doneAt.IsZero())
		}
		return now
	case ans.State != store.StateInterrupted:
		t.Errorf("%s: killed answer stored as %s, want interrupted", desc, ans.State)
		return now
	}
	if !strings.HasPrefix(full, ans.Content) {
		t.Errorf("%s: interrupted answer %q is not a prefix of the server's answer", desc, clip(ans.Content))
		return now
	}
	if arrivedAt.IsZero() {
		if ans.Content != "" {
			t.Errorf("%s: answer has text but the server never answered", desc)
		}
		return now
	}
	// Missing time: from the send time of the first token not stored to
	// the kill. Tokens sent after the kill do not count.
	sent := a.sentBefore(killAt)
	stored := len(ans.Content) / tokenLen
	var missing time.Duration
	if stored < len(sent) {
		missing = killAt.Sub(sent[stored])
	}
	st.note(missing, fmt.Sprintf("%s, %d of %d tokens sent before the kill stored", desc, stored, len(sent)))
	if missing > maxMissing {
		t.Errorf("%s: the interrupted answer misses %.1f ms of text (limit %v): %d of %d tokens sent before the kill stored, first missing sent %.1f ms before the kill",
			desc, ms(missing), maxMissing, stored, len(sent), ms(missing))
	}
	return now
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:30] + "…" + s[len(s)-30:]
	}
	return s
}
