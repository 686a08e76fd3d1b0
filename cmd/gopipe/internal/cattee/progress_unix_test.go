//go:build unix

package cattee

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
	"github.com/gopipe/gopipe/fifo"
)

// TestProgressWaitingHint: while cat waits for a FIFO's writer, or tee for
// its reader, the progress says so; once the other end comes, the copy
// goes on and ends with the summary.
func TestProgressWaitingHint(t *testing.T) {
	for _, tc := range []struct {
		spec  *command.Spec
		other string
		n     string // the summary's count
		// come is the other end: what it does with the FIFO.
		come func(name string) (string, error)
	}{
		{Cat, "writer", "    16B", func(name string) (string, error) {
			w, err := fifo.OpenWriter(context.Background(), name)
			if err != nil {
				return "", err
			}
			defer w.Close()
			_, err = w.WriteString("from the writer\n")
			return "", err
		}},
		{Tee, "reader", "    14B", func(name string) (string, error) {
			r, err := fifo.OpenReader(context.Background(), name)
			if err != nil {
				return "", err
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			return string(b), err
		}},
	} {
		f := filepath.Join(t.TempDir(), "f")
		if err := fifo.Make(f, fifo.DefaultMode); err != nil {
			t.Fatal(err)
		}
		stderr := make(chanWriter, 100)
		var out bytes.Buffer
		done := make(chan int, 1)
		go func() {
			done <- commandtest.RunWith(context.Background(), tc.spec, strings.NewReader("to the reader\n"), &out, stderr, "--force-progress", f)
		}()
		want := "waiting for a " + tc.other + " on " + command.Quotef(f) + "\n"
		if line := <-stderr; line != want {
			t.Fatalf("%s: first line %q, want %q", tc.spec.Name, line, want)
		}
		read, err := tc.come(f)
		if err != nil {
			t.Fatal(err)
		}
		status := <-done
		var last string
		for len(stderr) > 0 {
			last = <-stderr
		}
		if status != 0 || !strings.HasPrefix(last, tc.n+" ") || !strings.HasSuffix(last, "B/s]\n") {
			t.Errorf("%s: status %d, last line %q, want the summary", tc.spec.Name, status, last)
		}
		if tc.spec == Cat && out.String() != "from the writer\n" || tc.spec == Tee && read != "to the reader\n" {
			t.Errorf("%s: the FIFO's data did not come through: %q %q", tc.spec.Name, out.String(), read)
		}
	}
}
