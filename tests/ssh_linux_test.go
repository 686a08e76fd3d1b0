package tests

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopipe/gopipe/internal/testenv"
)

// sshd is an OpenSSH server on a loopback port, with a throwaway host key,
// that lets root in with a key of its own: what ssh:// NAMEs go through.
type sshd struct {
	dir    string
	config string // the client's config file: Host gptest
	host   string // "gptest"
}

// startSSHD starts one for the test (root only: sshd changes users).
func startSSHD(t *testing.T) *sshd {
	t.Helper()
	testenv.Root(t)
	sshdPath := testenv.Tool(t, "sshd", "openssh-server")
	keygen := testenv.Tool(t, "ssh-keygen", "openssh-client")
	testenv.Tool(t, "ssh", "openssh-client")
	dir := t.TempDir()
	for _, k := range []string{"host", "id"} {
		if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "id.pub"))
	hostPub, _ := os.ReadFile(filepath.Join(dir, "host.pub"))
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	// A free port: taken and let go (sshd cannot be given 0).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	os.MkdirAll("/run/sshd", 0o755) // its privilege separation directory
	conf := filepath.Join(dir, "sshd_config")
	os.WriteFile(conf, []byte(strings.Join([]string{
		"Port " + port, "ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "host"),
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"StrictModes no", // the keys live under /tmp
		"PasswordAuthentication no", "KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password", "UsePAM no",
		// Its default drops unauthenticated connections past 10.
		"MaxStartups 200", "MaxSessions 200",
		"LogLevel ERROR", "",
	}, "\n")), 0o600)
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", conf)
	var log bytes.Buffer
	cmd.Stderr = &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	os.WriteFile(filepath.Join(dir, "known_hosts"), []byte("[127.0.0.1]:"+port+" "+string(hostPub)), 0o600)
	config := filepath.Join(dir, "ssh_config")
	os.WriteFile(config, []byte(strings.Join([]string{
		"Host gptest otherhost", "  HostName 127.0.0.1", "  Port " + port, "  User root",
		"  IdentityFile " + filepath.Join(dir, "id"), "  IdentitiesOnly yes",
		"  UserKnownHostsFile " + filepath.Join(dir, "known_hosts"),
		"  StrictHostKeyChecking yes", "  BatchMode yes", "  LogLevel ERROR", "",
	}, "\n")), 0o600)
	s := &sshd{dir: dir, config: config, host: "gptest"}
	// Up when a command runs through it.
	for deadline := time.Now().Add(time.Minute); ; {
		if exec.Command("ssh", "-F", config, "gptest", "true").Run() == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd never answered: %s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// dial runs gopipe dial ARGS... through s, with stdin, and returns its
// stdout, stderr and exit status.
func (s *sshd) gopipe(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	return s.gopipeIn(t, "", stdin, args...)
}

// gopipeIn is gopipe, run in dir.
func (s *sshd) gopipeIn(t *testing.T, dir, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(gopipe(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPIPE_SSH=ssh -F "+s.config, "GOPIPE_REMOTE_GOPIPE="+gopipe(t))
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	st := 0
	if ee, ok := err.(*exec.ExitError); ok {
		st = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), st
}

func TestSSHDial(t *testing.T) {
	s := startSSHD(t)
	gp := gopipe(t)
	dir := t.TempDir()
	echo := filepath.Join(dir, "echo.sock")
	startServe(t, echo)
	count := filepath.Join(dir, "count.sock")
	startServe(t, "--exec", "wc -c", count)
	url := func(path string) string { return "ssh://gptest/" + path }

	t.Run("echo", func(t *testing.T) {
		out, errs, st := s.gopipe(t, "hello, far away\n", "dial", "--remote-gopipe", gp, url(echo))
		if st != 0 || out != "hello, far away\n" {
			t.Fatalf("status %d, %q, %s", st, out, errs)
		}
	})
	t.Run("half-close", func(t *testing.T) {
		// wc -c answers only at the end of its input: our EOF got there.
		out, errs, st := s.gopipe(t, strings.Repeat("x", 12345), "dial", "--remote-gopipe", gp, url(count))
		if st != 0 || strings.TrimSpace(out) != "12345" {
			t.Fatalf("status %d, %q, %s", st, out, errs)
		}
	})
	t.Run("100 clients, 1 MiB each", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				data := make([]byte, 1<<20)
				rand.Read(data)
				cmd := exec.Command(gp, "dial", "--remote-gopipe", gp, url(echo))
				cmd.Env = append(os.Environ(), "GOPIPE_SSH=ssh -F "+s.config)
				cmd.Stdin = bytes.NewReader(data)
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil || sha256.Sum256(out) != sha256.Sum256(data) {
					errs <- fmt.Errorf("client %d: %v, %d bytes back: %s", i, err, len(out), stderr.String())
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
	t.Run("remote name missing", func(t *testing.T) {
		_, errs, st := s.gopipe(t, "", "dial", "--remote-gopipe", gp, url(filepath.Join(dir, "nosuch")))
		if st != 1 || !strings.Contains(errs, "nosuch: No such file or directory") || !strings.Contains(errs, "gopipe: dial ssh://gptest/"+dir+"/nosuch: failed on gptest (status 1") {
			t.Fatalf("status %d, %s", st, errs)
		}
	})
	t.Run("remote gopipe missing", func(t *testing.T) {
		_, errs, st := s.gopipe(t, "", "dial", "--remote-gopipe", "/nonexistent/gopipe", url(echo))
		if st != 127 || !strings.Contains(errs, "no gopipe on gptest's PATH (--remote-gopipe names it)") {
			t.Fatalf("status %d, %s", st, errs)
		}
	})
	t.Run("ssh cannot connect", func(t *testing.T) {
		_, errs, st := s.gopipe(t, "", "dial", "--remote-gopipe", gp, "ssh://nosuchhost.invalid/x")
		if st != 255 || !strings.Contains(errs, "ssh could not connect to nosuchhost.invalid") {
			t.Fatalf("status %d, %s", st, errs)
		}
	})
	t.Run("names that could inject", func(t *testing.T) {
		canary := filepath.Join(dir, "injected")
		for _, name := range []string{
			"a b", `it's`, `say "hi"`, "x; touch " + canary, "$(touch " + canary + ")",
			"`touch " + canary + "`", "line\ntouch " + canary, "x & touch " + canary, "x | touch " + canary,
		} {
			path := filepath.Join(dir, name)
			// By default a NAME must read the same to sh and cmd.exe:
			// most of these are refused here, before ssh runs.
			_, errs, st := s.gopipe(t, "", "dial", "--remote-gopipe", gp, "ssh://gptest/"+strings.ReplaceAll(strings.ReplaceAll(path, "%", "%25"), "\n", "%0A"))
			if name != "a b" && (st != 1 || !strings.Contains(errs, "cannot be quoted safely")) {
				t.Errorf("%q: status %d, %s", name, st, errs)
			}
			// With a POSIX remote shell each is quoted, and is just a
			// name that does not exist there.
			_, errs, st = s.gopipe(t, "", "dial", "--remote-shell=sh", "--remote-gopipe", gp, "ssh://gptest/"+strings.ReplaceAll(path, "\n", "%0A"))
			if st != 1 || !strings.Contains(errs, "No such file or directory") {
				t.Errorf("%q, --remote-shell=sh: status %d, %s", name, st, errs)
			}
			if _, err := os.Stat(canary); err == nil {
				t.Fatalf("%q ran a command on the remote side", name)
			}
		}
	})
}

// The other commands take an ssh:// NAME through the one resolver: cat
// reads a remote file or FIFO, tee and redirect write one, run's
// redirections do both, info describes one, tap relays to a remote server.
func TestSSHNames(t *testing.T) {
	s := startSSHD(t)
	gp := gopipe(t)
	dir := t.TempDir()
	env := "GOPIPE_REMOTE_GOPIPE=" + gp
	run := func(t *testing.T, stdin string, args ...string) (string, string, int) {
		t.Helper()
		return s.gopipeIn(t, dir, stdin, args...)
	}
	remoteFile := filepath.Join(dir, "remote.txt")
	os.WriteFile(remoteFile, []byte("on the far side\n"), 0o600)
	url := "ssh://gptest/" + remoteFile

	t.Run("cat", func(t *testing.T) {
		out, errs, st := run(t, "", "cat", "-n", url)
		if st != 0 || out != "     1\ton the far side\n" {
			t.Fatalf("status %d, %q, %s", st, out, errs)
		}
		_, errs, st = run(t, "", "cat", "ssh://gptest/"+dir+"/nosuch")
		if st != 1 || !strings.Contains(errs, "nosuch: No such file or directory") || !strings.Contains(errs, "failed on gptest") {
			t.Fatalf("cat of a missing remote file: status %d, %s", st, errs)
		}
	})
	t.Run("tee", func(t *testing.T) {
		out, errs, st := run(t, "copied\n", "tee", "ssh://gptest/"+dir+"/teed")
		got, _ := os.ReadFile(filepath.Join(dir, "teed"))
		if st != 0 || out != "copied\n" || string(got) != "copied\n" {
			t.Fatalf("status %d, %q, remote file %q, %s", st, out, got, errs)
		}
		run(t, "more\n", "tee", "-a", "ssh://gptest/"+dir+"/teed")
		if got, _ := os.ReadFile(filepath.Join(dir, "teed")); string(got) != "copied\nmore\n" {
			t.Fatalf("tee -a: remote file %q", got)
		}
	})
	t.Run("a remote FIFO", func(t *testing.T) {
		f := filepath.Join(dir, "fifo")
		if out, err := exec.Command(gp, "mkfifo", f).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		done := make(chan string)
		go func() { out, _, _ := run(t, "", "cat", "ssh://gptest/"+f); done <- out }()
		_, errs, st := run(t, "through a remote FIFO\n", "tee", "ssh://gptest/"+f)
		if got := <-done; st != 0 || got != "through a remote FIFO\n" {
			t.Fatalf("tee: status %d %s; cat got %q", st, errs, got)
		}
	})
	t.Run("redirect and run", func(t *testing.T) {
		_, errs, st := run(t, "", "redirect", "--stdin", url, "--stdout", "ssh://gptest/"+dir+"/upper", "--", "tr", "a-z", "A-Z")
		if got, _ := os.ReadFile(filepath.Join(dir, "upper")); st != 0 || string(got) != "ON THE FAR SIDE\n" {
			t.Fatalf("redirect: status %d, %q, %s", st, got, errs)
		}
		out, errs, st := run(t, "", "run", "wc -c < "+url+" > ssh://gptest/"+dir+"/count && cat "+dir+"/count")
		if st != 0 || strings.TrimSpace(out) != "16" {
			t.Fatalf("run: status %d, %q, %s", st, out, errs)
		}
		_, errs, st = run(t, "", "run", "cat < ssh://gptest/"+dir+"/nosuch")
		if st == 0 || !strings.Contains(errs, "failed on gptest") {
			t.Fatalf("run, a missing remote file: status %d, %s", st, errs)
		}
	})
	t.Run("info", func(t *testing.T) {
		out, errs, st := run(t, "", "info", url)
		if st != 0 || !strings.Contains(out, "kind:      other") || !strings.Contains(out, "path:      "+remoteFile) {
			t.Fatalf("status %d, %q, %s", st, out, errs)
		}
	})
	t.Run("a local file wins", func(t *testing.T) {
		// GNU's cat reads ssh://gptest/x as the path ssh:/gptest/x.
		os.MkdirAll(filepath.Join(dir, "ssh:", "gptest"), 0o755)
		os.WriteFile(filepath.Join(dir, "ssh:", "gptest", "x"), []byte("local\n"), 0o600)
		out, errs, st := run(t, "", "cat", "ssh://gptest/x")
		if st != 0 || out != "local\n" {
			t.Fatalf("status %d, %q, %s", st, out, errs)
		}
	})
	t.Run("tap to a remote server", func(t *testing.T) {
		up := filepath.Join(dir, "up.sock")
		startServe(t, up)
		tap := filepath.Join(dir, "tap.sock")
		cmd := exec.Command(gp, "tap", "--text", tap, "ssh://gptest/"+up)
		cmd.Env = append(os.Environ(), "GOPIPE_SSH=ssh -F "+s.config, env)
		var dump bytes.Buffer
		cmd.Stdout = &dump
		logr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		followLog(logr).waitFor(t, "tapping")
		out, errs, st := run(t, "via the tap\n", "dial", tap)
		if st != 0 || out != "via the tap\n" {
			t.Fatalf("status %d, %q, %s", st, out, errs)
		}
	})
}

// A bare remote NAME is the remote user's endpoint of that name, and
// cutting the ssh transport mid-stream ends the local side at once, with a
// clear message.
func TestSSHBareNameAndCutTransport(t *testing.T) {
	s := startSSHD(t)
	gp := gopipe(t)
	name := "gopipe-ssh-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	// The remote side is root's session through sshd: no XDG_RUNTIME_DIR,
	// so its bare names live in $TMPDIR/gopipe-0; the server must be there.
	srv := exec.Command(gp, "serve", name)
	srv.Env = append(os.Environ(), "XDG_RUNTIME_DIR=", "TMPDIR=")
	logr, _ := srv.StderrPipe()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	followLog(logr).waitFor(t, "listening on")

	out, errs, st := s.gopipe(t, "bare\n", "dial", "--remote-gopipe", gp, "ssh://gptest/"+name)
	if st != 0 || out != "bare\n" {
		t.Fatalf("bare name: status %d, %q, %s", st, out, errs)
	}

	// A client that keeps sending; then its ssh is killed.
	pr, pw, _ := os.Pipe()
	defer pw.Close()
	cmd := exec.Command(gp, "dial", "--remote-gopipe", gp, "ssh://gptest/"+name)
	cmd.Env = append(os.Environ(), "GOPIPE_SSH=ssh -F "+s.config)
	cmd.Stdin = pr
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	echoed, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	pw.Write([]byte("first\n"))
	buf := make([]byte, 6)
	if _, err := echoed.Read(buf); err != nil {
		t.Fatal(err)
	}
	ssh := childNamed(t, cmd.Process.Pid, "ssh")
	syscallKill(t, ssh)
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(stderr.String(), "gopipe: dial ssh://gptest/"+name+": the ssh connection to gptest was cut (ssh died: signal: killed)") {
			t.Fatalf("dial after its ssh was killed: %v, %s", err, stderr.String())
		}
	case <-time.After(time.Minute):
		t.Fatal("dial hangs after its ssh was killed")
	}
}

// childNamed is the pid of parent's child whose command is name.
func childNamed(t *testing.T, parent int, name string) int {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		ds, _ := os.ReadDir("/proc")
		for _, d := range ds {
			pid, err := strconv.Atoi(d.Name())
			if err != nil {
				continue
			}
			stat, _ := os.ReadFile("/proc/" + d.Name() + "/stat")
			// pid (comm) state ppid ...
			f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if len(f) > 1 && f[1] == strconv.Itoa(parent) && bytes.Contains(stat, []byte("("+name+")")) {
				return pid
			}
		}
	}
	t.Fatalf("no child %s of %d", name, parent)
	return 0
}

func syscallKill(t *testing.T, pid int) {
	t.Helper()
	p, err := os.FindProcess(pid)
	if err == nil {
		err = p.Kill()
	}
	if err != nil {
		t.Fatal(err)
	}
}

// docSSHEnv is the environment a documentation block that uses ssh://
// NAMEs runs in: an sshd of its own, which the host name otherhost reaches,
// and the gopipe under test on the remote side.
func docSSHEnv(t *testing.T) []string {
	s := startSSHD(t)
	return []string{"GOPIPE_SSH=ssh -F " + s.config, "GOPIPE_REMOTE_GOPIPE=" + gopipe(t)}
}

// A local reader or writer of a remote FIFO killed while the FIFO's open
// waits leaves nothing behind: not its ssh, not the remote gopipe (which
// would otherwise wait for ever, and take the next writer's data).
func TestSSHKilledLeavesNothing(t *testing.T) {
	s := startSSHD(t)
	gp := gopipe(t)
	dir := t.TempDir()
	f := filepath.Join(dir, "fifo")
	if out, err := exec.Command(gp, "mkfifo", f).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	remoteHalf := func() []int {
		var pids []int
		ds, _ := os.ReadDir("/proc")
		for _, d := range ds {
			cmdline, _ := os.ReadFile("/proc/" + d.Name() + "/cmdline")
			if bytes.Contains(cmdline, []byte("__remote")) && bytes.Contains(cmdline, []byte(f)) {
				pid, _ := strconv.Atoi(d.Name())
				pids = append(pids, pid)
			}
		}
		return pids
	}
	for _, args := range [][]string{{"cat", "ssh://gptest/" + f}, {"tee", "ssh://gptest/" + f}} {
		cmd := exec.Command(gp, args...)
		cmd.Env = append(os.Environ(), "GOPIPE_SSH=ssh -F "+s.config, "GOPIPE_REMOTE_GOPIPE="+gp)
		if args[0] == "tee" {
			// Data written, its open waiting for a reader there.
			pr, pw, _ := os.Pipe()
			defer pw.Close()
			pw.Write([]byte("never read\n"))
			cmd.Stdin = pr
			defer pr.Close()
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(time.Minute); len(remoteHalf()) == 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the remote half never started", args[0])
			}
		}
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		for deadline := time.Now().Add(time.Minute); len(remoteHalf()) > 0; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s killed: its remote half %v still waits", args[0], remoteHalf())
			}
		}
	}
	// And the FIFO is free for the next pair, whose data arrives whole.
	done := make(chan string)
	go func() { out, _, _ := s.gopipe(t, "", "cat", "ssh://gptest/"+f); done <- out }()
	_, errs, st := s.gopipe(t, "after\n", "tee", "ssh://gptest/"+f)
	if got := <-done; st != 0 || got != "after\n" {
		t.Fatalf("the next pair: tee status %d %s, cat got %q", st, errs, got)
	}
}
