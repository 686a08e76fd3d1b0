//go:build unix

package cattee

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"github.com/gopipe/gopipe/internal/testenv"
)

func mkfifo(t *testing.T, name string) string {
	t.Helper()
	if err := unix.Mkfifo(name, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// readFIFO opens the FIFO for reading (which waits for tee to open it),
// reads up to limit bytes (all if limit < 0), closes it and sends what it
// read. afterOpen, if not nil, is closed once it is open.
func readFIFO(name string, limit int, afterOpen chan<- struct{}) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		f, err := os.OpenFile(name, os.O_RDONLY, 0)
		if err != nil {
			ch <- nil
			return
		}
		if afterOpen != nil {
			close(afterOpen)
		}
		var r io.Reader = f
		if limit >= 0 {
			r = io.LimitReader(f, int64(limit))
		}
		b, _ := io.ReadAll(r)
		f.Close()
		ch <- b
	}()
	return ch
}

// readAll reads r to the end in a goroutine.
func readAll(r io.ReadCloser) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(r)
		r.Close()
		ch <- b
	}()
	return ch
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// wait waits for a result, failing the test if it takes absurdly long (the
// bound is no synchronisation: a passing test never waits for it).
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(time.Minute):
		t.Fatalf("%s: still waiting after a minute", what)
		panic("unreachable")
	}
}

// runTeeAsync runs tee in a goroutine.
func runTeeAsync(t *testing.T, stdin io.Reader, stdout io.Writer, argv ...string) <-chan teeResult {
	ch := make(chan teeResult, 1)
	go func() { ch <- runTeeWith(t, stdin, stdout, argv...) }()
	return ch
}

func TestTeeToFIFOs(t *testing.T) {
	dir := t.TempDir()
	f1, f2 := mkfifo(t, filepath.Join(dir, "f1")), mkfifo(t, filepath.Join(dir, "f2"))
	in := randomBytes(3<<20 + 12345)
	for _, stdoutPipe := range []bool{false, true} {
		r1, r2 := readFIFO(f1, -1, nil), readFIFO(f2, -1, nil)
		var stdout io.Writer = &commandtest.SyncBuffer{}
		var out <-chan []byte
		if stdoutPipe {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			stdout, out = pw, readAll(pr)
		}
		res := wait(t, runTeeAsync(t, bytes.NewReader(in), stdout, "tee", f1, f2), "tee")
		if f, ok := stdout.(*os.File); ok {
			f.Close()
			res.stdout = string(wait(t, out, "stdout"))
		}
		if res.status != 0 || res.stderr != "" {
			t.Fatalf("status %d, stderr %q", res.status, res.stderr)
		}
		for name, got := range map[string][]byte{"stdout": []byte(res.stdout), "f1": wait(t, r1, "f1"), "f2": wait(t, r2, "f2")} {
			if !bytes.Equal(got, in) {
				t.Errorf("stdout pipe %v: %s got %d bytes, not the %d of the input", stdoutPipe, name, len(got), len(in))
			}
		}
	}
}

// GNU follows a symlink to a FIFO (fifo.OpenWriter alone would refuse it).
func TestTeeSymlinkToFIFO(t *testing.T) {
	dir := t.TempDir()
	f := mkfifo(t, filepath.Join(dir, "f"))
	l := filepath.Join(dir, "l")
	if err := os.Symlink("f", l); err != nil {
		t.Fatal(err)
	}
	r := readFIFO(f, -1, nil)
	res := runTee1(t, "via link\n", l)
	if res.status != 0 || string(wait(t, r, "reader")) != "via link\n" {
		t.Errorf("status %d, stderr %q", res.status, res.stderr)
	}
}

