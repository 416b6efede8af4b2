package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/internal/format"
	"github.com/deskchat/deskchat/store"
)

// noSecret fails when err, or any error it wraps, mentions one of secrets.
func noSecret(t *testing.T, err error, secrets ...string) {
	t.Helper()
	for e := err; e != nil; e = errors.Unwrap(e) {
		for _, s := range secrets {
			if strings.Contains(e.Error(), s) {
				t.Errorf("error %q contains the secret %q", e.Error(), s)
			}
		}
	}
}

// sentence returns err's *Error sentence, failing when err is not one.
func sentence(t *testing.T, err error) string {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *secrets.Error", err, err)
	}
	return se.Sentence
}

// errNoService is what go-keyring reports on a Linux session without a Secret
// Service.
var errNoService = errors.New("The name org.freedesktop.secrets was not provided by any .service files")

// hangingKeyring never answers until release is closed, like a stuck D-Bus.
type hangingKeyring struct{ release chan struct{} }

func newHangingKeyring(t *testing.T) hangingKeyring {
	h := hangingKeyring{release: make(chan struct{})}
	t.Cleanup(func() { close(h.release) })
	return h
}

func (h hangingKeyring) Get(string, string) (string, error) {
	<-h.release
	return "", keyring.ErrNotFound
}
func (h hangingKeyring) Set(string, string, string) error { <-h.release; return nil }
func (h hangingKeyring) Delete(string, string) error      { <-h.release; return nil }

// echoingKeyring refuses to store and repeats the secret in its error, as a
// careless backend might.
type echoingKeyring struct{}

func (echoingKeyring) Get(string, string) (string, error) { return "", keyring.ErrNotFound }
func (echoingKeyring) Set(_, _, secret string) error {
	return fmt.Errorf("collection is locked; cannot create item with secret %s", secret)
}
func (echoingKeyring) Delete(string, string) error { return errors.New("collection is locked") }

func TestSystemFollowsGoKeyringsMock(t *testing.T) {
	keyring.MockInit()
	kr := System()
	if err := kr.Set(Service, "groq", "gsk-1"); err != nil {
		t.Fatal(err)
	}
	if v, err := keyring.Get(Service, "groq"); err != nil || v != "gsk-1" {
		t.Fatalf("keyring.Get after System().Set: %q %v", v, err)
	}
	keyring.MockInitWithError(errNoService)
	if _, err := kr.Get(Service, "groq"); !errors.Is(err, errNoService) {
		t.Fatalf("System() kept the old backend after MockInitWithError: %v", err)
	}
}

func TestProbe(t *testing.T) {
	keyring.MockInit()
	if err := Probe(System()); err != nil {
		t.Errorf("an empty working keychain: %v", err)
	}
	if err := keyring.Set(Service, probeAccount, "x"); err != nil {
		t.Fatal(err)
	}
	if err := Probe(System()); err != nil {
		t.Errorf("a keychain holding the probe account: %v", err)
	}

	keyring.MockInitWithError(errNoService)
	s := sentence(t, Probe(System()))
	want := "No keychain is available in this session (no Secret Service is running), so keys cannot be stored there. Use an environment variable or a key command instead."
	if s != want {
		t.Errorf("no Secret Service:\n got %q\nwant %q", s, want)
	}

	keyring.MockInitWithError(errors.New("access denied\nby policy"))
	if s := sentence(t, Probe(System())); !strings.Contains(s, "(access denied)") || !strings.Contains(s, "environment variable or a key command") {
		t.Errorf("other refusal: %q", s)
	}
}

func TestProbeGivesUpOnAKeychainThatHangs(t *testing.T) {
	defer func(d time.Duration) { ProbeTimeout = d }(ProbeTimeout)
	ProbeTimeout = 50 * time.Millisecond
	err := Probe(newHangingKeyring(t))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Probe of a hanging keychain: %v, want ErrTimeout", err)
	}
	if s := sentence(t, err); !strings.Contains(s, "No keychain is available") || !strings.Contains(s, "did not answer") {
		t.Errorf("sentence %q", s)
	}
}

