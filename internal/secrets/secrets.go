// Package secrets finds providers' API keys: in the OS keychain (through
// github.com/zalando/go-keyring), in an environment variable, or in the
// output of a key command (a password manager, say). Keys are never written
// anywhere else, and no error of this package contains a key or a key
// command's output.
//
// Use a Resolver to find keys: its zero value reads the OS keychain and the
// process's environment, is safe for concurrent use, and remembers keychain
// and command keys until Forget. Save and Delete change the keychain; call
// Forget afterwards so the next Key reads the new key. Every failure is an
// *Error whose Sentence is what the user reads.
package secrets

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/internal/redact"
	"github.com/deskchat/deskchat/store"
)

// Service is the keychain service deskchat's keys are stored under; the
// account is the provider's name.
const Service = "deskchat"

// CommandTimeout bounds a key command.
const CommandTimeout = 5 * time.Second

// ProbeTimeout bounds Probe: a D-Bus call to a missing or stuck Secret
// Service can hang. A variable so tests can shorten it.
var ProbeTimeout = 2 * time.Second

// KeychainTimeout bounds the other keychain calls (Save, Delete, reading a
// key in Resolver.Key). It is longer than ProbeTimeout because the
// keychain may ask the user to unlock it.
var KeychainTimeout = 30 * time.Second

// probeAccount is the account Probe reads; it is never written.
const probeAccount = "deskchat-probe"

// Keyring is the part of go-keyring deskchat uses.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// System is the OS keychain (go-keyring; its mock after keyring.MockInit).
func System() Keyring { return systemKeyring{} }

// systemKeyring calls go-keyring's package functions at each call, so
// keyring.MockInit switches it to the mock even after System returned it.
type systemKeyring struct{}

