package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deskchat/deskchat/engine/llm"
	"github.com/deskchat/deskchat/store"
)

// The tool loop (issue 17). When a request may use tools (SendOptions.Tools
// and Options.Toolbox), answer lists them (offerTools) and offers them to
// the model; a round whose answer ends with tool calls has each call stored
// (pending) before anything runs, decided (always-allowed tools at once,
// else SendOptions.Approve), run, in parallel when several, through the
// Toolbox, stored with its result, and the model is asked again with the
// results (run). Every round goes through the queue, limits, retries and
// fallback like any request. The window and the command line follow it
// through ToolsOffered, ToolAsked and ToolRan events.

// ToolsOffered: the tools the model may call in this answer were listed
// (Names, as the model calls them: "server__tool"). Note is a sentence when
// a server could not be reached or offered nothing; the answer goes on
// with the tools that were found, or with none.
type ToolsOffered struct {
	Names []string
	Note  string
}

// ToolAsked: the model asked to run a tool, and the call now waits for the
// user's decision (SendOptions.Approve). A tool the user always allows runs
// without this event.
type ToolAsked struct {
	Round   int    // the answer's round of tool calls, from 1
	CallID  string // the call's id, as in ToolRan
	Request ToolRequest
}

// ToolRunning: an allowed call started; ToolRan with the same CallID
// follows when it ends.
type ToolRunning struct {
	Round        int
	CallID       string
	Server, Tool string
}

// ToolRan: a call ended: it ran (Use.Result, Use.IsError), was declined
// (Use.Declined), or could not run (an unknown tool, arguments that are not
// JSON: Use.IsError with a sentence the model reads).
type ToolRan struct {
	Round  int
	CallID string
	Use    ToolUse
}

func (ToolsOffered) event() {}
func (ToolAsked) event()    {}
func (ToolRan) event()      {}
func (ToolRunning) event()  {}

// ErrToolRounds ends an answer whose model still asked for tools after
// Options.MaxToolRounds rounds.
var ErrToolRounds = errors.New("engine: too many rounds of tool calls")

// toolLoop carries one answer's tool calls through its rounds. It lives on
// the goroutine that runs the answer.
type toolLoop struct {
	tools   *toolSet
	approve func(context.Context, ToolRequest) ToolDecision
	max     int
	// base is how many of the request's messages come before this
	// answer's rounds; from is the answer's text length when it began
	// (a continued answer's text went before) and first the number of
	// rounds it had then.
	base, from, first int
	round             int  // the last round's number
	started           bool // a round was received: ans is the answer as it stands
	ans               store.Message
	calls             []llm.ToolCall    // the calls of the round just received, to decide and run
	sent              []llm.ChatMessage // the messages of the round being asked
}

// answer returns the answer as it stands: x's until a round was received.
func (tl *toolLoop) answer(x *exchange) store.Message {
	if tl != nil && tl.started {
		return tl.ans
	}
	return x.ans
}

// begin takes the stored answer a round starts from: the first round
// starts from the exchange's.
func (tl *toolLoop) begin(ans store.Message) store.Message {
	if tl.started {
		return tl.ans
	}
	tl.from = len(ans.Content)
	for _, u := range ans.Tools {
		tl.first = max(tl.first, u.Round)
	}
	tl.round = tl.first
	return ans
}

// messages is the next round's request: the messages before the answer,
// then the answer's rounds so far.
func (tl *toolLoop) messages(msgs []llm.ChatMessage) []llm.ChatMessage {
	var uses []store.ToolUse
	for _, u := range tl.ans.Tools {
		if u.Round > tl.first {
			uses = append(uses, u)
		}
	}
	return appendRounds(msgs[:tl.base:tl.base], tl.ans.Content, uses, tl.from)
}

// offerTools lists the tools of the job's servers and returns the loop
// that offers them; nil when the job offers none or none were found.
func (e *Engine) offerTools(ctx context.Context, j job, out chan<- Event) *toolLoop {
	if len(j.toolServers) == 0 || e.toolbox == nil {
		return nil
	}
	infos, err := e.toolbox.Tools(ctx, j.toolServers)
	ev := ToolsOffered{}
	if err != nil && ctx.Err() == nil {
		ev.Note = err.Error()
	}
	if len(infos) == 0 {
		if ev.Note == "" && ctx.Err() == nil {
			ev.Note = fmt.Sprintf("No tools were found on %s; the answer goes without tools.", strings.Join(j.toolServers, ", "))
		}
		deliver(ctx, out, ev)
		return nil
	}
	tl := &toolLoop{tools: newToolSet(infos), approve: j.approve, max: e.maxRounds}
	ev.Names = tl.tools.names()
	deliver(ctx, out, ev)
	return tl
}

