package fifo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

func TestPathWindows(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"x", `\\.\pipe\x`},
		{`\\.\pipe\x`, `\\.\pipe\x`},
		{`\\.\PIPE\x`, `\\.\PIPE\x`},
		{"//./pipe/x", `\\.\pipe\x`},
		{"//./pipe/a/b", `\\.\pipe\a\b`},
		{`C:\tmp\x`, `C:\tmp\x`},
	} {
		if got := Path(tc.name); got != tc.want {
			t.Errorf("Path(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if got := EndpointPath(tc.name); got != tc.want {
			t.Errorf("EndpointPath(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, name := range []string{"", `C:\tmp\x`, "a/b", `\\.\pipe\`} {
		_, err := Listen(name, nil)
		mustErr(t, err, fs.ErrInvalid)
	}
}

// listenWin listens on a fresh name and closes the listener at the end.
func listenWin(t *testing.T, cfg *Config) (string, net.Listener) {
	t.Helper()
	name := testPipeName(t)
	l, err := Listen(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return name, l
}

// serveEcho accepts connections and echoes each until EOF.
func serveEcho(t *testing.T, l net.Listener) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("accept: %v", err)
				}
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if _, err := io.Copy(c, c); err != nil {
					t.Errorf("echo: %v", err)
				}
			}()
		}
	}()
	return &wg
}

func TestListenDialEcho(t *testing.T) {
	const clients, messages = 20, 200
	name, l := listenWin(t, nil)
	wg := serveEcho(t, l)
	ctx := testCtx(t)
	var cwg sync.WaitGroup
	for i := range clients {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			c, err := Dial(ctx, name, nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			buf := make([]byte, 4096)
			for j := range messages {
				msg := bytes.Repeat([]byte(fmt.Sprintf("<%d.%d>", i, j)), 1+(i*messages+j)%97)
				if _, err := c.Write(msg); err != nil {
					t.Errorf("client %d write %d: %v", i, j, err)
					return
				}
				got := buf[:len(msg)]
				if _, err := io.ReadFull(c, got); err != nil {
					t.Errorf("client %d read %d: %v", i, j, err)
					return
				}
				if !bytes.Equal(got, msg) {
					t.Errorf("client %d message %d: got %q, want %q", i, j, got, msg)
					return
				}
			}
		}()
	}
	cwg.Wait()
	l.Close()
	wg.Wait()
}

