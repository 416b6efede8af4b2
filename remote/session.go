package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
)

// session is one command's connection on the server's side.
type session struct {
	ctx    context.Context
	cancel context.CancelFunc
	conn   *net.UnixConn
	wmu    sync.Mutex // one frame at a time
	stdin  *Stdin
}

func newSession(parent context.Context, conn *net.UnixConn, req Request) *session {
	ctx, cancel := context.WithCancel(parent)
	s := &session{ctx: ctx, cancel: cancel, conn: conn}
	s.stdin = &Stdin{s: s, terminal: req.StdinTerminal, piped: req.StdinPiped, replies: make(chan stdinReply, 1)}
	return s
}

func (s *session) send(typ byte, payload []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return writeFrame(s.conn, typ, payload)
}

// readLoop reads the client's frames until the connection ends: a cancel
// or the end of the connection cancels the command.
func (s *session) readLoop() {
	defer s.cancel()
	defer close(s.stdin.replies)
	for {
		typ, payload, err := readFrame(s.conn, MaxFrame)
		if err != nil {
			return
		}
		switch typ {
		case frameCancel:
			s.cancel()
		case frameStdin, frameEOF:
			select {
			case s.stdin.replies <- stdinReply{data: payload, eof: typ == frameEOF}:
			default:
				return // a reply nobody asked for breaks the protocol
			}
		default:
			return
		}
	}
}

// writer is stdout or stderr (typ) of the session.
func (s *session) writer(typ byte) io.Writer { return &output{s: s, typ: typ} }

type output struct {
	s   *session
	typ byte
}

func (o *output) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		part := p[:min(len(p), chunk)]
		if err := o.s.send(o.typ, part); err != nil {
			return n, err
		}
		n += len(part)
		p = p[len(part):]
	}
	return n, nil
}

type stdinReply struct {
	data []byte
	eof  bool
}

// errClientGone is a read of stdin whose client went away; errStopped,
// one stopped while it waited (Ctrl-C). Commands put them in sentences
// ("The text on stdin could not be read: the command was stopped.").
var (
	errClientGone = errors.New("the command line that ran this command has gone")
	errStopped    = errors.New("the command was stopped")
)

// Stdin is the client's stdin, read on demand: each Read asks the client
// for at most what it can hold. Besides io.Reader it says what the client's
// stdin is (IsTerminal, IsPiped) and reads a line without echo
// (ReadPassword). One goroutine reads it at a time.
type Stdin struct {
	s               *session
	terminal, piped bool
	mu              sync.Mutex
	replies         chan stdinReply
	pending         []byte
	err             error // io.EOF once the client's stdin ended
}

// IsTerminal reports whether the client's stdin is a terminal.
func (in *Stdin) IsTerminal() bool { return in.terminal }

// IsPiped reports whether the client's stdin is a pipe or a file.
func (in *Stdin) IsPiped() bool { return in.piped }

func (in *Stdin) Read(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	if len(in.pending) == 0 && in.err == nil {
		in.pending, in.err = in.ask(frameRead, min(len(p), chunk))
	}
	if len(in.pending) > 0 {
		n := copy(p, in.pending)
		in.pending = in.pending[n:]
		return n, nil
	}
	return 0, in.err
}

// ReadPassword reads one line the client types without echo (its stdin
// must be a terminal), without the line's end.
func (in *Stdin) ReadPassword() ([]byte, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	b, err := in.ask(frameSecret, chunk)
	if errors.Is(err, io.EOF) && len(b) > 0 {
		err = nil
	}
	return b, err
}

// ask sends a request for stdin and waits for the reply.
func (in *Stdin) ask(typ byte, n int) ([]byte, error) {
	if err := in.s.send(typ, uint32Payload(uint32(n))); err != nil {
		return nil, errClientGone
	}
	select {
	case r, ok := <-in.replies:
		switch {
		case !ok:
			return nil, errClientGone
		case r.eof:
			return r.data, io.EOF
		}
		return r.data, nil
	case <-in.s.ctx.Done():
		return nil, errStopped
	}
}