// askedTools ends a round whose answer asked for tools: the calls are
// stored, pending, before any runs, and left in the loop for useTools. It
// reports false when the answer could not be stored (nothing runs then).
func (s *streaming) askedTools(o outcome) bool {
	tl, e := s.r.tools, s.e
	tl.round++
	at := s.text.Len()
	for _, c := range s.calls {
		u := store.ToolUse{Round: tl.round, At: at, CallID: c.ID, Name: c.Name, Arguments: c.Arguments, Pending: true}
		if in, ok := tl.tools.lookup(c.Name); ok {
			u.Server, u.Tool = in.Server, in.Name
		}
		s.ans.Tools = append(s.ans.Tools, u)
	}
	s.ans.State = store.StateStreaming
	s.ans.Content, s.ans.Reasoning = s.text.String(), s.reasoning.String()
	// This round's ledger line goes with the calls, in one commit; the
	// last round's is the answer's.
	served := s.r.served
	prompt := 0
	if !believable(s.reported) {
		prompt = promptTokens(served.model, tl.sent)
	}
	var ttft time.Duration
	if !s.firstToken.IsZero() {
		ttft = s.firstToken.Sub(s.r.start)
	}
	rec := e.usageRecord(s.ans.ConversationID, served.cfg.Name, served.model, s.reported, prompt, s.ans.Content[s.began:], false, false, ttft, e.now().Sub(s.r.start), "done")
	if s.writeErr = e.st.FinishAnswer(s.ans, &rec, e.usageStats(rec.Provider), nil); s.writeErr != nil {
		return false // end records the outcome
	}
	s.r.gate.record(o)
	s.kept = s.ans
	tl.ans, tl.calls = s.ans, s.calls
	return true
}

// tooManyRounds ends an answer whose model asked for tools once more than
// the loop allows: the answer fails with a sentence, its text kept.
func (s *streaming) tooManyRounds() Event {
	sentence := fmt.Sprintf("The model kept asking for tools; deskchat stopped the answer after %d rounds of tool calls, the most one answer may make.", s.r.tools.max)
	s.ans.State, s.ans.Error = store.StateFailed, sentence
	return Failed{Sentence: sentence, Err: ErrToolRounds}
}

// toolRun is one allowed call, to run.
type toolRun struct {
	i            int
	server, tool string
	args         json.RawMessage
}

// toolDone is a call's end.
type toolDone struct {
	i    int
	res  ToolResult
	err  error
	took time.Duration
}

// useTools decides and runs the calls of the round just received, storing
// each result as it comes. It reports false when ctx ended: the answer is
// then settled as stopped, with what ran kept.
func (e *Engine) useTools(ctx context.Context, tl *toolLoop, emit sink, settle func(settlement)) bool {
	calls := tl.calls
	tl.calls = nil
	uses := tl.ans.Tools[len(tl.ans.Tools)-len(calls):] // this round's, stored pending
	var runs []toolRun
	stopped := false
	for i, c := range calls {
		u := &uses[i]
		if stopped {
			u.Pending, u.IsError, u.Result = false, true, "The answer was stopped before this call ran."
			continue
		}
		info, ok := tl.tools.lookup(c.Name)
		args := strings.TrimSpace(c.Arguments)
		if args == "" {
			args = "{}"
		}
		switch {
		case !ok:
			u.Result = fmt.Sprintf("There is no tool called %q. The tools offered are: %s.", c.Name, strings.Join(tl.tools.names(), ", "))
		case !json.Valid([]byte(args)) || args[0] != '{':
			u.Server, u.Tool = info.Server, info.Name
			u.Result = fmt.Sprintf("The arguments for %s are not a JSON object, so the tool did not run. Call it again with valid JSON arguments.", c.Name)
		default:
			u.Server, u.Tool = info.Server, info.Name
			allowed, done := e.decide(ctx, tl, c.ID, info.Allowed, ToolRequest{Server: info.Server, Tool: info.Name, Arguments: json.RawMessage(args)}, emit)
			if done {
				stopped = true
				u.Pending, u.IsError, u.Result = false, true, "The answer was stopped before this call ran."
				continue
			}
			if allowed {
				runs = append(runs, toolRun{i: i, server: info.Server, tool: info.Name, args: json.RawMessage(args)})
				continue
			}
			u.Declined = true
		}
		u.Pending = !u.Declined && u.Result == ""
		u.IsError = !u.Declined
		emit(ToolRan{Round: tl.round, CallID: c.ID, Use: publicUse(*u)})
	}
	if len(runs) < len(calls) {
		e.st.PutMessage(tl.ans) // best effort: the answer's last write keeps it too
	}
	if stopped {
		for _, r := range runs { // allowed, but the answer stopped before they ran
			uses[r.i].Pending, uses[r.i].IsError, uses[r.i].Result = false, true, "The answer was stopped before this call ran."
		}
	} else {
		e.runCalls(ctx, tl, uses, runs, emit)
	}
	if ctx.Err() == nil {
		return true
	}
	tl.ans.State = store.StateStopped
	if settle != nil {
		settle(settlement{final: Stopped{}, ans: tl.ans, kept: tl.ans})
		return false
	}
	e.st.PutMessage(tl.ans)
	emit(Stopped{})
	return false
}

