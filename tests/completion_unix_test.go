//go:build unix

package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopipe/gopipe/internal/testenv"
)

// TestCompletionOffers runs the completion scripts in real shells, as a
// user's Tab would: dial and tap offer the endpoints that exist, an option
// with a fixed set of values offers them, and a link made by --install is
// completed as its command while a system command of the same name is not.
func TestCompletionOffers(t *testing.T) {
	bash := testenv.Tool(t, "bash", "bash")
	bin := filepath.Dir(gopipe(t))
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	startServe(t, "completion-demo")
	links := t.TempDir()
	if out, err := exec.Command(gopipe(t), "--install", links).CombinedOutput(); err != nil {
		t.Fatalf("--install: %v\n%s", err, out)
	}

	// complete runs the bash completion for words (the last being the one
	// under the cursor) with PATH, and returns what it offers.
	complete := func(path string, words ...string) string {
		t.Helper()
		script := `source <(gopipe --completion bash)
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
f=$(complete -p "${COMP_WORDS[0]}" 2>/dev/null | sed -n 's/.*-F \([^ ]*\).*/\1/p')
[ -n "$f" ] || { echo "no completion for ${COMP_WORDS[0]}"; exit; }
"$f" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}"
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command(bash, append([]string{"-c", script, "bash"}, words...)...)
		cmd.Env = append(os.Environ(), "PATH="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", words, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	path := bin + ":/usr/bin:/bin"
	for _, c := range []struct {
		path  string
		words []string
		want  string
	}{
		{path, []string{"gopipe", "dial", "completion-"}, "completion-demo"},
		{path, []string{"gopipe", "tap", "--text", "x", "compl"}, "completion-demo"},
		{path, []string{"gopipe", "tee", "--output-error", "="}, "warn\nwarn-nopipe\nexit\nexit-nopipe"},
		{path, []string{"gopipe", "tee", "--output-error", "=", "ex"}, "exit\nexit-nopipe"},
		{path, []string{"gopipe", "rmfifo", "--f"}, "--force"},
		// The links, first on PATH, are completed as their commands...
		{links + ":" + path, []string{"tee", "--output-error", "=", "warn-"}, "warn-nopipe"},
		{links + ":" + path, []string{"cat", "--show-t"}, "--show-tabs"},
		// ...and a system cat is left to its own completion.
		{path, []string{"cat", "--show-t"}, "no completion for cat"},
	} {
		if got := complete(c.path, c.words...); got != c.want {
			t.Errorf("bash, %q: offers %q, want %q", c.words, got, c.want)
		}
	}

	t.Run("fish", func(t *testing.T) {
		fish := testenv.Tool(t, "fish", "fish")
		for line, want := range map[string]string{
			"gopipe dial completion-":     "completion-demo",
			"gopipe tee --output-error=e": "--output-error=exit",
		} {
			cmd := exec.Command(fish, "--no-config", "-c", "gopipe --completion fish | source; complete -C '"+line+"'")
			cmd.Env = append(os.Environ(), "PATH="+path)
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), want) {
				t.Errorf("fish, %q: %v, offers %q, want %q", line, err, out, want)
			}
		}
	})
}

// An endpoint's name is offered as it is, never run: bash's compgen -W
// would expand $(...) in it.
func TestCompletionNamesAreNotExpanded(t *testing.T) {
	bash := testenv.Tool(t, "bash", "bash")
	bin := filepath.Dir(gopipe(t))
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	work := t.TempDir()
	evil := "a$(touch${IFS}PWNED)"
	startServe(t, evil)
	script := `source <(gopipe --completion bash)
COMP_WORDS=(gopipe dial a); COMP_CWORD=2
_gopipe gopipe a
printf '%s\n' "${COMPREPLY[@]}"`
	cmd := exec.Command(bash, "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
	out, err := cmd.CombinedOutput()
	if _, serr := os.Stat(filepath.Join(work, "PWNED")); serr == nil {
		t.Fatal("completing an endpoint's name ran a command in it")
	}
	if err != nil || strings.TrimSpace(string(out)) != evil {
		t.Errorf("offers %q (%v), want %q", out, err, evil)
	}
}