func TestMessageModeHalfClose(t *testing.T) {
	cfg := &Config{MessageMode: true}
	name, l := listenWin(t, cfg)
	type result struct {
		got []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		got, err := io.ReadAll(c) // to the client's CloseWrite
		if err == nil {
			_, err = c.Write([]byte("reply"))
		}
		done <- result{got, err}
	}()
	c, err := Dial(testCtx(t), name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range []string{"one", "two"} {
		if _, err := c.Write([]byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	cw, ok := c.(interface{ CloseWrite() error })
	if !ok {
		t.Fatalf("%T has no CloseWrite", c)
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("late")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after CloseWrite: %v, want net.ErrClosed", err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if string(r.got) != "onetwo" {
		t.Errorf("server read %q, want %q", r.got, "onetwo")
	}
	reply, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if string(reply) != "reply" {
		t.Errorf("client read %q, want %q", reply, "reply")
	}
}

func TestCloseWriteByteMode(t *testing.T) {
	name, l := listenWin(t, nil)
	wg := serveEcho(t, l)
	defer wg.Wait()
	defer l.Close()
	c, err := Dial(testCtx(t), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	err = c.(interface{ CloseWrite() error }).CloseWrite()
	mustErr(t, err, errors.ErrUnsupported)
}

// A message longer than the reader's buffer comes in pieces, without
// error, and the next message after it.
func TestMessageLongerThanBuffer(t *testing.T) {
	cfg := &Config{MessageMode: true}
	name, l := listenWin(t, cfg)
	long := bytes.Repeat([]byte("0123456789"), 1000)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write(long)
		c.Write([]byte("next"))
	}()
	c, err := Dial(testCtx(t), name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []byte
	buf := make([]byte, 333)
	for len(got) < len(long) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(got), err)
		}
		got = append(got, buf[:n]...)
	}
	if !bytes.Equal(got, long) {
		t.Fatalf("long message garbled (%d bytes)", len(got))
	}
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "next" {
		t.Fatalf("next message: %q, %v", buf[:n], err)
	}
}

func TestReadDeadline(t *testing.T) {
	name, l := listenWin(t, nil)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := Dial(testCtx(t), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := <-accepted
	defer sc.Close()
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = c.Read(make([]byte, 1))
	mustErr(t, err, os.ErrDeadlineExceeded)
	// The connection still works after the timeout.
	c.SetReadDeadline(time.Time{})
	if _, err := sc.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil || b[0] != 'x' {
		t.Fatalf("read after deadline: %q, %v", b, err)
	}
}

func TestListenExisting(t *testing.T) {
	name, _ := listenWin(t, nil)
	l2, err := Listen(name, nil)
	if err == nil {
		l2.Close()
		if onWine() {
			t.Skip("Wine does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE")
		}
		t.Fatal("second Listen of the same name succeeded")
	}
	mustErr(t, err, fs.ErrExist)
}

func TestDialMissingWindows(t *testing.T) {
	before := runtime.NumGoroutine()
	start := time.Now()
	_, err := Dial(testCtx(t), testPipeName(t), nil)
	mustErr(t, err, fs.ErrNotExist)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Dial of a missing pipe took %v", d)
	}
	checkGoroutines(t, before)
}

func TestBusyRetry(t *testing.T) {
	name, l := listenWin(t, &Config{MaxInstances: 1})
	ctx := testCtx(t)
	c1, err := Dial(ctx, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}

	// At the cap: a dial is retried until its deadline.
	before := runtime.NumGoroutine()
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	start := time.Now()
	_, err = Dial(short, name, nil)
	cancel()
	mustErr(t, err, os.ErrDeadlineExceeded, context.DeadlineExceeded)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Dial returned %v after its deadline", d)
	}
	checkGoroutines(t, before)

	// A dial waiting when the first client leaves gets in.
	dialed := make(chan error, 1)
	var c2 net.Conn
	go func() {
		var err error
		c2, err = Dial(ctx, name, nil)
		dialed <- err
	}()
	c1.Close()
	s1.Close()
	if err := <-dialed; err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	s2, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := c2.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 2)
	if _, err := io.ReadFull(s2, b); err != nil || string(b) != "hi" {
		t.Fatalf("%q, %v", b, err)
	}
}

func TestDialCancelled(t *testing.T) {
	name, _ := listenWin(t, nil)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Dial(ctx, name, nil)
	mustErr(t, err, context.Canceled)
	checkGoroutines(t, before)
}

