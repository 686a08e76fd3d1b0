package tests

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// runFiles runs a command with stdin, stdout and stderr in files rather
// than pipes: under Wine a process that gopipe mkfifo starts (the FIFO's
// holder) inherits the Unix descriptors of its parent's output, and would
// keep a pipe open, and its reader waiting, until the FIFO is removed.
func runFiles(t *testing.T, stdin string, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runFilesIn(t, 0, "", stdin, name, args...)
}

// runFilesIn is runFiles with the command in job, if not 0, and in the
// directory dir, if not "".
func runFilesIn(t *testing.T, job windows.Handle, dir, stdin string, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	// Not t.TempDir: Wine fails to delete its files ("Invalid function").
	ioDir, err := os.MkdirTemp("", "gopipe-e2e")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(ioDir)
	in := filepath.Join(ioDir, "in")
	os.WriteFile(in, []byte(stdin), 0o600)
	files := make([]*os.File, 3)
	for i, n := range []string{"in", "out", "err"} {
		flag := os.O_RDONLY
		if i > 0 {
			flag = os.O_RDWR | os.O_CREATE | os.O_TRUNC
		}
		f, ferr := os.OpenFile(filepath.Join(ioDir, n), flag, 0o600)
		if ferr != nil {
			t.Fatal(ferr)
		}
		defer f.Close()
		files[i] = f
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = files[0], files[1], files[2]
	if job != 0 {
		err = startInJob(job, cmd)
		if err == nil {
			err = cmd.Wait()
		}
	} else {
		err = cmd.Run()
	}
	o, _ := os.ReadFile(filepath.Join(ioDir, "out"))
	e, _ := os.ReadFile(filepath.Join(ioDir, "err"))
	return string(o), string(e), err
}

func TestWindowsFIFO(t *testing.T) {
	gp := filepath.Join(must(binDir()), "gopipe.exe")
	b := make([]byte, 6)
	rand.Read(b)
	name := "gp-e2e-" + hex.EncodeToString(b)
	if _, errs, err := runFiles(t, "", gp, "mkfifo", name); err != nil {
		t.Fatalf("mkfifo: %v: %s", err, errs)
	}
	defer runFiles(t, "", gp, "rmfifo", name)

	out, errs, err := runFiles(t, "", gp, "info", name)
	if err != nil || !strings.Contains(out, "gopipe fifo") {
		t.Fatalf("info: %v: %q %s", err, out, errs)
	}
	// Any program writes into the FIFO: here cmd's echo.
	if _, errs, err := runFiles(t, "", "cmd", "/c", `echo hi>\\.\pipe\`+name); err != nil {
		t.Fatalf("cmd echo: %v: %s", err, errs)
	}
	out, errs, err = runFiles(t, "", gp, "cat", name)
	if err != nil || out != "hi\r\n" {
		t.Fatalf("cat: %v: %q %s", err, out, errs)
	}
	// tee writes to the FIFO by its pipe path, and stdout.
	out, errs, err = runFiles(t, "teed\n", gp, "tee", `\\.\pipe\`+name)
	if err != nil || out != "teed\n" {
		t.Fatalf("tee: %v: %q %s", err, out, errs)
	}
	out, errs, err = runFiles(t, "", gp, "cat", "-n", name)
	if err != nil || out != "     1\tteed\n" {
		t.Fatalf("cat -n: %v: %q %s", err, out, errs)
	}
	// redirect sends a command's stdout into the FIFO (relayed for the
	// child, whose stdio cannot be the overlapped pipe handle itself).
	if _, errs, err := runFiles(t, "redirected\n", gp, "redirect", "--stdout", name, "--", gp, "cat"); err != nil {
		t.Fatalf("redirect: %v: %s", err, errs)
	}
	out, errs, err = runFiles(t, "", gp, "cat", name)
	if err != nil || out != "redirected\n" {
		t.Fatalf("cat after redirect: %v: %q %s", err, out, errs)
	}
	if _, errs, err := runFiles(t, "", gp, "rmfifo", name); err != nil {
		t.Fatalf("rmfifo: %v: %s", err, errs)
	}
	if _, _, err := runFiles(t, "", gp, "info", name); err == nil {
		t.Fatal("the FIFO outlived rmfifo")
	}
}

// A bare NAME means for every command what gopipe mkfifo NAME made: tee,
// redirect and run's redirections reach the FIFO (and make no file of that
// name), unless a file NAME sits in the current directory, which wins.
func TestWindowsBareNameMeansTheFIFO(t *testing.T) {
	gp := filepath.Join(must(binDir()), "gopipe.exe")
	b := make([]byte, 6)
	rand.Read(b)
	name := "gp-bare-" + hex.EncodeToString(b)
	work, err := os.MkdirTemp("", "gopipe-bare")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	at := func(stdin string, args ...string) (string, string, error) {
		return runFilesIn(t, 0, work, stdin, gp, args...)
	}
	if _, errs, err := at("", "mkfifo", name); err != nil {
		t.Fatalf("mkfifo: %v: %s", err, errs)
	}
	defer at("", "rmfifo", name)
	for _, w := range [][]string{
		{"tee", name},
		{"redirect", "--stdout", name, "--", gp, "cat"},
		{"run", "gopipe cat > " + name},
	} {
		if _, errs, err := at("through "+w[0]+"\n", w...); err != nil {
			t.Fatalf("%s: %v: %s", w[0], err, errs)
		}
		out, errs, err := at("", "run", "gopipe cat < "+name)
		if err != nil || out != "through "+w[0]+"\n" {
			t.Fatalf("reading what %s wrote: %v: %q %s", w[0], err, out, errs)
		}
		if _, err := os.Lstat(filepath.Join(work, name)); err == nil {
			t.Fatalf("%s made a file %s instead of writing to the FIFO", w[0], name)
		}
	}
	// A file of that name in the current directory wins, as in any shell.
	if _, errs, err := at("to the file\n", "tee", name); err != nil {
		t.Fatalf("tee after the FIFO: %v: %s", err, errs)
	}
	os.WriteFile(filepath.Join(work, name), []byte("the file\n"), 0o600)
	out, errs, err := at("", "cat", name)
	if err != nil || out != "the file\n" {
		t.Fatalf("cat with a file of the FIFO's name: %v: %q %s", err, out, errs)
	}
	out, errs, err = at("", "cat", `\\.\pipe\`+name)
	if err != nil || out != "to the file\n" {
		t.Fatalf("cat of the pipe path: %v: %q %s", err, out, errs)
	}
}

// TestWindowsFIFOOutlivesJob: a FIFO made inside a job that kills its
// processes when closed (an ssh session's, a CI step's) outlives the job
// when the job lets processes break away, and can still be made when it
// does not.
func TestWindowsFIFOOutlivesJob(t *testing.T) {
	gp := filepath.Join(must(binDir()), "gopipe.exe")
	for _, breakaway := range []bool{true, false} {
		b := make([]byte, 6)
		rand.Read(b)
		name := "gp-job-" + hex.EncodeToString(b)
		job, err := windows.CreateJobObject(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
		info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
		if breakaway {
			info.BasicLimitInformation.LimitFlags |= windows.JOB_OBJECT_LIMIT_BREAKAWAY_OK
		}
		if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation, uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
			windows.CloseHandle(job)
			t.Fatal(err)
		}
		_, errs, err := runFilesIn(t, job, "", "", gp, "mkfifo", name)
		if err != nil {
			windows.CloseHandle(job)
			t.Fatalf("breakaway %v: mkfifo in a job: %v: %s", breakaway, err, errs)
		}
		windows.CloseHandle(job) // kills what is left in it
		if breakaway {
			if out, errs, err := runFiles(t, "", gp, "info", name); err != nil || !strings.Contains(out, "gopipe fifo") {
				t.Errorf("the FIFO did not outlive its job: %v: %q %s", err, out, errs)
			}
		}
		runFiles(t, "", gp, "rmfifo", name)
	}
}
