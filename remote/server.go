package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// SocketName is the socket's file name in the data folder.
const SocketName = "deskchat.sock"

// HelloTimeout bounds how long a connection may take to send its hello:
// a client that connects and says nothing does not hold a goroutine.
const HelloTimeout = 5 * time.Second

// acceptRetry is the pause after a failed accept.
const acceptRetry = 100 * time.Millisecond

// stopGrace is how long a command cancelled by the server's end may still
// write to its client.
const stopGrace = 2 * time.Second

// Request is a command as the client sends it in its hello.
type Request struct {
	Version int `json:"version"`
	// Activate asks the window to come forward; nothing runs.
	Activate bool     `json:"activate,omitempty"`
	Args     []string `json:"args"`
	// Dir is the client's working folder: relative paths are resolved in
	// it.
	Dir string `json:"dir"`
	// Env is the client's whole environment ("NAME=value"): the command
	// reads variables as it would run alone.
	Env []string `json:"env"`
	// Which of the client's streams are terminals, and whether its stdin
	// is a pipe or a file (worth reading beside a prompt).
	StdinTerminal  bool `json:"stdin_terminal,omitempty"`
	StdinPiped     bool `json:"stdin_piped,omitempty"`
	StdoutTerminal bool `json:"stdout_terminal,omitempty"`
	StderrTerminal bool `json:"stderr_terminal,omitempty"`
}

// welcome is the server's answer to a hello.
type welcome struct {
	Version int `json:"version"`
	// Refused, when set, is the sentence the client prints; nothing runs.
	Refused string `json:"refused,omitempty"`
}

// Streams are a command's stdin, stdout and stderr, relayed to the client.
// Stdin is a *Stdin.
type Streams struct {
	Stdin          *Stdin
	Stdout, Stderr io.Writer
}

// Handler runs one command and returns its exit code. ctx ends when the
// client cancels (Ctrl-C), goes away, or the server stops.
type Handler func(ctx context.Context, req Request, s Streams) int

// Server serves commands on a listener from Listen. Handler must be set;
// the zero value of the other fields is usable.
type Server struct {
	Handler Handler
	// Activate brings the window forward (a second "deskchat" without a
	// command); nil: nothing.
	Activate func()
	// PeerUID returns the user id of the process at the other end of
	// conn; nil: the kernel's (SO_PEERCRED). Tests inject another.
	PeerUID func(conn *net.UnixConn) (int, error)
	// HelloTimeout overrides the package's HelloTimeout (tests); 0: it.
	HelloTimeout time.Duration
}

// Listen serves the socket of dataDir (mode 0600). A socket left by a
// window that was killed (nothing answers on it) is removed first; a
// socket that answers belongs to a window still running, and Listen fails.
func Listen(dataDir string) (*Listener, error) {
	if !supported {
		return nil, errors.New("remote: the window cannot check who connects on this system, so it serves no socket")
	}
	path := filepath.Join(dataDir, SocketName)
	if err := removeStale(path); err != nil {
		return nil, err
	}
	name, release, err := sockName(path)
	if err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: name, Net: "unix"})
	release()
	if err != nil {
		return nil, fmt.Errorf("remote: listen on %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // Close removes path, whatever name bound it
	l := &Listener{UnixListener: ln, path: path}
	// The folder is the user's own (0700); the mode is for a folder that
	// is not, and the peer's uid is checked anyway.
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("remote: %w", err)
	}
	return l, nil
}

// Listener is the window's socket; Close removes its file.
type Listener struct {
	*net.UnixListener
	path string
	once sync.Once
}

// Close stops listening and removes the socket file.
func (l *Listener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() { os.Remove(l.path) })
	return err
}

// ErrServing is Listen's error when another window serves the folder.
var ErrServing = errors.New("remote: another deskchat window serves this history")

func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remote: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("remote: %s is not a socket; deskchat leaves it alone", path)
	}
	name, release, err := sockName(path)
	if err != nil {
		return err
	}
	conn, err := net.DialTimeout("unix", name, time.Second)
	release()
	if err == nil {
		conn.Close()
		return ErrServing
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("remote: %w", err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remote: remove the stale socket: %w", err)
	}
	return nil
}

// Serve accepts connections on ln until ctx ends, then closes ln, cancels
// the commands running and returns once they have ended.
func (s *Server) Serve(ctx context.Context, ln *Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	defer ln.Close() // returns once the socket file is gone, whoever closed first
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("remote: accept: %w", err)
			}
			// Out of file descriptors, say: the window goes on, and so
			// does serving, once a moment has passed.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(acceptRetry):
			}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, conn)
		}()
	}
}

// serveConn runs one connection: the hello, then the command.
func (s *Server) serveConn(ctx context.Context, conn *net.UnixConn) {
	defer conn.Close()
	// When the server stops, the command is cancelled and has stopGrace
	// to say so; then the connection fails: a command writing to a client
	// that no longer reads is not left waiting.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now().Add(stopGrace)) })
	defer stop()
	wait := s.HelloTimeout
	if wait <= 0 {
		wait = HelloTimeout
	}
	req, err := readHello(conn, wait)
	if err != nil {
		return // garbage, a hello too large or too late: nothing to answer
	}
	if refused := s.refusal(conn, req); refused != "" {
		writeJSONFrame(conn, frameWelcome, welcome{Version: Version, Refused: refused})
		return
	}
	if err := writeJSONFrame(conn, frameWelcome, welcome{Version: Version}); err != nil {
		return
	}
	if req.Activate {
		if s.Activate != nil {
			s.Activate()
		}
		writeFrame(conn, frameExit, uint32Payload(0))
		return
	}
	sess := newSession(ctx, conn, req)
	defer sess.cancel()
	go sess.readLoop()
	code := s.run(sess, req)
	sess.send(frameExit, uint32Payload(uint32(int32(code))))
}

// run runs the handler. A command that panics fails alone: the window it
// runs in, and the commands beside it, go on.
func (s *Server) run(sess *session, req Request) (code int) {
	stderr := sess.writer(frameStderr)
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "deskchat: a command from the command line panicked: %v\n%s", r, debug.Stack())
			fmt.Fprintln(stderr, "The command failed inside the deskchat window (a bug: its details are in the window's log).")
			code = 1
		}
	}()
	return s.Handler(sess.ctx, req, Streams{Stdin: sess.stdin, Stdout: sess.writer(frameStdout), Stderr: stderr})
}

// readHello reads the first frame, within wait.
func readHello(conn *net.UnixConn, wait time.Duration) (Request, error) {
	var req Request
	conn.SetReadDeadline(time.Now().Add(wait))
	typ, payload, err := readFrame(conn, MaxFrame)
	if err != nil {
		return req, err
	}
	if typ != frameHello {
		return req, errFrame
	}
	if err := json.Unmarshal(payload, &req); err != nil {
		return req, fmt.Errorf("%w: hello: %v", errFrame, err)
	}
	conn.SetReadDeadline(time.Time{})
	return req, nil
}

// refusal is the sentence that refuses req, "" to serve it.
func (s *Server) refusal(conn *net.UnixConn, req Request) string {
	peerUID := s.PeerUID
	if peerUID == nil {
		peerUID = kernelPeerUID
	}
	uid, err := peerUID(conn)
	if err != nil || uid != os.Getuid() {
		return "This deskchat window belongs to another user: it runs no commands for you."
	}
	if req.Version != Version {
		// The client words it: it knows which deskchat it is.
		return fmt.Sprintf("This deskchat window speaks protocol %d, not %d.", Version, req.Version)
	}
	return ""
}

func writeJSONFrame(w io.Writer, typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeFrame(w, typ, b)
}
