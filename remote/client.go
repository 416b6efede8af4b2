package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// ErrNoWindow is Dial's error when no window serves the folder: there is
// no socket, or only the stale one of a window that was killed. The
// command line then opens the history itself.
var ErrNoWindow = errors.New("remote: no window serves this history")

// Error is a refusal the client reports as it is: one sentence.
type Error struct{ Sentence string }

func (e *Error) Error() string { return e.Sentence }

// cancelGrace bounds the wait for the exit code after a cancel.
const cancelGrace = 5 * time.Second

// welcomeTimeout bounds the wait for the window's answer to a hello.
const welcomeTimeout = 10 * time.Second

// Conn is a connection to the window, for one command.
type Conn struct {
	conn *net.UnixConn
	wmu  sync.Mutex
}

// Dial connects to the window serving dataDir. The socket file must be
// the user's own: one that another user owns is refused with an *Error.
func Dial(dataDir string) (*Conn, error) {
	return dial(dataDir, os.Getuid())
}

func dial(dataDir string, uid int) (*Conn, error) {
	if !supported {
		return nil, ErrNoWindow
	}
	path := filepath.Join(dataDir, SocketName)
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoWindow
	}
	if errors.Is(err, os.ErrPermission) {
		return nil, &Error{Sentence: fmt.Sprintf("%s is not yours to read (it belongs to another user); use your own --data-dir.", dataDir)}
	}
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return nil, ErrNoWindow // not a window's: the history's lock speaks for whoever holds it
	}
	if owner, ok := ownerUID(fi); !ok || owner != uid {
		return nil, &Error{Sentence: fmt.Sprintf("%s belongs to another user; deskchat does not send your commands to it. Remove it, or use your own --data-dir.", path)}
	}
	name, release, err := sockName(path)
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: name, Net: "unix"})
	release()
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoWindow // stale: the next window removes it
	}
	if err != nil {
		return nil, fmt.Errorf("remote: connect to the window: %w", err)
	}
	return &Conn{conn: c}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.conn.Close() }

// IO is the client's side of a command: its streams and how it reads a
// line without echo. Cancel, when it is closed or receives, cancels the
// command in the window (Ctrl-C).
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// ReadPassword reads a line typed without echo; nil reads a line as
	// it comes.
	ReadPassword func() ([]byte, error)
	Cancel       <-chan struct{}
}

func (c *Conn) send(typ byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return writeFrame(c.conn, typ, payload)
}

// hello sends req and reads the welcome.
func (c *Conn) hello(req Request) error {
	req.Version = Version
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if len(b) > MaxFrame {
		return &Error{Sentence: fmt.Sprintf("The command and its environment are over %d KB, more than the window takes; run it with the window closed.", MaxFrame>>10)}
	}
	werr := writeFrame(c.conn, frameHello, b)
	c.conn.SetReadDeadline(time.Now().Add(welcomeTimeout))
	typ, payload, err := readFrame(c.conn, MaxFrame)
	if err != nil {
		if werr != nil {
			err = werr
		}
		return fmt.Errorf("remote: the window did not answer: %w", err)
	}
	c.conn.SetReadDeadline(time.Time{})
	var w welcome
	if typ != frameWelcome || json.Unmarshal(payload, &w) != nil {
		return &Error{Sentence: "The open deskchat window answered in a way this deskchat does not understand: close the window, or use the same deskchat as the window."}
	}
	if w.Version != Version {
		return &Error{Sentence: fmt.Sprintf("The open deskchat window is another version (protocol %d, this deskchat speaks %d): close the window, or use the same deskchat as the window.", w.Version, Version)}
	}
	if w.Refused != "" {
		return &Error{Sentence: w.Refused}
	}
	return nil
}

// Activate asks the window to come forward.
func (c *Conn) Activate() error {
	defer c.Close()
	if err := c.hello(Request{Activate: true}); err != nil {
		return err
	}
	_, err := c.relay(IO{Stdin: eofReader{}, Stdout: io.Discard, Stderr: io.Discard})
	return err
}

// Run runs req in the window, relaying streams as the window asks, and
// returns the command's exit code. It closes the connection.
func (c *Conn) Run(req Request, cio IO) (int, error) {
	defer c.Close()
	if err := c.hello(req); err != nil {
		return 0, err
	}
	return c.relay(cio)
}

// relay serves the window's frames until the exit code.
func (c *Conn) relay(cio IO) (int, error) {
	if cio.Cancel != nil {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-cio.Cancel:
				c.send(frameCancel, nil)
				// The window's answer to a cancel is quick (the command's
				// last words, then its exit code); one that never comes
				// does not keep the command line from ending.
				c.conn.SetReadDeadline(time.Now().Add(cancelGrace))
			case <-done:
			}
		}()
	}
	reads := make(chan readRequest, 8)
	defer close(reads)
	go c.serveStdin(cio, reads)
	for {
		typ, payload, err := readFrame(c.conn, MaxFrame)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return 0, &Error{Sentence: "The window did not confirm the stop in time; the command may still be ending there."}
			}
			return 0, &Error{Sentence: "The deskchat window closed the connection before the command ended; see the window for what happened."}
		}
		switch typ {
		case frameStdout:
			cio.Stdout.Write(payload) // a closed stdout: the command goes on, as alone
		case frameStderr:
			cio.Stderr.Write(payload)
		case frameRead, frameSecret:
			n, ok := readUint32(payload)
			if !ok {
				return 0, errFrame
			}
			select {
			case reads <- readRequest{n: int(min(n, chunk)), secret: typ == frameSecret}:
			default:
				return 0, errFrame // the window asks for one read at a time
			}
		case frameExit:
			code, ok := readUint32(payload)
			if !ok {
				return 0, errFrame
			}
			return int(int32(code)), nil
		default:
			return 0, errFrame
		}
	}
}

type readRequest struct {
	n      int
	secret bool
}

// serveStdin answers the window's reads of stdin, one at a time, apart
// from relay: a read that blocks (a terminal) does not hold up stdout.
func (c *Conn) serveStdin(cio IO, reads <-chan readRequest) {
	ended := false
	for r := range reads {
		if ended {
			c.send(frameEOF, nil)
			continue
		}
		if r.secret && cio.ReadPassword != nil {
			line, err := cio.ReadPassword()
			if err != nil {
				ended = true
				c.send(frameEOF, line)
				continue
			}
			c.send(frameStdin, line)
			continue
		}
		buf := make([]byte, max(r.n, 1))
		n, err := cio.Stdin.Read(buf)
		switch {
		case n > 0:
			c.send(frameStdin, buf[:n])
		case err != nil:
			ended = true
			c.send(frameEOF, nil)
		default:
			c.send(frameStdin, nil)
		}
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