func TestSave(t *testing.T) {
	keyring.MockInit()
	for _, key := range []string{"", "  \n\t"} {
		if s := sentence(t, Save(System(), "groq", key)); s != "Enter the API key." {
			t.Errorf("Save(%q): %q", key, s)
		}
	}
	if _, err := keyring.Get(Service, "groq"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("an empty key was stored: %v", err)
	}
	if err := Save(System(), "groq", "  gsk-secret-1\n"); err != nil {
		t.Fatal(err)
	}
	if v, _ := keyring.Get(Service, "groq"); v != "gsk-secret-1" {
		t.Errorf("stored %q, want the trimmed key", v)
	}

	keyring.MockInitWithError(errNoService)
	err := Save(System(), "groq", "gsk-secret-2")
	if s := sentence(t, err); s != "The keychain refused to store the key for groq: no Secret Service is running." {
		t.Errorf("refused: %q", s)
	}
	if !errors.Is(err, errNoService) {
		t.Errorf("the cause is lost: %v", err)
	}
	noSecret(t, err, "gsk-secret-2")

	err = Save(echoingKeyring{}, "groq", "gsk-secret-3")
	if s := sentence(t, err); !strings.HasPrefix(s, "The keychain refused to store the key for groq: collection is locked") {
		t.Errorf("refused: %q", s)
	}
	noSecret(t, err, "gsk-secret-3")
}

func TestSaveAndDeleteAreBounded(t *testing.T) {
	defer func(d time.Duration) { KeychainTimeout = d }(KeychainTimeout)
	KeychainTimeout = 50 * time.Millisecond
	kr := newHangingKeyring(t)
	if err := Save(kr, "groq", "gsk-secret"); !errors.Is(err, ErrTimeout) {
		t.Errorf("Save: %v", err)
	} else {
		noSecret(t, err, "gsk-secret")
	}
	if err := Delete(kr, "groq"); !errors.Is(err, ErrTimeout) {
		t.Errorf("Delete: %v", err)
	}
}

func TestDelete(t *testing.T) {
	keyring.MockInit()
	if err := Delete(System(), "nobody"); err != nil {
		t.Errorf("deleting a missing key: %v", err)
	}
	if err := Save(System(), "groq", "gsk-1"); err != nil {
		t.Fatal(err)
	}
	if err := Delete(System(), "groq"); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Get(Service, "groq"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("still there after Delete: %v", err)
	}
	if s := sentence(t, Delete(echoingKeyring{}, "groq")); s != "The keychain refused to delete the key for groq: collection is locked." {
		t.Errorf("refused: %q", s)
	}
}

func TestRunCommand(t *testing.T) {
	long := strings.Repeat("e", 300)
	cases := []struct {
		name, command string
		key           string // want this key, or
		sentence      string // want this sentence
	}{
		{"one line", `echo sk-one`, "sk-one", ""},
		{"first line of pass show", `printf 'sk-first\nlogin: me\nurl: x\n'`, "sk-first", ""},
		{"blank lines and spaces", `printf '\n  \n\t sk-padded  \nnext\n'`, "sk-padded", ""},
		{"no final newline", `printf sk-bare`, "sk-bare", ""},
		{"stdin is empty", `cat; echo sk-after-eof`, "sk-after-eof", ""},
		{"exit status and stderr", `echo sk-leaked-out; echo 'gpg: decryption failed: No secret key' >&2; echo more >&2; exit 3`, "",
			"The key command failed (exit status 3): gpg: decryption failed: No secret key."},
		{"exit status without stderr", `echo sk-leaked-out; exit 1`, "", "The key command failed (exit status 1)."},
		{"long stderr", `echo ` + long + ` >&2; exit 2`, "", "The key command failed (exit status 2): " + strings.Repeat("e", 119) + "…."},
		{"killed by a signal", `echo sk-leaked-out; kill -9 $$`, "", "The key command was stopped by a signal (killed)."},
		{"empty output", `true`, "", "The key command printed nothing."},
		{"only blank lines", `printf '\n \n'`, "", "The key command printed nothing."},
		{"empty command", `  `, "", "The key command is empty."},
		{"not found", `/nonexistent/deskchat-key-helper`, "", "The key command failed (exit status 127): sh: 1: /nonexistent/deskchat-key-helper: not found."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key, err := RunCommand(context.Background(), c.command)
			if c.sentence == "" {
				if err != nil || key != c.key {
					t.Fatalf("got %q, %v; want %q", key, err, c.key)
				}
				return
			}
			if key != "" {
				t.Errorf("a failed command returned a key %q", key)
			}
			s := sentence(t, err)
			if c.name == "not found" { // the shell's wording differs (dash, bash)
				if !strings.HasPrefix(s, "The key command failed (exit status 127): ") || !strings.Contains(s, "deskchat-key-helper") {
					t.Errorf("got %q", s)
				}
			} else if s != c.sentence {
				t.Errorf("got  %q\nwant %q", s, c.sentence)
			}
			noSecret(t, err, "sk-leaked-out")
		})
	}
}

