// Package commandtest runs gopipe commands in process for their tests.
package commandtest

import (
	"bytes"
	"context"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
)

// Run runs s as "gopipe NAME ARGS..." with stdin, and returns its status
// and what it wrote.
func Run(t testing.TB, s *command.Spec, stdin string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	status = RunWith(context.Background(), s, strings.NewReader(stdin), &out, &errb, args...)
	return status, out.String(), errb.String()
}

// RunWith runs s as "gopipe NAME ARGS..." in ctx with the streams given.
func RunWith(ctx context.Context, s *command.Spec, stdin io.Reader, stdout, stderr io.Writer, args ...string) int {
	e := command.NewEnv(ctx, stdin, stdout, stderr).Enter(s, "gopipe "+s.Name)
	return command.Run(s, e, args)
}

// TempDir is t.TempDir, but on Windows it does not fail the test when the
// directory cannot be removed: Wine 8 (where CI runs the Windows tests)
// lacks the POSIX-semantics delete Go's RemoveAll uses there ("Invalid
// function").
func TempDir(t testing.TB) string {
	t.Helper()
	if runtime.GOOS != "windows" {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("", "gopipe-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// SyncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
