package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gopipe/gopipe/fifo"
)

const tapHelp = `Usage: gopipe tap [--hex|--text] [--wait DURATION] NAME UPSTREAM
Listen on NAME, connect each client to UPSTREAM, forward the bytes both ways
unchanged, and print every chunk on stdout with its direction (c>s: client to
server, s>c: server to client), time and offset: a sniffer that needs no
driver, for teaching and debugging.

  --hex             dump chunks as hexdump -C does (the default)
  --text            print chunks as text, escaping what is not printable
  --wait DURATION   when a client comes, wait up to DURATION (e.g. 10s) for
                    UPSTREAM to appear; without it a missing UPSTREAM turns
                    the client away at once
  --help            display this help and exit
`

var tapOpts = []optSpec{{long: "hex"}, {long: "text"}, {long: "wait", arg: requiredArg}, {long: "help"}}

type tapper struct {
	logger
	e    *env
	text bool
	wait time.Duration // for UPSTREAM to appear, per client
	out  sync.Mutex    // one record at a time on stdout
	next atomic.Int64
	wg   sync.WaitGroup
}

func runTap(e *env, args []string) int {
	opts, operands, err := getopt(args, tapOpts)
	if err != nil {
		return e.usage(err)
	}
	t := &tapper{logger: logger{w: e.stderr}, e: e}
	for _, o := range opts {
		switch o.key() {
		case "help":
			fmt.Fprint(e.stdout, tapHelp)
			return 0
		case "text":
			t.text = true
		case "hex":
			t.text = false
		case "wait":
			if t.wait, err = o.duration(); err != nil {
				return e.usage(err)
			}
		}
	}
	if len(operands) != 2 {
		return e.usage(errors.New("tap takes NAME and UPSTREAM"))
	}
	name, upstream := operands[0], operands[1]
	l, err := fifo.Listen(name, &fifo.Config{MessageMode: runtime.GOOS == "windows", Refused: func(p fifo.Peer, err error) {
		t.logf("refused %s: %v", p, err)
	}})
	if err != nil {
		e.errorf("tap %s", strerrorPath(err))
		return 1
	}
	t.logf("tapping %s -> %s", l.Addr(), upstream)
	stop, release := stopSignals(e)
	defer release()
	go func() { <-stop; l.Close() }()
	for {
		c, err := l.Accept()
		if err != nil {
			break
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.session(c, upstream, t.next.Add(1))
		}()
	}
	t.wg.Wait()
	return 0
}

func (t *tapper) session(c net.Conn, upstream string, id int64) {
	defer c.Close()
	peer, _ := fifo.PeerOf(c)
	u, err := dialWaiting(t.e.ctx, upstream, nil, t.wait)
	if err != nil {
		t.logf("#%d (%s): upstream %s", id, peer, strerrorPath(err))
		return
	}
	defer u.Close()
	t.logf("#%d (%s): connected to %s", id, peer, upstream)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); t.pump(id, "c>s", u, c) }()
	go func() { defer wg.Done(); t.pump(id, "s>c", c, u) }()
	wg.Wait()
	t.logf("#%d: closed", id)
}

// pump forwards src to dst, recording each chunk before forwarding it, so
// that the record's order follows cause and effect; src's end half-closes
// dst.
func (t *tapper) pump(id int64, dir string, dst, src net.Conn) {
	buf := make([]byte, 64<<10)
	var off int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			t.record(id, dir, off, buf[:n])
			off += int64(n)
			if _, werr := dst.Write(buf[:n]); werr != nil {
				t.logf("#%d %s: write: %s", id, dir, strerror(werr))
				src.Close()
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				t.logf("#%d %s: read: %s", id, dir, strerror(err))
				dst.Close()
				return
			}
			t.logf("#%d %s: end of data after %d bytes", id, dir, off)
			closeWrite(dst)
			return
		}
	}
}

func (t *tapper) record(id int64, dir string, off int64, b []byte) {
	var s strings.Builder
	fmt.Fprintf(&s, "%s #%d %s offset %d, %d bytes\n", time.Now().UTC().Format("15:04:05.000000"), id, dir, off, len(b))
	if t.text {
		s.WriteString(escapeText(b))
		s.WriteByte('\n')
	} else {
		s.WriteString(hex.Dump(b))
	}
	t.out.Lock()
	defer t.out.Unlock()
	io.WriteString(t.e.stdout, s.String())
}

// escapeText shows b as text: printable UTF-8 as is, newlines as \n
// followed by a line break, other bytes as Go escapes.
func escapeText(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == '\n':
			s.WriteString("\\n\n")
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&s, "\\x%02x", b[0])
		case r == '\t' || strconv.IsPrint(r):
			s.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			s.WriteString(q[1 : len(q)-1])
		}
		b = b[n:]
	}
	return strings.TrimSuffix(s.String(), "\n")
}
