package inspect

import (
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"github.com/gopipe/gopipe/fifo"
)

// info of a FIFO that a process holds shows it, in text and in JSON that
// matches the schema.
func TestInfoShowsHolders(t *testing.T) {
	dir := commandtest.TempDir(t)
	f := filepath.Join(dir, "f")
	if err := fifo.Make(f, fifo.DefaultMode); err != nil {
		t.Fatal(err)
	}
	// exec 3<> opens both ends without waiting; read then waits on stdin.
	holder := exec.Command("sh", "-c", "exec 3<>f; read x")
	holder.Dir = dir
	in, _ := holder.StdinPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); holder.Wait() }()
	pid := strconv.Itoa(holder.Process.Pid)
	// It opens f as it starts, which nothing announces: poll.
	var out string
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out, pid); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("info never showed the holder %s:\n%s", pid, out)
		}
		_, out, _ = commandtest.Run(t, Info, "", f)
	}
	if !strings.Contains(out, "held by:   "+pid+" ") || !strings.Contains(out, " read+write: sh -c 'exec 3<>f; read x'\n") || !strings.Contains(out, "buffered:  0 of ") {
		t.Errorf("info:\n%s", out)
	}
	_, out, _ = commandtest.Run(t, Info, "", "--json", f)
	e := checkJSON(t, out)
	held, _ := e[0]["held_by"].([]any)
	if len(held) != 1 || held[0].(map[string]any)["command"].([]any)[2] != "exec 3<>f; read x" || e[0]["buffered"] != float64(0) {
		t.Errorf("info --json:\n%s", out)
	}
	// --watch with --count: that many frames, a blank line apart.
	_, out, _ = commandtest.Run(t, Info, "", "--watch=0.01", "--count", "3", f)
	if n := strings.Count(out, "held by:"); n != 3 || strings.Count(out, "\n\nname:") != 2 {
		t.Errorf("info --watch --count 3: %d frames:\n%s", n, out)
	}
	for _, args := range [][]string{{"--count", "2", f}, {"--watch=0", f}, {"--watch=1e-10", f}, {"--watch=1ns", f}, {"--watch", "--count", "x", f}} {
		if st, _, _ := commandtest.Run(t, Info, "", args...); st != 2 {
			t.Errorf("info %q: status %d, want 2", args, st)
		}
	}
}

// info --watch ends, status 0, when the FIFO it watches is removed.
func TestInfoWatchEndsWhenGone(t *testing.T) {
	f := filepath.Join(commandtest.TempDir(t), "f")
	if err := fifo.Make(f, fifo.DefaultMode); err != nil {
		t.Fatal(err)
	}
	var out, errs commandtest.SyncBuffer
	done := make(chan int)
	go func() {
		done <- commandtest.RunWith(context.Background(), Info, strings.NewReader(""), &out, &errs, "--watch=0.01", f)
	}()
	for deadline := time.Now().Add(time.Minute); !strings.Contains(out.String(), "kind:"); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("info --watch printed no frame")
		}
	}
	if err := fifo.Remove(f); err != nil {
		t.Fatal(err)
	}
	if st := <-done; st != 0 || errs.String() != "" || !strings.HasSuffix(out.String(), "\n"+command.Quotef(f)+" is gone\n") {
		t.Errorf("info --watch of a FIFO removed: status %d, %q, %s", st, errs.String(), out.String())
	}
}
