package run

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"github.com/gopipe/gopipe/pipeline"
)

// runOneLiner runs `gopipe run ARGS…` in process.
func runOneLiner(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return commandtest.Run(t, Run, stdin, args...)
}

// TestMain makes this test binary the gopipe of the one-liners' stages,
// with the test applets.
func TestMain(m *testing.M) {
	commandtest.Main(Run)
	os.Exit(m.Run())
}

// chdirTemp runs the test in a new directory, for relative names in the
// one-liners.
func chdirTemp(t *testing.T) string {
	dir, err := os.MkdirTemp("", "gopipe-run-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Cleanup(func() { os.RemoveAll(dir) }) // Wine cannot always: not an error
	return dir
}

func TestRunOneLiner(t *testing.T) {
	dir := chdirTemp(t)
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("hello\nworld\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := runOneLiner(t, "",
		`gopipe testupper < in.txt | gopipe testcat | gopipe testcat > out.txt && gopipe testcat out.txt; gopipe testcat "in.txt" >> out.txt`)
	if status != 0 || out != "HELLO\nWORLD\n" || errOut != "" {
		t.Errorf("status %d, stdout %q, stderr %q", status, out, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "out.txt")); string(got) != "HELLO\nWORLD\nhello\nworld\n" {
		t.Errorf("out.txt = %q", got)
	}
}

func TestRunStatuses(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"gopipe testexit 3"}, 3, ""},
		{[]string{"gopipe testexit 1 || gopipe testexit 4"}, 4, ""},
		{[]string{"gopipe testexit 0 || gopipe testexit 4"}, 0, ""},
		{[]string{"gopipe testexit 2 && gopipe testexit 4"}, 2, ""},
		{[]string{"gopipe testexit 5; gopipe testexit 0"}, 0, ""},
		{[]string{"gopipe testexit 3 | gopipe testexit 0"}, 0, ""},
		{[]string{"--pipefail", "gopipe testexit 3 | gopipe testcat"}, 3, ""},
		{[]string{"--pipestatus", "gopipe testexit 3 | gopipe testexit 0 | gopipe testexit 1"}, 1, "gopipe: run: pipestatus: 3 0 1\n"},
		{[]string{"--pipestatus", "cd . && exit 4"}, 4, "gopipe: run: pipestatus: 0\ngopipe: run: pipestatus: 4\n"},
		{[]string{"gopipe-no-such-command x"}, 127, "gopipe: run: gopipe-no-such-command: command not found\n"},
		{[]string{""}, 0, ""},
	} {
		status, _, stderr := runOneLiner(t, "", tc.args...)
		if status != tc.status || !strings.HasPrefix(stderr, tc.stderr) || (tc.stderr == "" && stderr != "") {
			t.Errorf("%q: status %d, stderr %q; want %d, %q", tc.args, status, stderr, tc.status, tc.stderr)
		}
	}
}

func TestRunStdoutAndStderr(t *testing.T) {
	dir := chdirTemp(t)
	for _, tc := range []struct {
		line, stdout, stderr string
	}{
		{"gopipe testboth", "out\n", "err\n"},
		{"gopipe testboth 2>&1", "out\nerr\n", ""},
		{"gopipe testboth 2>&1 | gopipe testcat", "out\nerr\n", ""},
		{"gopipe testboth 2>&1 >f1; gopipe testcat f1", "err\nout\n", ""},
		{"gopipe testboth >f2 2>&1; gopipe testcat f2", "out\nerr\n", ""},
		{"gopipe testboth 2>f3 1>&2; gopipe testcat f3", "out\nerr\n", ""},
		{"gopipe testboth 2>>f3; gopipe testcat f3", "out\nout\nerr\nerr\n", ""},
	} {
		status, out, errOut := runOneLiner(t, "", tc.line)
		if status != 0 || out != tc.stdout || errOut != tc.stderr {
			t.Errorf("%s: status %d, stdout %q, stderr %q; want %q, %q", tc.line, status, out, errOut, tc.stdout, tc.stderr)
		}
	}
	_ = dir
}

func TestRunQuoting(t *testing.T) {
	status, out, errOut := runOneLiner(t, "", `gopipe testargs 'a b' "c\"d\\e\x" f\ g '' "" 'it'\''s' "a*b" \*`)
	want := "[a b]\n[c\"d\\e\\x]\n[f g]\n[]\n[]\n[it's]\n[a*b]\n[*]\n"
	if status != 0 || out != want {
		t.Errorf("status %d, stdout %q, stderr %q; want %q", status, out, errOut, want)
	}
}

func TestRunStdin(t *testing.T) {
	status, out, _ := runOneLiner(t, "from stdin\n", "gopipe testupper")
	if status != 0 || out != "FROM STDIN\n" {
		t.Errorf("status %d, stdout %q", status, out)
	}
}

