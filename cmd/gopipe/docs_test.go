package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/internal/testenv"
)

func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		status, stdout, stderr := runT(t, "", "gopipe", flag)
		if status != 0 || stdout != "gopipe "+command.Version()+"\n" || !regexp.MustCompile(`^gopipe \S+\n$`).MatchString(stdout) {
			t.Errorf("gopipe %s: %d %q %q", flag, status, stdout, stderr)
		}
	}
}

func TestMan(t *testing.T) {
	for _, args := range [][]string{{"gopipe", "--man"}, {"gopipe", "help", "--man"}} {
		status, page, stderr := runT(t, "", args...)
		if status != 0 || !strings.HasPrefix(page, ".nh\n.TH gopipe 1") {
			t.Fatalf("%q: %d %q %s", args, status, page[:min(len(page), 100)], stderr)
		}
		for _, c := range documented() {
			help := helpText(c)
			if help == "" {
				t.Errorf("%s --help prints nothing", c.Name)
			}
			if !strings.Contains(page, "\n.SS "+strings.Join(names(c), ", ")+"\n") {
				t.Errorf("%q: no section for %s", args, c.Name)
			}
			// The usage line, as roff escapes it.
			if !strings.Contains(page, strings.ReplaceAll(synopsis(c), `\`, `\\`)) {
				t.Errorf("%q: no synopsis %q for %s", args, synopsis(c), c.Name)
			}
		}
	}
	// The sections a man page has, and every command's synopsis in the
	// page's SYNOPSIS.
	_, page, _ := runT(t, "", "gopipe", "--man")
	for _, sec := range []string{"SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES", "SEE ALSO"} {
		if !strings.Contains(page, "\n.SH "+sec+"\n") {
			t.Errorf("--man: no section %s", sec)
		}
	}
	_, syn, _ := strings.Cut(page, "\n.SH SYNOPSIS\n")
	syn, _, _ = strings.Cut(syn, "\n.SH ")
	for _, c := range append(documented(), installSpec, uninstallSpec) {
		want := "gopipe " + c.Name + " " + c.Synopsis
		if c.Summary != "" {
			want = synopsis(c)
		}
		if !strings.Contains(syn, strings.ReplaceAll(want, `\`, `\\`)+"\n") {
			t.Errorf("--man: SYNOPSIS lacks %q", want)
		}
	}
	if status, _, _ := runT(t, "", "gopipe", "--man", "x"); status != 2 {
		t.Errorf("--man x: status %d, want 2", status)
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range shells {
		status, script, stderr := runT(t, "", "gopipe", "--completion", shell)
		if status != 0 || script == "" {
			t.Fatalf("--completion %s: %d %s", shell, status, stderr)
		}
		for _, c := range documented() {
			for _, n := range names(c) {
				if !regexp.MustCompile(`\b` + n + `\b`).MatchString(script) {
					t.Errorf("%s: no command %s", shell, n)
				}
			}
			for _, o := range longOpts(c) {
				if !strings.Contains(script, strings.TrimPrefix(o, "--")) {
					t.Errorf("%s: no option %s of %s", shell, o, c.Name)
				}
			}
		}
		check := map[string]string{"bash": "bash", "zsh": "zsh", "fish": "fish"}[shell]
		if check == "" {
			continue
		}
		// A subtest, so that a shell missing here skips only its own check.
		t.Run(check+" -n", func(t *testing.T) {
			sh := testenv.Tool(t, check, check)
			file := filepath.Join(t.TempDir(), "completion."+shell)
			if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(sh, "-n", file).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", sh, err, out)
			}
		})
	}
	for _, args := range [][]string{{"--completion"}, {"--completion", "tcsh"}, {"--completion", "bash", "x"}} {
		if status, _, _ := runT(t, "", append([]string{"gopipe"}, args...)...); status != 2 {
			t.Errorf("%q: status %d, want 2", args, status)
		}
	}
}

// TestBashCompletion runs the bash script's function on a few command lines.
func TestBashCompletion(t *testing.T) {
	bash := testenv.Tool(t, "bash", "bash")
	_, script, _ := runT(t, "", "gopipe", "--completion", "bash")
	file := filepath.Join(t.TempDir(), "gopipe.bash")
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"gopipe mk":             "mkfifo",
		"gopipe pipecat --squ":  "--squeeze-blank",
		"gopipe tee --output":   "--output-error",
		"gopipe --completion z": "zsh",
		"gopipe --ver":          "--version",
	} {
		words := strings.Fields(line)
		cmd := exec.Command(bash, "--norc", "-c", `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($#-1)); _gopipe; echo "${COMPREPLY[*]}"`, "bash", file)
		cmd.Args = append(cmd.Args, words...)
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("%q: %q %v, want %q", line, out, err, want)
		}
	}
}

var update = flag.Bool("update", false, "rewrite docs/commands.md")

// TestCommandsMarkdown fails when docs/commands.md is not what the program
// makes of its commands; go generate (go test -run TestCommandsMarkdown
// -update) rewrites it.
func TestCommandsMarkdown(t *testing.T) {
	file := filepath.Join("..", "..", "docs", "commands.md")
	want := commandsMarkdown()
	if *update {
		if err := os.WriteFile(file, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// A Windows checkout may have made the line ends CRLF.
	if strings.ReplaceAll(string(got), "\r\n", "\n") != want {
		t.Errorf("%s is stale: run go generate ./cmd/gopipe", file)
	}
	for _, c := range documented() {
		if !strings.Contains(want, "\n## "+c.Name+"\n") || !strings.Contains(want, helpText(c)) {
			t.Errorf("no section with the --help of %s", c.Name)
		}
	}
}

// TestPowerShellCompletionShape checks what can be checked of the
// PowerShell script without PowerShell (none on the CI machine): that its
// hash literal has no keys equal but for case (a PowerShell error), and
// that brackets balance outside quoted strings.
func TestPowerShellCompletionShape(t *testing.T) {
	_, script, _ := runT(t, "", "gopipe", "--completion", "powershell")
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^        '([^']*)' = @\(`).FindAllStringSubmatch(script, -1) {
		k := strings.ToLower(m[1])
		if seen[k] {
			t.Errorf("duplicate key %q", m[1])
		}
		seen[k] = true
	}
	if len(seen) < len(documented()) {
		t.Errorf("%d keys for %d commands", len(seen), len(documented()))
	}
	var stack []rune
	var quote rune
	for _, r := range script {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '(' || r == '{' || r == '[':
			stack = append(stack, r)
		case r == ')' || r == '}' || r == ']':
			open := map[rune]rune{')': '(', '}': '{', ']': '['}[r]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				t.Fatalf("unbalanced %c", r)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 || quote != 0 {
		t.Errorf("unclosed %q, quote %q", string(stack), quote)
	}
}
