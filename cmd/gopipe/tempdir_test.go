package main

import (
	"os"
	"runtime"
	"testing"
)

// tempDir is t.TempDir, but on Windows it does not fail the test when the
// directory cannot be removed: Wine 8 (where CI runs the Windows tests)
// lacks the POSIX-semantics delete Go's RemoveAll uses there ("Invalid
// function").
func tempDir(t *testing.T) string {
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
