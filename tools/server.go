package tools

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/deskchat/deskchat/engine"
	"github.com/deskchat/deskchat/store"
)

// Status is where a server is in its life.
type Status string

// Statuses.
const (
	Idle      Status = "not started" // not used yet, or stopped and starting again on next use
	Starting  Status = "starting"
	Connected Status = "connected"
	Failed    Status = "failed" // not started again until Set gives it anew
)

// State is how a server is doing, for the Tools page and `tools list`.
type State struct {
	Status Status
	// Sentence says why it failed, or that it was restarted after a
	// crash; empty when there is nothing to say.
	Sentence string
	// Stderr is the last 4 KB the server wrote on its stderr (stdio only).
	Stderr string
	// Tools are all the tools the server offered when last asked, disabled
	// ones included.
	Tools []engine.ToolInfo
}

// maxTools bounds how many tools one server may list.
const maxTools = 1000

// server is one MCP server's settings and, once started, its connection.
type server struct {
	cfg    store.ToolServer
	m      *Manager
	stderr *tail

	mu       sync.Mutex
	status   Status
	sentence string
	conn     *conn
	starting chan struct{} // closed when a start in progress ends
	listed   []engine.ToolInfo
	disabled []string // the tools not offered (SetDisabled changes it)
	allowed  []string // the tools run without asking (SetAllowed, AlwaysAllow)
	crashes  int
	stopped  bool
}

// conn is a live MCP session and, for stdio, its process.
type conn struct {
	sess *mcp.ClientSession
	proc *process // nil over HTTP
	// ended is closed once the session's end is recorded (why says how).
	ended chan struct{}
	why   string
}

func newServer(ts store.ToolServer, m *Manager) *server {
	return &server{cfg: ts, m: m, stderr: &tail{}, status: Idle,
		disabled: slices.Clone(ts.Disabled), allowed: slices.Clone(ts.Allowed)}
}

func (s *server) state() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return State{Status: s.status, Sentence: s.sentence, Stderr: s.stderr.String(), Tools: slices.Clone(s.listed)}
}

// session returns the server's live connection, starting the server when
// it is not running. Its errors are sentences (or ctx's error).
func (s *server) session(ctx context.Context) (*conn, error) {
	for {
		s.mu.Lock()
		switch {
		case s.stopped:
			s.mu.Unlock()
			return nil, fmt.Errorf("The tool server %s was stopped.", s.cfg.Name)
		case s.conn != nil:
			c := s.conn
			s.mu.Unlock()
			return c, nil
		case s.starting != nil:
			ch := s.starting
			s.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			continue
		case s.status == Failed:
			err := errors.New(s.sentence)
			s.mu.Unlock()
			return nil, err
		}
		ch := make(chan struct{})
		s.starting, s.status = ch, Starting
		s.mu.Unlock()
		c, err := s.start(ctx)
		return s.started(ch, c, err, ctx.Err() != nil)
	}
}

// started records how a start ended.
func (s *server) started(ch chan struct{}, c *conn, err error, cancelled bool) (*conn, error) {
	s.mu.Lock()
	defer close(ch)
	defer s.mu.Unlock()
	s.starting = nil
	switch {
	case s.stopped:
		if c != nil {
			go c.close()
		}
		return nil, fmt.Errorf("The tool server %s was stopped.", s.cfg.Name)
	case err != nil && cancelled:
		s.status = Idle
		return nil, err
	case err != nil:
		s.status, s.sentence = Failed, err.Error()
		return nil, err
	}
	s.conn, s.status = c, Connected
	if s.crashes > 0 {
		s.sentence = fmt.Sprintf("%s was restarted after it stopped.", s.cfg.Name)
	}
	go s.watch(c)
	return c, nil
}

