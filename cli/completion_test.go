package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deskchat/deskchat/store"
)

// TestCompletionScripts: bash, zsh and fish scripts are printed, name the
// program and ask it for the words (cobra's scripts call "deskchat
// __complete", so they stay true as commands change); bash -n accepts the
// bash script.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		r := run(t, nil, "", "completion", shell)
		if r.code != ExitOK || len(r.stdout) < 500 || r.stderr != "" {
			t.Fatalf("completion %s: %d, %d bytes, %q", shell, r.code, len(r.stdout), r.stderr)
		}
		if !strings.Contains(r.stdout, "deskchat") || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s names neither deskchat nor its __complete command", shell)
		}
		if shell == "bash" {
			script := filepath.Join(t.TempDir(), "deskchat.bash")
			os.WriteFile(script, []byte(r.stdout), 0o600)
			if out, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v %s", err, out)
			}
		}
	}
	if r := run(t, nil, "", "completion", "tcsh"); r.code != ExitUsage || strings.Contains(r.stderr, "Error:") {
		t.Errorf("completion tcsh: %d %q", r.code, r.stderr)
	}
}

// TestCompletionNamesTheCommandsAndFlags: what the scripts ask for.
func TestCompletionNamesTheCommandsAndFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{""}, []string{"ask", "list", "show", "search", "providers", "usage", "cache", "prices", "stats", "export", "import", "check", "recover", "backups", "completion"}},
		{[]string{"providers", ""}, []string{"list", "add", "set-key", "remove", "default"}},
		{[]string{"backups", ""}, []string{"list", "restore", "now"}},
		{[]string{"ask", "--"}, []string{"--model", "--provider", "--base-url", "--conversation", "--data-dir"}},
		{[]string{"export", "--f"}, []string{"--format"}},
		{[]string{"export", "--format", ""}, []string{"json", "md", "html"}},
		{[]string{"import", "--from", ""}, []string{"auto", "deskchat", "chatgpt", "claude"}},
		{[]string{"search", "q", "--by", ""}, []string{"newest", "relevance"}},
		{[]string{"providers", "add", "x", "--kind", ""}, []string{"openai", "azure", "compatible"}},
		{[]string{"providers", "add", "x", "--key-source", ""}, []string{"keychain", "env", "command"}},
	} {
		r := run(t, nil, "", append([]string{"__complete"}, c.args...)...)
		if strings.Contains(r.stdout, ":0\n") && c.args[0] != "import" {
			t.Errorf("completing %q offers file names: %q", c.args, r.stdout)
		}
		words := map[string]bool{}
		for _, line := range strings.Split(r.stdout, "\n") {
			word, _, _ := strings.Cut(line, "\t")
			words[word] = true
		}
		for _, w := range c.want {
			if !words[w] {
				t.Errorf("completing %q: no %q in %q", c.args, w, r.stdout)
			}
		}
	}
}

