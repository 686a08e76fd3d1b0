package fifo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// makeT makes a FIFO with a fresh name and removes it at the end.
func makeT(t *testing.T) string {
	t.Helper()
	name := testPipeName(t)
	if err := Make(name, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cleanup: %v", err)
		}
	})
	return name
}

func writeFIFO(t *testing.T, ctx context.Context, name, text string) {
	t.Helper()
	w, err := OpenWriter(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, text); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func readFIFO(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	r, err := OpenReader(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFIFOWriterFirst(t *testing.T) {
	name := makeT(t)
	ctx := testCtx(t)
	writeFIFO(t, ctx, name, "hello\n")
	writeFIFO(t, ctx, name, "again\n")
	// Writers that follow each other within the holder's reaction time
	// (here microseconds, in one process) may swap: see
	// docs/design.md. Each one's data stays whole.
	switch got := readFIFO(t, ctx, name); got {
	case "hello\nagain\n":
	case "again\nhello\n":
		t.Logf("back-to-back writers swapped: %q", got)
	default:
		t.Errorf("read %q", got)
	}
	// The next reader waits for new writers, as on Unix.
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err := OpenReader(short, name)
	mustErr(t, err, os.ErrDeadlineExceeded)
	writeFIFO(t, ctx, name, "third\n")
	if got := readFIFO(t, ctx, name); got != "third\n" {
		t.Errorf("read %q", got)
	}
}

func TestFIFOReaderFirst(t *testing.T) {
	name := makeT(t)
	ctx := testCtx(t)
	type result struct {
		got string
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := OpenReader(ctx, name)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		done <- result{string(b), err}
	}()
	w, err := OpenWriter(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	w.Write(nil) // a zero-length write is not the end
	fmt.Fprintf(w, "last\n")
	w.Close()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if want := "line 0\nline 1\nline 2\nlast\n"; r.got != want {
		t.Errorf("read %q, want %q", r.got, want)
	}
}

// A writer that comes and goes without writing still ends the reader's
// wait, with EOF.
func TestFIFOEmptyWriter(t *testing.T) {
	name := makeT(t)
	ctx := testCtx(t)
	w, err := OpenWriter(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	if got := readFIFO(t, ctx, name); got != "" {
		t.Errorf("read %q", got)
	}
}

func TestFIFOManyWriters(t *testing.T) {
	const writers, lines = 8, 200
	name := makeT(t)
	ctx := testCtx(t)
	done := make(chan map[string]int, 1)
	go func() {
		r, err := OpenReader(ctx, name)
		if err != nil {
			t.Error(err)
			done <- nil
			return
		}
		defer r.Close()
		seen := map[string]int{}
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			seen[sc.Text()]++
		}
		if err := sc.Err(); err != nil {
			t.Error(err)
		}
		done <- seen
	}()
	// All writers open before any closes, so the reader's EOF comes
	// after all of them.
	var ws []*os.File
	for range writers {
		w, err := OpenWriter(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
	}
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.Close()
			for j := range lines {
				// One write per line: each reaches the reader whole.
				if _, err := fmt.Fprintf(w, "writer %d line %d %s\n", i, j, strings.Repeat("x", j)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	seen := <-done
	if len(seen) != writers*lines {
		t.Fatalf("%d distinct lines, want %d", len(seen), writers*lines)
	}
	for i := range writers {
		for j := range lines {
			if l := fmt.Sprintf("writer %d line %d %s", i, j, strings.Repeat("x", j)); seen[l] != 1 {
				t.Fatalf("line %q seen %d times", l, seen[l])
			}
		}
	}
}

// More than the holder's queue: writers block until the reader drains it,
// and nothing is lost.
func TestFIFOBackpressure(t *testing.T) {
	name := makeT(t)
	ctx := testCtx(t)
	w, err := OpenWriter(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	w.SetWriteDeadline(time.Now().Add(500 * time.Millisecond))
	written := 0
	for written < 16*holderQueueMax {
		n, err := w.Write(chunk)
		written += n
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal(err)
			}
			break
		}
	}
	if written >= 16*holderQueueMax {
		t.Fatalf("wrote %d bytes with no reader and never blocked", written)
	}
	if written < holderQueueMax {
		t.Errorf("blocked after %d bytes, before the queue (%d) was full", written, holderQueueMax)
	}
	t.Logf("writer blocked after %d bytes", written)
}

func TestFIFOLargeTransfer(t *testing.T) {
	name := makeT(t)
	ctx := testCtx(t)
	const size = 5 << 20
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	go func() {
		w, err := OpenWriter(ctx, name)
		if err != nil {
			t.Error(err)
			return
		}
		defer w.Close()
		for b := data; len(b) > 0; {
			n := min(len(b), 100_000)
			if _, err := w.Write(b[:n]); err != nil {
				t.Error(err)
				return
			}
			b = b[n:]
		}
	}()
	if got := readFIFO(t, ctx, name); got != string(data) {
		t.Fatalf("got %d bytes, want %d, or garbled", len(got), size)
	}
}

// A reader that leaves mid-stream cuts the writers off (EPIPE on Unix).
func TestFIFOReaderLeaves(t *testing.T) {
	name := makeT(t)
	ctx := testCtx(t)
	w, err := OpenWriter(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	if _, err := io.ReadFull(r, b); err != nil || string(b) != "first\n" {
		t.Fatalf("%q, %v", b, err)
	}
	r.Close()
	w.SetWriteDeadline(time.Now().Add(20 * time.Second))
	for {
		if _, err = w.Write([]byte("more\n")); err != nil {
			break
		}
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("writer was not cut off when the reader left")
	}
	t.Logf("writer: %v", err)
}

func TestFIFOOpenReaderCancel(t *testing.T) {
	name := makeT(t)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := OpenReader(ctx, name)
	mustErr(t, err, context.Canceled)

	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = OpenReader(short, name)
	mustErr(t, err, os.ErrDeadlineExceeded, context.DeadlineExceeded)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("OpenReader returned %v after its deadline", d)
	}
	checkGoroutines(t, before)

	// The holder noticed the reader that gave up: the next one works.
	ctx = testCtx(t)
	writeFIFO(t, ctx, name, "ok")
	if got := readFIFO(t, ctx, name); got != "ok" {
		t.Errorf("read %q", got)
	}
}

func TestFIFORemove(t *testing.T) {
	name := testPipeName(t)
	if err := Make(name, 0); err != nil {
		t.Fatal(err)
	}
	info, err := Inspect(name)
	if err != nil {
		t.Fatal(err)
	}
	if info.Kind != KindGopipeFIFO {
		t.Errorf("kind %v", info.Kind)
	}
	if err := Remove(name); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	_, err = OpenWriter(ctx, name)
	mustErr(t, err, fs.ErrNotExist)
	_, err = OpenReader(ctx, name)
	mustErr(t, err, fs.ErrNotExist)
	mustErr(t, Remove(name), fs.ErrNotExist)
	_, err = Inspect(name)
	mustErr(t, err, fs.ErrNotExist)
	// The name is free again at once.
	if err := Make(name, 0); err != nil {
		t.Fatal(err)
	}
	if err := Remove(name); err != nil {
		t.Fatal(err)
	}
}

// Remove while a reader waits: the reader's open fails.
func TestFIFORemoveWhileReading(t *testing.T) {
	name := testPipeName(t)
	if err := Make(name, 0); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	errc := make(chan error, 1)
	go func() {
		_, err := OpenReader(ctx, name)
		errc <- err
	}()
	// Whether the reader got in before Remove or not, its open fails.
	if err := Remove(name); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Error("OpenReader succeeded on a removed FIFO")
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Logf("OpenReader: %v", err) // removed before it got in
	}
}

func TestFIFOMakeExisting(t *testing.T) {
	name := makeT(t)
	err := Make(name, 0)
	if err == nil {
		Remove(name) // the second holder
		if onWine() {
			t.Skip("Wine does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE")
		}
		t.Fatal("second Make of the same name succeeded")
	}
	mustErr(t, err, fs.ErrExist)
}

func TestFIFOMakeBadMode(t *testing.T) {
	mustErr(t, Make(testPipeName(t), 0o1777), fs.ErrInvalid)
}

func TestFIFOMakeWithoutRunHolder(t *testing.T) {
	holderReady.Store(false)
	defer holderReady.Store(true)
	mustErr(t, Make(testPipeName(t), 0), errors.ErrUnsupported)
}

// Another process writes through OpenWriter.
func TestFIFOWriterProcess(t *testing.T) {
	name := makeT(t)
	runTestHelper(t, "fifo-write", name, "from a helper")
	if got := readFIFO(t, testCtx(t), name); got != "from a helper" {
		t.Errorf("read %q", got)
	}
}

// cmd.exe writes with a plain redirection, as users will.
func TestFIFOCmdWriter(t *testing.T) {
	name := makeT(t)
	cmdExe, err := exec.LookPath("cmd.exe")
	if err != nil {
		t.Skip("no cmd.exe:", err)
	}
	cmd := exec.Command(cmdExe)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: fmt.Sprintf(`cmd.exe /d /c "echo hi> %s"`, Path(name))}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cmd: %v\n%s", err, out)
	}
	if got := readFIFO(t, testCtx(t), name); strings.TrimRight(got, "\r\n") != "hi" {
		t.Errorf("read %q", got)
	}
}

// OpenReader of somebody else's pipe reads it as a client.
func TestOpenReaderPlainPipe(t *testing.T) {
	name, l := listenWin(t, nil)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		c.Write([]byte("served"))
		c.Close()
	}()
	if got := readFIFO(t, testCtx(t), name); got != "served" {
		t.Errorf("read %q", got)
	}
	mustErr(t, Remove(name), errors.ErrUnsupported)
}

// A Windows FIFO's DACL grants only the current user and SYSTEM: a mode
// that grants group or others is refused rather than ignored; owner-only
// modes (DefaultMode, 0700, 0) describe the FIFO and are taken.
func TestFIFOMakeModeForOthersRefused(t *testing.T) {
	for _, perm := range []fs.FileMode{0o644, 0o660, 0o606} {
		name := testPipeName(t)
		err := Make(name, perm)
		if err == nil {
			Remove(name)
			t.Errorf("Make(%04o) succeeded", perm)
			continue
		}
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("Make(%04o): %v, want errors.ErrUnsupported", perm, err)
		}
	}
	name := testPipeName(t)
	if err := Make(name, DefaultMode); err != nil {
		t.Fatalf("Make(DefaultMode): %v", err)
	}
	Remove(name)
}
