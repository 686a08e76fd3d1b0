package zerocopy

import (
	"bytes"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func pipeSizeOf(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	size := 0
	rc.Control(func(fd uintptr) { size, err = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) })
	if err != nil {
		t.Fatal(err)
	}
	return size
}

// TestCopy splices pipe to pipe, having grown both to 1 MiB (or
// pipe-max-size), and declines what splice cannot do.
func TestCopy(t *testing.T) {
	want := PipeSize()
	sr, sw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	dr, dw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("splice me\n"), 1<<19)
	go func() { sw.Write(data); sw.Close() }()
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(dr); got <- b }()
	var counted int64
	n, handled, err := Copy(dw, sr, func(k int64) { counted += k })
	if !handled || err != nil || n != int64(len(data)) || counted != n {
		t.Errorf("Copy: %d, %v, %v, counted %d; want %d, true, nil", n, handled, err, counted, len(data))
	}
	if s := pipeSizeOf(t, dw); s != want {
		t.Errorf("output pipe size %d, want %d", s, want)
	}
	if s := pipeSizeOf(t, sr); s != want {
		t.Errorf("input pipe size %d, want %d", s, want)
	}
	dw.Close()
	if b := <-got; !bytes.Equal(b, data) {
		t.Errorf("got %d bytes, want %d", len(b), len(data))
	}
	sr.Close()
	dr.Close()

	// Neither end a pipe: not splice's job.
	dir := t.TempDir()
	a, _ := os.Create(dir + "/a")
	b, _ := os.Create(dir + "/b")
	defer a.Close()
	defer b.Close()
	if _, handled, _ := Copy(b, a, nil); handled {
		t.Error("Copy between regular files: handled")
	}
}