// A key command that prints the key on stderr and fails (a helper tracing
// what it does, a wrapper echoing its arguments) shows its stderr without
// the key: the exact key it printed on stdout, a known key shape, a
// labelled value, or a long word of unknown shape.
func TestAFailingKeyCommandsStderrNeverShowsAKey(t *testing.T) {
	const echoed = "sk-" + "test-ECHO-0123456789abcdefABCDEF" // split: not a key for scanners to flag
	const plain = "hunter2hunter2hunter2ABCDEF"               // no known shape
	cases := []struct {
		name, command, secret, keep string
	}{
		{"the key on stderr", `echo "using ` + echoed + `" >&2; exit 1`, echoed, "using [redacted]"},
		{"the key on both", `echo ` + plain + `; echo "rejected ` + plain + `" >&2; exit 2`, plain, "rejected [redacted]"},
		{"a labelled key", `echo "vault: api_key=` + plain + ` expired" >&2; exit 3`, plain, "expired"},
		{"a key of unknown shape alone", `echo "` + plain + `" >&2; exit 4`, plain, "(exit status 4)"},
		{"a bearer header", `echo "curl: Authorization: Bearer ` + plain + `" >&2; exit 5`, plain, "Authorization: Bearer [redacted]"},
		{"the key cut at 120 characters", `echo "` + strings.Repeat("x ", 55) + echoed + `" >&2; exit 6`, "sk-test-ECHO", "(exit status 6)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Resolver{}
			_, err := r.Key(context.Background(), store.Provider{Name: "p", KeySource: store.KeyFromCommand, KeyCommand: c.command})
			s := sentence(t, err)
			if !strings.Contains(s, c.keep) {
				t.Errorf("sentence %q lacks %q", s, c.keep)
			}
			noSecret(t, err, c.secret)
		})
	}
}

func TestAKeyCommandThatHangsIsStoppedAtTheBound(t *testing.T) {
	start := time.Now()
	key, err := runCommand(context.Background(), "echo sk-partial; sleep 100", 300*time.Millisecond)
	elapsed := time.Since(start)
	if key != "" || !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %q, %v; want ErrTimeout", key, err)
	}
	if s := sentence(t, err); s != "The key command did not finish within 300 ms and was stopped." {
		t.Errorf("sentence %q", s)
	}
	noSecret(t, err, "sk-partial")
	// sleep 100 was killed, not waited for: Run returned soon after the
	// bound (plus at most the pipes' WaitDelay).
	if elapsed > 300*time.Millisecond+waitDelay+2*time.Second {
		t.Errorf("returned after %v", elapsed)
	}
}

// TestTheKeyCommandsChildrenDieWithIt: a child of the shell (sleep) holds
// the write end of a FIFO; the reader sees EOF only when every writer is
// dead.
func TestTheKeyCommandsChildrenDieWithIt(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "held")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	t.Cleanup(func() { // unblock the reader's open if the writer never came
		if f, err := os.OpenFile(fifo, os.O_RDWR, 0); err == nil {
			f.Close()
		}
	})
	opened, eof := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(eof)
		f, err := os.Open(fifo) // blocks until the child opens it to write
		close(opened)
		if err != nil {
			return
		}
		io.Copy(io.Discard, f)
		f.Close()
	}()
	_, err := runCommand(context.Background(), fmt.Sprintf("sleep 100 > '%s' & wait", fifo), 500*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	select {
	case <-eof:
	case <-time.After(5 * time.Second):
		select {
		case <-opened:
			t.Fatal("the key command's child (sleep 100) is still alive after the timeout")
		default:
			t.Fatal("the key command's child never started")
		}
	}
}

