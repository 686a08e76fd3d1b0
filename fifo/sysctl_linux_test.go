package fifo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopipe/gopipe/internal/testenv"
)

// The kernel's fs.protected_fifos checks only O_CREAT opens, which ours of
// an existing FIFO never are: our writers apply its rule themselves. This
// runs every level against every kind of directory, and each time the
// kernel's own answer for an O_CREAT open (GNU tee's) must be ours, for
// OpenFile and OpenWriter alike, while readers are never refused.
func TestSysctlProtectedFIFOs(t *testing.T) {
	for _, level := range []string{"0", "1", "2"} {
		testenv.Sysctl(t, "fs/protected_fifos", level)
		for _, dirMode := range []os.FileMode{0o1777, 0o1775, 0o0777} {
			// The FIFO's owner: another user, the directory's owner
			// (root), the writer itself.
			for _, owner := range []int{thirdUID, 0, otherUID} {
				name := fmt.Sprintf("level=%s/dir=%#o/owner=%d", level, dirMode, owner)
				t.Run(name, func(t *testing.T) { checkProtectedFIFO(t, dirMode, owner) })
			}
		}
	}
}

func checkProtectedFIFO(t *testing.T, dirMode os.FileMode, owner int) {
	dir := sharedDir(t, 0o755)
	// The directory is root's with the group of the other user, so that
	// group-writable means something to the kernel's rule.
	if err := os.Chown(dir, 0, otherUID); err != nil {
		t.Fatal(err)
	}
	if err := chmodSticky(dir, dirMode); err != nil {
		t.Fatal(err)
	}
	name := fifoOf(t, owner, 0o666, filepath.Join(dir, "f"))
	// A reader and writer of root's, so that no open below waits: each
	// either opens at once or is refused.
	hold, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, kernel := asUser(t, otherUID, "creat", name).CombinedOutput()
	for _, helper := range []string{"openfile-write", "write"} {
		out, err := asUser(t, otherUID, helper, name, "data").CombinedOutput()
		if (err != nil) != (kernel != nil) {
			t.Errorf("%s: %v (%s); the kernel's O_CREAT open: %v", helper, err, out, kernel)
		}
		if err != nil && !strings.Contains(string(out), "permission denied") {
			t.Errorf("%s: refused without saying why: %s", helper, out)
		}
	}
	hold.Close()
	// A reader is never refused (GNU cat opens without O_CREAT); its
	// writer is the FIFO's owner, whom the rule always lets through.
	out, err := readerWithWriter(t, name, owner)
	if err != nil || out != "for the reader" {
		t.Errorf("reader as uid %d: %v (%q)", otherUID, err, out)
	}
}

// readerWithWriter reads name with OpenFile as the other user while uid
// writes to it.
func readerWithWriter(t *testing.T, name string, uid int) (string, error) {
	t.Helper()
	w := asUser(t, uid, "write", name, "for the reader")
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Wait()
	out, err := asUser(t, otherUID, "openfile-read", name).CombinedOutput()
	return string(out), err
}

// chmodSticky sets dir's mode with the sticky bit as the mode says: Go's
// os.Chmod takes os.ModeSticky, not the 01000 of an octal literal.
func chmodSticky(dir string, mode os.FileMode) error {
	m := mode.Perm()
	if mode&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return os.Chmod(dir, m)
}

