package fifo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// These tests use only the exported API and run on every OS (on Windows
// under Wine in CI).

// randomName returns a fresh random name: pipe names are global on Windows.
func randomName(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// fifoName returns a name for a new FIFO: a path in a fresh directory on
// Unix, a random pipe name on Windows.
func fifoName(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		return randomName("gopipe-test-")
	}
	return filepath.Join(t.TempDir(), "fifo")
}

// endpointName returns a name for a new Listen endpoint. On Unix the path is
// kept short: socket paths are limited to about 100 bytes.
func endpointName(t *testing.T) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		return randomName("gopipe-test-")
	}
	dir, err := os.MkdirTemp("", "gp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

// checkNoLeak fails the test if it ends with more goroutines than it began
// with.
func checkNoLeak(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() { checkGoroutines(t, before) })
}

// checkGoroutines fails the test if, once the runtime has had time to
// settle, more goroutines run than before (a leaked wait, say).
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("goroutines leaked: %d before, %d after\n%s", before, n, buf)
			return
		}
		// Polling, not synchronisation: nothing tells us when an exiting
		// goroutine is gone.
		runtime.Gosched()
		time.Sleep(5 * time.Millisecond)
	}
}

func newFIFO(t *testing.T) string {
	t.Helper()
	name := fifoName(t)
	if err := Make(name, DefaultMode); err != nil {
		t.Fatalf("Make: %v", err)
	}
	t.Cleanup(func() { Remove(name) })
	return name
}

type openResult struct {
	f   *os.File
	err error
}

func openAsync(ctx context.Context, name string, write bool) <-chan openResult {
	ch := make(chan openResult, 1)
	go func() {
		var r openResult
		if write {
			r.f, r.err = OpenWriter(ctx, name)
		} else {
			r.f, r.err = OpenReader(ctx, name)
		}
		ch <- r
	}()
	return ch
}

func testRendezvous(t *testing.T, readerFirst bool) {
	name := newFIFO(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want := bytes.Repeat([]byte("gopipe rendezvous\n"), 10000)
	var rc, wc <-chan openResult
	if readerFirst {
		rc = openAsync(ctx, name, false)
		wc = openAsync(ctx, name, true)
	} else {
		wc = openAsync(ctx, name, true)
		rc = openAsync(ctx, name, false)
	}
	// Each side goes on as soon as its own open returns, as two processes
	// would.
	errc := make(chan error, 1)
	go func() {
		w := <-wc
		if w.err != nil {
			errc <- w.err
			return
		}
		_, err := w.f.Write(want)
		if cerr := w.f.Close(); err == nil {
			err = cerr
		}
		errc <- err
	}()
	r := <-rc
	if r.err != nil {
		t.Fatalf("OpenReader: %v", r.err)
	}
	got, err := io.ReadAll(r.f)
	r.f.Close()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("writer: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d", len(got), len(want))
	}
}