func TestCloseWithPendingAccept(t *testing.T) {
	before := runtime.NumGoroutine()
	name := testPipeName(t)
	l, err := Listen(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		c   net.Conn
		err error
	}
	accepted := make(chan result, 1)
	accept := func() {
		c, err := l.Accept()
		accepted <- result{c, err}
	}
	go accept()
	c1, err := Dial(testCtx(t), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close()
	r := <-accepted
	if r.err != nil {
		t.Fatal(r.err)
	}
	s1 := r.c
	// c2 connects but may not be accepted before Close, which then
	// closes it; the pending Accept fails with net.ErrClosed.
	go accept()
	c2, err := Dial(testCtx(t), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if r := <-accepted; r.err != nil {
		mustErr(t, r.err, net.ErrClosed)
	} else {
		r.c.Close()
	}
	_, err = l.Accept()
	mustErr(t, err, net.ErrClosed)
	if err := l.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v", err)
	}
	// Accepted connections outlive the listener.
	if _, err := c1.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(s1, b); err != nil {
		t.Fatal(err)
	}
	// Once they are closed too, the name is gone.
	s1.Close()
	c1.Close()
	c2.Close()
	_, err = Dial(testCtx(t), name, nil)
	mustErr(t, err, fs.ErrNotExist)
	checkGoroutines(t, before)
}

// The listener accepts again after Close of a connection at the cap: the
// name never lapses, and accounting recovers.
func TestCapAccounting(t *testing.T) {
	name, l := listenWin(t, &Config{MaxInstances: 2, PendingInstances: 2})
	wg := serveEcho(t, l)
	defer wg.Wait()
	defer l.Close()
	ctx := testCtx(t)
	for round := range 5 {
		var cs []net.Conn
		for range 2 {
			c, err := Dial(ctx, name, nil)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			cs = append(cs, c)
		}
		for _, c := range cs {
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 4)
			if _, err := io.ReadFull(c, b); err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
	}
}

// pipeSecurity reads the security descriptor of the pipe at the other end
// of a client connection.
func pipeSecurity(t *testing.T, c net.Conn) *windows.SECURITY_DESCRIPTOR {
	t.Helper()
	rc, err := c.(*pipeConn).f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var sd *windows.SECURITY_DESCRIPTOR
	rc.Control(func(fd uintptr) {
		sd, err = windows.GetSecurityInfo(windows.Handle(fd), windows.SE_KERNEL_OBJECT,
			windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	})
	if err != nil {
		t.Fatal(err)
	}
	return sd
}

func TestSecurityDescriptor(t *testing.T) {
	user, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	const users = "S-1-5-32-545" // BUILTIN\Users
	for _, tc := range []struct {
		name   string
		allow  []string
		remote bool
	}{{"private", nil, false}, {"allow", []string{users}, false}, {"allow-remote", []string{users}, true}} {
		t.Run(tc.name, func(t *testing.T) {
			// --allow-remote changes the pipe mode, not the DACL: the
			// same grants, the allowed users' among them.
			name, l := listenWin(t, &Config{AllowUsers: tc.allow, AllowRemote: tc.remote})
			go func() {
				if c, err := l.Accept(); err == nil {
					c.Close()
				}
			}()
			c, err := Dial(testCtx(t), name, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			sd := pipeSecurity(t, c)
			sddl := sd.String()
			t.Logf("SDDL: %s", sddl)
			owner, _, err := sd.Owner()
			if err != nil || owner == nil || !owner.Equals(user) {
				t.Errorf("owner %v (%v), want %v", owner, err, user)
			}
			control, _, err := sd.Control()
			if err != nil || control&windows.SE_DACL_PROTECTED == 0 {
				t.Errorf("DACL not protected: control %#x, %v", control, err)
			}
			if !strings.Contains(sddl, "D:P") {
				t.Errorf("SDDL %q lacks D:P", sddl)
			}
			want := map[string]bool{"S-1-5-18": true, user.String(): true}
			if tc.allow != nil {
				want[users] = true
			}
			dacl, _, err := sd.DACL()
			if err != nil || dacl == nil {
				t.Fatalf("no DACL: %v", err)
			}
			if int(dacl.AceCount) != len(want) {
				t.Fatalf("%d ACEs, want %d: %s", dacl.AceCount, len(want), sddl)
			}
			for i := range uint32(dacl.AceCount) {
				var ace *windows.ACCESS_ALLOWED_ACE
				if err := windows.GetAce(dacl, i, &ace); err != nil {
					t.Fatal(err)
				}
				if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE {
					t.Errorf("ACE %d is of type %d", i, ace.Header.AceType)
					continue
				}
				sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart)).String()
				if !want[sid] {
					t.Errorf("ACE for unexpected trustee %s", sid)
				}
				if sid == users && (ace.Mask&windows.FILE_APPEND_DATA != 0 || ace.Mask&windows.FILE_WRITE_DATA == 0) {
					t.Errorf("allowed user's rights %#x: want read/write data, no create-instance", ace.Mask)
				}
			}
		})
	}
}

func TestDialChecksOwner(t *testing.T) {
	// A test cannot create a pipe owned by another user (that takes
	// SeRestorePrivilege), so check the policy Dial applies to the owner.
	user, err := currentUser()
	if err != nil {
		t.Fatal(err)
	}
	other, err := windows.StringToSid("S-1-5-19") // LocalService
	if err != nil {
		t.Fatal(err)
	}
	if !trustedOwner(user, nil) {
		t.Error("current user not trusted")
	}
	for _, s := range []string{sidLocalSystem, sidAdministrators} {
		sid, _ := windows.StringToSid(s)
		if !trustedOwner(sid, nil) {
			t.Errorf("%s not trusted", s)
		}
	}
	if trustedOwner(other, nil) {
		t.Error("LocalService trusted")
	}
	if !trustedOwner(other, []*windows.SID{other}) {
		t.Error("TrustServers ignored")
	}
}

func TestPeerOfWindows(t *testing.T) {
	name, l := listenWin(t, nil)
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			accepted <- c
		}
	}()
	c, err := Dial(testCtx(t), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sc := <-accepted
	defer sc.Close()
	user, _ := currentUser()
	for _, conn := range []net.Conn{c, sc} {
		p, err := PeerOf(conn)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("peer: %v (%s)", p, p.UserID)
		if p.PID != os.Getpid() {
			t.Errorf("peer pid %d, want %d", p.PID, os.Getpid())
		}
		if p.UserID != user.String() {
			t.Errorf("peer user %q, want %q", p.UserID, user)
		}
	}
	if _, err := PeerOf(&net.TCPConn{}); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("PeerOf(TCPConn): %v", err)
	}
}