// With fs.protected_symlinks on, the kernel refuses to follow a symlink in
// a sticky world-writable directory whose owner is neither the follower
// nor the directory's owner. OpenFile lets the kernel follow, so it is
// refused exactly where a plain open(2) (GNU's) is, for readers and
// writers; with the sysctl off both follow.
func TestSysctlProtectedSymlinks(t *testing.T) {
	for _, level := range []string{"0", "1"} {
		testenv.Sysctl(t, "fs/protected_symlinks", level)
		t.Run("level="+level, func(t *testing.T) {
			// The target: a FIFO of the follower's, in its own 0700 dir.
			private := sharedDir(t, 0o700)
			if err := os.Chown(private, otherUID, otherUID); err != nil {
				t.Fatal(err)
			}
			target := fifoOf(t, otherUID, 0o600, filepath.Join(private, "f"))
			// The link: another user's, in a sticky world-writable dir.
			sticky := sharedDir(t, 0o755)
			if err := chmodSticky(sticky, 0o1777); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(sticky, "x")
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			if err := os.Lchown(link, thirdUID, thirdUID); err != nil {
				t.Fatal(err)
			}
			_, kernel := asUser(t, otherUID, "follow", link).CombinedOutput()
			if (kernel != nil) != (level == "1") {
				t.Fatalf("the kernel's open with protected_symlinks=%s: %v", level, kernel)
			}
			// Writer through the link, reader on the target, both as the
			// follower (the reader, by the target's own name).
			reader := asUser(t, otherUID, "read", target)
			if err := reader.Start(); err != nil {
				t.Fatal(err)
			}
			out, err := asUser(t, otherUID, "openfile-write", link, "through the link").CombinedOutput()
			if (err != nil) != (kernel != nil) {
				t.Errorf("OpenFile for writing: %v (%s); the kernel's open: %v", err, out, kernel)
			}
			if err != nil {
				// Release the reader, which still waits for a writer.
				asUser(t, otherUID, "write", target, "").Run()
			}
			reader.Wait()
			// Reader through the link, writer on the target.
			writer := asUser(t, otherUID, "write", target, "to the link's reader")
			if kernel == nil {
				if err := writer.Start(); err != nil {
					t.Fatal(err)
				}
				defer writer.Wait()
			}
			out, err = asUser(t, otherUID, "openfile-read", link).CombinedOutput()
			switch {
			case kernel != nil && (err == nil || !strings.Contains(string(out), "permission denied")):
				t.Errorf("OpenFile for reading followed a protected link: %v (%s)", err, out)
			case kernel == nil && (err != nil || string(out) != "to the link's reader"):
				t.Errorf("OpenFile for reading through the link: %v (%q)", err, out)
			}
		})
	}
}

// Another user's FIFO moving between a sticky world-writable directory and
// a directory of theirs, while OpenWriter opens it by its name in the
// sticky one: wherever OpenWriter finds it by that name, it is in the
// sticky directory, so with fs.protected_fifos on every open that finds it
// must be refused (the rule applies to the very directory the FIFO was
// found in). OpenFile is not raced here: its open carries O_CREAT, so the
// kernel makes the check (and would create a file of ours when the name is
// away, which ends the race).
func TestSysctlProtectedFIFORenameRace(t *testing.T) {
	testenv.Sysctl(t, "fs/protected_fifos", "1")
	perl := testenv.Tool(t, "perl", "perl-base")
	sticky := sharedDir(t, 0o755)
	if err := chmodSticky(sticky, 0o1777); err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(sticky, "own")
	if err := os.Mkdir(own, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(own, otherUID, otherUID); err != nil {
		t.Fatal(err)
	}
	name := fifoOf(t, otherUID, 0o666, filepath.Join(sticky, "x"))
	// A reader and writer of ours, so that no open waits.
	hold, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	mover := runAs(t, otherUID, perl, "-e",
		`while (1) { rename "$ARGV[0]/x", "$ARGV[0]/own/x"; rename "$ARGV[0]/own/x", "$ARGV[0]/x" }`, sticky)
	if err := mover.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { mover.Process.Kill(); mover.Wait() }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opened, refused := map[string]int{}, map[string]int{}
	for range 6000 {
		const how = "OpenWriter"
		f, err := OpenWriter(ctx, name)
		switch {
		case err == nil:
			opened[how]++
			f.Close()
		case errors.Is(err, fs.ErrPermission):
			refused[how]++
		}
	}
	t.Logf("refused %v, opened %v", refused, opened)
	if len(opened) > 0 {
		t.Errorf("opened another user's FIFO found in a sticky directory: %v", opened)
	}
	if refused["OpenWriter"] == 0 {
		t.Errorf("the race did not happen as meant: refused %v", refused)
	}
}