// A FIFO output whose reader goes away mid-stream, in every mode, with
// stdout a buffer (read/write path) and a pipe (splice path on Linux).
func TestTeeBrokenFIFOPerMode(t *testing.T) {
	chunk1, chunk2 := randomBytes(1000), randomBytes(300000)
	all := append(append([]byte{}, chunk1...), chunk2...)
	for _, tc := range []struct {
		mode      string
		status    int
		dieBy     os.Signal
		message   bool
		othersAll bool // the other outputs get everything (else chunk1 only)
	}{
		{"", 141, syscall.SIGPIPE, false, false},
		{"--output-error=warn", 1, nil, true, true},
		{"--output-error=warn-nopipe", 0, nil, false, true},
		{"-p", 0, nil, false, true},
		{"--output-error=exit", 1, nil, true, false},
		{"--output-error=exit-nopipe", 0, nil, false, true},
	} {
		for _, stdoutPipe := range []bool{false, true} {
			dir := t.TempDir()
			f1, f2 := mkfifo(t, filepath.Join(dir, "f1")), mkfifo(t, filepath.Join(dir, "f2"))
			gone := readFIFO(f1, 10, nil) // reads 10 bytes of chunk1, then closes
			rest := readFIFO(f2, -1, nil)
			inR, inW, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			var stdout io.Writer = &commandtest.SyncBuffer{}
			var out <-chan []byte
			if stdoutPipe {
				pr, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				stdout, out = pw, readAll(pr)
			}
			args := []string{"tee", f1, f2}
			if tc.mode != "" {
				args = []string{"tee", tc.mode, f1, f2}
			}
			done := runTeeAsync(t, inR, stdout, args...)
			inW.Write(chunk1)
			wait(t, gone, "f1's reader")
			// f1 now has no reader: writing chunk2 to it fails. (Aside: in
			// the modes that end tee, nobody reads all of chunk2.)
			go func() {
				inW.Write(chunk2)
				inW.Close()
			}()
			res := wait(t, done, "tee")
			inR.Close()
			if f, ok := stdout.(*os.File); ok {
				f.Close()
				res.stdout = string(wait(t, out, "stdout"))
			}
			name := tc.mode + map[bool]string{true: " (stdout a pipe)", false: ""}[stdoutPipe]
			if res.status != tc.status || res.dieBy != tc.dieBy {
				t.Errorf("%s: status %d, dieBy %v; want %d, %v", name, res.status, res.dieBy, tc.status, tc.dieBy)
			}
			wantErr := ""
			if tc.message {
				wantErr = "tee: " + f1 + ": Broken pipe\n"
			}
			if res.stderr != wantErr {
				t.Errorf("%s: stderr %q, want %q", name, res.stderr, wantErr)
			}
			want := chunk1
			if tc.othersAll {
				want = all
			}
			if got := wait(t, rest, "f2's reader"); !bytes.Equal(got, want) {
				t.Errorf("%s: f2 got %d bytes, want %d", name, len(got), len(want))
			}
			// stdout comes before f1, so it has what broke f1 too.
			if got := []byte(res.stdout); !bytes.HasPrefix(all, got) || len(got) <= len(chunk1) || tc.othersAll && len(got) != len(all) {
				t.Errorf("%s: stdout got %d bytes, not the right part of the %d", name, len(got), len(all))
			}
		}
	}
}

func TestTeeBrokenStdout(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	pr.Close()
	defer pw.Close()
	a := filepath.Join(t.TempDir(), "a")
	res := runTeeWith(t, strings.NewReader("data\n"), pw, "tee", "--output-error=warn", a)
	if res.status != 1 || res.stderr != "tee: 'standard output': Broken pipe\n" || readFile(t, a) != "data\n" {
		t.Errorf("status %d, stderr %q", res.status, res.stderr)
	}
	res = runTeeWith(t, strings.NewReader("data\n"), pw, "tee", a)
	if res.status != 141 || res.dieBy != syscall.SIGPIPE || res.stderr != "" {
		t.Errorf("default mode: status %d, dieBy %v, stderr %q", res.status, res.dieBy, res.stderr)
	}
}

// In the nopipe modes tee ends once every output is a broken pipe, though
// its input neither ends nor sends anything.
func TestTeeNopipeExitsWhileInputIdle(t *testing.T) {
	for _, mode := range []string{"-p", "--output-error=exit-nopipe"} {
		dir := t.TempDir()
		f1 := mkfifo(t, filepath.Join(dir, "f1"))
		gone := readFIFO(f1, 0, nil) // opens, reads nothing, closes
		inR, inW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		outR.Close()
		res := wait(t, runTeeAsync(t, inR, outW, "tee", mode, f1), mode)
		wait(t, gone, "reader")
		if res.status != 0 || res.stderr != "" {
			t.Errorf("%s: status %d, stderr %q", mode, res.status, res.stderr)
		}
		// Only now does the input end, which lets the abandoned read go.
		inW.Close()
		inR.Close()
		outW.Close()
	}
}

