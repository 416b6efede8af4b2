package remote

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serve starts srv on a socket in a new folder and returns the folder; the
// server stops, and its commands end, with the test.
func serve(t *testing.T, srv *Server) string {
	t.Helper()
	dir := t.TempDir()
	ln, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return dir
}

func dialT(t *testing.T, dir string) *Conn {
	t.Helper()
	c, err := Dial(dir)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return c
}

// failReader fails the test if the command reads it.
type failReader struct{ t *testing.T }

func (r failReader) Read([]byte) (int, error) {
	r.t.Error("stdin was read, but the command does not read it")
	return 0, io.EOF
}

func TestRunRelaysStdoutStderrAndTheExitCode(t *testing.T) {
	var got Request
	dir := serve(t, &Server{Handler: func(_ context.Context, req Request, s Streams) int {
		got = req
		fmt.Fprint(s.Stdout, "out 1\n")
		fmt.Fprint(s.Stderr, "err 1\n")
		fmt.Fprint(s.Stdout, "out 2\n")
		return 3
	}})
	var out, errw bytes.Buffer
	req := Request{Args: []string{"list", "--json"}, Dir: "/somewhere", Env: []string{"A=1"}, StdoutTerminal: true}
	code, err := dialT(t, dir).Run(req, IO{Stdin: failReader{t}, Stdout: &out, Stderr: &errw})
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 || out.String() != "out 1\nout 2\n" || errw.String() != "err 1\n" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out.String(), errw.String())
	}
	if strings.Join(got.Args, " ") != "list --json" || got.Dir != "/somewhere" || got.Env[0] != "A=1" || !got.StdoutTerminal || got.StdinTerminal {
		t.Fatalf("the window received %+v", got)
	}
}

func TestStdinIsReadWhenTheCommandReadsIt(t *testing.T) {
	dir := serve(t, &Server{Handler: func(_ context.Context, req Request, s Streams) int {
		if !s.Stdin.IsPiped() || s.Stdin.IsTerminal() {
			fmt.Fprintln(s.Stderr, "wrong kind of stdin")
			return 1
		}
		b, err := io.ReadAll(s.Stdin)
		if err != nil {
			fmt.Fprintln(s.Stderr, err)
			return 1
		}
		s.Stdout.Write(bytes.ToUpper(b))
		return 0
	}})
	// 200 KB: several reads, each at most a frame's chunk.
	in := strings.Repeat("piped text ", 20000)
	var out, errw bytes.Buffer
	code, err := dialT(t, dir).Run(Request{StdinPiped: true}, IO{Stdin: strings.NewReader(in), Stdout: &out, Stderr: &errw})
	if err != nil || code != 0 {
		t.Fatalf("code %d, err %v, stderr %q", code, err, errw.String())
	}
	if out.String() != strings.ToUpper(in) {
		t.Fatalf("stdout has %d bytes, want %d", out.Len(), len(in))
	}
}

func TestLargeOutputArrivesWhole(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16) // 3 MB: over MaxFrame
	dir := serve(t, &Server{Handler: func(_ context.Context, _ Request, s Streams) int {
		if n, err := s.Stdout.Write(big); err != nil || n != len(big) {
			return 1
		}
		return 0
	}})
	var out bytes.Buffer
	code, err := dialT(t, dir).Run(Request{}, IO{Stdin: failReader{t}, Stdout: &out, Stderr: io.Discard})
	if err != nil || code != 0 || !bytes.Equal(out.Bytes(), big) {
		t.Fatalf("code %d, err %v, %d bytes of %d", code, err, out.Len(), len(big))
	}
}

func TestReadPasswordUsesTheClientsNoEchoRead(t *testing.T) {
	dir := serve(t, &Server{Handler: func(_ context.Context, _ Request, s Streams) int {
		b, err := s.Stdin.ReadPassword()
		if err != nil {
			return 1
		}
		fmt.Fprintf(s.Stdout, "key %s", b)
		return 0
	}})
	var out bytes.Buffer
	cio := IO{Stdin: failReader{t}, Stdout: &out, Stderr: io.Discard,
		ReadPassword: func() ([]byte, error) { return []byte("sk-123"), nil }}
	code, err := dialT(t, dir).Run(Request{StdinTerminal: true}, cio)
	if err != nil || code != 0 || out.String() != "key sk-123" {
		t.Fatalf("code %d, err %v, stdout %q", code, err, out.String())
	}
}

