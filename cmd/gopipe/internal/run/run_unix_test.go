//go:build unix

package run

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
)

// A signal that kills ends a one-liner whose redirection waits for a
// FIFO's other end, as it would end a shell's child waiting in open(2):
// the stage dies of it, and run dies of it too, as bash does.
func TestRunSignalWhileOpeningFIFO(t *testing.T) {
	for _, src := range []string{"gopipe testcat < %s", "gopipe testcat > %s; gopipe testexit 0"} {
		name := filepath.Join(t.TempDir(), "fifo")
		if err := fifo.Make(name, fifo.DefaultMode); err != nil {
			t.Fatal(err)
		}
		sigc := make(chan chan<- os.Signal, 1)
		e := command.NewEnv(context.Background(), strings.NewReader(""), io.Discard, io.Discard)
		e.Notify = func(c chan<- os.Signal, _ ...os.Signal) { sigc <- c }
		e.StopNotify = func(chan<- os.Signal) {}
		done := make(chan int, 1)
		line := strings.Replace(src, "%s", name, 1)
		sub := e.Enter(Run, "gopipe run")
		go func() { done <- command.Run(Run, sub, []string{line}) }()
		(<-sigc) <- syscall.SIGTERM
		select {
		case s := <-done:
			if s != 128+int(syscall.SIGTERM) || sub.DieBy != syscall.SIGTERM {
				t.Errorf("%s: status %d, dies by %v; want %d, SIGTERM", line, s, sub.DieBy, 128+int(syscall.SIGTERM))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still waiting 10s after SIGTERM", line)
		}
	}
}