// A client in another process: its pid reaches PeerOf, and the message
// mode half-close works across processes.
func TestPeerOtherProcess(t *testing.T) {
	cfg := &Config{MessageMode: true}
	name, l := listenWin(t, cfg)
	type result struct {
		peer Peer
		got  string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		p, err := PeerOf(c)
		if err != nil {
			done <- result{err: err}
			return
		}
		got, err := io.ReadAll(c)
		if err == nil {
			_, err = c.Write([]byte("pong"))
		}
		done <- result{p, string(got), err}
	}()
	out := runTestHelper(t, "dial-send", name, "ping")
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.got != "ping" {
		t.Errorf("server got %q", r.got)
	}
	if want := fmt.Sprintf("pong %d\n", os.Getpid()); out != want {
		t.Errorf("helper printed %q, want %q", out, want)
	}
	if r.peer.PID == 0 || r.peer.PID == os.Getpid() {
		t.Errorf("peer pid %d, want the helper's", r.peer.PID)
	}
}

func TestRefusedPeer(t *testing.T) {
	// We cannot log on as another user here; check the policy itself.
	l := &listener{cfg: &Config{}}
	user, _ := currentUser()
	other, _ := windows.StringToSid("S-1-5-21-1-2-3-1001")
	group, _ := windows.StringToSid("S-1-5-32-545")
	if err := l.refuse(identity{user: user}); err != nil {
		t.Errorf("current user refused: %v", err)
	}
	if err := l.refuse(identity{}); err != nil {
		t.Errorf("unknown client refused: %v", err)
	}
	// Open to other machines, an unknown client is refused.
	l.cfg.AllowRemote = true
	if err := l.refuse(identity{}); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("unknown client with remote clients allowed: %v", err)
	}
	l.cfg.AllowRemote = false
	if err := l.refuse(identity{user: other}); !errors.Is(err, fs.ErrPermission) {
		t.Errorf("other user: %v", err)
	}
	l.allow = []*windows.SID{group}
	if err := l.refuse(identity{user: other, groups: []*windows.SID{group}}); err != nil {
		t.Errorf("member of an allowed group refused: %v", err)
	}
	l.allow = []*windows.SID{other}
	if err := l.refuse(identity{user: other}); err != nil {
		t.Errorf("allowed user refused: %v", err)
	}
}

// Pipes on other machines: only dial takes them, only with --trust, and
// only trust vouches for their owner; servers reject remote clients unless
// told. Wine resolves no \\HOST\pipe\ name, so what is tested is the
// name, the refusals before any network access, and the pipe mode asked of
// CreateNamedPipe (which no API reads back).
func TestRemotePipeNames(t *testing.T) {
	for p, host := range map[string]string{
		`\\srv\pipe\x`: "srv", `\\srv.example.com\PIPE\a\b`: "srv.example.com",
		`\\.\pipe\x`: "", `\\?\pipe\x`: "", `\\srv\share\x`: "", `\\srv\pipe\`: "", `C:\pipe\x`: "",
	} {
		if got := remotePipeHost(p); got != host {
			t.Errorf("remotePipeHost(%q) = %q, want %q", p, got, host)
		}
	}
	if got := fifoPath("//srv/pipe/x"); got != `\\srv\pipe\x` {
		t.Errorf("fifoPath(//srv/pipe/x) = %q", got)
	}
	if _, err := Listen(`\\srv\pipe\x`, nil); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Listen on another machine: %v, want ErrUnsupported", err)
	}
	_, err := Dial(testCtx(t), `\\srv\pipe\x`, nil)
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "--trust") {
		t.Errorf("Dial of a remote pipe without --trust: %v", err)
	}
	if m := (&pipeSpec{}).pipeMode(); m&windows.PIPE_REJECT_REMOTE_CLIENTS == 0 {
		t.Errorf("default pipe mode %#x lets remote clients in", m)
	}
	if m := (&pipeSpec{allowRemote: true, message: true}); m.pipeMode()&windows.PIPE_REJECT_REMOTE_CLIENTS != 0 || m.pipeMode()&windows.PIPE_TYPE_MESSAGE == 0 {
		t.Errorf("allowRemote pipe mode %#x", m.pipeMode())
	}
	if _, err := Listen(randomName("remote"), &Config{AllowRemote: true}); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("AllowRemote without AllowUsers: %v, want ErrInvalid", err)
	}
}
