package tests

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopipe/gopipe/fifo"
)

// The load test and the serve benchmarks: gopipe serve under many clients,
// and side by side with socat. The full load test (1,000 clients × 1,000
// messages of up to 64 KiB, 32 GiB each way) runs with GOPIPE_LOAD=full;
// by default a small version runs, so that CI checks the same code.

// rssKiB reads a process's resident set size.
func rssKiB(t testing.TB, pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// startServer runs a server command that listens on sock, and waits until
// it answers.
func startServer(t testing.TB, sock string, argv ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// socat has no readiness signal: wait for the socket to take calls.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.(*net.UnixConn).CloseWrite()
			io.Copy(io.Discard, c)
			c.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v never listened on %s: %v", argv, sock, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLoadManyClients(t *testing.T) {
	clients, messages := 100, 50
	if os.Getenv("GOPIPE_LOAD") == "full" {
		clients, messages = 1000, 1000
	}
	sock := filepath.Join(t.TempDir(), "s")
	srv := startServer(t, sock, gopipe(t), "serve", sock)
	base := rssKiB(t, srv.Process.Pid)

	// Connect everyone first and make each one round-trip, so that all
	// are served at once; then measure what an idle client costs.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	conns := make([]net.Conn, clients)
	for i := range conns {
		c, err := fifo.Dial(ctx, sock, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	one := []byte{1}
	for _, c := range conns {
		c.Write(one)
		if _, err := io.ReadFull(c, one); err != nil {
			t.Fatal(err)
		}
	}
	idle := rssKiB(t, srv.Process.Pid)
	perClient := float64(idle-base) / float64(clients)
	t.Logf("%d idle clients: server RSS %d KiB -> %d KiB, %.1f KiB per idle client", clients, base, idle, perClient)
	if perClient > 64 {
		t.Errorf("an idle client costs %.1f KiB, over the 64 KiB target", perClient)
	}

	start := time.Now()
	var mu sync.Mutex
	var total int64
	var slowest, fastest time.Duration
	errc := make(chan error, clients)
	for i, c := range conns {
		go func() {
			errc <- func() error {
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				msg := make([]byte, 64<<10)
				got := make([]byte, 64<<10)
				var sent int64
				t0 := time.Now()
				for m := range messages {
					n := 1 + rng.IntN(64<<10)
					for j := range msg[:n] {
						msg[j] = byte(rng.Uint32())
					}
					// Write and read concurrently: a 64 KiB message need not
					// fit the socket buffers both ways.
					werr := make(chan error, 1)
					go func() { _, err := c.Write(msg[:n]); werr <- err }()
					if _, err := io.ReadFull(c, got[:n]); err != nil {
						return fmt.Errorf("client %d message %d: %w", i, m, err)
					}
					if err := <-werr; err != nil {
						return err
					}
					if !bytes.Equal(got[:n], msg[:n]) {
						return fmt.Errorf("client %d message %d: echo differs", i, m)
					}
					sent += int64(n)
				}
				d := time.Since(t0)
				mu.Lock()
				total += sent
				slowest = max(slowest, d)
				if fastest == 0 || d < fastest {
					fastest = d
				}
				mu.Unlock()
				return nil
			}()
		}()
	}
	for range clients {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	el := time.Since(start)
	after := rssKiB(t, srv.Process.Pid)
	t.Logf("after the load, with %d clients idle again: server RSS %d KiB, %.1f KiB per client", clients, after, float64(after-base)/float64(clients))
	t.Logf("%d clients × %d messages: %.2f GiB echoed in %v (%.0f MiB/s each way); fastest client %v, slowest %v",
		clients, messages, float64(total)/(1<<30), el.Round(time.Millisecond), float64(total)/(1<<20)/el.Seconds(), fastest.Round(time.Millisecond), slowest.Round(time.Millisecond))
	// Starvation: every client was served throughout, so none should take
	// wildly longer than the others.
	if slowest > 20*fastest+5*time.Second {
		t.Errorf("a client starved: slowest %v, fastest %v", slowest, fastest)
	}
}

// BenchmarkServeEcho measures echo throughput and 64-byte round trips of
// gopipe serve, gopipe serve --exec cat, and socat UNIX-LISTEN,fork
// EXEC:cat, for 1, 10 and 100 clients, in the same run.
func BenchmarkServeEcho(b *testing.B) {
	servers := []struct {
		name string
		argv func(sock string) []string
	}{
		{"gopipe", func(s string) []string { return []string{gopipe(b), "serve", s} }},
		{"gopipe-exec-cat", func(s string) []string { return []string{gopipe(b), "serve", "--exec", "cat", s} }},
		{"socat-exec-cat", func(s string) []string {
			return []string{"socat", "UNIX-LISTEN:" + s + ",fork,backlog=128", "EXEC:cat"}
		}},
	}
	for _, srv := range servers {
		if _, err := exec.LookPath(srv.argv("x")[0]); err != nil {
			continue
		}
		for _, clients := range []int{1, 10, 100} {
			b.Run(fmt.Sprintf("%s/clients=%d/rtt64", srv.name, clients), func(b *testing.B) {
				sock := filepath.Join(b.TempDir(), "s")
				startServer(b, sock, srv.argv(sock)...)
				benchRTT(b, sock, clients)
			})
			b.Run(fmt.Sprintf("%s/clients=%d/throughput", srv.name, clients), func(b *testing.B) {
				sock := filepath.Join(b.TempDir(), "s")
				startServer(b, sock, srv.argv(sock)...)
				benchThroughput(b, sock, clients)
			})
		}
	}
}

func dialN(b *testing.B, sock string, n int) []net.Conn {
	conns := make([]net.Conn, n)
	for i := range conns {
		// fifo.Dial retries a full backlog, as clients of a busy server
		// should.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		c, err := fifo.Dial(ctx, sock, nil)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		conns[i] = c
	}
	// One round trip each before timing: a forking server (socat) starts
	// its children lazily, which would otherwise be timed.
	msg := make([]byte, 64)
	for _, c := range conns {
		c.Write(msg)
		if _, err := io.ReadFull(c, msg); err != nil {
			b.Fatal(err)
		}
	}
	return conns
}

// benchRTT: b.N round trips of 64 bytes shared among the clients; reports
// p50 and p99 in µs.
func benchRTT(b *testing.B, sock string, clients int) {
	conns := dialN(b, sock, clients)
	per := b.N/clients + 1
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := make([]byte, 64)
			for range per {
				t0 := time.Now()
				c.Write(msg)
				if _, err := io.ReadFull(c, msg); err != nil {
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
}

// benchThroughput: b.N chunks of 64 KiB echoed, shared among the clients.
func benchThroughput(b *testing.B, sock string, clients int) {
	const chunk = 64 << 10
	conns := dialN(b, sock, clients)
	per := b.N/clients + 1
	b.SetBytes(chunk)
	var wg sync.WaitGroup
	b.ResetTimer()
	for _, c := range conns {
		wg.Add(2)
		go func() {
			defer wg.Done()
			buf := make([]byte, chunk)
			for range per {
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			io.CopyN(io.Discard, c, int64(per)*chunk)
		}()
	}
	wg.Wait()
}
