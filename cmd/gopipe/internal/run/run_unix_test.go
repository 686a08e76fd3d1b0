//go:build unix

package run

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
)

// A signal that kills ends a one-liner whose redirection waits for a
// FIFO's other end, as it would end a shell's child waiting in open(2):
// the stage dies of it, and run dies of it too, as bash does.
func TestRunSignalWhileOpeningFIFO(t *testing.T) {
	for _, src := range []string{"gopipe testcat < %s", "gopipe testcat > %s; gopipe testexit 0", "cd . > %s; gopipe testexit 0"} {
		name := filepath.Join(t.TempDir(), "fifo")
		if err := fifo.Make(name, fifo.DefaultMode); err != nil {
			t.Fatal(err)
		}
		sigc := make(chan chan<- os.Signal, 1)
		e := command.NewEnv(context.Background(), strings.NewReader(""), io.Discard, io.Discard)
		e.Notify = func(c chan<- os.Signal, _ ...os.Signal) { sigc <- c }
		e.StopNotify = func(chan<- os.Signal) {}
		done := make(chan int, 1)
		line := strings.Replace(src, "%s", name, 1)
		sub := e.Enter(Run, "gopipe run")
		go func() { done <- command.Run(Run, sub, []string{line}) }()
		(<-sigc) <- syscall.SIGTERM
		select {
		case s := <-done:
			if s != 128+int(syscall.SIGTERM) || sub.DieBy != syscall.SIGTERM {
				t.Errorf("%s: status %d, dies by %v; want %d, SIGTERM", line, s, sub.DieBy, 128+int(syscall.SIGTERM))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still waiting 10s after SIGTERM", line)
		}
	}
}

// One-liners that use cd and exit, or fail to run a command, do as
// `bash -c` does: the same output, the same status, and the same message
// after our "gopipe: run: " where bash has "bash: " (and "line 1: " for
// its builtins).
func TestRunAsBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := chdirTemp(t)
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("PWD", dir)
	t.Setenv("HOME", filepath.Join(dir, "home"))
	t.Setenv("OLDPWD", filepath.Join(dir, "old"))
	t.Setenv("CDPATH", "")
	for _, d := range []string{"home", "old", "sub/deeper", "closed", "dir-cmd"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{"sub/in.txt": "in sub\n", "file": "", "noexec": "true\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("sub/deeper", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		// cd changes the directory of the commands that follow, and of
		// their redirections; PWD and OLDPWD follow.
		"cd sub && pwd && cat in.txt && cat < in.txt > out.txt && cd deeper && cat ../out.txt",
		"cd sub; cd ..; pwd",
		"cd /; pwd; cd -; pwd",
		"cd; pwd",
		"cd -",
		"cd sub && sh -c 'echo $PWD $OLDPWD'",
		// (bash's pwd is a builtin, which prints $PWD: not /bin/pwd's)
		"cd link && sh -c 'echo $PWD' && cd .. && sh -c 'echo $PWD'",
		"cd -P link && sh -c 'echo $PWD' && cd .. && sh -c 'echo $PWD'",
		"cd sub/deeper && cd ../.. && pwd",
		"cd sub && ../noexec",
		"cd ''; pwd",
		"cd -- sub && pwd",
		"cd sub > made-before-cd && cat ../made-before-cd && pwd",
		// cd failures: status 1 and bash's message, and nothing changes.
		"cd nodir; pwd",
		"cd nodir 2>/dev/null || echo failed",
		"cd file; pwd",
		"cd nodir/..; pwd",
		"cd sub deeper; pwd",
		"cd -x",
		// in a pipeline cd and exit run in a subshell: they end with it.
		"cd sub | cat; pwd",
		"cd nodir | cat",
		"exit 3 | cat; echo $?",
		"sh -c 'exit 5' | exit; echo after",
		"true | exit 7",
		// true, false and : are builtins too, in a pipeline or not.
		"true && false || : && echo yes",
		"true | false",
		"false | : | true > made-by-exit",
		": > made-by-exit; cat made-by-exit",
		// exit ends the one-liner, with N or the last status.
		"exit 3; echo not here",
		"sh -c 'exit 4' || exit; echo not here",
		"true && exit 9 || echo not here",
		"false; exit",
		"exit 256",
		"exit -1",
		"exit abc; echo not here",
		"exit 1 2; echo not here",
		"exit 3 > made-by-exit",
		// commands that cannot run: one name, bash's words, 127 or 126.
		"gopipe-no-such-command x",
		"./no-such-file",
		"./dir-cmd",
		"/",
		"./noexec",
		"cat < no-such-input",
	} {
		t.Run(line, func(t *testing.T) {
			line := strings.ReplaceAll(line, "echo $?", "echo after") // run has no $?
			var bout, berr strings.Builder
			cmd := exec.Command(bash, "-c", line)
			cmd.Args[0] = "bash"
			cmd.Stdout, cmd.Stderr = &bout, &berr
			bstatus := 0
			if err := cmd.Run(); err != nil {
				ee, ok := err.(*exec.ExitError)
				if !ok {
					t.Fatal(err)
				}
				bstatus = ee.ExitCode()
			}
			want := strings.NewReplacer("bash: line 1: ", "gopipe: run: ", "bash: ", "gopipe: run: ").Replace(berr.String())
			// bash adds a usage line to an invalid option's message.
			want, _, _ = strings.Cut(want, "cd: usage:")
			status, out, errOut := runOneLiner(t, "", line)
			if status != bstatus || out != bout.String() || errOut != want {
				t.Errorf("status %d, stdout %q, stderr %q; bash: %d, %q, %q", status, out, errOut, bstatus, bout.String(), want)
			}
			os.Remove("made-before-cd")
			os.Remove("made-by-exit")
			os.Remove("sub/out.txt")
		})
	}
}