// decide returns whether the call may run: at once for a tool the user
// always allows (remembered by the toolbox, ToolInfo.Allowed, or by this
// engine), else as SendOptions.Approve says (nil: declined). done reports
// that ctx ended while waiting.
func (e *Engine) decide(ctx context.Context, tl *toolLoop, callID string, remembered bool, req ToolRequest, emit sink) (allowed, done bool) {
	key := req.Server + "\x00" + req.Tool
	e.mu.Lock()
	always := e.always[key]
	e.mu.Unlock()
	if always || remembered {
		return true, false
	}
	emit(ToolAsked{Round: tl.round, CallID: callID, Request: req})
	if tl.approve == nil {
		return false, ctx.Err() != nil
	}
	d := tl.approve(ctx, req)
	if ctx.Err() != nil {
		return false, true
	}
	switch d {
	case AllowToolAlways:
		e.mu.Lock()
		e.always[key] = true
		e.mu.Unlock()
		if a, ok := e.toolbox.(ToolAllower); ok {
			a.AlwaysAllow(req.Server, req.Tool)
		}
		return true, false
	case AllowToolOnce:
		return true, false
	}
	return false, false
}

// runCalls runs the allowed calls at once, each on its own goroutine, and
// stores each result as it comes; it returns when all have ended
// (cancelling ctx cancels them).
func (e *Engine) runCalls(ctx context.Context, tl *toolLoop, uses []store.ToolUse, runs []toolRun, emit sink) {
	if len(runs) == 0 {
		return
	}
	done := make(chan toolDone, len(runs))
	for _, r := range runs {
		emit(ToolRunning{Round: tl.round, CallID: uses[r.i].CallID, Server: r.server, Tool: r.tool})
		go func() {
			start := time.Now()
			res, err := e.toolbox.Call(ctx, r.server, r.tool, r.args)
			done <- toolDone{i: r.i, res: res, err: err, took: time.Since(start)}
		}()
	}
	for range runs {
		d := <-done
		u := &uses[d.i]
		u.Pending, u.TookMs = false, d.took.Milliseconds()
		switch {
		case d.err != nil && ctx.Err() != nil:
			u.Result, u.IsError = "The call was stopped.", true
		case d.err != nil:
			u.Result, u.IsError = fmt.Sprintf("The tool %s failed: %v", u.Tool, d.err), true
		default:
			u.Result, u.IsError = cutResult(d.res.Text), d.res.IsError
		}
		e.st.PutMessage(tl.ans) // what ran is kept as it comes; best effort, as flushes are
		emit(ToolRan{Round: tl.round, CallID: u.CallID, Use: publicUse(*u)})
	}
}

// publicUse is u as events and callers see it.
func publicUse(u store.ToolUse) ToolUse {
	return ToolUse{Server: u.Server, Tool: u.Tool, Arguments: u.Arguments, Result: u.Result, IsError: u.IsError, Declined: u.Declined,
		Took: time.Duration(u.TookMs) * time.Millisecond, Name: u.Name, CallID: u.CallID, Round: u.Round}
}
