package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopipe/gopipe/internal/testenv"
)

// Security against other users, with real users on both sides (setpriv):
// root, which runs CI, ignores file permissions, so it only sets the scene.

const (
	userA = 20001 // the victim
	userB = 20002 // the other user
)

// asUser is argv run as uid (and gid uid), with the supplementary groups
// given, or none.
func asUser(t *testing.T, uid int, groups []int, argv ...string) *exec.Cmd {
	t.Helper()
	testenv.Root(t)
	setpriv := testenv.Tool(t, "setpriv", "util-linux")
	id := strconv.Itoa(uid)
	args := []string{"--reuid=" + id, "--regid=" + id}
	if len(groups) == 0 {
		args = append(args, "--clear-groups")
	} else {
		var g []string
		for _, n := range groups {
			g = append(g, strconv.Itoa(n))
		}
		args = append(args, "--groups="+strings.Join(g, ","))
	}
	return exec.Command(setpriv, append(append(args, "--"), argv...)...)
}

// run runs cmd with stdin and returns its stdout, stderr and error.
func run(cmd *exec.Cmd, stdin string) (string, string, error) {
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// ownedDir is a fresh directory owned by uid with mode.
func ownedDir(t *testing.T, uid int, mode os.FileMode) string {
	t.Helper()
	testenv.Root(t) // to give it away
	dir, err := os.MkdirTemp("", "gopipe-sec")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, uid); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// drain holds the FIFO name open for reading and writing (so that no open
// of it waits) and collects what is written to it until the test ends.
func drain(t *testing.T, name string) func() string {
	t.Helper()
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte, 1)
	go func() {
		var got []byte
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				done <- got
				return
			}
		}
	}()
	var got []byte
	collected := false
	t.Cleanup(func() { f.Close() })
	return func() string {
		if !collected {
			f.SetReadDeadline(time.Now())
			got, collected = <-done, true
		}
		return string(got)
	}
}

// fifoOf makes a FIFO of uid's with mode at name.
func fifoOf(t *testing.T, uid int, mode os.FileMode, name string) {
	t.Helper()
	if out, err := exec.Command(gopipe(t), "mkfifo", "-m", fmt.Sprintf("%o", mode), name).CombinedOutput(); err != nil {
		t.Fatalf("mkfifo: %v %s", err, out)
	}
	if err := os.Chown(name, uid, uid); err != nil {
		t.Fatal(err)
	}
}

// Every gopipe writer (tee, redirect's --stdout, run's > and >>) is refused
// exactly where fs.protected_fifos refuses GNU tee and the shell's >, with
// the same message, at each level and in both kinds of sticky directory.
func TestSysctlWritersProtectedFIFOs(t *testing.T) {
	testenv.GNU(t, "tee")
	for _, level := range []string{"0", "1", "2"} {
		testenv.Sysctl(t, "fs/protected_fifos", level)
		for _, dirMode := range []os.FileMode{os.ModeSticky | 0o777, os.ModeSticky | 0o775} {
			t.Run(fmt.Sprintf("level=%s/dir=%v", level, dirMode), func(t *testing.T) {
				dir := ownedDir(t, 0, 0o755)
				os.Chown(dir, 0, userA) // group-writable means A's group may write
				os.Chmod(dir, dirMode)
				name := filepath.Join(dir, "bfifo")
				fifoOf(t, userB, 0o666, name)
				got := drain(t, name)
				gp := gopipe(t)
				writers := []struct {
					name string
					argv []string
					gnu  bool
				}{
					{"GNU tee", []string{"/usr/bin/tee", name}, true},
					{"sh >", []string{"sh", "-c", `echo SECRET > "$0"`, name}, true},
					{"gopipe tee", []string{gp, "tee", name}, false},
					{"gopipe redirect --stdout", []string{gp, "redirect", "--stdout", name, "--", "sh", "-c", "echo SECRET"}, false},
					{"gopipe run >", []string{gp, "run", "echo SECRET > " + name}, false},
					{"gopipe run >>", []string{gp, "run", "echo SECRET >> " + name}, false},
				}
				gnuRefused := false
				for _, w := range writers {
					_, errs, err := run(asUser(t, userA, nil, w.argv...), "SECRET\n")
					refused := err != nil
					if w.gnu {
						if w.name == "GNU tee" {
							gnuRefused = refused
						} else if refused != gnuRefused {
							t.Fatalf("%s and GNU tee disagree: %v %s", w.name, err, errs)
						}
						continue
					}
					if refused != gnuRefused {
						t.Errorf("%s: refused %v, GNU tee %v: %v %s", w.name, refused, gnuRefused, err, errs)
					}
					if refused && !strings.Contains(errs, name+": Permission denied") {
						t.Errorf("%s: message %q, want GNU's %q", w.name, errs, name+": Permission denied")
					}
				}
				want := 0
				if !gnuRefused {
					want = len(writers)
				}
				if n := strings.Count(got(), "SECRET\n"); n != want {
					t.Errorf("B's FIFO got %d lines, want %d", n, want)
				}
			})
		}
	}
}

