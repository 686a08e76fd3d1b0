package endpoint

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

	"github.com/gopipe/gopipe/cmd/gopipe/internal/command"
	"github.com/gopipe/gopipe/fifo"
)

// Tap relays the clients of one endpoint to another, printing the traffic.
var Tap = &command.Spec{
	Name:     "tap",
	Summary:  "relay clients to another pipe, printing the traffic",
	Synopsis: "[--hex|--text] [--wait DURATION] [--grace DURATION] [--trust USER]... NAME UPSTREAM",
	Operands: command.CompleteEndpoint,
	Intro: `Listen on NAME, connect each client to UPSTREAM, forward the bytes both ways
unchanged, and print every chunk on stdout with its direction (c>s: client to
server, s>c: server to client), time and offset: a sniffer that needs no
driver, for teaching and debugging.

`,
	Options: append([]command.Option{
		{Long: "hex", Help: "dump chunks as hexdump -C does (the default)"},
		{Long: "text", Help: "print chunks as text, escaped so that they read back\nexactly (below)"},
		{Long: "wait", Arg: command.RequiredArg, ArgName: "DURATION", Help: "when a client comes, wait up to DURATION (e.g. 10s) for\nUPSTREAM to appear; without it a missing UPSTREAM turns\nthe client away at once"},
		{Long: "grace", Arg: command.RequiredArg, ArgName: "DURATION", Help: "on ctrl-C, SIGTERM or SIGHUP, how long clients may\nfinish (default 5s); a second one ends them at once"},
		trustOption,
	}, remoteOptions...),
	Outro: `With --text, printable characters are themselves but for the backslash,
which is \\; a newline is \n and then a line break, tab \t, carriage return
\r; other bytes below 0x20, DEL and bytes that are not UTF-8 are \xHH;
other unprintable characters \uHHHH or \UHHHHHHHH. So a NUL byte is \x00
and the four characters \x00 are \\x00, and a chunk's text, its line
breaks removed, reads back with bash's printf %b.

UPSTREAM may be an ssh:// NAME: each client gets a gopipe dial of its own there.
` + command.RemoteNote,
	Run: runTap,
}

type tapper struct {
	command.Logger
	e    *command.Env
	text bool
	wait time.Duration // for UPSTREAM to appear, per client
	// upCfg is how UPSTREAM is dialed: whom to trust besides ourselves,
	// how to reach it over ssh.
	upCfg *fifo.Config
	out   sync.Mutex // one record at a time on stdout
	// outErr is the first error writing stdout (under out); quit stops
	// accepting clients.
	outErr  error
	quit    func()
	next    atomic.Int64
	clients sessions
}

func runTap(e *command.Env, p *command.Parsed) int {
	t := &tapper{Logger: command.Logger{W: e.Stderr}, e: e, upCfg: &fifo.Config{}}
	grace := 5 * time.Second
	for _, o := range p.Opts {
		remoteOption(o, t.upCfg)
		switch o.Key() {
		case "grace":
			var err error
			if grace, err = o.Duration(); err != nil {
				return e.Usage(err)
			}
		case "text":
			t.text = true
		case "hex":
			t.text = false
		case "trust":
			t.upCfg.TrustServers = append(t.upCfg.TrustServers, o.Value)
		case "wait":
			var err error
			if t.wait, err = o.Duration(); err != nil {
				return e.Usage(err)
			}
		}
	}
	operands := p.Operands
	if len(operands) != 2 {
		return e.Usage(errors.New("tap takes NAME and UPSTREAM"))
	}
	name, upstream := operands[0], operands[1]
	// Stop as serve does: take no more clients, let those there finish
	// for the grace period (a second signal: at once), then cut them off.
	stop, again, release := e.StopSignals()
	defer release()
	// (Asked for before the name exists: a signal the moment it does must
	// still remove it.)
	l, err := fifo.Listen(name, &fifo.Config{MessageMode: runtime.GOOS == "windows", Refused: func(p fifo.Peer, err error) {
		t.Logf("refused %s: %v (--allow-user lets others in)", p, err)
	}})
	if err != nil {
		e.Errorf("tap %s", command.StrerrorPath(err))
		return 1
	}
	t.Logf("tapping %s -> %s", l.Addr(), upstream)
	t.quit = sync.OnceFunc(func() { l.Close() })
	go func() { <-stop; t.quit() }()
	for {
		c, err := l.Accept()
		if err != nil {
			break
		}
		ses, end := t.clients.begin(c)
		go func() {
			defer end()
			t.session(ses, c, upstream, t.next.Add(1))
		}()
	}
	t.quit() // and the name is gone once it returns, before we exit
	if sig := shutdown(&t.Logger, &t.clients, grace, again); sig != nil {
		e.DieBy = sig
		return command.SignalStatus(sig)
	}
	if t.outErr != nil {
		e.Errorf("write error: %s", command.Strerror(t.outErr))
		return command.StatusFailure
	}
	return 0
}

func (t *tapper) session(ses *session, c net.Conn, upstream string, id int64) {
	defer c.Close()
	peer, _ := fifo.PeerOf(c)
	u, err := dialWaiting(t.e.Ctx, upstream, t.upCfg, t.wait)
	if err != nil {
		t.Logf("#%d (%s): upstream %s", id, peer, command.StrerrorPath(err))
		return
	}
	defer u.Close()
	ses.add(u) // a cut closes both ends
	t.Logf("#%d (%s): connected to %s", id, peer, upstream)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); t.pump(id, "c>s", u, c) }()
	go func() { defer wg.Done(); t.pump(id, "s>c", c, u) }()
	wg.Wait()
	t.Logf("#%d: closed", id)
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
				t.Logf("#%d %s: write: %s", id, dir, command.Strerror(werr))
				src.Close()
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				t.Logf("#%d %s: read: %s", id, dir, command.Strerror(err))
				dst.Close()
				return
			}
			t.Logf("#%d %s: end of data after %d bytes", id, dir, off)
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
	if t.outErr != nil {
		return
	}
	if _, err := io.WriteString(t.e.Stdout, s.String()); err != nil {
		// Nobody reads the dump: take no more clients (those in session
		// still get their bytes relayed), and say so at the end, as
		// GNU's close_stdout would.
		t.outErr = err
		t.quit()
	}
}

// escapeText shows b as text that reads back exactly (tap's help says
// how): printable UTF-8 as is but for the backslash, a newline as \n and a
// line break, the C escapes for tab and CR, \xHH for other control bytes
// and invalid UTF-8, \u or \U for other unprintable characters. The last
// line break is left to the caller, which ends every record with one.
func escapeText(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == '\\':
			s.WriteString(`\\`)
		case r == '\n':
			s.WriteString("\\n\n")
		case r == '\t':
			s.WriteString(`\t`)
		case r == '\r':
			s.WriteString(`\r`)
		case r < 0x20 || r == 0x7f || (r == utf8.RuneError && n == 1):
			fmt.Fprintf(&s, "\\x%02x", b[0])
		case strconv.IsPrint(r):
			s.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&s, "\\u%04x", r)
		default:
			fmt.Fprintf(&s, "\\U%08x", r)
		}
		b = b[n:]
	}
	return strings.TrimSuffix(s.String(), "\n")
}
