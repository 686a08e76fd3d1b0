// Package testenv decides, in one place, what a test does when something it
// needs from the machine is missing: a tool, GNU coreutils, root.
//
// Outside CI the test skips, saying what it needs. In CI (CI=true, set by
// .ci/run, which installs every such tool and runs as root) a missing tool
// means the installation is broken, and a skip would hide exactly that: the
// test fails instead, naming the package to install. .ci/run installs for
// Linux only; the Windows test binaries it runs under Wine (which inherit
// CI=true) keep skipping, as there is no bash or GNU tool to install there.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// strict reports whether a missing tool is a failure: under .ci/run, on
// the Linux machine it provisions.
func strict() bool { return os.Getenv("CI") == "true" && runtime.GOOS == "linux" }

// Missing ends the test: a failure in CI, a skip elsewhere.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if strict() {
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
// under /usr/bin, or ends the test as Missing says.
func GNU(t testing.TB, name string) string {
	t.Helper()
	p := "/usr/bin/" + name
	if !IsGNU(p) {
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
	if !ok && strict() {
		return false, fmt.Errorf("condition %s is false in CI (.ci/run should have provided it)", cond)
	}
	return ok, nil
}

// Sysctl sets the sysctl file /proc/sys/NAME (such as fs/protected_fifos)
// to value for the rest of the test, and restores it after. A sysctl is the
// whole machine's, so such tests run only when GOPIPE_SYSCTL_TESTS=1: in
// .ci/run's step of their own, one package at a time, never beside other
// tests. Their names start with TestSysctl, so that step can pick them.
func Sysctl(t testing.TB, name, value string) {
	t.Helper()
	if os.Getenv("GOPIPE_SYSCTL_TESTS") != "1" {
		t.Skip("changes a global sysctl: runs with GOPIPE_SYSCTL_TESTS=1 (.ci/run's sysctl step)")
	}
	path := "/proc/sys/" + name
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("sysctl %s: %v", name, err)
	}
	if err := os.WriteFile(path, []byte(value), 0); err != nil {
		t.Fatalf("setting sysctl %s=%s: %v", name, value, err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(path, old, 0); err != nil {
			t.Errorf("restoring sysctl %s: %v", name, err)
		}
	})
}

// Locales are the locales the GNU-modelled commands are compared with
// GNU's in: GNU's quoting follows the locale (‘curly’ quotes in a UTF-8
// one), and "" stands for none set at all.
var Locales = []string{"C.UTF-8", "C", ""}

// SetLocale makes the test's own environment's locale loc (LANG=loc, and
// no LC_ALL or LC_CTYPE; none at all for ""), restored after the test.
func SetLocale(t testing.TB, loc string) {
	t.Helper()
	for _, v := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		old, had := os.LookupEnv(v)
		os.Unsetenv(v)
		t.Cleanup(func() {
			if had {
				os.Setenv(v, old)
			} else {
				os.Unsetenv(v)
			}
		})
	}
	if loc != "" {
		os.Setenv("LANG", loc)
	}
}

// LocaleEnv is os.Environ() with the locale loc, as SetLocale sets it, for
// a command the test runs.
func LocaleEnv(loc string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "LC_ALL" && k != "LC_CTYPE" && k != "LANG" {
			env = append(env, kv)
		}
	}
	if loc != "" {
		env = append(env, "LANG="+loc)
	}
	return env
}

// LocaleName names loc for a subtest (and so for its temporary
// directories, which must not need quoting in GNU's messages).
func LocaleName(loc string) string {
	if loc == "" {
		return "no-locale"
	}
	return loc
}
