//go:build unix

package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDocBlocks runs every ```sh block of README.md and docs/*.md, each in
// a fresh directory with gopipe first on PATH, so that the documentation
// cannot rot. A block fails if bash -e does; whatever a block leaves
// running is killed with its process group.
func TestDocBlocks(t *testing.T) {
	dir, err := binDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range docBlocks(t, "sh") {
		t.Run(b.name, func(t *testing.T) {
			runDocBlock(t, dir, b.script)
		})
	}
}

func runDocBlock(t *testing.T, bin, script string) {
	work := t.TempDir()
	copyReadme(work)
	run := filepath.Join(work, ".run")
	os.Mkdir(run, 0o700)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "XDG_RUNTIME_DIR="+run)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Output to a file, not a pipe: what a block leaves in the background
	// (a server it killed late, say) must not keep us waiting for EOF.
	logf, err := os.Create(filepath.Join(t.TempDir(), "output"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	err = cmd.Run()
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // what the block left behind
	out, _ := os.ReadFile(logf.Name())
	if err != nil {
		t.Fatalf("%v\n--- script:\n%s--- output:\n%s", err, script, out)
	}
	t.Logf("output:\n%s", strings.TrimSpace(string(out)))
}
