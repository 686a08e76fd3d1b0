package cattee

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
)

// TestProgressOptionErrors: a bad SIZE or RATE is told as GNU tells a bad
// size (sort -S, du -B): one line naming the option in full, however it was
// abbreviated, no "Try" line, status 1; nothing is copied.
func TestProgressOptionErrors(t *testing.T) {
	for _, cmd := range []string{"cat", "tee"} {
		for _, tc := range []struct {
			args []string
			msg  string
		}{
			{[]string{"--rate-limit", "5X"}, "invalid suffix in --rate-limit argument '5X'"},
			{[]string{"--rate=abc"}, "invalid --rate-limit argument 'abc'"},
			{[]string{"--rate-limit=0"}, "invalid --rate-limit argument '0'"},
			{[]string{"--si", "-1"}, "invalid --size argument '-1'"},
			{[]string{"--size=99999999999999999999"}, "--size argument '99999999999999999999' too large"},
			{[]string{"--size"}, "option '--size' requires an argument\nTry 'tee --help' for more information."},
		} {
			var out, errOut bytes.Buffer
			e := command.NewEnv(context.Background(), strings.NewReader("in\n"), &out, &errOut)
			status, _ := runEnv(e, append([]string{cmd}, tc.args...))
			want := cmd + ": " + strings.ReplaceAll(tc.msg, "'tee --help'", "'"+cmd+" --help'") + "\n"
			if status != 1 || errOut.String() != want || out.Len() != 0 {
				t.Errorf("%s %q: status %d, stdout %q, stderr %q; want 1, %q", cmd, tc.args, status, out.String(), errOut.String(), want)
			}
		}
	}
}

// TestProgressAbbreviations: the options added to GNU's leave every
// abbreviation GNU cat and tee accept meaning what it means to them, and
// one that is ambiguous to them ambiguous still.
func TestProgressAbbreviations(t *testing.T) {
	gnu := map[*command.Spec][]string{
		Cat: {"show-all", "number-nonblank", "show-ends", "number", "squeeze-blank", "show-tabs", "show-nonprinting", "help", "version"},
		Tee: {"append", "ignore-interrupts", "output-error", "help", "version"},
	}
	for spec, longs := range gnu {
		for _, long := range longs {
			for i := 1; i <= len(long); i++ {
				prefix := long[:i]
				var gnuMeans []string
				for _, l := range longs {
					if l == prefix {
						gnuMeans = []string{l}
						break
					}
					if strings.HasPrefix(l, prefix) {
						gnuMeans = append(gnuMeans, l)
					}
				}
				p, err := command.Parse(spec, []string{"--" + prefix})
				switch {
				case len(gnuMeans) == 1 && (err != nil || p.Opts[0].Long != gnuMeans[0]):
					t.Errorf("%s --%s: %v, want --%s as GNU's", spec.Name, prefix, err, gnuMeans[0])
				case len(gnuMeans) > 1 && (err == nil || !strings.Contains(err.Error(), "ambiguous")):
					t.Errorf("%s --%s: %v, want ambiguous as GNU's", spec.Name, prefix, err)
				}
			}
		}
	}
	// pv's --force still works, as an abbreviation.
	if p, err := command.Parse(Cat, []string{"--force"}); err != nil || p.Opts[0].Long != "force-progress" {
		t.Errorf("cat --force: %v", err)
	}
}

// TestCatProgressNotTerminal: --force-progress writes lines (no CR) and
// the summary, --numeric the percentage of the files' size, or the bytes
// when the size is unknown; --size gives it.
func TestCatProgressNotTerminal(t *testing.T) {
	dir := commandtest.TempDir(t)
	a := filepath.Join(dir, "a")
	os.WriteFile(a, bytes.Repeat([]byte("x"), 3000), 0o644)
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string // stderr, a regexp
	}{
		{[]string{"--force-progress", a}, "", `^2.93KiB 0:00:00 \[ *[\d.]+[KMG]?i?B/s\] \[=+\] 100%\n$`},
		{[]string{"--fo", "--size=6000", a}, "", `^2.93KiB 0:00:00 \[ *[\d.]+[KMG]?i?B/s\] \[=+> +\]  50%\n$`},
		{[]string{"--force-progress", "-"}, "in\n", `^     3B 0:00:00 \[ *[\d.]+[KMG]?i?B/s\]\n$`},
		{[]string{"--numeric", a}, "", `^100\n$`},
		{[]string{"--numeric", "--size", "6K", a}, "", `^48\n$`},
		{[]string{"--numeric", "-"}, "in\n", `^3\n$`},
		{[]string{"--numeric", "-n", "-"}, "in\n", `^10\n$`}, // what is written, formatted
	} {
		var out, errOut bytes.Buffer
		e := command.NewEnv(context.Background(), strings.NewReader(tc.stdin), &out, &errOut)
		status, _ := runEnv(e, append([]string{"gopipe", "cat"}, tc.args...))
		if status != 0 || !regexp.MustCompile(tc.want).MatchString(errOut.String()) {
			t.Errorf("cat %q: status %d, stderr %q, want %s", tc.args, status, errOut.String(), tc.want)
		}
	}
}

