package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/windows"

	"github.com/gopipe/gopipe/internal/winjob"
)

// TestDocBlocksCmd runs every ```bat block of README.md and docs/*.md with
// cmd.exe, each in a fresh directory with gopipe.exe first on PATH: the
// Windows twins of the sh blocks that TestDocBlocks runs on Unix. As under
// bash -e, every line must succeed, except a line whose status the next
// line reads (%errorlevel%). What a block leaves running (a server, a
// FIFO's holder) is in a job object, terminated when the block ends.
func TestDocBlocksCmd(t *testing.T) {
	dir := must(binDir())
	blocks := docBlocks(t, "bat")
	if len(blocks) == 0 {
		t.Fatal("no bat blocks in the documentation")
	}
	for _, b := range blocks {
		t.Run(b.name, func(t *testing.T) {
			runBatBlock(t, dir, b.script)
		})
	}
}

// batScript makes a block a batch file that stops at the first failing
// line and otherwise exits 0 (cmd /c would return the last errorlevel,
// which echo does not reset). It checks with "if errorlevel", not "||",
// which Wine 8's cmd gets wrong for programs.
func batScript(block string) string {
	lines := strings.Split(strings.TrimRight(block, "\n"), "\n")
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(l + "\r\n")
		next := ""
		if i+1 < len(lines) {
			next = lines[i+1]
		}
		switch {
		case strings.TrimSpace(l) == "" || strings.HasPrefix(l, "rem "):
		case strings.Contains(next, "%errorlevel%"):
			// The next line reads this one's status.
		case strings.Contains(l, "%errorlevel%"):
			b.WriteString("@cmd /c exit 0\r\n")
		default:
			b.WriteString("@if errorlevel 1 exit 1\r\n")
		}
	}
	b.WriteString("@exit 0\r\n")
	return b.String()
}

func runBatBlock(t *testing.T, bin, block string) {
	// Not t.TempDir: Wine fails to delete its files ("Invalid function").
	work, err := os.MkdirTemp("", "gopipe-doc")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	copyReadme(work)
	bat := filepath.Join(work, "block.bat")
	if err := os.WriteFile(bat, []byte(batScript(block)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Output to a file, not a pipe: a FIFO's holder inherits it under Wine
	// and would keep a pipe open.
	logf, err := os.Create(filepath.Join(work, "block.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()

	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(job)
	defer windows.TerminateJobObject(job, 1)

	cmd := exec.Command("cmd", "/c", bat)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := startInJob(job, cmd); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(2*time.Minute, func() { windows.TerminateJobObject(job, 1) })
	err = cmd.Wait()
	timer.Stop()
	out, _ := os.ReadFile(logf.Name())
	if err != nil {
		t.Fatalf("%v\n--- block:\n%s--- output:\n%s", err, block, out)
	}
	t.Logf("output:\n%s", strings.TrimSpace(string(out)))
}

// startInJob starts cmd suspended, puts it in job and lets it run, so
// that nothing it starts escapes the job.
func startInJob(job windows.Handle, cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_SUSPENDED
	if err := cmd.Start(); err != nil {
		return err
	}
	pid := uint32(cmd.Process.Pid)
	err := winjob.Assign(job, pid)
	if err == nil {
		err = winjob.Resume(pid)
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	return nil
}
