//go:build unix

package fifo

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// testHelpers are the helper processes the Unix tests run, often as another
// uid (see helperEnv). Each prints what it read to stdout, its error to
// stderr, and exits 1 on failure.
var testHelpers = map[string]func(args []string) int{
	// read NAME: OpenReader and copy to stdout.
	"read": func(args []string) int { return readWith(args[0], OpenReader) },
	// read-timeout NAME: OpenReader with a short deadline must give up.
	"read-timeout": func(args []string) int {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		f, err := OpenReader(ctx, args[0])
		if err == nil {
			f.Close()
			return fail(fmt.Errorf("opened with no writer"))
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return fail(err)
		}
		return 0
	},
	// write NAME DATA: OpenWriter and write DATA.
	"write": func(args []string) int { return writeWith(args[0], args[1], OpenWriter) },
	// creat NAME: what a careless writer does, open(O_WRONLY|O_CREAT), which
	// fs.protected_fifos refuses for another user's FIFO in a sticky dir.
	"creat": func(args []string) int {
		fd, err := unix.Open(args[0], unix.O_WRONLY|unix.O_CREAT|unix.O_NONBLOCK, 0o600)
		if err != nil {
			return fail(err)
		}
		unix.Close(fd)
		return 0
	},
	// openfile-write NAME DATA: OpenFile as tee does, and write DATA.
	"openfile-write": func(args []string) int {
		return writeWith(args[0], args[1], func(ctx context.Context, name string) (*os.File, error) {
			return OpenFile(ctx, name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
		})
	},
	// openfile-read NAME: OpenFile as cat does, and copy to stdout.
	"openfile-read": func(args []string) int {
		return readWith(args[0], func(ctx context.Context, name string) (*os.File, error) {
			return OpenFile(ctx, name, os.O_RDONLY, 0)
		})
	},
	// follow NAME: a plain non-blocking open(2) for reading, symlinks
	// followed by the kernel: what GNU cat's open decides.
	"follow": func(args []string) int {
		fd, err := unix.Open(args[0], unix.O_RDONLY|unix.O_NONBLOCK, 0)
		if err != nil {
			return fail(err)
		}
		unix.Close(fd)
		return 0
	},
	// dial NAME MSG: send MSG, half-close, print the reply.
	"dial": func(args []string) int {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		c, err := Dial(ctx, args[0], nil)
		if err != nil {
			return fail(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write([]byte(args[1])); err != nil {
			return fail(err)
		}
		c.(interface{ CloseWrite() error }).CloseWrite()
		n, err := io.Copy(os.Stdout, c)
		if err != nil {
			return fail(err)
		}
		if n == 0 {
			return fail(fmt.Errorf("no reply: cut off by the server"))
		}
		return 0
	},
	// serve NAME [ALLOWED]: echo clients; print "ready" once listening.
	"serve": func(args []string) int {
		cfg := &Config{}
		if len(args) > 1 {
			cfg.AllowUsers = args[1:]
		}
		l, err := Listen(args[0], cfg)
		if err != nil {
			return fail(err)
		}
		defer l.Close()
		os.Chmod(args[0], 0o666) // let the test's other uid reach it
		fmt.Println("ready")
		for {
			c, err := l.Accept()
			if err != nil {
				return fail(err)
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	},
}

// readWith opens name with open and copies it to stdout.
func readWith(name string, open func(context.Context, string) (*os.File, error)) int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := open(ctx, name)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	if _, err := io.Copy(os.Stdout, f); err != nil {
		return fail(err)
	}
	return 0
}

// writeWith opens name with open and writes data to it.
func writeWith(name, data string, open func(context.Context, string) (*os.File, error)) int {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f, err := open(ctx, name)
	if err != nil {
		return fail(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	return 0
}

func fail(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 1
}

// waitReady reads the "ready" line a helper prints.
func waitReady(r io.Reader) error {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return fmt.Errorf("helper did not get ready: %q, %v", line, err)
	}
	return nil
}