// watch waits for c's session to end (the process exited, or wrote
// something that is not MCP, or the HTTP server went away) and records it
// as a crash unless the server was stopped.
func (s *server) watch(c *conn) {
	c.sess.Wait()
	why := "its connection ended"
	if c.proc != nil {
		why = c.proc.end()
	}
	s.mu.Lock()
	c.why = why
	if s.conn == c {
		s.conn, s.listed = nil, nil
		s.crashes++
		if s.crashes > 1 {
			s.status = Failed
			s.sentence = fmt.Sprintf("%s stopped again (%s) and was not restarted.%s", s.cfg.Name, why, s.lastWords())
		} else {
			s.status = Idle
			s.sentence = fmt.Sprintf("%s stopped (%s); it is restarted on its next use.%s", s.cfg.Name, why, s.lastWords())
		}
	}
	s.mu.Unlock()
	close(c.ended)
}

// lastWords is " It said: LINE" with the last line of the server's stderr,
// or "".
func (s *server) lastWords() string {
	if l := s.stderr.lastLine(); l != "" {
		return " It said: " + l
	}
	return ""
}

// stop ends the server for good: a start in progress is awaited and the
// connection closed, its process group killed.
func (s *server) stop() {
	s.mu.Lock()
	s.stopped = true
	c, ch := s.conn, s.starting
	s.conn = nil
	s.status = Idle
	s.mu.Unlock()
	if ch != nil {
		<-ch // started() sees stopped and closes what it started
	}
	if c != nil {
		c.close()
	}
}

// close ends the session and, for stdio, the server's process group.
func (c *conn) close() {
	done := make(chan struct{})
	go func() { c.sess.Close(); close(done) }()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C: // an HTTP server not answering the session's DELETE
	}
	if c.proc != nil {
		c.proc.end()
	}
}

// closeGrace is how long a server is given to leave on its own (its stdin
// closed) before its process group is killed.
const closeGrace = 2 * time.Second

// start starts the server (stdio) or reaches it (HTTP) and does the MCP
// handshake, within the start timeout.
func (s *server) start(ctx context.Context) (*conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.m.opts.StartTimeout)
	defer cancel()
	if s.cfg.URL != "" {
		return s.startHTTP(ctx)
	}
	return s.startStdio(ctx)
}

func (s *server) startStdio(ctx context.Context) (*conn, error) {
	if strings.TrimSpace(s.cfg.Command) == "" {
		return nil, fmt.Errorf("The tool server %s has neither a command nor a URL.", s.cfg.Name)
	}
	env, err := s.env(ctx)
	if err != nil {
		return nil, err
	}
	p, stdout, stdin, err := spawn(s.cfg.Command, s.cfg.Args, env, s.stderr)
	if err != nil {
		return nil, fmt.Errorf("%s could not be started: %s.", s.cfg.Name, shortError(err))
	}
	sess, err := s.m.client.Connect(ctx, &mcp.IOTransport{Reader: stdout, Writer: stdin}, nil)
	if err != nil {
		exited := p.exitedWithin(closeGrace / 4)
		stdin.Close()
		stdout.Close()
		why := p.end()
		// The SDK hung up on what it could not read: a server leaving
		// then, content or by SIGPIPE, did not fail on its own.
		exited = exited && why != "exit status 0" && why != "killed by broken pipe"
		switch {
		case ctx.Err() != nil && context.Cause(ctx) == context.DeadlineExceeded && !exited:
			return nil, fmt.Errorf("%s did not finish MCP's handshake within %s.%s", s.cfg.Name, within(s.m.opts.StartTimeout), s.lastWords())
		case ctx.Err() != nil && !exited:
			return nil, ctx.Err()
		case exited:
			return nil, fmt.Errorf("%s stopped while starting (%s).%s", s.cfg.Name, why, s.lastWords())
		}
		return nil, fmt.Errorf("%s does not speak MCP on its output: %s.%s", s.cfg.Name, shortError(err), s.lastWords())
	}
	return &conn{sess: sess, proc: p, ended: make(chan struct{})}, nil
}