func TestACancelledKeyCommandIsStoppedNotFailed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := runCommand(ctx, "sleep 100", time.Minute)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestResolverSources(t *testing.T) {
	keyring.MockInit()
	if err := Save(System(), "vault", "sk-from-keychain"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GROQ_API_KEY": " gsk-from-env\n", "OPENAI_API_KEY": "sk-openai-env", "LEGACY_KEY": "sk-legacy"}
	r := &Resolver{Getenv: func(k string) string { return env[k] }}
	cases := []struct {
		p        store.Provider
		key      string
		sentence string
	}{
		{store.Provider{Name: "vault", KeySource: store.KeyFromKeychain}, "sk-from-keychain", ""},
		{store.Provider{Name: "groq", KeySource: store.KeyFromEnv, KeyEnv: "GROQ_API_KEY"}, "gsk-from-env", ""},
		{store.Provider{Name: "pm", KeySource: store.KeyFromCommand, KeyCommand: "printf 'sk-from-command\\nuser: me\\n'"}, "sk-from-command", ""},
		{store.Provider{Name: "old", Kind: store.KindCompatible, KeyEnv: "LEGACY_KEY"}, "sk-legacy", ""},
		{store.Provider{Name: "OpenAI", Kind: store.KindOpenAI}, "sk-openai-env", ""},
		{store.Provider{Name: "local", Kind: store.KindCompatible}, "", ""},
		{store.Provider{Name: "old-unset", Kind: store.KindCompatible, KeyEnv: "UNSET_KEY"}, "", ""},
		{store.Provider{Name: "missing", KeySource: store.KeyFromKeychain}, "",
			"No API key for missing is in the keychain: enter it in Settings → Providers."},
		{store.Provider{Name: "unset", KeySource: store.KeyFromEnv, KeyEnv: "UNSET_KEY"}, "",
			"UNSET_KEY is not set in deskchat's environment: set it, or keep the key in the keychain (Settings → Providers)."},
		{store.Provider{Name: "nameless", KeySource: store.KeyFromEnv}, "",
			"nameless reads its key from an environment variable, but none is named: name it in Settings → Providers."},
		{store.Provider{Name: "nocmd", KeySource: store.KeyFromCommand}, "",
			"nocmd reads its key from a key command, but none is set: set it in Settings → Providers."},
		{store.Provider{Name: "failing", KeySource: store.KeyFromCommand, KeyCommand: "echo sk-out; echo locked >&2; exit 4"}, "",
			"The key command failed (exit status 4): locked."},
		{store.Provider{Name: "odd", KeySource: "vault"}, "",
			`odd has an unknown key source "vault": choose keychain, environment variable or key command in Settings → Providers.`},
	}
	for _, c := range cases {
		t.Run(c.p.Name, func(t *testing.T) {
			key, err := r.Key(context.Background(), c.p)
			if c.sentence == "" {
				if err != nil || key != c.key {
					t.Fatalf("got %q, %v; want %q", key, err, c.key)
				}
				return
			}
			if key != "" {
				t.Errorf("key %q with an error", key)
			}
			if s := sentence(t, err); s != c.sentence {
				t.Errorf("got  %q\nwant %q", s, c.sentence)
			}
			noSecret(t, err, "sk-", "gsk-")
		})
	}
}

func TestResolverWhenTheKeychainRefuses(t *testing.T) {
	keyring.MockInitWithError(errNoService)
	r := &Resolver{}
	_, err := r.Key(context.Background(), store.Provider{Name: "groq", KeySource: store.KeyFromKeychain})
	want := "No keychain is available in this session (no Secret Service is running), so the key for groq cannot be read from it. Use an environment variable or a key command instead."
	if s := sentence(t, err); s != want {
		t.Errorf("got  %q\nwant %q", s, want)
	}

	r = &Resolver{Keyring: newHangingKeyring(t), KeychainTimeout: 50 * time.Millisecond}
	_, err = r.Key(context.Background(), store.Provider{Name: "groq", KeySource: store.KeyFromKeychain})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(sentence(t, err), "(the keychain did not answer)") {
		t.Errorf("hanging keychain: %v", err)
	}
}

// counter is a key command that appends a line to a file each time it runs.
func counter(t *testing.T, key string) (command string, runs func() int) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "runs")
	return fmt.Sprintf("echo run >> '%s'; echo %s", file, key), func() int {
		b, err := os.ReadFile(file)
		if errors.Is(err, os.ErrNotExist) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(b), "run\n")
	}
}

