package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/zalando/go-keyring"

	"github.com/deskchat/deskchat/store"
)

// lastQuestion is the content of the last message of the last request the
// server saw, and that request's model.
func lastQuestion(t *testing.T, cs *chatServer) (string, string) {
	t.Helper()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if len(cs.msgs) == 0 {
		t.Fatal("the server saw no request")
	}
	msgs := cs.msgs[len(cs.msgs)-1]
	last, _ := msgs[len(msgs)-1].(map[string]any)
	content, _ := last["content"].(string)
	return content, cs.models[len(cs.models)-1]
}

func (cs *chatServer) requests() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.msgs)
}

// TestAskFlagsAfterThePromptAreFlags: the case. Flags after the
// prompt used to be sent as part of it.
func TestAskFlagsAfterThePromptAreFlags(t *testing.T) {
	srv := newChatServer(t, "By the ferry.")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"ask", "where is pier 7", "--model", "x", "--base-url", srv.URL, "--data-dir", dir},
		{"ask", "--model", "x", "where", "is", "--base-url", srv.URL, "pier 7", "--data-dir", dir},
		{"--data-dir", dir, "ask", "--model=x", "--base-url=" + srv.URL, "where is pier 7"},
		{"ask", "--data-dir", dir, "--model", "x", "--base-url", srv.URL, "where is pier 7"},
	} {
		r := run(t, nil, "", args...)
		if r.code != ExitOK || r.stdout != "By the ferry.\n" {
			t.Fatalf("%q: %d %q %q", args, r.code, r.stdout, r.stderr)
		}
		if q, model := lastQuestion(t, srv); q != "where is pier 7" || model != "x" {
			t.Errorf("%q sent %q with model %q, want \"where is pier 7\" with model x", args, q, model)
		}
	}
}

