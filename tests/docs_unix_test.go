//go:build unix

package tests

import (
	"context"
	"io/fs"
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
	// Not t.TempDir: its name has the subtest's "#", which a block's
	// ssh:// URL of "$PWD/..." would have to write as %23.
	work, err := os.MkdirTemp("", "gopipe-doc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	copyReadme(work)
	run := filepath.Join(work, ".run")
	os.Mkdir(run, 0o700)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "XDG_RUNTIME_DIR="+run)
	if strings.Contains(script, "ssh://") {
		// "otherhost" is an sshd on loopback (root only).
		cmd.Env = append(cmd.Env, docSSHEnv(t)...)
	}
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
	// A reader who runs the block in their own directory is left what it
	// made, but not its FIFOs, which are scaffolding.
	filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeNamedPipe != 0 {
			t.Errorf("the block leaves the FIFO %s behind: rmfifo it\n--- script:\n%s", must(filepath.Rel(work, path)), script)
		}
		return nil
	})
	t.Logf("output:\n%s", strings.TrimSpace(string(out)))
}

// TestReadmePathStep runs README's step that puts the binary it has just
// built on PATH, in a directory holding one, and checks that the shell then
// finds gopipe by name, as the examples after it need.
func TestReadmePathStep(t *testing.T) {
	readme := string(must(os.ReadFile("../README.md")))
	setup, _, _ := strings.Cut(readme[strings.Index(readme, "## Set-up"):], "\nRun the tests")
	var step string
	for _, l := range strings.Split(setup, "\n") {
		if strings.HasPrefix(l, "    ") && strings.Contains(l, "PATH") {
			step = strings.TrimSpace(l)
			break
		}
	}
	if step == "" {
		t.Fatal("README's set-up builds ./gopipe but never puts it on PATH, and its examples call gopipe by name")
	}
	dir := t.TempDir()
	bin := must(binDir())
	if err := os.Link(filepath.Join(bin, "gopipe"), filepath.Join(dir, "gopipe")); err != nil {
		t.Skip(err)
	}
	cmd := exec.Command("bash", "-c", step+" && command -v gopipe")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH=/usr/bin:/bin")
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) != filepath.Join(dir, "gopipe") {
		t.Fatalf("%s: %v, gopipe is %q, want the one in %s", step, err, out, dir)
	}
}