func TestTeeProgressNotTerminal(t *testing.T) {
	dir := commandtest.TempDir(t)
	status, _, errOut := commandtest.Run(t, Tee, "0123456789", "--force-progress", "--size=20", filepath.Join(dir, "f"))
	if re := `^    10B 0:00:00 \[ *[\d.]+[KMG]?i?B/s\] \[=+> +\]  50%\n$`; status != 0 || !regexp.MustCompile(re).MatchString(errOut) {
		t.Errorf("tee --force-progress: status %d, stderr %q, want %s", status, errOut, re)
	}
	status, _, errOut = commandtest.Run(t, Tee, "0123456789", "--numeric")
	if status != 0 || errOut != "10\n" {
		t.Errorf("tee --numeric: status %d, stderr %q", status, errOut)
	}
}

// TestRateLimit: cat and tee copy no faster than --rate-limit, through
// pipes too, where the kernel would otherwise move everything at once, and
// the data comes through whole; --rate-limit alone shows nothing.
func TestRateLimit(t *testing.T) {
	data := make([]byte, 100<<10)
	rand.NewChaCha8([32]byte{3}).Read(data)
	const rate = 1 << 20
	// The limiter lets the first chunk go at once; the rest takes its time.
	least := time.Duration(float64(len(data)-int(rate*limiterChunk.Seconds())) / rate * float64(time.Second))
	for _, argv := range [][]string{{"cat"}, {"cat", "-v"}, {"tee"}, {"tee", "-p"}} {
		for _, pipes := range []bool{false, true} {
			var stdin io.Reader = bytes.NewReader(data)
			var stdout io.Writer
			var got bytes.Buffer
			stdout = &got
			done := make(chan struct{})
			if pipes {
				ir, iw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				or, ow, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				go func() { iw.Write(data); iw.Close() }()
				go func() { io.Copy(&got, or); or.Close(); close(done) }()
				stdin, stdout = ir, ow
				defer ir.Close()
				defer func() { ow.Close(); <-done }()
			}
			var errOut bytes.Buffer
			e := command.NewEnv(context.Background(), stdin, stdout, &errOut)
			start := time.Now()
			status, _ := runEnv(e, append(argv, "--rate-limit=1M"))
			took := time.Since(start)
			if pipes {
				stdout.(*os.File).Close()
				<-done
			}
			want := data
			if argv[len(argv)-1] == "-v" {
				want = nil // formatted: only its length is checked
			}
			switch {
			case status != 0 || errOut.Len() != 0:
				t.Errorf("%q (pipes %v): status %d, stderr %q", argv, pipes, status, errOut.String())
			case want != nil && !bytes.Equal(got.Bytes(), want), got.Len() < len(data):
				t.Errorf("%q (pipes %v): %d bytes out, not the %d in", argv, pipes, got.Len(), len(data))
			case took < least:
				t.Errorf("%q (pipes %v): %d bytes at 1 MiB/s took %v, want %v or more", argv, pipes, len(data), took, least)
			}
		}
	}
}

// TestRateLimitCancel: a rate-limited copy stops when its context ends, as
// a wait for a FIFO does, with the status of a death by SIGINT.
func TestRateLimitCancel(t *testing.T) {
	for _, spec := range []*command.Spec{Cat, Tee} {
		// At a byte a second, the first byte goes at once, and its write
		// ends the context while the second waits.
		ctx, cancel := context.WithCancel(context.Background())
		var errOut bytes.Buffer
		start := time.Now()
		status := commandtest.RunWith(ctx, spec, strings.NewReader("abc"), cancelWriter(cancel), &errOut, "--rate-limit=1")
		if status != 130 || time.Since(start) > 5*time.Second {
			t.Errorf("%s: status %d after %v, stderr %q; want 130 at once", spec.Name, status, time.Since(start), errOut.String())
		}
	}
}

// cancelWriter ends a context when written to.
type cancelWriter context.CancelFunc

func (c cancelWriter) Write(p []byte) (int, error) {
	c()
	return len(p), nil
}
