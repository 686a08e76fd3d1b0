package cattee

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"github.com/gopipe/gopipe/internal/testenv"
)

// teeResult is what a run of tee did.
type teeResult struct {
	status  int
	dieBy   os.Signal
	stdout  string
	stderr  string
	ignored []os.Signal
}

// runTeeWith runs argv (argv[0] is "tee" or "gopipe", "tee") in process
// with the given stdio; stdout and stderr are kept when they are buffers.
func runTeeWith(t *testing.T, stdin io.Reader, stdout io.Writer, argv ...string) teeResult {
	t.Helper()
	var stderr commandtest.SyncBuffer
	e := command.NewEnv(t.Context(), stdin, stdout, &stderr)
	var r teeResult
	var mu sync.Mutex
	// Signal dispositions are the process's: a test must not change them.
	e.Ignore = func(sig ...os.Signal) {
		mu.Lock()
		defer mu.Unlock()
		r.ignored = append(r.ignored, sig...)
	}
	r.status, r.dieBy = runEnv(e, argv)
	if b, ok := stdout.(*commandtest.SyncBuffer); ok {
		r.stdout = b.String()
	}
	r.stderr = stderr.String()
	return r
}

// runTee1 runs `tee ARGS…` with input in.
func runTee1(t *testing.T, in string, args ...string) teeResult {
	t.Helper()
	var stdout commandtest.SyncBuffer
	return runTeeWith(t, strings.NewReader(in), &stdout, append([]string{"tee"}, args...)...)
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTeeCopiesToStdoutAndEveryFile(t *testing.T) {
	dir := commandtest.TempDir(t)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(b, []byte("old content, longer than the new"), 0o644)
	r := runTee1(t, "hello\nworld\n", a, b)
	if r.status != 0 || r.stderr != "" {
		t.Fatalf("status %d, stderr %q", r.status, r.stderr)
	}
	for name, got := range map[string]string{"stdout": r.stdout, "a": readFile(t, a), "b (truncated)": readFile(t, b)} {
		if got != "hello\nworld\n" {
			t.Errorf("%s = %q", name, got)
		}
	}
}

func TestTeeAppends(t *testing.T) {
	for _, flag := range []string{"-a", "--append", "--ap"} {
		a := filepath.Join(commandtest.TempDir(t), "a")
		os.WriteFile(a, []byte("one\n"), 0o644)
		if r := runTee1(t, "two\n", flag, a); r.status != 0 {
			t.Fatalf("%s: status %d, stderr %q", flag, r.status, r.stderr)
		}
		if got := readFile(t, a); got != "one\ntwo\n" {
			t.Errorf("%s: file = %q", flag, got)
		}
	}
}

// GNU tee (since 8.24) takes "-" as a file name, not as stdout.
func TestTeeDashIsAFile(t *testing.T) {
	t.Chdir(commandtest.TempDir(t))
	r := runTee1(t, "x\n", "-")
	if r.status != 0 || r.stdout != "x\n" {
		t.Fatalf("status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	if got := readFile(t, "-"); got != "x\n" {
		t.Errorf("file - = %q", got)
	}
}

func TestTeeFileMode(t *testing.T) {
	if umask := command.Umask(); umask != 0o022 {
		t.Skipf("umask %#o", umask)
	}
	a := filepath.Join(commandtest.TempDir(t), "a")
	runTee1(t, "", a)
	fi, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	if want := os.FileMode(0o644); fi.Mode().Perm() != want && os.PathSeparator == '/' {
		t.Errorf("mode %v, want %v (0666 less the umask)", fi.Mode(), want)
	}
}

func TestTeeUnopenableOutputIsReportedAndSkipped(t *testing.T) {
	dir := commandtest.TempDir(t)
	good := filepath.Join(dir, "good")
	missing := filepath.Join(dir, "nodir", "x")
	r := runTee1(t, "data\n", missing, good, dir)
	if r.status != 1 {
		t.Errorf("status %d, want 1", r.status)
	}
	want := "tee: " + command.Quotef(missing) + ": " + command.Strerror(syscall.ENOENT) + "\n" +
		"tee: " + command.Quotef(dir) + ": Is a directory\n"
	if os.PathSeparator == '/' && r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	if r.stdout != "data\n" || readFile(t, good) != "data\n" {
		t.Errorf("the other outputs did not get the data: stdout %q", r.stdout)
	}
}

// In the exit modes an output that cannot be opened ends tee before it
// reads anything.
func TestTeeExitModeStopsAtUnopenableOutput(t *testing.T) {
	dir := commandtest.TempDir(t)
	for _, mode := range []string{"exit", "exit-nopipe"} {
		r := runTee1(t, "data\n", "--output-error="+mode, filepath.Join(dir, "nodir", "x"), filepath.Join(dir, "after-"+mode))
		if r.status != 1 || r.stdout != "" {
			t.Errorf("%s: status %d, stdout %q", mode, r.status, r.stdout)
		}
		if _, err := os.Stat(filepath.Join(dir, "after-"+mode)); err == nil {
			t.Errorf("%s: the output after the failed one was opened", mode)
		}
	}
}

func TestTeeUsageErrors(t *testing.T) {
	testenv.SetLocale(t, "C") // ASCII quotes; TestTeeAgainstGNU tries every locale
	valid := "Valid arguments are:\n  - 'warn'\n  - 'warn-nopipe'\n  - 'exit'\n  - 'exit-nopipe'\n"
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"-x"}, "tee: invalid option -- 'x'\n"},
		{[]string{"--bogus"}, "tee: unrecognized option '--bogus'\n"},
		{[]string{"--output-error=foo"}, "tee: invalid argument 'foo' for '--output-error'\n" + valid},
		{[]string{"--output-error=e"}, "tee: ambiguous argument 'e' for '--output-error'\n" + valid},
		{[]string{"--append=x"}, "tee: option '--append' doesn't allow an argument\n"},
	} {
		r := runTee1(t, "", tc.args...)
		want := tc.stderr + "Try 'tee --help' for more information.\n"
		if r.status != 1 || r.stderr != want || r.stdout != "" {
			t.Errorf("%q: status %d, stderr %q, want %q", tc.args, r.status, r.stderr, want)
		}
	}
}

