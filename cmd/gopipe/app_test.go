package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command/commandtest"
)

// runT runs the program in process and returns its status and output.
func runT(t *testing.T, stdin string, args ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	status, _ = program(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return status, out.String(), errb.String()
}

func TestDispatchByName(t *testing.T) {
	dir := commandtest.TempDir(t)
	for _, arg0 := range []string{"mkfifo", "/usr/local/bin/mkfifo", "-mkfifo", `C:\bin\mkfifo.exe`} {
		// --help shows that the name reached mkfifo, on any OS.
		if status, stdout, stderr := runT(t, "", arg0, "--help"); status != 0 || !strings.Contains(stdout, "Create named pipes") {
			t.Errorf("%s: status %d: %s", arg0, status, stderr)
		}
	}
	if runtime.GOOS != "windows" {
		name := filepath.Join(dir, "f")
		if status, _, stderr := runT(t, "", "/usr/local/bin/mkfifo", name); status != 0 {
			t.Errorf("mkfifo %s: status %d: %s", name, status, stderr)
		}
	}
	if runtime.GOOS == "windows" {
		if status, _, stderr := runT(t, "", `C:\bin\MKFIFO.EXE`, "--help"); status != 0 {
			t.Errorf("MKFIFO.EXE: %d %s", status, stderr)
		}
	}
	status, _, stderr := runT(t, "", "frobnicate", "x")
	if status != 127 || stderr != "frobnicate: applet not found\n" {
		t.Errorf("unknown applet: %d %q", status, stderr)
	}
	status, _, stderr = runT(t, "", "gopipe", "frobnicate")
	if status != 127 || !strings.Contains(stderr, "frobnicate: applet not found") {
		t.Errorf("unknown command: %d %q", status, stderr)
	}
}

func TestList(t *testing.T) {
	status, stdout, _ := runT(t, "", "gopipe", "--list")
	if status != 0 || !strings.Contains(stdout, "mkfifo\n") || !strings.Contains(stdout, "pipecat\n") {
		t.Fatalf("--list: %d %q", status, stdout)
	}
}

func TestUsageErrorOfGopipe(t *testing.T) {
	status, _, stderr := runT(t, "", "gopipe", "--bogus")
	if status != 2 || !strings.HasPrefix(stderr, "gopipe: ") {
		t.Fatalf("gopipe --bogus: %d %q", status, stderr)
	}
}

func TestInstall(t *testing.T) {
	dir := commandtest.TempDir(t)
	if status, _, stderr := runT(t, "", "gopipe", "--install", dir); status != 0 {
		t.Fatalf("--install: %d %s", status, stderr)
	}
	exe := ""
	if runtime.GOOS == "windows" {
		exe = ".exe"
	}
	// By default the drop-in commands only: the others' names (ls, info)
	// would shadow system commands.
	for _, c := range commands {
		_, err := os.Stat(filepath.Join(dir, c.Name+exe))
		if c.DropIn && err != nil {
			t.Errorf("%s not installed: %v", c.Name, err)
		}
		if !c.DropIn && err == nil {
			t.Errorf("%s installed without --all", c.Name)
		}
	}
	// Installing again over our own links is fine (under Wine, whose hard
	// links have file ids of their own, they are known by their contents).
	if status, _, stderr := runT(t, "", "gopipe", "--install", dir); status != 0 {
		t.Fatalf("second --install: %d %s", status, stderr)
	}
	if status, _, _ := runT(t, "", "gopipe", "--install"); status != 2 {
		t.Errorf("--install without DIR: status %d, want 2", status)
	}
}