func (systemKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (systemKeyring) Set(service, user, secret string) error {
	return keyring.Set(service, user, secret)
}
func (systemKeyring) Delete(service, user string) error { return keyring.Delete(service, user) }

// Error is a failure to find, save or delete a key: Sentence is what the
// user reads.
type Error struct {
	Sentence string
	Err      error
}

func (e *Error) Error() string { return e.Sentence }
func (e *Error) Unwrap() error { return e.Err }

// ErrNotFound is the cause (Error.Err) of a key that is not in the
// keychain (go-keyring's keyring.ErrNotFound).
var ErrNotFound = keyring.ErrNotFound

// ErrTimeout is the cause (Error.Err) of a keychain call or key command that
// did not finish in time.
var ErrTimeout = errors.New("secrets: timed out")

// within runs f in a goroutine and gives up after d or when ctx is done. A
// call given up on keeps running in the background (a D-Bus call cannot be
// interrupted) and its result is dropped.
func within[T any](ctx context.Context, d time.Duration, f func() (T, error)) (T, error) {
	type result struct {
		v   T
		err error
	}
	c := make(chan result, 1)
	go func() {
		v, err := f()
		c <- result{v, err}
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case r := <-c:
		return r.v, r.err
	case <-t.C:
		var zero T
		return zero, ErrTimeout
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Probe reports whether kr works in this session: nil, or an *Error whose
// sentence says plainly that no keychain is available and what to use
// instead. It reads (never writes) a probe account and gives up after
// ProbeTimeout.
func Probe(kr Keyring) error {
	_, err := within(context.Background(), ProbeTimeout, func() (string, error) {
		return kr.Get(Service, probeAccount)
	})
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return unavailable(err, "keys cannot be stored there")
}

// unavailable is the sentence for a keychain that does not work in this
// session; consequence says what that means here.
func unavailable(err error, consequence string) *Error {
	return &Error{Sentence: fmt.Sprintf("No keychain is available in this session (%s), so %s. Use an environment variable or a key command instead.", keychainReason(err, ""), consequence), Err: err}
}

// keychainReason is a short, key-free reason for a keychain failure.
func keychainReason(err error, key string) string {
	if errors.Is(err, ErrTimeout) {
		return "the keychain did not answer"
	}
	msg := err.Error()
	for _, s := range []string{"org.freedesktop.secrets", "ServiceUnknown", "DBUS_SESSION_BUS_ADDRESS", "dbus", "D-Bus"} {
		if strings.Contains(msg, s) {
			return "no Secret Service is running"
		}
	}
	return shortReason(msg, key)
}

// shortReason is the first line of msg, at most 120 characters, with key
// (when not empty) and anything that may be a key blanked out (see
// redact.Strict: a keychain backend or a key command may print one).
func shortReason(msg, key string) string {
	msg = strings.TrimSpace(msg)
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = strings.TrimSpace(msg[:i])
	}
	msg = redact.Strict(msg, key) // before the cut, which could halve a key
	if r := []rune(msg); len(r) > 120 {
		msg = string(r[:119]) + "…"
	}
	msg = strings.TrimRight(msg, ".")
	if msg == "" {
		msg = "no reason given"
	}
	return msg
}

// Save stores key for provider in kr. An empty key, and a keychain that
// refuses or does not answer within KeychainTimeout, are *Errors; none
// contains the key.
func Save(kr Keyring, provider, key string) error {
	key = strings.TrimSpace(key)
	if key == "" {
		return &Error{Sentence: "Enter the API key."}
	}
	_, err := within(context.Background(), KeychainTimeout, func() (struct{}, error) {
		return struct{}{}, kr.Set(Service, provider, key)
	})
	if err != nil {
		cause := err
		if clean := redact.Strict(err.Error(), key); clean != err.Error() {
			// The backend repeated the key: keep only its words without it,
			// not the error itself, which a log might print.
			cause = errors.New(clean)
		}
		return &Error{Sentence: fmt.Sprintf("The keychain refused to store the key for %s: %s.", provider, keychainReason(err, key)), Err: cause}
	}
	return nil
}

// Delete removes provider's key from kr; a key that is not there is no error.
func Delete(kr Keyring, provider string) error {
	_, err := within(context.Background(), KeychainTimeout, func() (struct{}, error) {
		return struct{}{}, kr.Delete(Service, provider)
	})
	if err == nil || errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return &Error{Sentence: fmt.Sprintf("The keychain refused to delete the key for %s: %s.", provider, keychainReason(err, "")), Err: err}
}

// RunCommand runs command with sh -c, bounded by CommandTimeout, and
// returns the first non-empty line of its output, trimmed (password
// managers print the password on the first line). Stdin is empty; on
// timeout or when ctx is done the command's whole process group is killed.
// Errors are *Errors and never contain the command's output.
func RunCommand(ctx context.Context, command string) (string, error) {
	return runCommand(ctx, command, CommandTimeout)
}

// maxOutput caps what is kept of a key command's stdout and stderr.
const maxOutput = 64 << 10

// capped is a bytes.Buffer that keeps at most maxOutput bytes and drops the
// rest (the command is not made to block on a full pipe).
type capped struct{ bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxOutput - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// waitDelay is how long a finished or killed command's pipes are waited for
// (a background child may hold them open).
const waitDelay = time.Second

func runCommand(ctx context.Context, command string, timeout time.Duration) (string, error) {
	if strings.TrimSpace(command) == "" {
		return "", &Error{Sentence: "The key command is empty."}
	}
	cctx, cancel := context.WithTimeoutCause(ctx, timeout, ErrTimeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, "sh", "-c", command)
	var stdout, stderr capped
	cmd.Stdin = nil // /dev/null
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// The negative pid is the process group: sh and everything it
		// started (sleep, a password manager's helpers).
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = waitDelay
	err := cmd.Run()
	if err != nil && cctx.Err() != nil {
		if context.Cause(cctx) == ErrTimeout && ctx.Err() == nil {
			return "", &Error{Sentence: fmt.Sprintf("The key command did not finish within %s and was stopped.", format.Duration(timeout)), Err: ErrTimeout}
		}
		return "", &Error{Sentence: "The key command was stopped.", Err: ctx.Err()}
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		// Its stderr may hold the key (a helper that prints it and then
		// fails), as may what it printed before failing.
		reason := firstLine(stderr.String())
		if reason != "" {
			reason = ": " + shortReason(reason, firstLine(stdout.String()))
		}
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return "", &Error{Sentence: fmt.Sprintf("The key command was stopped by a signal (%s)%s", ws.Signal(), end(reason)), Err: err}
		}
		return "", &Error{Sentence: fmt.Sprintf("The key command failed (exit status %d)%s", exitErr.ExitCode(), end(reason)), Err: err}
	case errors.Is(err, exec.ErrWaitDelay):
		// It exited successfully but left a child holding its output open:
		// what it printed is the key.
	case err != nil:
		return "", &Error{Sentence: fmt.Sprintf("The key command could not be started: %s.", shortReason(err.Error(), "")), Err: err}
	}
	key := firstLine(stdout.String())
	if key == "" {
		return "", &Error{Sentence: "The key command printed nothing."}
	}
	return key, nil
}

// end closes a sentence: a reason (": …") or nothing, then a full stop.
func end(reason string) string {
	if reason == "" {
		return "."
	}
	return reason + "."
}

// firstLine is the first non-empty line of s, trimmed.
func firstLine(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 0, 4096), maxOutput+1)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			return l
		}
	}
	return ""
}