// The race of the "one NAME" issue: in a sticky world-writable directory B
// keeps swapping the name x between a FIFO of B's and a symlink to A's
// private FIFO, while A writes to x with gopipe tee. With
// fs.protected_symlinks=1 the kernel refuses to follow B's link for A, so
// nothing may ever land in A's private FIFO: gopipe must leave the
// following to the kernel, as GNU tee does.
func TestSysctlTeeSymlinkRace(t *testing.T) {
	testenv.Sysctl(t, "fs/protected_symlinks", "1")
	testenv.Sysctl(t, "fs/protected_fifos", "0")
	private := ownedDir(t, userA, 0o700)
	priv := filepath.Join(private, "priv")
	fifoOf(t, userA, 0o600, priv)
	leaked := drain(t, priv)

	sticky := ownedDir(t, 0, os.ModeSticky|0o777)
	bf := filepath.Join(sticky, "bf")
	fifoOf(t, userB, 0o666, bf)
	drain(t, bf)
	x := filepath.Join(sticky, "x")
	// x is B's from the start: should A's tee find no x, it would create
	// a file of A's there that B could not replace.
	if err := os.Link(bf, x); err != nil {
		t.Fatal(err)
	}
	// perl (Debian's perl-base is essential) swaps with syscalls alone,
	// many times faster than a shell starting ln and mv.
	const swap = `chdir $ARGV[0] or die "$!"; while (1) {
		unlink "t1"; link "bf", "t1"; rename "t1", "x";
		unlink "t2"; symlink $ARGV[1], "t2"; rename "t2", "x" }`
	swapper := asUser(t, userB, nil, testenv.Tool(t, "perl", "perl-base"), "-e", swap, sticky, priv)
	var swapErr bytes.Buffer
	swapper.Stderr = &swapErr
	if err := swapper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { swapper.Process.Kill(); swapper.Wait() })

	const runs = 600
	outcomes := map[string]int{}
	gp := gopipe(t)
	for range runs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := asUser(t, userA, nil, gp, "tee", x)
		cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
		_, errs, err := run(cmd, "MSG\n")
		cancel()
		switch {
		case err == nil:
			outcomes["written to B's FIFO"]++
		case strings.Contains(errs, "Permission denied"):
			outcomes["refused"]++
		default:
			outcomes[strings.TrimSpace(errs)]++
		}
	}
	t.Logf("%d runs: %v; swapper: %s", runs, outcomes, swapErr.String())
	if n := strings.Count(leaked(), "MSG\n"); n > 0 {
		t.Fatalf("%d of %d writes landed in A's private FIFO through B's symlink", n, runs)
	}
}

// dial checks the private directory of bare names as serve does: another
// user who plants it (a symlink to a directory with a root server in it,
// their own directory, or one open to others) is refused before any
// connect.
func TestDialRefusesPlantedPrivateDir(t *testing.T) {
	srvDir := ownedDir(t, 0, 0o755)
	sock := filepath.Join(srvDir, "demo")
	_, log := startServe(t, sock)
	os.Chmod(sock, 0o666)
	for _, plant := range []struct {
		name string
		make func(tmp, dir string) error
		want string
	}{
		{"symlink", func(tmp, dir string) error {
			return asUser(t, userB, nil, "ln", "-s", srvDir, dir).Run()
		}, "is a symbolic link"},
		{"B's directory", func(tmp, dir string) error {
			if err := asUser(t, userB, nil, "mkdir", "-m", "0777", dir).Run(); err != nil {
				return err
			}
			return os.Symlink(sock, filepath.Join(dir, "demo"))
		}, "owned by uid 20002"},
		{"A's, open to others", func(tmp, dir string) error {
			if err := asUser(t, userA, nil, "mkdir", "-m", "0755", dir).Run(); err != nil {
				return err
			}
			return os.Symlink(sock, filepath.Join(dir, "demo"))
		}, "lets others in"},
	} {
		t.Run(plant.name, func(t *testing.T) {
			tmp := ownedDir(t, 0, os.ModeSticky|0o777)
			dir := filepath.Join(tmp, "gopipe-"+strconv.Itoa(userA))
			if err := plant.make(tmp, dir); err != nil {
				t.Fatal(err)
			}
			cmd := asUser(t, userA, nil, gopipe(t), "dial", "demo")
			cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "XDG_RUNTIME_DIR=")
			out, errs, err := run(cmd, "secret\n")
			if err == nil || out != "" || !strings.Contains(errs, plant.want) {
				t.Errorf("dial demo through a planted %s: %v %q %s", dir, err, out, errs)
			}
		})
	}
	select {
	case line := <-log.lines:
		t.Errorf("the server saw a client: %s", line)
	default:
	}
}