func TestResolverRemembersCommandKeysUntilForget(t *testing.T) {
	cmd, runs := counter(t, "sk-counted")
	r := &Resolver{}
	p := store.Provider{Name: "pm", KeySource: store.KeyFromCommand, KeyCommand: cmd}
	for i := 0; i < 3; i++ {
		if key, err := r.Key(context.Background(), p); err != nil || key != "sk-counted" {
			t.Fatalf("Key: %q %v", key, err)
		}
	}
	if n := runs(); n != 1 {
		t.Fatalf("the command ran %d times for 3 Key calls, want 1", n)
	}
	r.Forget("other")
	r.Key(context.Background(), p)
	if n := runs(); n != 1 {
		t.Fatalf("Forget of another provider made the command run again (%d runs)", n)
	}
	r.Forget("pm")
	if key, err := r.Key(context.Background(), p); err != nil || key != "sk-counted" {
		t.Fatalf("Key after Forget: %q %v", key, err)
	}
	if n := runs(); n != 2 {
		t.Fatalf("after Forget the command ran %d times in all, want 2", n)
	}
	// An edited record misses: same name, another command.
	edited := p
	edited.KeyCommand = cmd + "-edited"
	if key, err := r.Key(context.Background(), edited); err != nil || key != "sk-counted-edited" {
		t.Fatalf("edited: %q %v", key, err)
	}
	if n := runs(); n != 3 {
		t.Fatalf("the edited command did not run (%d runs)", n)
	}
	// A failure is not remembered.
	failing := store.Provider{Name: "f", KeySource: store.KeyFromCommand, KeyCommand: cmd + "; exit 1"}
	r.Key(context.Background(), failing)
	r.Key(context.Background(), failing)
	if n := runs(); n != 5 {
		t.Fatalf("a failing command ran %d times in all, want 5: failures must not be cached", n)
	}
}

func TestResolverRemembersKeychainKeysButNotEnvironment(t *testing.T) {
	keyring.MockInit()
	if err := Save(System(), "vault", "sk-old"); err != nil {
		t.Fatal(err)
	}
	env := "sk-env-1"
	r := &Resolver{Getenv: func(string) string { return env }}
	kc := store.Provider{Name: "vault", KeySource: store.KeyFromKeychain}
	ev := store.Provider{Name: "envy", KeySource: store.KeyFromEnv, KeyEnv: "K"}
	r.Key(context.Background(), kc)
	r.Key(context.Background(), ev)
	if err := Save(System(), "vault", "sk-new"); err != nil {
		t.Fatal(err)
	}
	env = "sk-env-2"
	if key, _ := r.Key(context.Background(), kc); key != "sk-old" {
		t.Errorf("keychain key %q, want the remembered sk-old", key)
	}
	if key, _ := r.Key(context.Background(), ev); key != "sk-env-2" {
		t.Errorf("env key %q: the environment must be read at every call", key)
	}
	r.Forget("vault")
	if key, _ := r.Key(context.Background(), kc); key != "sk-new" {
		t.Errorf("after Forget: %q, want sk-new", key)
	}
	// A key missing from the keychain is not remembered as missing.
	if err := Delete(System(), "vault"); err != nil {
		t.Fatal(err)
	}
	r.Forget("vault")
	if _, err := r.Key(context.Background(), kc); err == nil {
		t.Fatal("no error for a deleted key")
	}
	if err := Save(System(), "vault", "sk-entered"); err != nil {
		t.Fatal(err)
	}
	if key, err := r.Key(context.Background(), kc); key != "sk-entered" {
		t.Errorf("after entering the key: %q %v", key, err)
	}
}

// gatedCommand is a key command that reports it started (by opening the
// FIFO started) and then waits until the test writes to the FIFO gate.
type gatedCommand struct {
	command       string
	runs          func() int
	started, gate string
}