// TestDoubleDashEndsTheFlags: after "--" everything is the prompt.
func TestDoubleDashEndsTheFlags(t *testing.T) {
	srv := newChatServer(t, "ok")
	dir := t.TempDir()
	r := run(t, nil, "", "ask", "--data-dir", dir, "--base-url", srv.URL, "--model", "m", "--", "--model")
	if r.code != ExitOK {
		t.Fatalf("%d %q", r.code, r.stderr)
	}
	if q, model := lastQuestion(t, srv); q != "--model" || model != "m" {
		t.Errorf("sent %q to %q, want \"--model\" to m", q, model)
	}
	r = run(t, nil, "", "ask", "--data-dir", dir, "--base-url", srv.URL, "--model", "m", "--", "-5", "squared", "--data-dir", "x")
	if q, _ := lastQuestion(t, srv); r.code != ExitOK || q != "-5 squared --data-dir x" {
		t.Errorf("sent %q (%d %q)", q, r.code, r.stderr)
	}
	// Without "--", "-5" is an unknown flag, and the sentence says how to
	// send it.
	before := srv.requests()
	r = run(t, nil, "", "ask", "--data-dir", dir, "--base-url", srv.URL, "--model", "m", "what", "is", "-5", "squared")
	if r.code != ExitUsage || !strings.Contains(firstLine(r.stderr), "put -- before it") || srv.requests() != before {
		t.Errorf("-5 without --: %d %q", r.code, r.stderr)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestEveryCommandTakesFlagsBeforeAndAfterItsArguments runs each command
// with its flags first and last (and --data-dir before and after the
// command): both must do the same.
func TestEveryCommandTakesFlagsBeforeAndAfterItsArguments(t *testing.T) {
	keyring.MockInit()
	srv := newChatServer(t, "an answer")
	dir := t.TempDir()
	ids := seedHistory(t, dir)
	exported := filepath.Join(t.TempDir(), "export.json")
	if r := run(t, nil, "", "export", "--data-dir", dir, "--out", exported); r.code != ExitOK {
		t.Fatalf("export: %d %q", r.code, r.stderr)
	}
	type pair struct {
		name          string
		before, after []string
		stdin         string
		// fresh: the command writes, so each order runs on its own copy of
		// an empty data folder and then "check" compares what it stored.
		fresh bool
		check []string
	}
	cases := []pair{
		{name: "list", before: []string{"--data-dir", dir, "list", "--json"}, after: []string{"list", "--json", "--data-dir", dir}},
		{name: "show", before: []string{"show", "--json", "--data-dir", dir, ids[0]}, after: []string{"show", ids[0], "--json", "--data-dir", dir}},
		{name: "search", before: []string{"search", "--json", "--limit", "1", "--by", "relevance", "--data-dir", dir, "file"}, after: []string{"search", "file", "--json", "--limit", "1", "--by", "relevance", "--data-dir", dir}},
		{name: "export", before: []string{"--data-dir", dir, "export", "--format", "md", "--conversation", ids[1]}, after: []string{"export", "--conversation", ids[1], "--data-dir", dir, "--format", "md"}},
		{name: "usage", before: []string{"usage", "--days", "3", "--json", "--data-dir", dir}, after: []string{"--data-dir", dir, "usage", "--json", "--days", "3"}},
		{name: "stats", before: []string{"--data-dir", dir, "stats", "--json"}, after: []string{"stats", "--json", "--data-dir", dir}},
		{name: "cache stats", before: []string{"--data-dir", dir, "cache", "stats", "--json"}, after: []string{"cache", "stats", "--data-dir", dir, "--json"}},
		{name: "cache --json stats", before: []string{"cache", "--json", "stats", "--data-dir", dir}, after: []string{"cache", "stats", "--json", "--data-dir", dir}},
		{name: "prices --json list", before: []string{"prices", "--json", "list", "--data-dir", dir}, after: []string{"prices", "list", "--json", "--data-dir", dir}},
		{name: "backups --json list", before: []string{"backups", "--json", "list", "--data-dir", dir}, after: []string{"--data-dir", dir, "backups", "list", "--json"}},
		{name: "prices list", before: []string{"prices", "--json", "--data-dir", dir}, after: []string{"prices", "list", "--data-dir", dir, "--json"}},
		{name: "providers list", before: []string{"--data-dir", dir, "providers", "list", "--json"}, after: []string{"providers", "list", "--json", "--data-dir", dir}},
		{name: "backups list", before: []string{"--data-dir", dir, "backups", "list", "--json"}, after: []string{"backups", "list", "--json", "--data-dir", dir}},
		{name: "check", before: []string{"--data-dir", dir, "check"}, after: []string{"check", "--data-dir", dir}},
		{name: "import", fresh: true, before: []string{"import", "--from", "deskchat", "--data-dir", "DIR", exported}, after: []string{"import", exported, "--data-dir", "DIR", "--from", "deskchat"},
			check: []string{"export", "--format", "md"}},
		{name: "ask", fresh: true, before: []string{"ask", "--base-url", srv.URL, "--model", "m", "--system", "be kind", "--data-dir", "DIR", "hello", "there"},
			after: []string{"ask", "hello", "there", "--base-url", srv.URL, "--model", "m", "--data-dir", "DIR", "--system", "be kind"}, check: []string{"list", "--json"}},
		{name: "providers add", fresh: true, before: []string{"providers", "add", "--kind", "compatible", "--base-url", srv.URL, "--model", "m", "--rpm", "5", "--data-dir", "DIR", "local"},
			after: []string{"providers", "add", "local", "--data-dir", "DIR", "--kind", "compatible", "--base-url", srv.URL, "--model", "m", "--rpm", "5"}, check: []string{"providers", "list", "--json"}},
		{name: "providers default", fresh: true, before: []string{"--data-dir", "DIR", "providers", "default", "Simulator"},
			after: []string{"providers", "default", "Simulator", "--data-dir", "DIR"}, check: []string{"ask", "hi"}},
		{name: "prices set", fresh: true, before: []string{"prices", "set", "--data-dir", "DIR", "gpt-x", "1.5", "3"},
			after: []string{"prices", "set", "gpt-x", "1.5", "3", "--data-dir", "DIR"}, check: []string{"prices", "--json"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got [2]runResult
			for i, args := range [][]string{c.before, c.after} {
				if !c.fresh {
					got[i] = run(t, nil, c.stdin, args...)
					continue
				}
				d := t.TempDir()
				args = append([]string(nil), args...)
				for j := range args {
					if args[j] == "DIR" {
						args[j] = d
					}
				}
				if r := run(t, nil, c.stdin, args...); r.code != ExitOK {
					t.Fatalf("%q: %d %q", args, r.code, r.stderr)
				}
				got[i] = run(t, nil, "", append(c.check, "--data-dir", d)...)
			}
			if got[0].code != ExitOK || got[0].stdout == "" {
				t.Fatalf("%q: %d %q %q", c.before, got[0].code, got[0].stdout, got[0].stderr)
			}
			if !sameOutput(got[0].stdout, got[1].stdout) || got[0].code != got[1].code {
				t.Errorf("flags first: %d %q\nflags last: %d %q", got[0].code, got[0].stdout, got[1].code, got[1].stdout)
			}
		})
	}
}

// sameOutput compares two outputs, ignoring ids and times that differ
// between two fresh histories.
func sameOutput(a, b string) bool {
	var ja, jb []map[string]any
	if json.Unmarshal([]byte(a), &ja) == nil && json.Unmarshal([]byte(b), &jb) == nil {
		if len(ja) != len(jb) {
			return false
		}
		for i := range ja {
			for _, k := range []string{"id", "created_at", "updated_at"} {
				delete(ja[i], k)
				delete(jb[i], k)
			}
		}
		x, _ := json.Marshal(ja)
		y, _ := json.Marshal(jb)
		return string(x) == string(y)
	}
	return a == b
}

// TestUnknownCommandsAndFlagsExitTwoWithOneSentenceAndTheUsage: one
// sentence, the usage, exit 2; never cobra's or pflag's own error text.
func TestUnknownCommandsAndFlagsExitTwoWithOneSentenceAndTheUsage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, c := range []struct {
		args           []string
		sentence, more string
	}{
		{[]string{"frobnicate"}, `deskchat: unknown command "frobnicate".`, "deskchat ask [flags]"},
		{[]string{"--data-dir", dir, "lsit", "--json"}, `deskchat: unknown command "lsit".`, "deskchat list [--json]"},
		{[]string{"--bogus", "list"}, "deskchat: unknown flag --bogus.", "Run \"deskchat COMMAND --help\""},
		{[]string{"ask", "--bogus", "hi", "--data-dir", dir}, "deskchat ask: unknown flag --bogus; to send text that starts with -, put -- before it (deskchat ask -- --bogus).", "--idle-timeout"},
		{[]string{"list", "--data-dir", dir, "-x"}, "deskchat list: unknown flag -x.", "--json"},
		{[]string{"list", "-json", "--data-dir", dir}, "deskchat list: unknown flag -json; did you mean --json?", "--json"},
		{[]string{"ask", "-model", "m", "hi", "--data-dir", dir}, "deskchat ask: unknown flag -model; did you mean --model?", "--model"},
		{[]string{"search", "q", "--limit", "ten", "--data-dir", dir}, `deskchat search: --limit takes a whole number, not "ten".`, "--by"},
		{[]string{"ask", "--idle-timeout", "soon", "hi", "--data-dir", dir}, `deskchat ask: --idle-timeout takes a duration like 30s or 2m, not "soon".`, "--model"},
		{[]string{"ask", "hi", "--data-dir", dir, "--model"}, "deskchat ask: --model needs a value.", "--provider"},
		{[]string{"list", "--json=maybe", "--data-dir", dir}, `deskchat list: --json takes true or false, not "maybe".`, "--json"},
		{[]string{"providers", "add", "x", "--rpm", "lots", "--data-dir", dir}, `deskchat providers add: --rpm takes a whole number, not "lots".`, "--kind"},
	} {
		r := run(t, nil, "", c.args...)
		if r.code != ExitUsage || firstLine(r.stderr) != c.sentence || !strings.Contains(r.stderr, c.more) {
			t.Errorf("%q: %d\n%s\nwant the sentence %q and %q", c.args, r.code, r.stderr, c.sentence, c.more)
		}
		for _, dump := range []string{"Error:", "strconv.", "pflag", "panic", "goroutine"} {
			if strings.Contains(r.stderr, dump) {
				t.Errorf("%q: stderr holds %q: %s", c.args, dump, r.stderr)
			}
		}
		if r.stdout != "" {
			t.Errorf("%q wrote to stdout: %q", c.args, r.stdout)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a refused command line made %s (%v)", dir, err)
	}
	// A group's unknown subcommand: the one sentence names the right ones.
	r := run(t, nil, "", "providers", "explode", "--data-dir", dir)
	if r.code != ExitUsage || strings.TrimSpace(r.stderr) != `deskchat providers: unknown providers command "explode": use list, add, set-key, remove or default` {
		t.Errorf("providers explode: %d %q", r.code, r.stderr)
	}
}

// allCommands walks the command tree.
func allCommands(cmd *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{cmd}
	for _, sub := range cmd.Commands() {
		out = append(out, allCommands(sub)...)
	}
	return out
}

// TestHelpOnEveryCommand: --help and -h on every command print its usage
// on stdout, exit 0, and run nothing (the data folder is not made).
func TestHelpOnEveryCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "never")
	cmds := allCommands(newRoot(&cmdEnv{}))
	if len(cmds) < 25 {
		t.Fatalf("only %d commands in the tree", len(cmds))
	}
	for _, cmd := range cmds {
		path := strings.Fields(cmd.CommandPath())[1:]
		if cmd.Hidden || cmd.Name() == "help" {
			continue
		}
		for _, h := range []string{"--help", "-h"} {
			r := run(t, nil, "", append(append([]string{"--data-dir", dir}, path...), h)...)
			if r.code != ExitOK || r.stderr != "" || !strings.Contains(r.stdout, "Usage:") {
				t.Errorf("%v %s: %d %q %q", path, h, r.code, r.stdout, r.stderr)
				continue
			}
			if cmd.HasParent() && !strings.Contains(r.stdout, cmd.CommandPath()) {
				t.Errorf("%v %s does not name the command: %q", path, h, r.stdout)
			}
		}
	}
	// The overview names every command people type.
	r := run(t, nil, "", "--help")
	for _, cmd := range newRoot(&cmdEnv{}).Commands() {
		if !cmd.Hidden && cmd.Name() != "help" && !strings.Contains(r.stdout, "deskchat "+cmd.Name()) {
			t.Errorf("deskchat --help does not mention %q", cmd.Name())
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("--help made %s (%v)", dir, err)
	}
}

// TestVersionSaysVersionCommitGoAndFyne: the stamped version and commit,
// else the build information's; always the Go and Fyne versions.
func TestVersionSaysVersionCommitGoAndFyne(t *testing.T) {
	var out strings.Builder
	code := Main([]string{"--version"}, Env{Stdout: &out, Stderr: &out, Version: "v1.4.0-3-gabc1234-dirty", Commit: "abc1234def"})
	want := "deskchat v1.4.0-3-gabc1234-dirty\ncommit abc1234def\n" + runtime.Version() + "\nFyne "
	if code != ExitOK || !strings.HasPrefix(out.String(), want) {
		t.Fatalf("--version: %d %q, want it to start %q", code, out.String(), want)
	}
	if r := run(t, nil, "", "-v"); r.code != ExitOK || !strings.HasPrefix(r.stdout, "deskchat ") || !strings.Contains(r.stdout, runtime.Version()) {
		t.Errorf("-v: %d %q", r.code, r.stdout)
	}

	bi := &debug.BuildInfo{
		Main:     debug.Module{Path: "deskchat", Version: "(devel)"},
		Deps:     []*debug.Module{{Path: "go.etcd.io/bbolt", Version: "v1.5.0"}, {Path: "fyne.io/fyne/v2", Version: "v2.7.1"}},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "true"}},
	}
	got := formatVersion("", "", bi)
	if !strings.HasPrefix(got, "deskchat devel") || !strings.Contains(got, "\ncommit 0123abcd-dirty\n") || !strings.HasSuffix(got, "\nFyne v2.7.1\n") {
		t.Errorf("from the build information: %q", got)
	}
	bi.Main.Version = "v1.2.0"
	bi.Deps[1].Replace = &debug.Module{Path: "../fyne", Version: "v2.7.2-local"}
	bi.Settings = nil
	got = formatVersion("", "", bi)
	if !strings.HasPrefix(got, "deskchat v1.2.0\ncommit unknown\n") || !strings.HasSuffix(got, "Fyne v2.7.2-local\n") {
		t.Errorf("a go install'ed module: %q", got)
	}
	if got := formatVersion("", "", nil); !strings.Contains(got, "Fyne not linked") {
		t.Errorf("no build information: %q", got)
	}
}

