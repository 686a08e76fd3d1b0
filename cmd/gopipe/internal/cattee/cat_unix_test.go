//go:build unix

package cattee

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"github.com/gopipe/gopipe/fifo"
	"golang.org/x/sys/unix"
)

// TestCatFIFO reads FIFOs, named directly and through a symlink, with
// writers that come after cat has started waiting.
func TestCatFIFO(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := fifo.Make(f, fifo.DefaultMode); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("f", link); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{f, link} {
		done := make(chan error, 1)
		go func() {
			w, err := fifo.OpenWriter(context.Background(), f)
			if err == nil {
				_, err = w.WriteString("through the fifo\n\n\n")
				w.Close()
			}
			done <- err
		}()
		status, out, errOut, _ := catRun(t, strings.NewReader("stdin\n"), nil, "-s", name, "-")
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if status != 0 || errOut != "" || out != "through the fifo\n\nstdin\n" {
			t.Errorf("cat -s %s -: status %d, stderr %q, stdout %q", name, status, errOut, out)
		}
	}
}

// TestCatFIFOUnreadable: a FIFO cat may not read is reported as GNU's
// open failure, without waiting.
func TestCatFIFOUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads anything")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := fifo.Make(f, 0o200); err != nil {
		t.Fatal(err)
	}
	status, _, errOut, _ := catRun(t, nil, nil, f)
	if want := "cat: " + f + ": Permission denied\n"; status != 1 || errOut != want {
		t.Errorf("status %d, stderr %q; want 1, %q", status, errOut, want)
	}
}

// TestCatFIFOCancel: a cat waiting for a FIFO's writer stops when its
// context ends (as the binary does on SIGINT), skipping the operands left,
// and leaves no reader behind.
func TestCatFIFOCancel(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f")
	if err := fifo.Make(f, fifo.DefaultMode); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opened := fifoOpened(t, f)
	var out, errOut bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- commandtest.RunWith(ctx, Cat, strings.NewReader(""), &out, &errOut, f, "/nonexistent")
	}()
	<-opened // cat is waiting for a writer
	cancel()
	if status := <-done; status != 130 || out.Len() != 0 || errOut.Len() != 0 {
		t.Errorf("status %d, stdout %q, stderr %q; want 130 and nothing", status, out.String(), errOut.String())
	}
	// No reader is left: a writer that will not wait finds none.
	fd, err := unix.Open(f, unix.O_WRONLY|unix.O_NONBLOCK, 0)
	if err == nil {
		unix.Close(fd)
		t.Fatal("a reader of the FIFO is left behind")
	}
	if !errors.Is(err, unix.ENXIO) {
		t.Fatalf("opening for writing: %v, want ENXIO", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%s holds %d entries, want only the FIFO", dir, len(entries))
	}
}
