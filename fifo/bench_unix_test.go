//go:build unix

package fifo

import (
	"net"
	"path/filepath"
	"testing"
)

// rawUnixPair is the baseline for Listen/Dial: a plain net.UnixConn pair.
func rawUnixPair(b *testing.B) (client, server net.Conn) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "s")
	l, err := net.Listen("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("unix", path)
	if err != nil {
		b.Fatal(err)
	}
	server = <-accepted
	b.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func BenchmarkRawUnixPingPong64(b *testing.B) {
	c, s := rawUnixPair(b)
	benchPingPong(b, c, c, echoCopy(s, s))
}

func BenchmarkRawUnixThroughput(b *testing.B) {
	c, s := rawUnixPair(b)
	benchThroughput(b, c, s)
}