func TestTeeOutputErrorModes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want outputError
	}{
		{nil, outputErrorSigpipe},
		{[]string{"-p"}, outputErrorWarnNopipe},
		{[]string{"--output-error"}, outputErrorWarnNopipe},
		{[]string{"--output-error=warn"}, outputErrorWarn},
		{[]string{"--output-error=warn-"}, outputErrorWarnNopipe},
		{[]string{"--output-error=exit"}, outputErrorExit},
		{[]string{"--output-error=exit-nopipe"}, outputErrorExitNopipe},
		{[]string{"--output-error=exit", "-p"}, outputErrorWarnNopipe},
		{[]string{"-p", "--output-error=exit"}, outputErrorExit},
	} {
		p, err := command.Parse(Tee, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		tr := &teeRun{}
		for _, o := range p.Opts {
			tr.setOption(o)
		}
		got := tr.mode
		if got != tc.want {
			t.Errorf("%q: mode %d, want %d", tc.args, got, tc.want)
		}
	}
}

func TestTeeSignals(t *testing.T) {
	r := runTee1(t, "", "-i")
	if !slices.Contains(r.ignored, os.Interrupt) {
		t.Errorf("-i: ignored %v, want SIGINT among them", r.ignored)
	}
	r = runTee1(t, "")
	if len(r.ignored) != 0 {
		t.Errorf("default: ignored %v, want nothing (SIGPIPE kills, SIGINT kills)", r.ignored)
	}
}

func TestTeeHelpAndVersion(t *testing.T) {
	var stdout commandtest.SyncBuffer
	r := runTeeWith(t, strings.NewReader(""), &stdout, "gopipe", "tee", "--help")
	if r.status != 0 || !strings.HasPrefix(r.stdout, "Usage: gopipe tee [OPTION]... [FILE]...\n") {
		t.Errorf("--help: status %d, stdout %q", r.status, r.stdout)
	}
	r = runTee1(t, "", "--version")
	if r.status != 0 || !strings.HasPrefix(r.stdout, "tee (gopipe) ") {
		t.Errorf("--version: status %d, stdout %q", r.status, r.stdout)
	}
}

// errWriter fails every write with err.
type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

// A failing stdout is reported as 'standard output' and dropped; the files
// still get everything.
func TestTeeFailingStdout(t *testing.T) {
	a := filepath.Join(commandtest.TempDir(t), "a")
	r := runTeeWith(t, strings.NewReader("data\n"), errWriter{io.ErrClosedPipe}, "tee", a)
	if r.status != 1 || r.stderr != "tee: 'standard output': "+command.Strerror(io.ErrClosedPipe)+"\n" {
		t.Errorf("status %d, stderr %q", r.status, r.stderr)
	}
	if got := readFile(t, a); got != "data\n" {
		t.Errorf("a = %q", got)
	}
}

// errReader returns its data, then err.
type errReader struct {
	data string
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestTeeReadError(t *testing.T) {
	var stdout commandtest.SyncBuffer
	r := runTeeWith(t, &errReader{"some", io.ErrUnexpectedEOF}, &stdout, "tee")
	if r.status != 1 || r.stdout != "some" || r.stderr != "tee: read error: "+command.Strerror(io.ErrUnexpectedEOF)+"\n" {
		t.Errorf("status %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
}

func TestTeeQuotef(t *testing.T) {
	for in, want := range map[string]string{
		"plain/name.txt":  "plain/name.txt",
		"a b":             "'a b'",
		"a:b":             "'a:b'",
		"it's":            `"it's"`,
		"#x":              "'#x'",
		"a#x":             "a#x",
		"~":               "'~'",
		"a~":              "a~",
		"{":               "'{'",
		"a{}":             "a{}",
		"":                "''",
		"a\tb":            `'a'$'\t''b'`,
		"é":               "é",
		"a?b":             "'a?b'",
		"a]b":             "a]b",
		"standard output": "'standard output'",
	} {
		if got := command.Quotef(in); got != want {
			t.Errorf("command.Quotef(%q) = %s, want %s", in, got, want)
		}
	}
}