// Resolver finds providers' keys and remembers them for the process's life
// (a key command may ask for a password). Safe for concurrent use; the
// zero value reads the OS keychain and os.Getenv. A Resolver must not be
// copied after first use.
//
// Keys from the keychain and from key commands are remembered per provider
// until Forget; a changed record (another source, variable or command)
// misses. Concurrent Key calls for one provider read the keychain or run
// the command once. Environment variables are read at every call.
type Resolver struct {
	Keyring Keyring             // nil: System()
	Getenv  func(string) string // nil: os.Getenv
	// CommandTimeout bounds a key command; 0 means CommandTimeout.
	CommandTimeout time.Duration
	// KeychainTimeout bounds reading the keychain; 0 means the package's
	// KeychainTimeout.
	KeychainTimeout time.Duration

	mu      sync.Mutex
	keys    map[string]remembered // by provider name
	flights map[string]*flight    // by cacheKey
	gens    map[string]uint64     // by provider name: bumped by Forget

	joined func() // test hook: a caller waits for another's read or command
}

// remembered is a key and the record it was found for.
type remembered struct {
	id, key string
}

// flight is a keychain read or key command in progress; done is closed
// when key and err are set.
type flight struct {
	done chan struct{}
	key  string
	err  error
}

// cacheKey identifies where p's key comes from: a record edited to another
// source, variable or command has another.
func cacheKey(p store.Provider) string {
	return strings.Join([]string{p.Name, p.KeySource, p.KeyEnv, p.KeyCommand}, "\x00")
}

// Key returns p's API key ("" when p has no key source).
//
// KeySource "" is a record from before key sources: its KeyEnv when set,
// else OPENAI_API_KEY for an OpenAI provider, else no key; an unset
// variable is then no key and no error (the caller decides whether the
// provider needs one).
func (r *Resolver) Key(ctx context.Context, p store.Provider) (string, error) {
	switch p.KeySource {
	case "":
		v := p.KeyEnv
		if v == "" && p.Kind == store.KindOpenAI {
			v = "OPENAI_API_KEY"
		}
		if v == "" {
			return "", nil
		}
		return strings.TrimSpace(r.getenv(v)), nil
	case store.KeyFromEnv:
		if p.KeyEnv == "" {
			return "", &Error{Sentence: fmt.Sprintf("%s reads its key from an environment variable, but none is named: name it in Settings → Providers.", p.Name)}
		}
		if k := strings.TrimSpace(r.getenv(p.KeyEnv)); k != "" {
			return k, nil
		}
		return "", &Error{Sentence: fmt.Sprintf("%s is not set in deskchat's environment: set it, or keep the key in the keychain (Settings → Providers).", p.KeyEnv)}
	case store.KeyFromKeychain, store.KeyFromCommand:
		return r.remembered(ctx, p)
	}
	return "", &Error{Sentence: fmt.Sprintf("%s has an unknown key source %q: choose keychain, environment variable or key command in Settings → Providers.", p.Name, p.KeySource)}
}

