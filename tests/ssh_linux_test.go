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
		"Host gptest", "  HostName 127.0.0.1", "  Port " + port, "  User root",
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
	cmd := exec.Command(gopipe(t), args...)
	cmd.Env = append(os.Environ(), "GOPIPE_SSH=ssh -F "+s.config)
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
