package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReleaseReproducible runs release/build.sh twice, the second time with
// an empty build cache, and wants the same SHA256SUMS. It cross-compiles
// twelve binaries, some minutes' work, so it runs only when
// GOPIPE_RELEASE_TEST=1.
func TestReleaseReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	if os.Getenv("GOPIPE_RELEASE_TEST") != "1" {
		t.Skip("set GOPIPE_RELEASE_TEST=1 to build the release twice")
	}
	if runtime.GOOS == "windows" {
		t.Skip("release/build.sh is a bash script for Unix")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script, err := filepath.Abs(filepath.Join("..", "release", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	sums := make([][]byte, 2)
	for i := range sums {
		dist := filepath.Join(tmp, "dist"+string(rune('1'+i)))
		cmd := exec.Command(bash, script, dist)
		cmd.Env = os.Environ()
		if i == 1 {
			cmd.Env = append(cmd.Env, "GOCACHE="+filepath.Join(tmp, "gocache"))
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build.sh %s: %v\n%s", dist, err, out)
		}
		sums[i], err = os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(sums[0], sums[1]) {
		t.Fatalf("the builds differ:\n%s\n%s", sums[0], sums[1])
	}
	for _, want := range []string{"gopipe-linux-amd64", "gopipe-darwin-arm64", "gopipe-windows-amd64.exe", "gopipe.1", "completions/gopipe.bash"} {
		if !strings.Contains(string(sums[0]), "  "+want+"\n") {
			t.Errorf("SHA256SUMS lacks %s:\n%s", want, sums[0])
		}
	}
}