// env is the server's environment beyond deskchat's own: the keychain's
// values and those passed on from deskchat's environment.
func (s *server) env(ctx context.Context) ([]string, error) {
	var env []string
	for _, k := range s.cfg.Env {
		v, err := s.m.opts.Secret(ctx, SecretKey(s.cfg.Name, "env", k))
		if err != nil {
			return nil, fmt.Errorf("The value of %s for %s cannot be read from the keychain (%s). Add the server again with --env %s=VALUE, or with --env %s to pass it on from deskchat's environment.", k, s.cfg.Name, shortError(err), k, k)
		}
		env = append(env, k+"="+v)
	}
	for _, k := range s.cfg.EnvFromProcess {
		v := s.m.opts.Getenv(k)
		if v == "" {
			return nil, fmt.Errorf("%s is not set in deskchat's environment, and %s needs it: set it before starting deskchat.", k, s.cfg.Name)
		}
		env = append(env, k+"="+v)
	}
	return env, nil
}

func (s *server) startHTTP(ctx context.Context) (*conn, error) {
	h := http.Header{}
	for _, k := range s.cfg.Header {
		v, err := s.m.opts.Secret(ctx, SecretKey(s.cfg.Name, "header", k))
		if err != nil {
			return nil, fmt.Errorf("The header %s for %s cannot be read from the keychain (%s). Add the server again with --header '%s: VALUE'.", k, s.cfg.Name, shortError(err), k)
		}
		h.Set(k, v)
	}
	tr := &mcp.StreamableClientTransport{Endpoint: s.cfg.URL, MaxRetries: 1, DisableStandaloneSSE: true,
		HTTPClient: &http.Client{Transport: headers{base: http.DefaultTransport, h: h}}}
	sess, err := s.m.client.Connect(ctx, tr, nil)
	if err != nil {
		if ctx.Err() != nil && context.Cause(ctx) != context.DeadlineExceeded {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s at %s did not answer MCP: %s.", s.cfg.Name, s.cfg.URL, shortError(err))
	}
	return &conn{sess: sess, ended: make(chan struct{})}, nil
}

// headers adds the server's headers to each request.
type headers struct {
	base http.RoundTripper
	h    http.Header
}

func (t headers) RoundTrip(r *http.Request) (*http.Response, error) {
	if len(t.h) > 0 {
		r = r.Clone(r.Context())
		for k, v := range t.h {
			r.Header[k] = v
		}
	}
	return t.base.RoundTrip(r)
}

// process is a stdio server's process, leader of its own process group.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when Wait returned; err is then set
	err    error
	once   sync.Once
	why    string
}

// spawn starts command in its own process group, its stdin and stdout
// pipes returned (ours to close), its stderr kept in errw.
func spawn(command string, args, env []string, errw *tail) (*process, *os.File, *os.File, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, nil, nil, err
	}
	cmd := exec.Command(command, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = closeGrace // a grandchild may hold stderr open
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, nil, nil, err
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, outR, inW, nil
}

// exitedWithin reports whether the process exits within d.
func (p *process) exitedWithin(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.exited:
		return true
	case <-t.C:
		return false
	}
}

// end waits closeGrace for the process to leave (its stdin is closed by
// then), kills its whole process group (its own children too, even when it
// left) and says how it ended.
func (p *process) end() string {
	p.once.Do(func() {
		exited := p.exitedWithin(closeGrace)
		// The group outlives its leader while a child is in it; the
		// leader's pid is not reused while the group exists.
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
		p.why = exitReason(p.err, exited)
	})
	return p.why
}

// exitReason says how a process ended: "exit status 2", "killed by signal
// 9"; "it wrote something that is not MCP" when it was still running and
// had to be killed.
func exitReason(err error, exited bool) string {
	if !exited {
		return "its output was not MCP, or it closed it"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "killed by " + ws.Signal().String()
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err != nil {
		return shortError(err)
	}
	return "exit status 0"
}

// tail keeps the last tailSize bytes written to it. Safe for concurrent
// use.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 4 << 10

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= tailSize {
		p = p[len(p)-tailSize:]
		t.buf = t.buf[:0]
	}
	if over := len(t.buf) + len(p) - tailSize; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.ToValidUTF8(string(t.buf), "")
}

// lastLine is the last non-empty line written, at most 300 characters.
func (t *tail) lastLine() string {
	lines := strings.Split(strings.TrimSpace(t.String()), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if r := []rune(l); len(r) > 300 {
		l = string(r[:299]) + "…"
	}
	return l
}
