package tests

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pipeline starts argvs joined by pipes, as a shell's a | b | c, and
// returns their pids; they are killed at the end.
func pipeline(t *testing.T, argvs ...[]string) []int {
	t.Helper()
	// Descriptors this test inherited without close-on-exec (a harness's
	// pipes) would pass to the stages and join them to the harness.
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, d := range fds {
			if fd, err := strconv.Atoi(d.Name()); err == nil && fd > 2 {
				unix.CloseOnExec(fd)
			}
		}
	}
	var pids []int
	var in *os.File
	for i, argv := range argvs {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stdin = in
		var r, w *os.File
		if i < len(argvs)-1 {
			var err error
			if r, w, err = os.Pipe(); err != nil {
				t.Fatal(err)
			}
			cmd.Stdout = w
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		// Our copies closed: only the stages hold the pipes.
		if in != nil {
			in.Close()
		}
		if w != nil {
			w.Close()
		}
		in = r
		pids = append(pids, cmd.Process.Pid)
	}
	return pids
}

// graph runs gopipe graph with args.
func graph(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(gopipe(t), append([]string{"graph"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("graph %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// Three processes joined by two pipes show as a chain, in order, in each
// format; from any one of them, the others are reached.
func TestGraphPipeline(t *testing.T) {
	pids := pipeline(t, []string{"sleep", "1000"}, []string{"cat"}, []string{"sleep", "1001"})
	p := func(i int) string { return strconv.Itoa(pids[i]) }
	tree := `(?m)^` + p(0) + ` sleep 1000\n  └─ pipe:\[(\d+)\] → ` + p(1) + ` cat\n     └─ pipe:\[(\d+)\] → ` + p(2) + ` sleep 1001\n`
	for _, from := range []int{0, 1, 2} {
		out := graph(t, p(from))
		m := regexp.MustCompile(tree).FindStringSubmatch(out)
		if m == nil || m[1] == m[2] {
			t.Fatalf("graph %s: want the chain %s → %s → %s over two pipes:\n%s", p(from), p(0), p(1), p(2), out)
		}
		if strings.Count(out, "\n") != 3 {
			t.Errorf("graph %s shows more than the pipeline:\n%s", p(from), out)
		}
	}
	if out := graph(t); !regexp.MustCompile(tree).MatchString(out) {
		t.Errorf("graph (your processes) lacks the pipeline:\n%s", out)
	}
	dot := graph(t, "--dot", p(1))
	for _, want := range []string{"digraph pipes {", "p" + p(0) + " -> p" + p(1) + " [label=\"pipe:[", "p" + p(1) + " -> p" + p(2) + " [label=\"pipe:["} {
		if !strings.Contains(dot, want) {
			t.Errorf("graph --dot lacks %q:\n%s", want, dot)
		}
	}
	mermaid := graph(t, "--mermaid", p(1))
	for _, want := range []string{"flowchart LR\n", "p" + p(0) + " -->|\"pipe:[", "| p" + p(2) + "\n"} {
		if !strings.Contains(mermaid, want) {
			t.Errorf("graph --mermaid lacks %q:\n%s", want, mermaid)
		}
	}
}

// --watch shows the bottleneck: a stage blocked writing because the next
// one does not read, and the rate of a stage that moves data.
func TestGraphWatchShowsBottleneck(t *testing.T) {
	pids := pipeline(t, []string{"yes"}, []string{"cat"}, []string{"sleep", "1000"})
	// cat fills the last pipe and blocks: nothing outside announces it.
	for deadline := time.Now().Add(time.Minute); !strings.HasSuffix(wchanOf(pids[1]), "pipe_write"); {
		if time.Now().After(deadline) {
			t.Fatal("cat never blocked writing")
		}
		time.Sleep(time.Millisecond)
	}
	out := graph(t, "--watch=0.1", "--count", "1", strconv.Itoa(pids[1]))
	if !regexp.MustCompile(`(?m)^     └─ pipe:\[\d+\] → `+strconv.Itoa(pids[2])+` sleep 1000 \[in 0B/s, out 0B/s\]$`).MatchString(out) ||
		!strings.Contains(out, strconv.Itoa(pids[1])+" cat [in 0B/s, out 0B/s, blocked writing: its reader is slower]") {
		t.Errorf("graph --watch:\n%s", out)
	}
}

func TestGraphUsage(t *testing.T) {
	for _, args := range [][]string{{"x"}, {"0"}, {"--count", "2"}, {"--watch=-1"}, {"--dot", "--mermaid"}} {
		out, err := exec.Command(gopipe(t), append([]string{"graph"}, args...)...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.HasPrefix(string(out), "gopipe: ") {
			t.Errorf("graph %q: %v %s", args, err, out)
		}
	}
}

// Two processes joined by a connected pair of Unix sockets show with the
// socket, both ways.
func TestGraphSocket(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socket")
		cmd := exec.Command("sleep", strconv.Itoa(1000+i))
		cmd.ExtraFiles = []*os.File{f}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		f.Close()
		pids = append(pids, cmd.Process.Pid)
	}
	out := graph(t, strconv.Itoa(pids[0]))
	a, b := strconv.Itoa(pids[0])+" sleep 1000", strconv.Itoa(pids[1])+" sleep 1001"
	if pids[1] < pids[0] { // the lower pid's side comes first
		a, b = b, a
	}
	if !regexp.MustCompile(`(?m)^` + a + `\n  └─ socket:\[\d+\] ↔ ` + b + `\n`).MatchString(out) {
		t.Errorf("graph of two processes joined by sockets:\n%s", out)
	}
	if dot := graph(t, "--dot", strconv.Itoa(pids[1])); !strings.Contains(dot, ", dir=both];") {
		t.Errorf("graph --dot: a socket goes both ways:\n%s", dot)
	}
}

func TestGraphNoSuchProcess(t *testing.T) {
	out, err := exec.Command(gopipe(t), "graph", "999999999").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || string(out) != "gopipe: graph: no process 999999999\n" {
		t.Errorf("graph of a process that does not exist: %v %q", err, out)
	}
}