// TestBashCompletesThroughTheScript runs bash with the script, as a shell
// does on Tab: "deskchat prov<Tab>" becomes providers, "deskchat providers
// se<Tab>" set-key. The deskchat bash runs is this test binary.
func TestBashCompletesThroughTheScript(t *testing.T) {
	bin := t.TempDir()
	wrapper := "#!/bin/sh\nexec " + shellQuote(os.Args[0]) + " -test.run='^TestHelperCLIChild$' -test.count=1 -- \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "deskchat"), []byte(wrapper), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ line, want string }{
		{"deskchat prov", "providers"},
		{"deskchat providers se", "set-key"},
		{"deskchat ask --idle", "--idle-timeout"},
	} {
		// The script takes the words from bash-completion's
		// _get_comp_words_by_ref (as cobra documents, bash completion needs
		// that package); it is not on every machine, so here it is, reduced
		// to words without quotes or "=".
		script := `_get_comp_words_by_ref() {
	while [ "$1" = -n ]; do shift 2; done
	cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
}
source <(deskchat completion bash)
COMP_LINE="$LINE"; COMP_POINT=${#COMP_LINE}; read -ra COMP_WORDS <<<"$COMP_LINE"; COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
__start_deskchat deskchat "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "LINE="+c.line, envCLIChildArgs+"=1")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", c.line, err)
		}
		if got := strings.Fields(string(out)); len(got) != 1 || got[0] != c.want {
			t.Errorf("%q<Tab>: %q, want %q", c.line, out, c.want)
		}
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// envCLIChildArgs: the child takes its deskchat arguments from its own
// command line (after "--"), as the wrapper above passes them.
const envCLIChildArgs = "DESKCHAT_CLI_CHILD_ARGS"

func init() {
	// The wrapper's child: deskchat arguments come after "--".
	if os.Getenv(envCLIChildArgs) == "" {
		return
	}
	for i, a := range os.Args {
		if a == "--" {
			js, _ := json.Marshal(os.Args[i+1:])
			os.Setenv(envCLIChild, string(js))
			break
		}
	}
}

// TestCompletionOffersConversationsAndProviders: ids with their titles and
// provider names, from the history read-only; a missing folder completes
// nothing and is not made.
func TestCompletionOffersConversationsAndProviders(t *testing.T) {
	dir := t.TempDir()
	ids := seedHistory(t, dir)
	if r := run(t, nil, "", "providers", "add", "groq", "--base-url", "http://localhost:1", "--model", "llama", "--data-dir", dir); r.code != ExitOK {
		t.Fatal(r.stderr)
	}
	before := mustRead(t, filepath.Join(dir, store.FileName))
	for _, c := range []struct {
		args, want, not []string
	}{
		{[]string{"show", ""}, []string{ids[0] + "\tGo <b>files</b>", ids[1] + "\tFailed"}, nil},
		{[]string{"show", ids[0], ""}, nil, []string{ids[1]}},
		{[]string{"ask", "--conversation", ""}, []string{ids[0] + "\tGo <b>files</b>"}, nil},
		{[]string{"export", "--conversation", ""}, []string{ids[1] + "\tFailed"}, nil},
		{[]string{"ask", "--provider", ""}, []string{"Simulator", "groq\tcompatible llama"}, nil},
		{[]string{"providers", "default", ""}, []string{"Simulator", "groq\tcompatible llama"}, nil},
		{[]string{"providers", "remove", ""}, []string{"groq\tcompatible llama"}, []string{"Simulator"}},
	} {
		r := run(t, nil, "", append([]string{"__complete", "--data-dir", dir}, c.args...)...)
		lines := strings.Split(r.stdout, "\n")
		has := func(w string) bool {
			for _, l := range lines {
				if l == w {
					return true
				}
			}
			return false
		}
		for _, w := range c.want {
			if !has(w) {
				t.Errorf("completing %q: no %q in %q", c.args, w, r.stdout)
			}
		}
		for _, w := range c.not {
			if strings.Contains(r.stdout, w) {
				t.Errorf("completing %q offered %q: %q", c.args, w, r.stdout)
			}
		}
	}
	if !bytes.Equal(before, mustRead(t, filepath.Join(dir, store.FileName))) {
		t.Error("completion changed the history file")
	}
	// Backups by name, for restore.
	if r := run(t, nil, "", "backups", "now", "--data-dir", dir); r.code != ExitOK {
		t.Fatalf("backups now: %d %q", r.code, r.stderr)
	}
	backups, err := store.ListBackups(dir)
	if err != nil || len(backups) != 1 {
		t.Fatalf("backups: %v %v", backups, err)
	}
	if r := run(t, nil, "", "__complete", "--data-dir", dir, "backups", "restore", ""); !strings.HasPrefix(r.stdout, backups[0].Name+"\t") {
		t.Errorf("completing backups restore: %q, want %s first", r.stdout, backups[0].Name)
	}
	// Commands that take no file offer none.
	for _, args := range [][]string{{"list", ""}, {"check", ""}, {"ask", ""}, {"cache", "stats", ""}} {
		if r := run(t, nil, "", append([]string{"__complete", "--data-dir", dir}, args...)...); !strings.HasSuffix(r.stdout, ":4\n") {
			t.Errorf("completing %q: %q, want no files (:4)", args, r.stdout)
		}
	}
	if r := run(t, nil, "", "__complete", "import", ""); !strings.HasSuffix(r.stdout, ":0\n") {
		t.Errorf("completing import's FILE: %q, want files (:0)", r.stdout)
	}
	if r := run(t, nil, "", "__complete", "list", "--data-dir", ""); !strings.HasSuffix(r.stdout, ":16\n") {
		t.Errorf("completing --data-dir: %q, want folders (:16)", r.stdout)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	r := run(t, nil, "", "__complete", "--data-dir", missing, "show", "")
	if r.code != ExitOK || strings.Contains(r.stdout, "There is no history") || !strings.HasPrefix(r.stdout, ":") {
		t.Errorf("completing in a missing folder: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("completion made %s", missing)
	}
}
