package pipeline

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopipe/gopipe/fifo"
)

// The tests' stages are this test binary, re-run as one of the helper
// commands below (as os/exec's own tests do), so that they need no Unix
// tools and run the same on Windows.

const helperEnv = "PIPELINE_TEST_HELPER"

var helpers = map[string]func(args []string) int{
	"echo": func(args []string) int {
		fmt.Println(strings.Join(args, " "))
		return 0
	},
	"exit": func(args []string) int {
		n, _ := strconv.Atoi(args[0])
		return n
	},
	// both reads stdin to its end, then writes its first argument to
	// stdout, its second to stderr, in that order.
	"both": func(args []string) int {
		io.Copy(io.Discard, os.Stdin)
		fmt.Fprintln(os.Stdout, args[0])
		fmt.Fprintln(os.Stderr, args[1])
		return 0
	},
	"cat": func(args []string) int {
		if _, err := io.Copy(os.Stdout, os.Stdin); err != nil {
			fmt.Fprintln(os.Stderr, "cat:", err)
			return 1
		}
		return 0
	},
	// yes writes lines until a write fails.
	"yes": func(args []string) int {
		b := []byte(strings.Repeat("y\n", 4096))
		for {
			if _, err := os.Stdout.Write(b); err != nil {
				return 1
			}
		}
	},
	// head reads one line and exits.
	"head": func(args []string) int {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		fmt.Print(line)
		if err != nil {
			return 1
		}
		return 0
	},
	// gen writes N bytes, each 8-byte word holding its own offset.
	"gen": func(args []string) int {
		n, _ := strconv.ParseInt(args[0], 10, 64)
		buf := make([]byte, 1<<20)
		for off := int64(0); off < n; off += int64(len(buf)) {
			for i := 0; i < len(buf); i += 8 {
				binary.LittleEndian.PutUint64(buf[i:], uint64(off)+uint64(i))
			}
			if _, err := os.Stdout.Write(buf[:min(int64(len(buf)), n-off)]); err != nil {
				return 1
			}
		}
		return 0
	},
	// check reads what gen wrote and prints how many bytes it read, or
	// where the data went wrong.
	"check": func(args []string) int {
		r := bufio.NewReaderSize(os.Stdin, 1<<20)
		var word [8]byte
		var off uint64
		for {
			if _, err := io.ReadFull(r, word[:]); err == io.EOF {
				break
			} else if err != nil {
				fmt.Printf("read at %d: %v\n", off, err)
				return 1
			}
			if got := binary.LittleEndian.Uint64(word[:]); got != off {
				fmt.Printf("bad word at %d: %d\n", off, got)
				return 1
			}
			off += 8
		}
		fmt.Println(off)
		return 0
	},
	// sleep waits to be killed (time.Sleep is not synchronisation here:
	// it is the stage's whole job).
	"sleep": func(args []string) int {
		time.Sleep(time.Hour)
		return 0
	},
	// ignoreint ignores SIGINT, says so on stderr, and reads stdin to
	// its end.
	"ignoreint": func(args []string) int {
		signal.Ignore(os.Interrupt)
		fmt.Fprintln(os.Stderr, "ready")
		io.Copy(io.Discard, os.Stdin)
		return 0
	},
	// tree starts a child that sleeps, prints both pids, and sleeps.
	"tree": func(args []string) int {
		cmd := helperCmd("sleep")
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(os.Getpid(), cmd.Process.Pid)
		time.Sleep(time.Hour)
		return 0
	},
	// spawn starts a child that sleeps holding our stdout, prints its pid,
	// and exits.
	"spawn": func(args []string) int {
		cmd := helperCmd("sleep")
		cmd.Stdout = os.Stdout
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println(cmd.Process.Pid)
		return 0
	},
}

// helperCmd is an exec.Cmd running the helper name.
func helperCmd(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(testExe(), args...)
	cmd.Env = helperEnviron(name)
	return cmd
}

// helper is a stage running the helper name.
func helper(name string, args ...string) Stage {
	return Stage{
		Path: testExe(),
		Args: append([]string{name}, args...),
		Env:  helperEnviron(name),
	}
}

func helperEnviron(name string) []string {
	env := append(os.Environ(), helperEnv+"="+name)
	if os.Getenv("GORACE") == "" {
		// A race-enabled program sleeps a second at exit by default.
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return env
}

func testExe() string {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return exe
}

func TestMain(m *testing.M) {
	// Make on Windows starts a copy of this binary to hold a FIFO.
	if held, err := fifo.RunHolder(); held {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if name := os.Getenv(helperEnv); name != "" {
		h := helpers[name]
		if h == nil {
			fmt.Fprintf(os.Stderr, "no helper %q\n", name)
			os.Exit(2)
		}
		os.Exit(h(os.Args[1:]))
	}
	base := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 && !goroutinesSettle(base) {
		fmt.Fprintf(os.Stderr, "goroutines leaked:\n%s\n", allStacks())
		code = 1
	}
	os.Exit(code)
}

// goroutinesSettle reports whether the goroutines go back to n within a
// few seconds: those of a finished test may take a moment to return.
func goroutinesSettle(n int) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if runtime.NumGoroutine() <= n {
			return true
		}
		runtime.Gosched()
	}
	return false
}

func allStacks() []byte {
	buf := make([]byte, 1<<20)
	return buf[:runtime.Stack(buf, true)]
}

// fmtSscan reads one line from r and scans it into a.
func fmtSscan(r *bufio.Reader, a ...any) (int, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, err
	}
	return fmt.Sscan(line, a...)
}

// tempDir is t.TempDir, but under Wine, whose file system lacks what
// os.RemoveAll uses on Windows, a directory left behind is not an error.
func tempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pipeline-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil && !onWine() {
			t.Error(err)
		}
	})
	return dir
}
