package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	} {
		r := run(t, nil, "", append([]string{"__complete"}, c.args...)...)
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
