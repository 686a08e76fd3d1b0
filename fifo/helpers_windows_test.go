package fifo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// testHelpers are the helper processes the Windows tests run (see helperEnv).
var testHelpers = map[string]func(args []string) int{
	// fifo-write NAME TEXT: open the FIFO's write end, write TEXT, exit.
	"fifo-write": func(args []string) int {
		if len(args) != 2 {
			fmt.Fprintln(os.Stderr, "usage: fifo-write NAME TEXT")
			return 2
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		f, err := OpenWriter(ctx, args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if _, err := io.WriteString(f, args[1]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	},
	// dial-send NAME TEXT: dial the endpoint, send TEXT, print the reply
	// (read to EOF) and the server's pid as seen by PeerOf.
	"dial-send": func(args []string) int {
		if len(args) != 2 {
			fmt.Fprintln(os.Stderr, "usage: dial-send NAME TEXT")
			return 2
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := Dial(ctx, args[0], &Config{MessageMode: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer c.Close()
		if _, err := io.WriteString(c, args[1]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		reply, err := io.ReadAll(c)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		p, err := PeerOf(c)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("%s %d\n", reply, p.PID)
		return 0
	},
}

// runTestHelper runs this test binary as helper name and returns its
// stdout.
func runTestHelper(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+name)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %s %q: %v\n%s", name, args, err, stderr.String())
	}
	return string(out)
}

// testPipeName is a fresh pipe name: tests run in parallel and, on a
// shared machine, next to other programs' pipes.
func testPipeName(t testing.TB) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "gopipe-test-" + hex.EncodeToString(b[:])
}

// onWine tells whether we run under Wine, which lacks or simplifies some
// of the pipe behaviour the tests check.
func onWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustErr fails unless err matches all targets.
func mustErr(t *testing.T, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", targets)
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Fatalf("error %q (%T) does not match %v", err, err, target)
		}
	}
	var pe *os.PathError
	if !errors.As(err, &pe) {
		t.Errorf("error %q is a %T, not an *os.PathError", err, err)
	}
}