func TestRunRefusesOutsideTheSubset(t *testing.T) {
	for line, want := range map[string]string{
		"echo $(date)":              "gopipe: run: unsupported: command substitution $(…)\n",
		"echo `date`":               "gopipe: run: unsupported: command substitution $(…)\n",
		"echo $HOME":                "gopipe: run: unsupported: parameter expansion $HOME\n",
		"echo \"$HOME\"":            "gopipe: run: unsupported: parameter expansion $HOME\n",
		"echo $((1+2))":             "gopipe: run: unsupported: arithmetic expansion $((…))\n",
		"ls *.go":                   "gopipe: run: unsupported: glob pattern \"*.go\" (quote it)\n",
		"[ -f x ] && ls":            "gopipe: run: unsupported: glob pattern \"[\" (for the test command write test … or quote it: '[' … ])\n",
		"ls ~":                      "gopipe: run: unsupported: tilde expansion ~\n",
		"X=1 env":                   "gopipe: run: unsupported: variable assignment X=\n",
		"sleep 1 &":                 "gopipe: run: unsupported: background job &\n",
		"! true":                    "gopipe: run: unsupported: negation !\n",
		"(echo a)":                  "gopipe: run: unsupported: subshell ( … )\n",
		"a | { b; }":                "gopipe: run: unsupported: block { … }\n",
		"if true; then echo; fi":    "gopipe: run: unsupported: if\n",
		"while true; do echo; done": "gopipe: run: unsupported: while loop\n",
		"for x in a; do echo; done": "gopipe: run: unsupported: for loop\n",
		"f() { echo; }":             "gopipe: run: unsupported: function definition\n",
		"cat <<EOF\nx\nEOF":         "gopipe: run: unsupported: redirection <<\n",
		"echo 3>f":                  "gopipe: run: unsupported: file descriptor 3 (only 0, 1, 2)\n",
		"echo >&3":                  "gopipe: run: unsupported: redirection >&3 (only N>&M with M in 0, 1, 2)\n",
		"echo <>f":                  "gopipe: run: unsupported: redirection <>\n",
		"> f":                       "gopipe: run: unsupported: redirection without a command\n",
		"a |":                       "gopipe: run: syntax error: 1:3: `|` must be followed by a statement\n",
	} {
		status, out, errOut := runOneLiner(t, "", line)
		if status != 2 || out != "" || errOut != want {
			t.Errorf("%q: status %d, stderr %q; want 2, %q", line, status, errOut, want)
		}
	}
}

func TestRunUsage(t *testing.T) {
	status, _, errOut := runOneLiner(t, "", "a", "b")
	if status != 2 || !strings.HasPrefix(errOut, "gopipe: run takes one ONE-LINER") {
		t.Errorf("status %d, stderr %q", status, errOut)
	}
}

// The one-liner's last command, when it is a lone command without
// redirections, replaces run where main lets it (ExecStage), as a shell's
// last command replaces the shell: in the directory cd left, with PWD set.
// Nothing else does.
func TestRunExecsLastCommand(t *testing.T) {
	dir := chdirTemp(t)
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub, err := filepath.Abs("sub")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args   []string
		status int    // 42: exec'd
		exec   string // what was exec'd, in dir
		dir    string
	}{
		{[]string{"gopipe testexit 0"}, 42, "gopipe testexit 0", ""},
		{[]string{"gopipe testexit 1; gopipe testexit 0"}, 42, "gopipe testexit 0", ""},
		{[]string{"gopipe testexit 1 || gopipe testexit 2"}, 42, "gopipe testexit 2", ""},
		{[]string{"cd sub && gopipe testexit 3"}, 42, "gopipe testexit 3", sub},
		{[]string{"gopipe testexit 0 && gopipe testexit 1 && gopipe testexit 2"}, 1, "", ""},
		{[]string{"gopipe testexit 0 | gopipe testexit 5"}, 5, "", ""},
		{[]string{"gopipe testexit 6 > f"}, 6, "", ""},
		{[]string{"--pipestatus", "gopipe testexit 7"}, 7, "", ""},
		{[]string{"exit 8"}, 8, "", ""},
	} {
		var got []pipeline.Stage
		e := command.NewEnv(context.Background(), strings.NewReader(""), io.Discard, io.Discard)
		e.ExecStage = func(s pipeline.Stage) pipeline.Status {
			got = append(got, s)
			return pipeline.Status{Code: 42}
		}
		status := command.Run(Run, e.Enter(Run, "gopipe run"), tc.args)
		var exec string
		if len(got) == 1 {
			exec = strings.Join(got[0].Args, " ")
			if got[0].Dir != tc.dir || (tc.dir != "" && !slices.Contains(got[0].Env, "PWD="+tc.dir)) {
				t.Errorf("%q: exec'd in %q (PWD set: %v), want %q", tc.args, got[0].Dir, slices.Contains(got[0].Env, "PWD="+tc.dir), tc.dir)
			}
		}
		if status != tc.status || len(got) > 1 || exec != tc.exec {
			t.Errorf("%q: status %d, exec'd %d: %q; want %d, %q", tc.args, status, len(got), exec, tc.status, tc.exec)
		}
	}
}
