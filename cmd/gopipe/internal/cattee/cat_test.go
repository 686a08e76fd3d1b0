package cattee

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"github.com/gopipe/gopipe/internal/testenv"
)

// catRun runs gopipe cat ARGS in process, with stdin and stdout as given
// (nil: empty, and a buffer), and returns its status, output and env.
func catRun(t *testing.T, stdin io.Reader, stdout io.Writer, args ...string) (status int, out, errOut string, e *command.Env) {
	t.Helper()
	return catRunAs(t, []string{"gopipe", "cat"}, stdin, stdout, args...)
}

// catRunAs is catRun with cat called as argv (such as "cat", through a
// link, when its messages are to match GNU's to the letter).
func catRunAs(t *testing.T, argv []string, stdin io.Reader, stdout io.Writer, args ...string) (status int, out, errOut string, e *command.Env) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var ob, eb bytes.Buffer
	if stdout == nil {
		stdout = &ob
	}
	e = command.NewEnv(context.Background(), stdin, stdout, &eb)
	status, _ = runEnv(e, append(argv, args...))
	return status, ob.String(), eb.String(), e
}

// catInputs are the tricky inputs the differential test feeds both cats.
func catInputs() map[string][]byte {
	all := make([]byte, 0, 512)
	for i := range 512 {
		all = append(all, byte(i))
	}
	// Over 128 KiB, so that it takes more than one read, with "\r\n" and
	// a CR alone across the boundaries of those reads.
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("abc \t\t\r\n\n\n\x00\x7f\x80\x9b\xff")
	long := make([]byte, 300<<10)
	for i := range long {
		long[i] = alphabet[r.IntN(len(alphabet))]
	}
	copy(long[catBufSize-1:], "\r\n")
	copy(long[2*catBufSize-1:], "\rx")
	return map[string][]byte{
		"empty":   nil,
		"noeol":   []byte("abc"),
		"crlf":    []byte("a\r\nb\r\n\r\n\r\n\r\nc\r"),
		"tabs":    []byte("\ta\t\tb\t\n\t\n"),
		"bytes":   all,
		"blanks":  []byte("\n\n\na\n\n\n\nb\n\n"),
		"crend":   []byte("x\r"),
		"lfstart": []byte("\nz\n"),
		"lines":   []byte("one\ntwo\n\nthree\n"),
		"long":    long,
	}
}

// catFlagSets is every combination of cat's independent flags, bundled,
// and the aliases and long forms.
func catFlagSets() [][]string {
	var sets [][]string
	letters := "bEnsTv"
	for mask := range 1 << len(letters) {
		f := ""
		for i := range len(letters) {
			if mask&(1<<i) != 0 {
				f += letters[i : i+1]
			}
		}
		if f == "" {
			sets = append(sets, nil)
		} else {
			sets = append(sets, []string{"-" + f})
		}
	}
	return append(sets,
		[]string{"-A"}, []string{"-e"}, []string{"-t"}, []string{"-u"}, []string{"-Ab"},
		[]string{"-n", "-b"}, []string{"-et", "-s"}, []string{"-uv"},
		[]string{"--show-all"}, []string{"--number-nonblank", "--squeeze-blank"},
		[]string{"--show-ends", "--number", "--show-tabs", "--show-nonprinting"},
		[]string{"--number-n", "--sq"},
	)
}

func gnuCat(t *testing.T) string {
	t.Helper()
	return testenv.GNU(t, "cat")
}

// TestCatMatchesGNU runs GNU cat and ours on the same operands with every
// combination of flags and compares output, messages and status.
func TestCatMatchesGNU(t *testing.T) {
	gnu := gnuCat(t)
	for _, loc := range testenv.Locales {
		t.Run(testenv.LocaleName(loc), func(t *testing.T) { catMatchesGNU(t, gnu, loc) })
	}
}

