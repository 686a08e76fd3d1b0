//go:build unix

package tests

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCatDiesOfSIGPIPE: when its reader goes, gopipe cat dies of SIGPIPE,
// as GNU cat does (a shell reports 141), whether it was splicing or
// writing.
func TestCatDiesOfSIGPIPE(t *testing.T) {
	dir, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(big, make([]byte, 8<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"cat", big}, {"cat", "-n", big}, {"cat", "-"}} {
		cmd := exec.Command(filepath.Join(dir, "gopipe"), args...)
		if args[1] == "-" {
			in, err := os.Open(big)
			if err != nil {
				t.Fatal(err)
			}
			// stdin a pipe, so that cat splices pipe to pipe.
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			go func() { io.Copy(w, in); w.Close(); in.Close() }()
			cmd.Stdin = r
			defer r.Close()
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(out, make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		out.Close()
		err = cmd.Wait()
		ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGPIPE {
			t.Errorf("gopipe %v with its reader gone: %v, want death by SIGPIPE", args, err)
		}
	}
}