// The differential test: what 9.1 shares with the GNU tee this is modelled
// on (outputs, -a, "-", messages, exit statuses) against /usr/bin/tee.
func TestTeeAgainstGNU(t *testing.T) {
	gnu := testenv.GNU(t, "tee")
	for _, loc := range testenv.Locales {
		t.Run(testenv.LocaleName(loc), func(t *testing.T) { teeAgainstGNU(t, gnu, loc) })
	}
}

func teeAgainstGNU(t *testing.T, gnu, loc string) {
	testenv.SetLocale(t, loc)
	for _, tc := range []struct {
		args []string
		in   string
	}{
		{[]string{"a", "b", "-"}, "x\ny\n"},
		{[]string{"-a", "old", "-"}, "appended\n"},
		{[]string{"--append", "--", "-a"}, "dashdash\n"},
		{[]string{"nodir/x", "a"}, "data\n"},
		{[]string{"dir", "a"}, "data\n"},
		{[]string{"--output-error=exit", "nodir/x", "a"}, "data\n"},
		{[]string{"--output-error=warn", "/dev/full", "a"}, "data\n"},
		{[]string{"-p", "/dev/full", "a"}, "data\n"},
		{[]string{"/dev/full", "a"}, "data\n"},
		{[]string{"sp ace/x", "c:d/x", "it's/x", "#x/y"}, ""},
		{[]string{"-x"}, ""},
		{[]string{"--output-error=bogus", "a"}, ""},
		{[]string{"--output-error=e", "a"}, ""},
		{[]string{"--output-error=exit-", "a"}, "abbrev\n"},
		{[]string{"--ignore-interrupts", "--output-error", "a"}, "y\n"},
		{[]string{"--append=1"}, ""},
		{[]string{"a", "--bogus"}, ""},
		{nil, strings.Repeat("no outputs but stdout\n", 10000)},
	} {
		type outcome struct {
			status         int
			stdout, stderr string
			files          map[string]string
		}
		setup := func() string {
			d := t.TempDir()
			os.WriteFile(filepath.Join(d, "old"), []byte("old\n"), 0o644)
			os.WriteFile(filepath.Join(d, "-a"), []byte("was -a\n"), 0o644)
			os.Mkdir(filepath.Join(d, "dir"), 0o755)
			return d
		}
		files := func(d string) map[string]string {
			m := map[string]string{}
			ents, _ := os.ReadDir(d)
			for _, e := range ents {
				if b, err := os.ReadFile(filepath.Join(d, e.Name())); err == nil {
					m[e.Name()] = string(b)
				}
			}
			return m
		}
		// GNU's, named "tee" so that its messages say so.
		gd := setup()
		cmd := &exec.Cmd{Path: gnu, Args: append([]string{"tee"}, tc.args...), Dir: gd, Stdin: strings.NewReader(tc.in)}
		cmd.Env = testenv.LocaleEnv(loc)
		var gout, gerr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &gout, &gerr
		err := cmd.Run()
		var g outcome
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			g.status = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		g.stdout, g.stderr, g.files = gout.String(), gerr.String(), files(gd)

		od := setup()
		t.Chdir(od)
		r := runTee1(t, tc.in, tc.args...)
		o := outcome{r.status, r.stdout, r.stderr, files(od)}

		if o.status != g.status || o.stdout != g.stdout || o.stderr != g.stderr {
			t.Errorf("tee %q:\n got status %d, stdout %q, stderr %q\nGNU status %d, stdout %q, stderr %q",
				tc.args, o.status, o.stdout, o.stderr, g.status, g.stdout, g.stderr)
		}
		if len(o.files) != len(g.files) {
			t.Errorf("tee %q: files %v, GNU's %v", tc.args, o.files, g.files)
		}
		for name, content := range g.files {
			if o.files[name] != content {
				t.Errorf("tee %q: file %q = %q, GNU's %q", tc.args, name, o.files[name], content)
			}
		}
	}
}