// TestAMistypedDataDirIsSaidAndNotMade: reading commands on a named
// folder that does not exist say so, exit 1 and make nothing; writing
// commands make it and say so once.
func TestAMistypedDataDirIsSaidAndNotMade(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "datta")
	for _, args := range [][]string{
		{"list"}, {"list", "--json"}, {"show", "abc"}, {"search", "q"}, {"export"}, {"export", "--out", filepath.Join(base, "out.json")},
		{"check"}, {"backups", "list"}, {"usage"}, {"stats"}, {"cache", "stats"}, {"providers", "list"},
		{"prices"}, {"prices", "list", "--json"}, {"providers", "remove", "x"}, {"providers", "set-key", "x"},
	} {
		r := run(t, nil, "sk-never-read\n", append(args, "--data-dir", dir)...)
		want := "There is no history at " + dir + ": the folder does not exist (check --data-dir).\n"
		if r.code != ExitFailure || r.stderr != want || r.stdout != "" {
			t.Errorf("%q: %d %q %q, want 1 and %q", args, r.code, r.stdout, r.stderr, want)
		}
		if names, _ := os.ReadDir(base); len(names) != 0 {
			t.Fatalf("%q made %v", args, names)
		}
	}
	// The same through $DESKCHAT_DATA_DIR.
	t.Setenv("DESKCHAT_DATA_DIR", dir)
	if r := run(t, nil, "", "list"); r.code != ExitFailure || !strings.Contains(r.stderr, "(check DESKCHAT_DATA_DIR)") {
		t.Errorf("list with DESKCHAT_DATA_DIR: %d %q", r.code, r.stderr)
	}
	// A file where the folder should be.
	file := filepath.Join(base, "file")
	os.WriteFile(file, []byte("x"), 0o600)
	if r := run(t, nil, "", "list", "--data-dir", file); r.code != ExitFailure || !strings.Contains(r.stderr, "is a file, not a folder") {
		t.Errorf("list on a file: %d %q", r.code, r.stderr)
	}
	os.Remove(file)

	// Writing commands make the folder and say so, once.
	for i, args := range [][]string{
		{"ask", "--provider", "Simulator", "hi"},
		{"providers", "add", "p", "--base-url", "http://localhost:1", "--model", "m"},
		{"prices", "set", "m", "1", "2"},
		{"providers", "default", "Simulator"},
	} {
		d := filepath.Join(base, "w", string(rune('a'+i)))
		r := run(t, nil, "", append(args, "--data-dir", d)...)
		if r.code != ExitOK || strings.Count(r.stderr, "Created "+d+" for the history.\n") != 1 {
			t.Errorf("%q on a new folder: %d %q", args, r.code, r.stderr)
		}
		if _, err := os.Stat(filepath.Join(d, store.FileName)); err != nil {
			t.Errorf("%q made no history: %v", args, err)
		}
		if r := run(t, nil, "", append(args, "--data-dir", d)...); strings.Contains(r.stderr, "Created") {
			t.Errorf("%q said Created again: %q", args, r.stderr)
		}
	}
	// The "list" of a new folder is the empty history of before (exit 0).
	if r := run(t, nil, "", "list", "--data-dir", base); r.code != ExitOK || !strings.Contains(r.stderr, "There is no history in") {
		t.Errorf("list of an existing empty folder: %d %q", r.code, r.stderr)
	}
}

// TestNoCommandOpensTheWindow: "deskchat" and "deskchat --data-dir DIR"
// open the window on that folder, with its exit code; without a window
// (Env.GUI nil) they are a usage error.
func TestNoCommandOpensTheWindow(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{{"--data-dir", dir}, {"--data-dir=" + dir}, nil} {
		var opened []string
		code := Main(args, Env{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, GUI: func(d string) int {
			opened = append(opened, d)
			return 7
		}})
		want := dir
		if args == nil {
			want, _ = store.DefaultDir("")
		}
		if code != 7 || len(opened) != 1 || opened[0] != want {
			t.Errorf("%q: exit %d, opened %q, want %q", args, code, opened, want)
		}
	}
	if r := run(t, nil, "", "--data-dir", dir); r.code != ExitUsage || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("no window: %d %q", r.code, r.stderr)
	}
}
