package fifo

import (
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"testing"
	"time"
)

// Benchmarks of the package against the raw primitives it stands on, to be
// compared in the same run (the machine is shared: only ratios mean
// anything). On Linux the targets are: FIFO ≈ os.Pipe, Conn ≈ net.UnixConn.

const chunk = 64 << 10

func benchThroughput(b *testing.B, w io.WriteCloser, r io.Reader) {
	b.Helper()
	buf := make([]byte, chunk)
	b.SetBytes(chunk)
	done := make(chan error, 1)
	go func() {
		_, err := io.CopyBuffer(io.Discard, r, make([]byte, chunk))
		done <- err
	}()
	b.ResetTimer()
	for range b.N {
		if _, err := w.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// benchPingPong sends 64-byte messages on w and waits for each to come
// back on r; echo, run concurrently, sends them back.
func benchPingPong(b *testing.B, w io.Writer, r io.Reader, echo func()) {
	b.Helper()
	go echo()
	msg := make([]byte, 64)
	b.ResetTimer()
	for range b.N {
		if _, err := w.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(r, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// fifoPairB opens both ends of a new FIFO.
func fifoPairB(b *testing.B) (r, w *os.File) {
	b.Helper()
	name := randomName("gopipe-bench-")
	if runtime.GOOS != "windows" {
		name = b.TempDir() + "/" + name
	}
	if err := Make(name, DefaultMode); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { Remove(name) })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rc := openAsync(ctx, name, false)
	w, err := OpenWriter(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	res := <-rc
	if res.err != nil {
		b.Fatal(res.err)
	}
	b.Cleanup(func() { w.Close(); res.f.Close() })
	return res.f, w
}

func BenchmarkFIFOThroughput(b *testing.B) {
	r, w := fifoPairB(b)
	benchThroughput(b, w, r)
}

func BenchmarkOSPipeThroughput(b *testing.B) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	benchThroughput(b, w, r)
}

func echoCopy(w io.Writer, r io.Reader) func() {
	return func() { io.CopyBuffer(w, r, make([]byte, 64)) }
}

func BenchmarkFIFOPingPong64(b *testing.B) {
	r1, w1 := fifoPairB(b)
	r2, w2 := fifoPairB(b)
	benchPingPong(b, w1, r2, echoCopy(w2, r1))
}

func BenchmarkOSPipePingPong64(b *testing.B) {
	r1, w1, _ := os.Pipe()
	r2, w2, _ := os.Pipe()
	b.Cleanup(func() { r1.Close(); w1.Close(); r2.Close(); w2.Close() })
	benchPingPong(b, w1, r2, echoCopy(w2, r1))
}

// connPair returns both ends of a Listen/Dial connection.
func connPair(b *testing.B, cfg *Config) (client, server net.Conn) {
	b.Helper()
	name := randomName("gopipe-bench-")
	if runtime.GOOS != "windows" {
		dir, err := os.MkdirTemp("", "gpb")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		name = dir + "/s"
	}
	l, err := Listen(name, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client, err = Dial(ctx, name, cfg)
	if err != nil {
		b.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		b.Fatal("Accept failed")
	}
	b.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func BenchmarkConnPingPong64(b *testing.B) {
	c, s := connPair(b, nil)
	benchPingPong(b, c, c, echoCopy(s, s))
}

func BenchmarkConnThroughput(b *testing.B) {
	c, s := connPair(b, nil)
	benchThroughput(b, c, s)
}