// --allow-user GROUP lets in a member of GROUP by a supplementary group,
// not only by the primary one; a non-member stays out.
func TestServeAllowGroupSupplementary(t *testing.T) {
	const group, gid = "users", 100 // in every Debian /etc/group
	sock := filepath.Join(sharedDir(t), "s")
	_, log := startServe(t, "--allow-user", group, sock)
	gp := gopipe(t)
	out, errs, err := run(asUser(t, userA, []int{gid}, gp, "dial", sock), "member\n")
	if err != nil || out != "member\n" {
		t.Fatalf("member of %s by a supplementary group: %v %q %s", group, err, out, errs)
	}
	if out, _, _ := run(asUser(t, userB, nil, gp, "dial", sock), "outsider\n"); out != "" {
		t.Fatalf("a non-member got %q", out)
	}
	log.waitFor(t, "refused pid")
}

// A client refuses a server of another user unless told to trust that
// user with dial --trust.
func TestDialTrust(t *testing.T) {
	dir := ownedDir(t, userB, 0o755)
	sock := filepath.Join(dir, "s")
	gp := gopipe(t)
	startServeCmd(t, asUser(t, userB, nil, gp, "serve", "--allow-user", strconv.Itoa(userA), sock))
	_, errs, err := run(asUser(t, userA, nil, gp, "dial", sock), "hi\n")
	if err == nil || !strings.Contains(errs, "erver is run by 20002") {
		t.Fatalf("dial of another user's server: %v %s", err, errs)
	}
	out, errs, err := run(asUser(t, userA, nil, gp, "dial", "--trust", strconv.Itoa(userB), sock), "hi\n")
	if err != nil || out != "hi\n" {
		t.Fatalf("dial --trust %d: %v %q %s", userB, err, out, errs)
	}
	// A group is no server's owner: trusting one would trust its members.
	_, errs, err = run(asUser(t, userA, nil, gp, "dial", "--trust", "users", sock), "hi\n")
	if err == nil || !strings.Contains(errs, "is a group") {
		t.Fatalf("dial --trust users: %v %s", err, errs)
	}
}

// tap dials its UPSTREAM as dial does: another user's server is refused,
// and tap --trust USER accepts it.
func TestTapTrust(t *testing.T) {
	dir := ownedDir(t, userB, 0o755)
	sock := filepath.Join(dir, "s")
	gp := gopipe(t)
	startServeCmd(t, asUser(t, userB, nil, gp, "serve", "--allow-user", strconv.Itoa(userA), sock))
	mine := ownedDir(t, userA, 0o700)
	for i, trust := range [][]string{nil, {"--trust", strconv.Itoa(userB)}} {
		tap := filepath.Join(mine, "tap"+strconv.Itoa(i))
		args := append(append([]string{gp, "tap", "--text"}, trust...), tap, sock)
		cmd := asUser(t, userA, nil, args...)
		tapLog, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		log := followLog(tapLog)
		log.waitFor(t, "tapping")
		out, errs, err := run(asUser(t, userA, nil, gp, "dial", tap), "hi\n")
		if trust == nil {
			if out != "" {
				t.Fatalf("tap without --trust relayed to another user's server: %q", out)
			}
			log.waitFor(t, "erver is run by 20002")
			continue
		}
		if err != nil || out != "hi\n" {
			t.Fatalf("tap --trust %d: %v %q %s", userB, err, out, errs)
		}
	}
}

// ls and info trust the private directory no more than dial does: what a
// planted one holds is not shown as ours, and they say why.
func TestLsInfoRefusePlantedPrivateDir(t *testing.T) {
	tmp := ownedDir(t, 0, os.ModeSticky|0o777)
	dir := filepath.Join(tmp, "gopipe-"+strconv.Itoa(userA))
	if err := asUser(t, userB, nil, "mkdir", "-m", "0777", dir).Run(); err != nil {
		t.Fatal(err)
	}
	startServeCmd(t, asUser(t, userB, nil, gopipe(t), "serve", filepath.Join(dir, "demo")))
	for _, args := range [][]string{{"ls"}, {"info", "demo"}} {
		cmd := asUser(t, userA, nil, append([]string{gopipe(t)}, args...)...)
		cmd.Dir = tmp
		cmd.Env = append(os.Environ(), "TMPDIR="+tmp, "XDG_RUNTIME_DIR=")
		out, errs, err := run(cmd, "")
		if err == nil || strings.Contains(out, "demo") || !strings.Contains(errs, "owned by uid 20002") {
			t.Errorf("%s with a planted private directory: %v %q %s", args, err, out, errs)
		}
	}
}
