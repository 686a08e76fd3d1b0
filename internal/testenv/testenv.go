// Package testenv decides, in one place, what a test does when something it
// needs from the machine is missing: a tool, GNU coreutils, root.
//
// Outside CI the test skips, saying what it needs. In CI (CI=true, set by
// .ci/run, which installs every such tool and runs as root) a missing tool
// means the installation is broken, and a skip would hide exactly that: the
// test fails instead, naming the package to install.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"
)

// InCI reports whether the tests run under .ci/run.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing ends the test: a failure in CI, a skip elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s (CI=true: .ci/run should have provided it)", msg)
	}
	t.Skip(msg)
}

// Tool returns the path of the command name, which Debian package pkg
// provides, or ends the test as Missing says.
func Tool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "needs %s (apt-get install %s)", name, pkg)
	}
	return p
}

// Root ends the test, as Missing says, unless it runs as root (which the
// tests that act as other users need).
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root to act as other users")
	}
}

// GNU returns the path of the GNU coreutils program name (cat, tee, mkfifo)
// under /usr/bin, or ends the test as Missing says. Only Linux CI promises
// coreutils; elsewhere a missing one is a plain skip.
func GNU(t testing.TB, name string) string {
	t.Helper()
	p := "/usr/bin/" + name
	if !IsGNU(p) {
		if runtime.GOOS != "linux" {
			t.Skipf("needs GNU %s as %s", name, p)
		}
		Missing(t, "needs GNU %s as %s (apt-get install coreutils)", name, p)
	}
	return p
}

// IsGNU reports whether the program at path is GNU coreutils'.
func IsGNU(path string) bool {
	out, err := exec.Command(path, "--version").Output()
	return err == nil && bytes.Contains(out, []byte("GNU coreutils"))
}

// Condition is a testscript condition ("gnu", "root") for the machine
// facts above: in CI on Linux a false one is an error, which fails the
// script instead of letting "[!gnu] skip" skip it.
func Condition(cond string, ok bool) (bool, error) {
	if !ok && InCI() && runtime.GOOS == "linux" {
		return false, fmt.Errorf("condition %s is false in CI (.ci/run should have provided it)", cond)
	}
	return ok, nil
}
