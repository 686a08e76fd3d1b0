package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// redirectPortable runs `gopipe redirect ARGS…` in process with the test
// applets as commands, which run the same on Windows.
func redirectPortable(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := newEnv(context.Background(), strings.NewReader(""), &out, &errb)
	return dispatch(e, append([]string{"redirect"}, args...)), out.String(), errb.String()
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
	if s != 2 || errOut != "gopipe: redirect: --pty is not supported on Windows\n" {
		t.Errorf("status %d, stderr %q", s, errOut)
	}
}