func newGatedCommand(t *testing.T, key string) gatedCommand {
	t.Helper()
	dir := t.TempDir()
	g := gatedCommand{started: filepath.Join(dir, "started"), gate: filepath.Join(dir, "gate")}
	for _, f := range []string{g.started, g.gate} {
		if err := syscall.Mkfifo(f, 0o600); err != nil {
			t.Skipf("no FIFOs here: %v", err)
		}
	}
	cmd, runs := counter(t, key)
	g.command = fmt.Sprintf("echo started > '%s'; read x < '%s'; %s", g.started, g.gate, cmd)
	g.runs = runs
	return g
}

// waitStarted returns when the command has started.
func (g gatedCommand) waitStarted(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(g.started)
	if err != nil || string(b) != "started\n" {
		t.Fatalf("started: %q %v", b, err)
	}
}

// open lets the command go on.
func (g gatedCommand) open(t *testing.T) {
	t.Helper()
	if err := os.WriteFile(g.gate, []byte("go\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentKeyCallsRunTheCommandOnce(t *testing.T) {
	const callers = 8
	g := newGatedCommand(t, "sk-once")
	joined := make(chan struct{}, callers)
	r := &Resolver{joined: func() { joined <- struct{}{} }}
	p := store.Provider{Name: "pm", KeySource: store.KeyFromCommand, KeyCommand: g.command}

	type result struct {
		key string
		err error
	}
	results := make(chan result, callers)
	for i := 0; i < callers; i++ {
		go func() {
			key, err := r.Key(context.Background(), p)
			results <- result{key, err}
		}()
	}
	g.waitStarted(t)
	for i := 0; i < callers-1; i++ { // every other caller waits for the one command
		<-joined
	}
	g.open(t)
	for i := 0; i < callers; i++ {
		if res := <-results; res.err != nil || res.key != "sk-once" {
			t.Errorf("caller got %q %v", res.key, res.err)
		}
	}
	if n := g.runs(); n != 1 {
		t.Errorf("the command ran %d times for %d concurrent callers, want 1", n, callers)
	}
}

func TestAKeyForgottenWhileItsCommandRunsIsNotRemembered(t *testing.T) {
	g := newGatedCommand(t, "sk-stale")
	r := &Resolver{}
	p := store.Provider{Name: "pm", KeySource: store.KeyFromCommand, KeyCommand: g.command}
	done := make(chan error, 1)
	go func() {
		_, err := r.Key(context.Background(), p)
		done <- err
	}()
	g.waitStarted(t)
	r.Forget("pm")
	g.open(t)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The next call runs the command again (and waits at the gate again).
	go func() {
		_, err := r.Key(context.Background(), p)
		done <- err
	}()
	g.waitStarted(t)
	g.open(t)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := g.runs(); n != 2 {
		t.Errorf("runs %d, want 2", n)
	}
}

func TestAWaiterWhoseLeaderWasCancelledRunsTheCommandItself(t *testing.T) {
	g := newGatedCommand(t, "sk-second")
	joined := make(chan struct{}, 1)
	r := &Resolver{joined: func() { joined <- struct{}{} }}
	p := store.Provider{Name: "pm", KeySource: store.KeyFromCommand, KeyCommand: g.command}
	ctx, cancel := context.WithCancel(context.Background())
	leader := make(chan error, 1)
	go func() {
		_, err := r.Key(ctx, p)
		leader <- err
	}()
	g.waitStarted(t)
	follower := make(chan string, 1)
	go func() {
		key, _ := r.Key(context.Background(), p)
		follower <- key
	}()
	<-joined
	cancel()
	if err := <-leader; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v", err)
	}
	g.waitStarted(t) // the follower ran it again
	g.open(t)
	if key := <-follower; key != "sk-second" {
		t.Errorf("follower got %q", key)
	}
}

// TestSeconds: the bounds in the sentences read as format.Duration writes them.
func TestSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{CommandTimeout: "5 s", 300 * time.Millisecond: "300 ms", 2500 * time.Millisecond: "2.5 s"} {
		if got := format.Duration(d); got != want {
			t.Errorf("format.Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
