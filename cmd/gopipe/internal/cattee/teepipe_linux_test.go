package cattee

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"golang.org/x/sys/unix"
)

func setPipeSize(t *testing.T, f *os.File, size int) {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) {
		if _, err := unix.FcntlInt(fd, unix.F_SETPIPE_SZ, size); err != nil {
			t.Fatal(err)
		}
	})
}

// slowReader reads r a little at a time, so that the pipe stays nearly
// full and tee(2) into it is often partial.
func slowReader(r *os.File, step int) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		var all bytes.Buffer
		buf := make([]byte, step)
		for {
			n, err := r.Read(buf)
			all.Write(buf[:n])
			if err != nil {
				break
			}
		}
		r.Close()
		ch <- all.Bytes()
	}()
	return ch
}

// pipeTee sets up a tee from the pipe in to the pipes outs (stdout the
// first), and its zero-copy pump.
func pipeTee(t *testing.T, in *os.File, outs []*os.File, stderr io.Writer) (*teeRun, *pipePump) {
	t.Helper()
	tr := &teeRun{e: command.NewEnv(t.Context(), in, outs[0], stderr), ok: true}
	for i, w := range outs {
		tr.outs = append(tr.outs, &teeOutput{name: "out" + string(rune('0'+i)), w: w, live: true})
	}
	tr.live = len(tr.outs)
	p := newPipePump(tr)
	pp, ok := p.(*pipePump)
	if !ok {
		t.Fatalf("stdin and outputs are pipes, but the pump is %T", p)
	}
	return tr, pp
}

// Outputs that take a chunk only in part get the rest from the second
// private pipe: every output gets exactly the input.
func TestPipePumpPartialTees(t *testing.T) {
	in := randomBytes(8<<20 + 999)
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	var readers []<-chan []byte
	var writers []*os.File
	for _, step := range []int{777, 4096, 65536} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		writers = append(writers, w)
		readers = append(readers, slowReader(r, step))
	}
	var stderr commandtest.SyncBuffer
	tr, pp := pipeTee(t, inR, writers, &stderr)
	// Small output pipes (newPipePump enlarged them) make partial tees.
	for _, w := range writers {
		setPipeSize(t, w, 4096)
	}
	go func() {
		inW.Write(in)
		inW.Close()
	}()
	if stop, status := tr.pumpAll(pp, nil); stop || !tr.ok {
		t.Fatalf("stop %v status %d, stderr %q", stop, status, stderr.String())
	}
	for i, w := range writers {
		w.Close()
		if got := wait(t, readers[i], "reader"); !bytes.Equal(got, in) {
			t.Errorf("output %d got %d bytes, not the %d of the input", i, len(got), len(in))
		}
	}
	if partial, _ := pp.tee.Stats(); partial == 0 {
		t.Errorf("no partial tee: the test did not test what it is for")
	}
}

// The pump is only for pipes; /dev/null outputs are allowed.
func TestPipePumpChoice(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, tc := range []struct {
		name  string
		stdin io.Reader
		outs  []io.Writer
		want  bool
	}{
		{"pipes", pr, []io.Writer{pw, pw}, true},
		{"pipe and /dev/null", pr, []io.Writer{null, pw}, true},
		{"a regular file", pr, []io.Writer{pw, file}, false},
		{"stdin not a pipe", null, []io.Writer{pw}, false},
		{"stdout a buffer", pr, []io.Writer{&bytes.Buffer{}}, false},
	} {
		tr := &teeRun{e: command.NewEnv(t.Context(), tc.stdin, tc.outs[0], io.Discard)}
		for _, w := range tc.outs {
			tr.outs = append(tr.outs, &teeOutput{w: w, live: true})
		}
		p := newPipePump(tr)
		if got := p != nil; got != tc.want {
			t.Errorf("%s: zero-copy %v, want %v", tc.name, got, tc.want)
		}
		if p != nil {
			p.close()
		}
	}
}

// A producer writing small pieces makes small chunks, after which fill
// waits for input to gather; a piece that comes alone is still delivered
// at once, not held back for more: each line here is read from both
// outputs before the next is written.
func TestPipePumpSmallPieces(t *testing.T) {
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer inR.Close()
	var outR, outW [2]*os.File
	for i := range outR {
		if outR[i], outW[i], err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		defer outR[i].Close()
	}
	var stderr commandtest.SyncBuffer
	tr, pp := pipeTee(t, inR, outW[:], &stderr)
	done := make(chan bool, 1)
	go func() {
		stop, _ := tr.pumpAll(pp, nil)
		for _, w := range outW {
			w.Close()
		}
		done <- !stop && tr.ok
	}()
	buf := make([]byte, 64)
	for i := range 20 {
		line := []byte("line " + string(rune('a'+i)) + "\n")
		if _, err := inW.Write(line); err != nil {
			t.Fatal(err)
		}
		for k, r := range outR {
			if _, err := io.ReadFull(r, buf[:len(line)]); err != nil {
				t.Fatalf("line %d, output %d: %v", i, k, err)
			}
			if !bytes.Equal(buf[:len(line)], line) {
				t.Fatalf("line %d, output %d: got %q, want %q", i, k, buf[:len(line)], line)
			}
		}
	}
	inW.Close()
	if !wait(t, done, "tee") {
		t.Fatalf("tee failed: %q", stderr.String())
	}
	if _, gathers := pp.tee.Stats(); gathers == 0 {
		t.Errorf("no wait for input to gather after small chunks")
	}
}