// Two FIFOs opened crosswise, as two processes talking both ways do: each
// open must return once the peer has opened, before anything is written,
// or this deadlocks.
func TestRendezvousCrosswise(t *testing.T) {
	checkNoLeak(t)
	req, resp := newFIFO(t), newFIFO(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errc := make(chan error, 1)
	go func() { // the server
		errc <- func() error {
			in, err := OpenReader(ctx, req)
			if err != nil {
				return err
			}
			defer in.Close()
			out, err := OpenWriter(ctx, resp)
			if err != nil {
				return err
			}
			defer out.Close()
			_, err = io.Copy(out, in)
			return err
		}()
	}()
	out, err := OpenWriter(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	in, err := OpenReader(ctx, resp)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	buf := make([]byte, 4)
	for i := range 100 {
		msg := fmt.Appendf(nil, "%04d", i)
		if _, err := out.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(in, buf); err != nil || !bytes.Equal(buf, msg) {
			t.Fatalf("got %q, %v; want %q", buf, err, msg)
		}
	}
	out.Close()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestRendezvousReaderFirst(t *testing.T) { checkNoLeak(t); testRendezvous(t, true) }
func TestRendezvousWriterFirst(t *testing.T) { checkNoLeak(t); testRendezvous(t, false) }

func TestOpenReaderCancel(t *testing.T) {
	checkNoLeak(t)
	name := newFIFO(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := openAsync(ctx, name, false)
	cancel()
	r := <-ch
	if r.err == nil {
		r.f.Close()
		t.Fatal("OpenReader succeeded with no writer")
	}
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("OpenReader: %v, want context.Canceled", r.err)
	}
	var pe *os.PathError
	if !errors.As(r.err, &pe) {
		t.Fatalf("OpenReader error %T is not a *os.PathError", r.err)
	}
}

func TestOpenReaderDeadline(t *testing.T) {
	checkNoLeak(t)
	name := newFIFO(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	f, err := OpenReader(ctx, name)
	if err == nil {
		f.Close()
		t.Fatal("OpenReader succeeded with no writer")
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("OpenReader: %v, want a deadline error", err)
	}
}

// openPair opens both ends of a fresh FIFO, the writer having written
// "hello" so that the reader's open completes on every OS.
func openPair(t *testing.T) (r, w *os.File) {
	t.Helper()
	name := newFIFO(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc := openAsync(ctx, name, false)
	w, err := OpenWriter(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	res := <-rc
	if res.err != nil {
		t.Fatal(res.err)
	}
	t.Cleanup(func() { w.Close(); res.f.Close() })
	buf := make([]byte, 5)
	if _, err := io.ReadFull(res.f, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("read %q, %v", buf, err)
	}
	return res.f, w
}

func TestFIFOReadDeadline(t *testing.T) {
	r, _ := openPair(t)
	if err := r.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		if errors.Is(err, os.ErrNoDeadline) {
			t.Skip("FIFOs have no deadlines on this OS")
		}
		t.Fatal(err)
	}
	_, err := r.Read(make([]byte, 10))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read: %v, want os.ErrDeadlineExceeded", err)
	}
}

func TestFIFOCloseWhileReading(t *testing.T) {
	checkNoLeak(t)
	r, _ := openPair(t)
	errc := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		_, err := r.Read(make([]byte, 10))
		errc <- err
	}()
	<-started
	// Close may come before or during the Read: either way Read must end
	// with os.ErrClosed rather than hang.
	r.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Read after Close: %v, want os.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Read still blocked 10s after Close")
	}
}

func TestMakeExisting(t *testing.T) {
	name := newFIFO(t)
	err := Make(name, DefaultMode)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Make: %v, want fs.ErrExist", err)
	}
}

func TestMakeBadMode(t *testing.T) {
	err := Make(fifoName(t), 0o4755)
	if !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("Make with setuid bit: %v, want fs.ErrInvalid", err)
	}
}

func TestOpenMissing(t *testing.T) {
	name := fifoName(t)
	for _, write := range []bool{false, true} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var err error
		if write {
			_, err = OpenWriter(ctx, name)
		} else {
			_, err = OpenReader(ctx, name)
		}
		cancel()
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("open (write=%v) of a missing FIFO: %v, want fs.ErrNotExist", write, err)
		}
	}
}

// echo serves l, echoing each connection until its peer half-closes.
func echo(l net.Listener) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return &wg
}

func listenT(t *testing.T, cfg *Config) (net.Listener, string) {
	t.Helper()
	name := endpointName(t)
	l, err := Listen(name, cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return l, name
}

func dialT(t *testing.T, name string, cfg *Config) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, name, cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	return c
}

func TestEchoManyClients(t *testing.T) {
	clients, messages := 200, 1000
	if runtime.GOOS == "windows" || testing.Short() {
		clients, messages = 20, 200
	}
	l, name := listenT(t, nil)
	wg := echo(l)
	defer wg.Wait()
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	errc := make(chan error, clients)
	for i := range clients {
		go func() {
			errc <- func() error {
				c, err := Dial(ctx, name, nil)
				if err != nil {
					return err
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Minute))
				got := make([]byte, 64)
				for m := range messages {
					msg := fmt.Appendf(nil, "client %4d message %5d ", i, m)
					msg = append(msg, bytes.Repeat([]byte{byte(i + m)}, 64-len(msg))...)
					if _, err := c.Write(msg); err != nil {
						return err
					}
					if _, err := io.ReadFull(c, got); err != nil {
						return err
					}
					if !bytes.Equal(got, msg) {
						return fmt.Errorf("client %d message %d: got %q, want %q", i, m, got, msg)
					}
				}
				return nil
			}()
		}()
	}
	for range clients {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}