func TestCancelStopsTheCommandInTheWindow(t *testing.T) {
	started := make(chan struct{})
	dir := serve(t, &Server{Handler: func(ctx context.Context, _ Request, s Streams) int {
		fmt.Fprint(s.Stdout, "partial")
		close(started)
		<-ctx.Done()
		fmt.Fprintln(s.Stderr, "Stopped; the partial answer is saved.")
		return 130
	}})
	cancel := make(chan struct{})
	go func() {
		<-started
		close(cancel)
	}()
	var out, errw bytes.Buffer
	code, err := dialT(t, dir).Run(Request{}, IO{Stdin: failReader{t}, Stdout: &out, Stderr: &errw, Cancel: cancel})
	if err != nil || code != 130 || out.String() != "partial" || !strings.Contains(errw.String(), "Stopped") {
		t.Fatalf("code %d, err %v, stdout %q, stderr %q", code, err, out.String(), errw.String())
	}
}

// rawHello connects to dir and sends a hello of version v with args.
func rawHello(t *testing.T, dir string, v int, args ...string) net.Conn {
	t.Helper()
	conn, err := net.Dial("unix", filepath.Join(dir, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := writeJSONFrame(conn, frameHello, Request{Version: v, Args: args}); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestAClientThatGoesAwayCancelsTheCommand(t *testing.T) {
	started, ended := make(chan struct{}), make(chan struct{})
	dir := serve(t, &Server{Handler: func(ctx context.Context, _ Request, s Streams) int {
		close(started)
		<-ctx.Done()
		close(ended)
		return 130
	}})
	conn := rawHello(t, dir, Version, "ask")
	<-started
	conn.Close()
	<-ended // the test's deadline is the failure
}

func TestAClientThatGoesAwayWhileTheCommandReadsStdin(t *testing.T) {
	result := make(chan error, 1)
	dir := serve(t, &Server{Handler: func(ctx context.Context, _ Request, s Streams) int {
		_, err := io.ReadAll(s.Stdin)
		result <- err
		return 1
	}})
	conn := rawHello(t, dir, Version, "ask")
	// The welcome, then the read request; then the client is gone.
	if typ, _, err := readFrame(conn, MaxFrame); err != nil || typ != frameWelcome {
		t.Fatalf("frame %q, %v", typ, err)
	}
	if typ, _, err := readFrame(conn, MaxFrame); err != nil || typ != frameRead {
		t.Fatalf("frame %q, %v", typ, err)
	}
	conn.Close()
	if err := <-result; err == nil {
		t.Fatal("reading the stdin of a client that went away succeeded")
	}
}

func TestAHelloOfAnotherVersionIsRefused(t *testing.T) {
	ran := false
	dir := serve(t, &Server{Handler: func(context.Context, Request, Streams) int { ran = true; return 0 }})
	conn := rawHello(t, dir, Version+1, "list")
	typ, payload, err := readFrame(conn, MaxFrame)
	if err != nil || typ != frameWelcome || !strings.Contains(string(payload), `"refused"`) {
		t.Fatalf("frame %q %s, %v", typ, payload, err)
	}
	if _, _, err := readFrame(conn, MaxFrame); !errors.Is(err, io.EOF) {
		t.Fatalf("after the refusal: %v, want the connection closed", err)
	}
	if ran {
		t.Fatal("a command of another protocol version ran")
	}
}

func TestTheClientSaysWhenTheWindowIsAnotherVersion(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("unix", filepath.Join(dir, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		readFrame(conn, MaxFrame)
		writeJSONFrame(conn, frameWelcome, welcome{Version: Version + 1, Refused: "no"})
	}()
	_, err = dialT(t, dir).Run(Request{Args: []string{"list"}}, IO{Stdin: failReader{t}, Stdout: io.Discard, Stderr: io.Discard})
	var re *Error
	if !errors.As(err, &re) || !strings.Contains(re.Sentence, "close the window, or use the same deskchat") {
		t.Fatalf("err %v, want the sentence on versions", err)
	}
}

func TestAPeerOfAnotherUserIsRefused(t *testing.T) {
	ran := false
	dir := serve(t, &Server{
		Handler: func(context.Context, Request, Streams) int { ran = true; return 0 },
		PeerUID: func(*net.UnixConn) (int, error) { return os.Getuid() + 1, nil },
	})
	_, err := dialT(t, dir).Run(Request{Args: []string{"list"}}, IO{Stdin: failReader{t}, Stdout: io.Discard, Stderr: io.Discard})
	var re *Error
	if !errors.As(err, &re) || !strings.Contains(re.Sentence, "another user") {
		t.Fatalf("err %v, want a refusal", err)
	}
	if ran {
		t.Fatal("the command of another user ran")
	}
}

func TestTheKernelSaysThePeersUser(t *testing.T) {
	got := make(chan int, 1)
	dir := serve(t, &Server{
		Handler: func(context.Context, Request, Streams) int { return 0 },
		PeerUID: func(c *net.UnixConn) (int, error) {
			uid, err := kernelPeerUID(c)
			got <- uid
			return uid, err
		},
	})
	code, err := dialT(t, dir).Run(Request{}, IO{Stdin: failReader{t}, Stdout: io.Discard, Stderr: io.Discard})
	if err != nil || code != 0 {
		t.Fatalf("code %d, err %v", code, err)
	}
	if uid := <-got; uid != os.Getuid() {
		t.Fatalf("SO_PEERCRED says uid %d, want %d", uid, os.Getuid())
	}
}

func TestASocketOfAnotherUserIsNotUsed(t *testing.T) {
	dir := serve(t, &Server{Handler: func(context.Context, Request, Streams) int { return 0 }})
	_, err := dial(dir, os.Getuid()+1)
	var re *Error
	if !errors.As(err, &re) || !strings.Contains(re.Sentence, "belongs to another user") {
		t.Fatalf("err %v, want a refusal", err)
	}
}

func TestNoSocketIsNoWindow(t *testing.T) {
	if _, err := Dial(t.TempDir()); !errors.Is(err, ErrNoWindow) {
		t.Fatalf("err %v, want ErrNoWindow", err)
	}
}

func TestAStaleSocketIsNoWindowAndTheNextWindowRemovesIt(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, SocketName), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false) // as a killed window leaves it
	ln.Close()
	if _, err := Dial(dir); !errors.Is(err, ErrNoWindow) {
		t.Fatalf("Dial on a stale socket: %v, want ErrNoWindow", err)
	}
	srv := &Server{Handler: func(_ context.Context, _ Request, s Streams) int { fmt.Fprint(s.Stdout, "served"); return 0 }}
	ln2, err := Listen(dir)
	if err != nil {
		t.Fatalf("Listen beside a stale socket: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln2) }()
	defer func() { cancel(); <-done }()
	var out bytes.Buffer
	if code, err := dialT(t, dir).Run(Request{}, IO{Stdin: failReader{t}, Stdout: &out, Stderr: io.Discard}); err != nil || code != 0 || out.String() != "served" {
		t.Fatalf("code %d, err %v, stdout %q", code, err, out.String())
	}
}

func TestListenRefusesASocketThatAnswers(t *testing.T) {
	dir := serve(t, &Server{Handler: func(context.Context, Request, Streams) int { return 0 }})
	if _, err := Listen(dir); !errors.Is(err, ErrServing) {
		t.Fatalf("second Listen: %v, want ErrServing", err)
	}
}

func TestListenLeavesAFileThatIsNoSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SocketName)
	if err := os.WriteFile(path, []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(dir); err == nil {
		t.Fatal("Listen replaced a regular file")
	}
	if b, _ := os.ReadFile(path); string(b) != "mine" {
		t.Fatal("the file was changed")
	}
}

func TestTheSocketIsTheUsersOnly(t *testing.T) {
	dir := serve(t, &Server{Handler: func(context.Context, Request, Streams) int { return 0 }})
	fi, err := os.Stat(filepath.Join(dir, SocketName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("socket mode %o, want 600", perm)
	}
}

// TestGarbageDoesNotHurtTheServer sends what is no hello (text, a frame
// claiming 4 GB, a hello of invalid JSON, silence): each connection is
// closed without an answer, and the server still serves.
func TestGarbageDoesNotHurtTheServer(t *testing.T) {
	ran := 0
	var mu sync.Mutex
	srv := &Server{HelloTimeout: 50 * time.Millisecond, Handler: func(_ context.Context, _ Request, s Streams) int {
		mu.Lock()
		ran++
		mu.Unlock()
		fmt.Fprint(s.Stdout, "fine")
		return 0
	}}
	dir := serve(t, srv)
	huge := binary.BigEndian.AppendUint32(nil, 0xFFFFFFFF)
	cases := map[string][]byte{
		"text":      []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"oversized": append(huge, frameHello),
		"bad json":  append(binary.BigEndian.AppendUint32(nil, 3), frameHello, '{', '{', '{'),
		"not hello": append(binary.BigEndian.AppendUint32(nil, 0), frameStdout),
		"silence":   nil,
		"half":      {0, 0},
	}
	for name, junk := range cases {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("unix", filepath.Join(dir, SocketName))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.Write(junk)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // a failure, not a hang
			// EOF, or a reset when the server closed with bytes unread.
			if n, err := conn.Read(make([]byte, 1)); n != 0 || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
				t.Fatalf("read %d bytes, %v; want the connection closed", n, err)
			}
		})
	}
	var out bytes.Buffer
	if code, err := dialT(t, dir).Run(Request{}, IO{Stdin: failReader{t}, Stdout: &out, Stderr: io.Discard}); err != nil || code != 0 || out.String() != "fine" {
		t.Fatalf("after the garbage: code %d, err %v, stdout %q", code, err, out.String())
	}
	if ran != 1 {
		t.Fatalf("%d commands ran, want 1", ran)
	}
}

func TestAnOversizedFrameFromTheClientEndsTheCommand(t *testing.T) {
	ended := make(chan struct{})
	dir := serve(t, &Server{Handler: func(ctx context.Context, _ Request, s Streams) int {
		<-ctx.Done()
		close(ended)
		return 130
	}})
	conn := rawHello(t, dir, Version, "ask")
	conn.Write(append(binary.BigEndian.AppendUint32(nil, MaxFrame+1), frameStdin))
	<-ended
}

func TestActivate(t *testing.T) {
	activated := make(chan struct{})
	dir := serve(t, &Server{
		Handler:  func(context.Context, Request, Streams) int { t.Error("a command ran"); return 1 },
		Activate: func() { close(activated) },
	})
	if err := dialT(t, dir).Activate(); err != nil {
		t.Fatal(err)
	}
	<-activated
}

func TestStoppingTheServerCancelsItsCommands(t *testing.T) {
	dir := t.TempDir()
	ln, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &Server{Handler: func(ctx context.Context, _ Request, s Streams) int {
		close(started)
		<-ctx.Done()
		fmt.Fprint(s.Stderr, "stopped")
		return 130
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	go func() { <-started; cancel() }()
	var errw bytes.Buffer
	code, err := dialT(t, dir).Run(Request{}, IO{Stdin: failReader{t}, Stdout: io.Discard, Stderr: &errw})
	if err != nil || code != 130 || errw.String() != "stopped" {
		t.Fatalf("code %d, err %v, stderr %q", code, err, errw.String())
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, SocketName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the socket is left after Serve: %v", err)
	}
}

func TestACommandThatPanicsFailsAlone(t *testing.T) {
	dir := serve(t, &Server{Handler: func(_ context.Context, req Request, s Streams) int {
		if len(req.Args) > 0 && req.Args[0] == "boom" {
			panic("boom")
		}
		fmt.Fprint(s.Stdout, "fine")
		return 0
	}})
	var errw bytes.Buffer
	code, err := dialT(t, dir).Run(Request{Args: []string{"boom"}}, IO{Stdin: failReader{t}, Stdout: io.Discard, Stderr: &errw})
	if err != nil || code != 1 || !strings.Contains(errw.String(), "failed inside the deskchat window") {
		t.Fatalf("code %d, err %v, stderr %q", code, err, errw.String())
	}
	var out bytes.Buffer
	if code, err := dialT(t, dir).Run(Request{}, IO{Stdin: failReader{t}, Stdout: &out, Stderr: io.Discard}); err != nil || code != 0 || out.String() != "fine" {
		t.Fatalf("after the panic: code %d, err %v", code, err)
	}
}

// TestALongDataFolderStillServes: a folder whose socket path is over the
// kernel's 107 bytes.
func TestALongDataFolderStillServes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("a-very-long-folder-name-", 6))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if n := len(filepath.Join(dir, SocketName)); n <= 107 {
		t.Fatalf("the path is %d bytes, not over the limit", n)
	}
	ln, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Handler: func(_ context.Context, _ Request, s Streams) int { fmt.Fprint(s.Stdout, "long"); return 0 }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	var out bytes.Buffer
	code, err := dialT(t, dir).Run(Request{}, IO{Stdin: failReader{t}, Stdout: &out, Stderr: io.Discard})
	if err != nil || code != 0 || out.String() != "long" {
		t.Fatalf("code %d, err %v, stdout %q", code, err, out.String())
	}
	if _, err := Listen(dir); !errors.Is(err, ErrServing) {
		t.Fatalf("a second Listen: %v, want ErrServing", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, SocketName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the socket is left: %v", err)
	}
}