func catMatchesGNU(t *testing.T, gnu, loc string) {
	testenv.SetLocale(t, loc)
	dir := commandtest.TempDir(t)
	inputs := catInputs()
	for name, data := range inputs {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	operandSets := [][]string{{"blanks", "blanks"}, {"noeol", "lfstart"}, {"crend", "lfstart"},
		{"crend", "noeol"}, {"crend", "empty", "lfstart"}, {"crlf", "empty", "blanks", "noeol", "lines"},
		{"long", "bytes"}, {"lines", "missing", "dir", "lines"}, {"missing-\u00e9"}, {"tabs", "-", "blanks"}}
	for name := range inputs {
		operandSets = append(operandSets, []string{name})
	}
	stdin := []byte("stdin\n\n\n\tline\r\n")
	for _, flags := range catFlagSets() {
		for _, ops := range operandSets {
			args := append(append([]string{}, flags...), ops...)
			cmd := exec.Command(gnu, args...)
			cmd.Args[0] = "cat" // so that its messages start "cat:" as ours
			cmd.Dir = dir
			cmd.Env = testenv.LocaleEnv(loc)
			cmd.Stdin = bytes.NewReader(stdin)
			var gout, gerr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &gout, &gerr
			gstatus := 0
			if err := cmd.Run(); err != nil {
				var ee *exec.ExitError
				if !errors.As(err, &ee) {
					t.Fatal(err)
				}
				gstatus = ee.ExitCode()
			}
			// Our cat runs in the same directory through relative names.
			rel := make([]string, len(args))
			for i, a := range args {
				rel[i] = a
				if _, ok := inputs[a]; ok || strings.HasPrefix(a, "missing") || a == "dir" {
					rel[i] = filepath.Join(dir, a)
				}
			}
			status, out, errOut, _ := catRunAs(t, []string{"cat"}, bytes.NewReader(stdin), nil, rel...)
			errOut = strings.ReplaceAll(errOut, dir+"/", "")
			if status != gstatus || out != gout.String() || errOut != gerr.String() {
				t.Errorf("cat %q:\nGNU  status %d, stderr %q, stdout %q\nours status %d, stderr %q, stdout %q",
					args, gstatus, gerr.String(), clipForLog(gout.String()), status, errOut, clipForLog(out))
			}
		}
	}
}

func clipForLog(s string) string {
	if len(s) > 200 {
		return s[:200] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

func TestCatFormatAcrossReads(t *testing.T) {
	// The state carries over reads: formatting the input in pieces of any
	// size gives what formatting it whole gives.
	in := []byte("a\r\n\r\n\n\n\nb\t\x80\r\rc\n\n")
	for _, flags := range []catFormat{{ends: true}, {number: true, squeeze: true, ends: true}, {nonblank: true, number: true, nonprinting: true, tabs: true}} {
		whole := flags
		want := whole.append(nil, in)
		for size := 1; size < len(in); size++ {
			f := flags
			var got []byte
			for i := 0; i < len(in); i += size {
				got = f.append(got, in[i:min(i+size, len(in))])
			}
			if f.pendingCR != whole.pendingCR || !bytes.Equal(got, want) {
				t.Errorf("%+v in pieces of %d: %q, want %q", flags, size, got, want)
			}
		}
	}
}

func TestCatUsage(t *testing.T) {
	status, out, _, _ := catRun(t, nil, nil, "--help")
	if status != 0 || !strings.HasPrefix(out, "Usage: gopipe cat [OPTION]... [FILE]...\n") || !strings.Contains(out, "--progress") {
		t.Errorf("--help: status %d, %q", status, out)
	}
	status, out, _, _ = catRun(t, nil, nil, "--version")
	if status != 0 || !strings.HasPrefix(out, "cat (gopipe) ") {
		t.Errorf("--version: status %d, %q", status, out)
	}
	for _, tc := range []struct{ arg, msg string }{
		{"-x", "cat: invalid option -- 'x'\n"},
		{"--bogus", "cat: unrecognized option '--bogus'\n"},
		{"--show", "cat: option '--show' is ambiguous; possibilities: '--show-nonprinting' '--show-ends' '--show-tabs' '--show-all'\n"},
		{"--number=3", "cat: option '--number' doesn't allow an argument\n"},
	} {
		status, _, errOut, _ := catRun(t, nil, nil, tc.arg)
		if want := tc.msg + "Try 'gopipe cat --help' for more information.\n"; status != 1 || errOut != want {
			t.Errorf("cat %s: status %d, %q; want 1, %q", tc.arg, status, errOut, want)
		}
	}
}

func TestCatStdin(t *testing.T) {
	status, out, _, _ := catRun(t, strings.NewReader("in\n"), nil)
	if status != 0 || out != "in\n" {
		t.Errorf("cat with no operand: %d %q", status, out)
	}
	// "-" twice: the second reads on from where the first stopped (here,
	// the end).
	status, out, _, _ = catRun(t, strings.NewReader("x\n\n\n"), nil, "-s", "-", "-")
	if status != 0 || out != "x\n\n" {
		t.Errorf("cat -s - -: %d %q", status, out)
	}
}

// TestCatEveryOperandTried: a failing operand does not stop the others.
func TestCatEveryOperandTried(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("error texts are the OS's own on Windows")
	}
	dir := commandtest.TempDir(t)
	a := filepath.Join(dir, "a")
	os.WriteFile(a, []byte("A\n"), 0o644)
	status, out, errOut, _ := catRun(t, nil, nil, a, filepath.Join(dir, "no such"), dir, a)
	want := fmt.Sprintf("cat: '%s/no such': No such file or directory\ncat: %s: Is a directory\n", dir, dir)
	if status != 1 || out != "A\nA\n" || errOut != want {
		t.Errorf("status %d, stdout %q, stderr %q; want 1, %q, %q", status, out, errOut, "A\nA\n", want)
	}
}

func TestCatInputIsOutput(t *testing.T) {
	dir := commandtest.TempDir(t)
	name := filepath.Join(dir, "f")
	other := filepath.Join(dir, "g")
	os.WriteFile(name, []byte("data\n"), 0o644)
	os.WriteFile(other, []byte("other\n"), 0o644)
	out, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	status, _, errOut, _ := catRun(t, nil, out, name, other)
	if want := "cat: " + name + ": input file is output file\n"; status != 1 || errOut != want {
		t.Errorf("status %d, stderr %q; want 1, %q", status, errOut, want)
	}
	if b, _ := os.ReadFile(name); string(b) != "data\nother\n" {
		t.Errorf("output file holds %q", b)
	}

	// stdin the same file: "-" is refused the same way.
	in, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	status, _, errOut, _ = catRun(t, in, out, "-")
	if want := "cat: -: input file is output file\n"; status != 1 || errOut != want {
		t.Errorf("stdin: status %d, stderr %q; want 1, %q", status, errOut, want)
	}

	// As GNU's: nothing left to read (an empty file, or one read to its
	// end) is no error.
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	eout, err := os.OpenFile(empty, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer eout.Close()
	if status, _, errOut, _ := catRun(t, nil, eout, empty); status != 0 || errOut != "" {
		t.Errorf("empty file onto itself: status %d, stderr %q", status, errOut)
	}
}

// TestCatFileToFile copies through copy_file_range and through the
// formatting path into a regular file.
func TestCatFileToFile(t *testing.T) {
	dir := commandtest.TempDir(t)
	data := bytes.Repeat([]byte("0123456789abcdef\n"), 1<<16)
	a := filepath.Join(dir, "a")
	os.WriteFile(a, data, 0o644)
	for _, flags := range [][]string{nil, {"-u"}, {"-v"}} {
		name := filepath.Join(dir, "out"+strings.Join(flags, ""))
		out, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		status, _, errOut, _ := catRun(t, nil, out, append(flags, a, a)...)
		out.Close()
		if got, _ := os.ReadFile(name); status != 0 || errOut != "" || !bytes.Equal(got, append(data[:len(data):len(data)], data...)) {
			t.Errorf("cat %v a a > file: status %d, stderr %q, %d bytes", flags, status, errOut, len(got))
		}
	}
}

// TestCatPipes copies between pipes, which on Linux splices, and into an
// O_APPEND file, which splice refuses.
func TestCatPipes(t *testing.T) {
	dir := commandtest.TempDir(t)
	data := make([]byte, 5<<20+123)
	rand.NewChaCha8([32]byte{3, 4}).Read(data)
	file := filepath.Join(dir, "data")
	os.WriteFile(file, data, 0o644)

	feed := func() *os.File {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() { w.Write(data); w.Close() }()
		t.Cleanup(func() { r.Close() })
		return r
	}
	drain := func() (*os.File, <-chan []byte) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan []byte, 1)
		go func() { b, _ := io.ReadAll(r); r.Close(); got <- b }()
		return w, got
	}

	t.Run("pipe to pipe", func(t *testing.T) {
		w, got := drain()
		status, _, errOut, _ := catRun(t, feed(), w)
		w.Close()
		if b := <-got; status != 0 || errOut != "" || !bytes.Equal(b, data) {
			t.Errorf("status %d, stderr %q, %d bytes out of %d", status, errOut, len(b), len(data))
		}
	})
	t.Run("file and pipe to pipe", func(t *testing.T) {
		w, got := drain()
		status, _, errOut, _ := catRun(t, feed(), w, file, "-", file)
		w.Close()
		want := bytes.Repeat(data, 3)
		if b := <-got; status != 0 || errOut != "" || !bytes.Equal(b, want) {
			t.Errorf("status %d, stderr %q, %d bytes out of %d", status, errOut, len(b), len(want))
		}
	})
	t.Run("pipe to appended file", func(t *testing.T) {
		name := filepath.Join(dir, "appended")
		os.WriteFile(name, []byte("head\n"), 0o644)
		out, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		status, _, errOut, _ := catRun(t, feed(), out)
		out.Close()
		if b, _ := os.ReadFile(name); status != 0 || errOut != "" || !bytes.Equal(b, append([]byte("head\n"), data...)) {
			t.Errorf("status %d, stderr %q, %d bytes", status, errOut, len(b))
		}
	})
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestCatWriteError(t *testing.T) {
	dir := commandtest.TempDir(t)
	a := filepath.Join(dir, "a")
	os.WriteFile(a, []byte("A\n"), 0o644)
	err := &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}
	status, _, errOut, _ := catRun(t, nil, failingWriter{err}, a, filepath.Join(dir, "missing"))
	// GNU stops at the first write error.
	if want := "cat: write error: No space left on device\n"; status != 1 || errOut != want {
		t.Errorf("status %d, stderr %q; want 1, %q", status, errOut, want)
	}
}

// TestCatBrokenPipe: a reader gone is death by SIGPIPE (which main carries
// out), for splice as for write; with SIGPIPE ignored it is GNU's message.
func TestCatBrokenPipe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGPIPE on Windows: a broken pipe is a plain write error")
	}
	if signal.Ignored(syscall.SIGPIPE) {
		// This test ignored it in an earlier run (-count > 1): Go's
		// signal.Reset restores the handler but signal.Ignored goes on
		// saying true.
		t.Skip("SIGPIPE already ignored in this process")
	}
	dir := commandtest.TempDir(t)
	a := filepath.Join(dir, "a")
	os.WriteFile(a, bytes.Repeat([]byte("x\n"), 1<<20), 0o644)
	brokenPipe := func() *os.File {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		t.Cleanup(func() { w.Close() })
		return w
	}
	for _, flags := range [][]string{nil, {"-n"}} {
		status, _, errOut, e := catRun(t, nil, brokenPipe(), append(flags, a)...)
		if status != 141 || e.DieBy != syscall.SIGPIPE || errOut != "" {
			t.Errorf("cat %v: status %d, dieBy %v, stderr %q; want 141, SIGPIPE, nothing", flags, status, e.DieBy, errOut)
		}
	}

	signal.Ignore(syscall.SIGPIPE)
	defer signal.Reset(syscall.SIGPIPE)
	for _, flags := range [][]string{nil, {"-n"}} {
		status, _, errOut, e := catRun(t, nil, brokenPipe(), append(flags, a)...)
		if want := "cat: write error: Broken pipe\n"; status != 1 || e.DieBy != nil || errOut != want {
			t.Errorf("SIGPIPE ignored, cat %v: status %d, dieBy %v, stderr %q; want 1, nil, %q", flags, status, e.DieBy, errOut, want)
		}
	}
}

func TestCatProgressSilentWithoutTerminal(t *testing.T) {
	dir := commandtest.TempDir(t)
	a := filepath.Join(dir, "a")
	os.WriteFile(a, []byte("A\n"), 0o644)
	errFile, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	var out bytes.Buffer
	e := command.NewEnv(context.Background(), strings.NewReader(""), &out, errFile)
	if p := newProgress(e, progressConfig{show: true, size: 10}, nil); p != nil {
		t.Errorf("newProgress with stderr a file: %v, want nil", p)
	}
	status, _ := runEnv(e, []string{"gopipe", "cat", "--progress", a})
	if b, _ := os.ReadFile(errFile.Name()); status != 0 || out.String() != "A\n" || len(b) != 0 {
		t.Errorf("status %d, stdout %q, stderr %q", status, out.String(), b)
	}
}