func testHalfClose(t *testing.T, cfg *Config) {
	l, name := listenT(t, cfg)
	defer l.Close()
	type closeWriter interface{ CloseWrite() error }
	done := make(chan error, 1)
	go func() {
		done <- func() error {
			c, err := l.Accept()
			if err != nil {
				return err
			}
			defer c.Close()
			got, err := io.ReadAll(c) // ends at the client's half-close
			if err != nil {
				return fmt.Errorf("server read: %w", err)
			}
			if _, err := c.Write(append([]byte("got "), got...)); err != nil {
				return fmt.Errorf("server write: %w", err)
			}
			return c.(closeWriter).CloseWrite()
		}()
	}()
	c := dialT(t, name, cfg)
	defer c.Close()
	if _, err := c.Write([]byte("question")); err != nil {
		t.Fatal(err)
	}
	if err := c.(closeWriter).CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("client read: %v", err)
	}
	if string(got) != "got question" {
		t.Fatalf("client read %q", got)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestHalfCloseMessageMode(t *testing.T) {
	testHalfClose(t, &Config{MessageMode: true})
}

func TestDialMissing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := Dial(ctx, endpointName(t), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Dial of a missing endpoint: %v, want fs.ErrNotExist", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatal("Dial of a missing endpoint waited instead of failing at once")
	}
}

func TestListenTwice(t *testing.T) {
	l, name := listenT(t, nil)
	defer l.Close()
	l2, err := Listen(name, nil)
	if err == nil {
		l2.Close()
		t.Fatal("second Listen on a live name succeeded")
	}
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second Listen: %v, want fs.ErrExist", err)
	}
}

func TestListenerCloseUnblocksAccept(t *testing.T) {
	checkNoLeak(t)
	l, _ := listenT(t, nil)
	errc := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		errc <- err
	}()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept still blocked 10s after Close")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept on a closed listener: %v", err)
	}
}

func TestConnDeadline(t *testing.T) {
	l, name := listenT(t, nil)
	wg := echo(l)
	defer wg.Wait()
	defer l.Close()
	c := dialT(t, name, nil)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past deadline: %v, want os.ErrDeadlineExceeded", err)
	}
	// The conn stays usable once the deadline is lifted.
	c.SetReadDeadline(time.Time{})
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil || b[0] != 'x' {
		t.Fatalf("echo after deadline: %q, %v", b, err)
	}
}

func TestPeerOf(t *testing.T) {
	l, name := listenT(t, nil)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	c := dialT(t, name, nil)
	defer c.Close()
	s, ok := <-accepted
	if !ok {
		t.Fatal("Accept failed")
	}
	defer s.Close()
	for side, conn := range map[string]net.Conn{"server's view of the client": s, "client's view of the server": c} {
		p, err := PeerOf(conn)
		if err != nil {
			t.Errorf("%s: %v", side, err)
			continue
		}
		if p.PID != os.Getpid() {
			t.Errorf("%s: pid %d, want %d", side, p.PID, os.Getpid())
		}
		if p.UserID == "" || p.User == "" {
			t.Errorf("%s: no user in %+v", side, p)
		}
		if runtime.GOOS != "windows" && p.UserID != strconv.Itoa(os.Geteuid()) {
			t.Errorf("%s: uid %s, want %d", side, p.UserID, os.Geteuid())
		}
	}
}

// Remote clients are a Windows pipe's option, and only for named users.
func TestAllowRemoteConfig(t *testing.T) {
	_, err := Listen(randomName("remote"), &Config{AllowRemote: true, AllowUsers: []string{"nobody"}})
	if runtime.GOOS != "windows" && !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("AllowRemote on %s: %v, want ErrUnsupported", runtime.GOOS, err)
	}
	if _, err := Listen(randomName("remote"), &Config{AllowRemote: true}); err == nil {
		t.Error("AllowRemote without AllowUsers was taken")
	}
}
