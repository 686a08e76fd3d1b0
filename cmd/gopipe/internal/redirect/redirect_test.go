package redirect

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
)

// redirectPortable runs `gopipe redirect ARGS…` in process with the test
// applets as commands, which run the same on Windows.
func redirectPortable(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return commandtest.Run(t, Redirect, "", args...)
}

// TestMain makes this test binary the gopipe that redirect's CMD names,
// with the test applets.
func TestMain(m *testing.M) {
	commandtest.Main()
	os.Exit(m.Run())
}

// chdirTemp runs the test in a new directory, for relative names.
func chdirTemp(t *testing.T) string {
	dir := commandtest.TempDir(t)
	t.Chdir(dir)
	return dir
}

func TestRedirectPortable(t *testing.T) {
	dir := chdirTemp(t)
	if s, _, _ := redirectPortable(t, "--", "gopipe", "testexit", "3"); s != 3 {
		t.Errorf("status %d, want 3", s)
	}
	s, out, errOut := redirectPortable(t, "--", "gopipe", "testboth")
	if s != 0 || out != "out\n" || errOut != "err\n" {
		t.Errorf("separate: %d %q %q", s, out, errOut)
	}
	s, out, errOut = redirectPortable(t, "--stdout", "both.txt", "--stderr-to-stdout", "--", "gopipe", "testboth")
	got, _ := os.ReadFile(filepath.Join(dir, "both.txt"))
	if s != 0 || out != "" || errOut != "" || string(got) != "out\nerr\n" {
		t.Errorf("merged: %d %q %q, file %q", s, out, errOut, got)
	}
	s, out, _ = redirectPortable(t, "--stdin", "both.txt", "--stderr", "err.txt", "--", "gopipe", "testupper")
	if s != 0 || out != "OUT\nERR\n" {
		t.Errorf("--stdin: %d %q", s, out)
	}
}

func TestRedirectPTYOnWindows(t *testing.T) {
	if runtime.GOOS != "windows" {
		t.Skip("Windows only")
	}
	s, _, errOut := redirectPortable(t, "--pty", "--", "gopipe", "testexit", "0")
	if s != 2 || errOut != "gopipe: --pty is for Unix only\nTry 'gopipe redirect --help' for more information.\n" {
		t.Errorf("status %d, stderr %q", s, errOut)
	}
}