// remembered returns p's remembered key, or fetches it once for all
// concurrent callers and remembers it.
func (r *Resolver) remembered(ctx context.Context, p store.Provider) (string, error) {
	id := cacheKey(p)
	for {
		r.mu.Lock()
		if k, ok := r.keys[p.Name]; ok && k.id == id {
			r.mu.Unlock()
			return k.key, nil
		}
		if f := r.flights[id]; f != nil {
			r.mu.Unlock()
			if r.joined != nil {
				r.joined()
			}
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			// The caller that ran it was cancelled, this one was not:
			// try again rather than pass on someone else's cancel.
			if f.err != nil && ctx.Err() == nil && (errors.Is(f.err, context.Canceled) || errors.Is(f.err, context.DeadlineExceeded)) {
				continue
			}
			return f.key, f.err
		}
		f := &flight{done: make(chan struct{})}
		if r.flights == nil {
			r.flights, r.keys, r.gens = map[string]*flight{}, map[string]remembered{}, map[string]uint64{}
		}
		r.flights[id] = f
		gen := r.gens[p.Name]
		r.mu.Unlock()

		f.key, f.err = r.fetch(ctx, p)

		r.mu.Lock()
		delete(r.flights, id)
		if f.err == nil && r.gens[p.Name] == gen { // not forgotten meanwhile
			r.keys[p.Name] = remembered{id: id, key: f.key}
		}
		r.mu.Unlock()
		close(f.done)
		return f.key, f.err
	}
}

// fetch reads p's key from the keychain or runs its key command.
func (r *Resolver) fetch(ctx context.Context, p store.Provider) (string, error) {
	if p.KeySource == store.KeyFromCommand {
		if strings.TrimSpace(p.KeyCommand) == "" {
			return "", &Error{Sentence: fmt.Sprintf("%s reads its key from a key command, but none is set: set it in Settings → Providers.", p.Name)}
		}
		d := r.CommandTimeout
		if d <= 0 {
			d = CommandTimeout
		}
		return runCommand(ctx, p.KeyCommand, d)
	}
	kr := r.Keyring
	if kr == nil {
		kr = System()
	}
	d := r.KeychainTimeout
	if d <= 0 {
		d = KeychainTimeout
	}
	key, err := within(ctx, d, func() (string, error) { return kr.Get(Service, p.Name) })
	key = strings.TrimSpace(key)
	switch {
	case err == nil && key != "":
		return key, nil
	case err == nil || errors.Is(err, keyring.ErrNotFound):
		return "", &Error{Sentence: fmt.Sprintf("No API key for %s is in the keychain: enter it in Settings → Providers.", p.Name), Err: ErrNotFound}
	case ctx.Err() != nil:
		return "", &Error{Sentence: "Stopped.", Err: err}
	}
	return "", unavailable(err, fmt.Sprintf("the key for %s cannot be read from it", p.Name))
}

func (r *Resolver) getenv(name string) string {
	if r.Getenv != nil {
		return r.Getenv(name)
	}
	return os.Getenv(name)
}

// Forget drops what Key remembered for the provider named name; a read in
// progress for it is not remembered either.
func (r *Resolver) Forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gens == nil {
		return
	}
	delete(r.keys, name)
	r.gens[name]++
}
